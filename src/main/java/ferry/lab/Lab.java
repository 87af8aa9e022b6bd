package ferry.lab;

import ferry.addr.Ipv4;
import ferry.addr.Ipv6;
import ferry.io.PacketReader;
import ferry.io.PacketReaders;
import ferry.io.PacketWriter;
import ferry.io.PacketWriters;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The IPv4-island network on one machine, in network namespaces {@code ferry-lab-*}:
 *
 * <pre>
 *  v6host ──── plat ──── inet4          IPv6-only network 2001:db8:8011:fd00::/64; PLAT: NAT64 64:ff9b::/96 + DNS64
 *                │                       IPv4 "Internet" 203.0.113.0/24 and 192.0.2.1
 *              island ──── iot           island WAN 2001:db8:8011:fda4::/64: CLAT + NAT64 (pool6 ...:4444::/96)
 *                                        island LAN 198.51.100.0/24, iot 198.51.100.109
 * </pre>
 *
 * Every router runs one {@code ferry run}, one instance per configuration file the lab writes into {@link #dir}
 * (plat: NAT64 + DNS64; island: CLAT, NAT64 with its port filter, and a DNS-only instance); every process the lab
 * starts is recorded by PID in that directory and stopped by that PID only. Not thread-safe; one lab per machine.
 */
public final class Lab {
    /** Namespaces, in creation order. */
    public static final List<String> NAMESPACES = List.of(
            "ferry-lab-v6host", "ferry-lab-plat", "ferry-lab-inet4", "ferry-lab-island", "ferry-lab-iot");
    static final String V6HOST = "ferry-lab-v6host", PLAT = "ferry-lab-plat", INET4 = "ferry-lab-inet4",
            ISLAND = "ferry-lab-island", IOT = "ferry-lab-iot";

    static final String V6HOST_ADDR = "2001:db8:8011:fd00::10", PLAT_V6NET = "2001:db8:8011:fd00::1";
    static final String PLAT_WAN = "2001:db8:8011:fda4::1", ISLAND_WAN = "2001:db8:8011:fda4::2";
    static final String PLAT_V4 = "203.0.113.2", INET4_LINK = "203.0.113.1", INET4_ADDR = "192.0.2.1";
    static final String PLAT_POOL4 = "203.0.113.3";
    static final String ISLAND_LAN = "198.51.100.1", IOT_ADDR = "198.51.100.109", ISLAND_POOL4 = "198.51.100.4";
    static final String PLAT_PREFIX = "64:ff9b::/96";
    static final String ISLAND_POOL6 = "2001:db8:8011:fda4:4444::/96";
    static final String CLAT_PREFIX = "2001:db8:8011:fda4:c1a7::/96";
    static final String IOT_VIA_ISLAND = "2001:db8:8011:fda4:4444::198.51.100.109";
    static final String INET4_VIA_PLAT = "64:ff9b::c000:201";
    static final String NAME = "www.example.net";

    /** The ferry instances of the lab, as their CLI reaches them (the instance names are those of the configs). */
    static final Accounting.Instance FERRY_PLAT = new Accounting.Instance("lab-plat", PLAT, "the plat's NAT64", false),
            FERRY_ISLAND = new Accounting.Instance("lab-island", ISLAND, "the island's NAT64", false),
            FERRY_CLAT = new Accounting.Instance("lab-clat", ISLAND, "the island's CLAT", true);

    /** Debian packages that provide the commands the lab runs. */
    static final Map<String, String> PACKAGES = new LinkedHashMap<>();

    static {
        PACKAGES.put("ip", "iproute2");
        PACKAGES.put("ping", "iputils-ping");
        PACKAGES.put("curl", "curl");
        PACKAGES.put("dig", "bind9-dnsutils");
        PACKAGES.put("python3", "python3");
        PACKAGES.put("tcpdump", "tcpdump");
        PACKAGES.put("setsid", "util-linux");
    }

    final Path dir;
    final PrintStream out;
    /** Captures of {@link #capture()} that came out empty on one side (each printed with ✗). */
    int captureFailures;
    /** Test hook: a check item that is made to fail on purpose (e.g. "2.4"), or null. */
    final String failItem;

    /** A lab whose files, logs, PIDs and captures live in {@code dir}; reports to {@code out}. */
    public Lab(Path dir, PrintStream out, String failItem) {
        this.dir = dir.toAbsolutePath();
        this.out = out;
        this.failItem = failItem;
    }

    /** The result of one command. */
    record Result(int exit, String output, String command) {
        boolean ok() {
            return exit == 0;
        }
    }

    // ---------------------------------------------------------------- commands

    /** True when running as root (the lab needs CAP_NET_ADMIN in the initial namespace). */
    public static boolean isRoot() {
        try {
            Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
            String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            p.waitFor();
            return s.equals("0");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Installs the missing client/server packages with apt-get (printing what and why); false when that fails. */
    public boolean ensurePackages() throws IOException, InterruptedException {
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, String> e : PACKAGES.entrySet()) {
            if (host(10, "sh", "-c", "command -v " + e.getKey()).exit() != 0) missing.add(e.getValue());
        }
        if (missing.isEmpty()) return true;
        out.println("ferry lab: installing " + String.join(" ", missing)
                + " (the lab's clients and servers) with apt-get");
        List<String> cmd = new ArrayList<>(List.of("apt-get", "install", "-y", "-q", "--no-install-recommends"));
        cmd.addAll(missing);
        Result u = host(300, "apt-get", "update", "-q");
        Result r = host(600, cmd.toArray(String[]::new));
        if (!r.ok()) {
            out.println("ferry lab: could not install " + String.join(" ", missing) + ":\n" + u.output() + r.output());
            return false;
        }
        return true;
    }

    /** Builds the namespaces and links and starts every server and ferry; true when all came up. */
    public boolean up() throws IOException, InterruptedException {
        Files.createDirectories(dir);
        writeFiles();
        for (String ns : NAMESPACES) must(host(10, "ip", "netns", "add", ns));
        // links: v6host-plat (IPv6-only network), plat-island (island WAN), plat-inet4 (IPv4 uplink), island-iot
        must(host(10, "ip", "link", "add", "eth0", "netns", V6HOST, "type", "veth", "peer", "name", "v6net",
                "netns", PLAT));
        must(host(10, "ip", "link", "add", "island", "netns", PLAT, "type", "veth", "peer", "name", "wan",
                "netns", ISLAND));
        must(host(10, "ip", "link", "add", "up4", "netns", PLAT, "type", "veth", "peer", "name", "eth0",
                "netns", INET4));
        must(host(10, "ip", "link", "add", "lan", "netns", ISLAND, "type", "veth", "peer", "name", "eth0",
                "netns", IOT));
        for (String ns : NAMESPACES) {
            must(in(ns, 10, "ip", "link", "set", "lo", "up"));
            must(in(ns, 10, "sysctl", "-q", "-w", "net.ipv6.conf.all.accept_dad=0",
                    "net.ipv6.conf.default.accept_dad=0"));
        }
        // v6host
        must(in(V6HOST, 10, "ip", "addr", "add", V6HOST_ADDR + "/64", "dev", "eth0", "nodad"));
        must(in(V6HOST, 10, "ip", "link", "set", "eth0", "up"));
        must(in(V6HOST, 10, "ip", "-6", "route", "add", "default", "via", PLAT_V6NET));
        // plat
        must(in(PLAT, 10, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"));
        must(in(PLAT, 10, "ip", "addr", "add", PLAT_V6NET + "/64", "dev", "v6net", "nodad"));
        must(in(PLAT, 10, "ip", "addr", "add", PLAT_WAN + "/64", "dev", "island", "nodad"));
        must(in(PLAT, 10, "ip", "addr", "add", PLAT_V4 + "/24", "dev", "up4"));
        for (String d : List.of("v6net", "island", "up4")) must(in(PLAT, 10, "ip", "link", "set", d, "up"));
        must(in(PLAT, 10, "ip", "route", "add", "192.0.2.0/24", "via", INET4_LINK));
        must(in(PLAT, 10, "ip", "-6", "route", "add", ISLAND_POOL6, "via", ISLAND_WAN));
        must(in(PLAT, 10, "ip", "-6", "route", "add", CLAT_PREFIX, "via", ISLAND_WAN));
        // the IPv4 Internet answers ARP for pool4 on its link: the plat proxies it (route into ferry's TUN)
        must(in(PLAT, 10, "sysctl", "-q", "-w", "net.ipv4.conf.up4.proxy_arp=1"));
        // inet4
        must(in(INET4, 10, "ip", "addr", "add", INET4_LINK + "/24", "dev", "eth0"));
        must(in(INET4, 10, "ip", "addr", "add", INET4_ADDR + "/32", "dev", "lo"));
        must(in(INET4, 10, "ip", "link", "set", "eth0", "up"));
        // island
        must(in(ISLAND, 10, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"));
        must(in(ISLAND, 10, "ip", "addr", "add", ISLAND_WAN + "/64", "dev", "wan", "nodad"));
        must(in(ISLAND, 10, "ip", "addr", "add", ISLAND_LAN + "/24", "dev", "lan"));
        must(in(ISLAND, 10, "ip", "link", "set", "wan", "up"));
        must(in(ISLAND, 10, "ip", "link", "set", "lan", "up"));
        must(in(ISLAND, 10, "ip", "-6", "route", "add", "default", "via", PLAT_WAN));
        must(in(ISLAND, 10, "sysctl", "-q", "-w", "net.ipv4.conf.lan.proxy_arp=1"));
        // iot
        must(in(IOT, 10, "ip", "addr", "add", IOT_ADDR + "/24", "dev", "eth0"));
        must(in(IOT, 10, "ip", "link", "set", "eth0", "up"));
        must(in(IOT, 10, "ip", "route", "add", "default", "via", ISLAND_LAN));

        // servers
        start("inet4-web", INET4, null, "python3", "-m", "http.server", "80", "--bind", "0.0.0.0",
                "--directory", dir.resolve("www4").toString());
        start("inet4-dns", INET4, "ferry lab dns: serving", ferry("lab", "dns-server", "--listen", INET4_ADDR + ":53"));
        start("iot-services", IOT, "iot: serving", "python3", dir.resolve("iot.py").toString());
        // routers: one ferry per router namespace, one --config file per instance (each names its control socket)
        start("plat", PLAT, "event=ready instances=", ferry("run", "--config", dir.resolve("plat.json").toString()));
        // --force: the issue's pool6 has 0x44 in bits 64-71, the u-octet RFC 6052 §2.2 says MUST be zero (as Jool,
        // ferry accepts it only when forced)
        start("island", ISLAND, "event=ready instances=", ferry("run", "--force",
                "--config", dir.resolve("island-clat.json").toString(),
                "--config", dir.resolve("island-nat64.json").toString(),
                "--config", dir.resolve("island-dns.json").toString()));
        awaitLog("island", "(rfc7050-dns)", 20);
        awaitHttp(INET4, "http://127.0.0.1/");
        out.println("ferry lab: up; configuration files, logs and captures in " + dir);
        out.println("  plat:   ferry run --config " + dir.resolve("plat.json"));
        out.println("  island: ferry run --force --config " + dir.resolve("island-clat.json") + " --config "
                + dir.resolve("island-nat64.json") + " --config " + dir.resolve("island-dns.json"));
        return true;
    }

    /**
     * Runs check items 1-4; prints one ✓/✗ line per step with the command it ran. Item 4 asks every ferry for its
     * counters with the CLI before and after the pings of items 1-3 and at the end ({@link Accounting}). Returns the
     * number failed.
     */
    public int check() throws IOException, InterruptedException {
        int failed = 0;
        out.println("ferry lab check:   (ferry = " + String.join(" ", ferry()) + ")");
        Accounting acc = new Accounting(this::stats);
        acc.snapshot(FERRY_PLAT, "before 1.2");
        // 1. v6host -> IPv4 Internet through DNS64 + NAT64
        Result dig = in(V6HOST, 10, "dig", "+short", "+time=2", "+tries=2", "AAAA", NAME, "@" + PLAT_V6NET);
        failed += item("1.1", "v6host resolves the IPv4-only name " + NAME + " through DNS64 to a synthesized "
                + PLAT_PREFIX + " address", dig, dig.ok() && dig.output().trim().equals(INET4_VIA_PLAT),
                dig.output().trim());
        Result ping = in(V6HOST, 20, "ping", "-6", "-n", "-c", "3", "-i", "0.2", "-W", "2", INET4_VIA_PLAT);
        failed += item("1.2", "v6host pings " + INET4_VIA_PLAT + " (192.0.2.1 through the PLAT)", ping, ping.ok(),
                lastLine(ping.output(), "packet loss"));
        acc.snapshot(FERRY_PLAT, "after 1.2");
        acc.ping(FERRY_PLAT, "1.2", "before 1.2", "after 1.2");
        acc.tcp(FERRY_PLAT, "1.3", true);
        Result http = in(V6HOST, 20, "curl", "-sS", "-m", "5", "http://[" + INET4_VIA_PLAT + "]/");
        failed += item("1.3", "v6host fetches http://[" + INET4_VIA_PLAT + "]/", http,
                http.ok() && http.output().contains("IPv4 Internet"), firstLine(http.output()));
        // 2. v6host -> iot through the island's NAT64
        acc.snapshot(FERRY_ISLAND, "before 2.1");
        Result ping2 = in(V6HOST, 20, "ping", "-6", "-n", "-c", "3", "-i", "0.2", "-W", "2", IOT_VIA_ISLAND);
        failed += item("2.1", "v6host pings the IoT device " + IOT_VIA_ISLAND + " through the island", ping2,
                ping2.ok(), lastLine(ping2.output(), "packet loss"));
        acc.snapshot(FERRY_ISLAND, "after 2.1");
        acc.ping(FERRY_ISLAND, "2.1", "before 2.1", "after 2.1");
        acc.tcp(FERRY_ISLAND, "2.2", true);
        acc.tcp(FERRY_ISLAND, "2.3", false);
        Result web = in(V6HOST, 20, "curl", "-sS", "-m", "5", "http://[" + IOT_VIA_ISLAND + "]/");
        failed += item("2.2", "v6host fetches the IoT device's web page", web,
                web.ok() && web.output().contains("IoT device"), firstLine(web.output()));
        Result ssh = in(V6HOST, 20, "bash", "-c", "exec 3<>/dev/tcp/" + IOT_VIA_ISLAND + "/22 && head -1 <&3");
        failed += item("2.3", "v6host connects to TCP 22 on the IoT device", ssh,
                ssh.ok() && ssh.output().startsWith("SSH-2.0-"), firstLine(ssh.output()));
        int port = "2.4".equals(failItem) ? 80 : 23; // test hook: port 80 is open, so the check must fail
        Result refused = in(V6HOST, 20, "curl", "-sS", "-m", "5", "http://[" + IOT_VIA_ISLAND + "]:" + port + "/");
        acc.expectDrop(FERRY_ISLAND, "2.4", "drop_nat64_port_filtered", 1);
        failed += item("2.4", "TCP " + port + " (not 22 or 80; the device listens on 23 too) is refused from the IPv6"
                + " side by the island's ferry (nat64-allow: TCP 22, 80 and ICMP; a TCP RST)", refused,
                refused.exit() == 7, firstLine(refused.output()));
        // 3. iot -> IPv4 Internet through CLAT + PLAT (464XLAT)
        Result st = in(ISLAND, 20, ferry("clat", "status", "--state-file", dir.resolve("clat-state.json").toString()));
        // RFC 7050 §3: the CLAT asks its resolver for AAAA ipv4only.arpa; the DNS64 synthesizes the name's two
        // well-known IPv4 addresses 192.0.0.170/171 under its prefix, and the CLAT reads the prefix off the answer
        Result wka = in(ISLAND, 10, "dig", "+short", "+time=2", "+tries=2", "AAAA", "ipv4only.arpa",
                "@" + PLAT_V6NET);
        List<String> wkaAnswer = List.of(wka.output().strip().split("\\s+"));
        boolean learned = st.ok() && st.output().contains(PLAT_PREFIX + "  from rfc7050-dns")
                && st.output().contains("discovery:     RFC 7050");
        boolean synthesized = wka.ok() && wkaAnswer.contains("64:ff9b::c000:aa") && wkaAnswer.contains("64:ff9b::c000:ab");
        failed += item("3.1", "the island's CLAT discovered the PLAT prefix " + PLAT_PREFIX + ", none configured:"
                + " RFC 7050 §3 — it asked its resolver, the plat's DNS64 [" + PLAT_V6NET + "]:53, for AAAA"
                + " ipv4only.arpa and found the well-known 192.0.0.170 and 192.0.0.171 in bits 96-127 of the answers",
                st, learned && synthesized, (grepLine(st.output(), "PLAT prefix") + "; "
                        + grepLine(st.output(), "clat_rfc7050_found")).replaceAll("\\s+", " "));
        out.println("      $ " + shown(wka.command()) + "   # the same query by hand: " + String.join(" ", wkaAnswer)
                + (synthesized ? " = " + PLAT_PREFIX + " + 0xc00000aa (192.0.0.170) and + 0xc00000ab (192.0.0.171)"
                : "  ✗ expected 64:ff9b::c000:aa and 64:ff9b::c000:ab"));
        acc.snapshot(FERRY_CLAT, "before 3.2");
        acc.snapshot(FERRY_PLAT, "before 3.2");
        Result ping3 = in(IOT, 20, "ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", INET4_ADDR);
        failed += item("3.2", "iot pings " + INET4_ADDR + " through CLAT + PLAT (464XLAT)", ping3, ping3.ok(),
                lastLine(ping3.output(), "packet loss"));
        acc.snapshot(FERRY_CLAT, "after 3.2");
        acc.snapshot(FERRY_PLAT, "after 3.2");
        acc.ping(FERRY_CLAT, "3.2", "before 3.2", "after 3.2");
        acc.ping(FERRY_PLAT, "3.2", "before 3.2", "after 3.2");
        acc.tcp(FERRY_CLAT, "3.3", true);
        acc.tcp(FERRY_PLAT, "3.3", true);
        Result http3 = in(IOT, 20, "curl", "-sS", "-m", "5", "http://" + INET4_ADDR + "/");
        failed += item("3.3", "iot fetches http://" + INET4_ADDR + "/ through 464XLAT", http3,
                http3.ok() && http3.output().contains("IPv4 Internet"), firstLine(http3.output()));
        Result dig3 = in(IOT, 10, "dig", "+short", "+time=2", "+tries=2", "A", NAME, "@" + ISLAND_LAN);
        failed += item("3.4", "iot resolves " + NAME + " (A) through the island's DNS " + ISLAND_LAN
                + " (forwarding over IPv6 to the plat's DNS64)", dig3, dig3.ok()
                && dig3.output().trim().equals(INET4_ADDR), dig3.output().trim());
        // 4. every ferry's counters account for every packet of the check
        for (Accounting.Instance f : List.of(FERRY_PLAT, FERRY_ISLAND, FERRY_CLAT)) acc.snapshot(f, "end");
        failed += accountFor(acc, "4.1", FERRY_PLAT, "before 1.2");
        failed += accountFor(acc, "4.2", FERRY_ISLAND, "before 2.1");
        failed += accountFor(acc, "4.3", FERRY_CLAT, "before 3.2");
        return failed;
    }

    /**
     * The counters of one ferry instance through the real CLI, run in its router's namespace: {@code ferry -i INSTANCE
     * stats display --csv} (the instance's control socket, /run/ferry/INSTANCE.sock).
     */
    Accounting.Snapshot stats(Accounting.Instance f) throws IOException, InterruptedException {
        Result r = in(f.ns(), 20, ferry("-i", f.name(), "stats", "display", "--csv"));
        String shown = shown(r.command());
        if (!r.ok()) return new Accounting.Snapshot(Map.of(), false, shown, "exit " + r.exit() + ": " + r.output().strip());
        Map<String, Long> c = new LinkedHashMap<>();
        for (String line : r.output().strip().split("\n")) {
            String[] cells = line.split(",", 3);
            if (cells.length < 2 || cells[0].equals("Counter")) continue;
            try {
                c.put(cells[0], Long.parseLong(cells[1].trim()));
            } catch (NumberFormatException e) {
                return new Accounting.Snapshot(Map.of(), false, shown, "not a counter line: " + line);
            }
        }
        return new Accounting.Snapshot(c, c.containsKey("tun_rx_packets"), shown, null);
    }

    /** Item 4 for one instance: one ✓/✗ line, the accounting explained below it, and the command run. */
    private int accountFor(Accounting acc, String id, Accounting.Instance f, String start) {
        Accounting.Outcome o = acc.evaluate(f, start);
        boolean ok = o.ok() && !id.equals(failItem);
        out.println((ok ? "✓ " : "✗ ") + id + " ferry " + f.name() + " (" + f.role() + ") accounts for every packet: "
                + o.summary());
        for (String d : o.details()) out.println("      " + d);
        out.println("      $ " + o.command());
        return ok ? 0 : 1;
    }

    /** A command line as printed: the lab's own java command for ferry shortened to {@code ferry}. */
    String shown(String command) {
        return command.replace(String.join(" ", ferry()), "ferry");
    }

    /** The three captures; returns the files written. A capture empty on one side is a ✗ ({@link #captureFailures()}). */
    public List<Path> capture() throws IOException, InterruptedException {
        List<Path> files = new ArrayList<>();
        out.println("ferry lab capture:");
        files.add(captureOne("1-ipv4-only-network.pcap", "IPv4-only network",
                "the island's CLAT: iot pings " + INET4_ADDR, ISLAND, "clat0", IOT, false, INET4_ADDR));
        files.add(captureOne("2-ipv6-only-network.pcap", "IPv6-only network",
                "the PLAT's NAT64: v6host pings " + INET4_VIA_PLAT, PLAT, "nat64", V6HOST, true, INET4_VIA_PLAT));
        files.add(captureOne("3-ipv4-access-from-the-ipv6-only-network.pcap",
                "IPv4 access from the IPv6-only network",
                "the island's NAT64: v6host pings the IoT device " + IOT_VIA_ISLAND, ISLAND, "nat64", V6HOST, true,
                IOT_VIA_ISLAND));
        return files;
    }

    /** How many captures of the last {@link #capture()} were empty on one side. */
    public int captureFailures() {
        return captureFailures;
    }

    /** Stops every process the lab started (by recorded PID) and deletes the namespaces. */
    public void down() throws IOException, InterruptedException {
        if (Files.isDirectory(dir)) {
            try (var s = Files.list(dir)) {
                for (Path p : s.filter(f -> f.toString().endsWith(".pid")).toList()) {
                    String n = p.getFileName().toString();
                    stop(n.substring(0, n.length() - 4));
                }
            }
        }
        for (String ns : NAMESPACES.reversed()) {
            if (Files.exists(Path.of("/run/netns", ns))) host(10, "ip", "netns", "delete", ns);
        }
    }

    /** Prints what exists of the lab: namespaces and recorded processes. Returns true when the lab looks up. */
    public boolean status() throws IOException, InterruptedException {
        boolean all = true;
        for (String ns : NAMESPACES) {
            boolean e = Files.exists(Path.of("/run/netns", ns));
            all &= e;
            out.println((e ? "✓ " : "✗ ") + "namespace " + ns);
        }
        if (Files.isDirectory(dir)) {
            try (var s = Files.list(dir)) {
                for (Path p : s.filter(f -> f.toString().endsWith(".pid")).sorted().toList()) {
                    long pid = Long.parseLong(Files.readString(p).trim());
                    boolean alive = ours(pid);
                    all &= alive;
                    String n = p.getFileName().toString();
                    out.println((alive ? "✓ " : "✗ ") + n.substring(0, n.length() - 4) + " pid " + pid
                            + (alive ? " running" : " not running"));
                }
            }
        }
        return all;
    }

    // ---------------------------------------------------------------- captures

    private Path captureOne(String file, String title, String what, String routerNs, String dev, String clientNs,
                            boolean clientIpv6, String target) throws IOException, InterruptedException {
        Path raw = dir.resolve(file + ".raw"), pcap = dir.resolve(file);
        Files.deleteIfExists(raw);
        String name = "tcpdump-" + file.substring(0, 1);
        start(name, routerNs, "listening on", "tcpdump", "-i", dev, "-n", "--immediate-mode", "-U", "-w", raw.toString(),
                "icmp or (icmp6 and (ip6[40] == 128 or ip6[40] == 129))");
        Result ping = in(clientNs, 20, "ping", clientIpv6 ? "-6" : "-4", "-n", "-c", "3", "-i", "0.2", "-W", "2",
                target);
        // tcpdump writes each packet as it comes, but on a loaded machine it can still be behind when ping exits:
        // wait (5 s at most) until the 12 are on disk (3 requests and 3 replies, each entering and leaving the
        // translator) instead of a fixed 500 ms pause, which lost the last ones
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (ping.ok() && packetsIn(raw) < 12 && System.nanoTime() < until) Thread.sleep(50);
        stop(name);
        out.println();
        out.println("  " + title + " — " + what + ": " + pcap);
        out.println("    $ " + ping.command() + "   # " + lastLine(ping.output(), "packet loss"));
        List<byte[]> packets = new ArrayList<>();
        try (PacketReader r = PacketReaders.open(raw)) {
            while (r.next()) packets.add(r.segment().asSlice(r.offset(), r.length()).toArray(ValueLayout.JAVA_BYTE));
        }
        // a translator's TUN sees both sides: the requests enter in the client's family and leave in the other,
        // the replies enter in the server's family and leave in the client's
        List<byte[]> entered = new ArrayList<>(), left = new ArrayList<>();
        for (byte[] p : packets) {
            boolean v6 = (p[0] & 0xf0) == 0x60;
            int type = v6 ? p[40] & 0xff : p[(p[0] & 0x0f) * 4] & 0xff;
            boolean request = v6 ? type == 128 : type == 8;
            (request == (v6 == clientIpv6) ? entered : left).add(p);
        }
        try (PacketWriter w = PacketWriters.pcap(pcap)) {
            long ts = 1_767_225_600_000_000_000L;
            for (List<byte[]> l : List.of(entered, left)) {
                for (byte[] p : l) {
                    w.write(MemorySegment.ofArray(p), 0, p.length, ts);
                    ts += 1_000_000;
                }
            }
        }
        Files.deleteIfExists(raw);
        // tcpdump --immediate-mode: without it, packets wait in a kernel block for up to a second and a tcpdump
        // stopped right after the ping may write none of them
        out.println("    " + packets.size() + " packets: the " + entered.size() + " that entered the translator ("
                + "3 echo requests " + (clientIpv6 ? "IPv6" : "IPv4") + ", 3 replies " + (clientIpv6 ? "IPv4" : "IPv6")
                + "), then the " + left.size() + " that left it");
        if (entered.size() != 6 || left.size() != 6) {
            out.println("    ✗ expected 6 packets on each side (the ping's 3 requests and 3 replies)");
            captureFailures++;
            if (entered.isEmpty() || left.isEmpty()) return pcap;
        }
        String[] before = addresses(entered.getFirst()), after = addresses(left.getFirst());
        out.println("    request before: " + before[0] + " -> " + before[1]);
        out.println("    request after:  " + after[0] + " -> " + after[1]);
        out.println("    source:      " + relation(before[0], after[0]));
        out.println("    destination: " + relation(before[1], after[1]));
        return pcap;
    }

    /** Source and destination of a raw IP packet, formatted. */
    static String[] addresses(byte[] p) {
        if ((p[0] & 0xf0) == 0x60) {
            return new String[]{v6(p, 8), v6(p, 24)};
        }
        return new String[]{Ipv4.format(int32(p, 12)), Ipv4.format(int32(p, 16))};
    }

    private static String v6(byte[] p, int at) {
        return Ipv6.format(long64(p, at), long64(p, at + 8));
    }

    private static int int32(byte[] p, int at) {
        return (p[at] & 0xff) << 24 | (p[at + 1] & 0xff) << 16 | (p[at + 2] & 0xff) << 8 | p[at + 3] & 0xff;
    }

    private static long long64(byte[] p, int at) {
        return (long) int32(p, at) << 32 | int32(p, at + 4) & 0xffffffffL;
    }

    /** How the IPv4 address of one side relates to the IPv6 address of the other. */
    static String relation(String a, String b) {
        String v4 = a.contains(":") ? b : a, v6 = a.contains(":") ? a : b;
        long[] x = Ipv6.parse(v6);
        int embedded = (int) x[1];
        String[][] prefixes = {
                {PLAT_PREFIX, "the PLAT's NAT64 prefix (RFC 6052 §2.2 well-known prefix; the CLAT learned it by"
                        + " RFC 7050)"},
                {ISLAND_POOL6, "the island's pool6 (RFC 6052 §2.2, /96: IPv4 in the last 32 bits; its u-octet is"
                        + " 0x44, accepted with --force)"},
                {CLAT_PREFIX, "the CLAT's dedicated prefix for the island (RFC 6877 §6.3: 198.51.100.0/24 -> its"
                        + " /120)"}};
        for (String[] p : prefixes) {
            long[] q = Ipv6.parse(p[0].substring(0, p[0].indexOf('/')));
            if (q[0] == x[0] && (q[1] & 0xffffffff00000000L) == (x[1] & 0xffffffff00000000L)) {
                boolean same = Ipv4.format(embedded).equals(v4);
                return v4 + " " + (same ? "is" : "is NOT") + " bits 96-127 (0x"
                        + String.format("%08x", embedded) + ") of " + v6 + " under " + p[0] + ", " + p[1];
            }
        }
        return v6 + " <-> " + v4 + ": no prefix: stateful NAT64 (RFC 6146) bound it to pool4 address " + v4
                + " in its BIB; the ICMP identifier became a pool4 \"port\"";
    }

    // ---------------------------------------------------------------- files

    private void writeFiles() throws IOException {
        Files.createDirectories(dir.resolve("www4"));
        Files.writeString(dir.resolve("www4/index.html"),
                "<h1>Hello from the IPv4 Internet (192.0.2.1, 203.0.113.1)</h1>\n");
        Files.writeString(dir.resolve("iot.py"), """
                # ferry lab: the IoT device's services (a web page on 80, an SSH-like banner on 22 and 23)
                import http.server, socketserver, threading, sys
                class Web(http.server.BaseHTTPRequestHandler):
                    def do_GET(self):
                        body = b"<h1>IoT device 198.51.100.109 (IPv4 only)</h1>\\n"
                        self.send_response(200)
                        self.send_header("Content-Type", "text/html")
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body)
                    def log_message(self, *a):
                        pass
                class Banner(socketserver.BaseRequestHandler):
                    def handle(self):
                        self.request.sendall(b"SSH-2.0-ferry-lab-iot\\r\\n")
                socketserver.TCPServer.allow_reuse_address = True
                web = http.server.ThreadingHTTPServer(("0.0.0.0", 80), Web)
                ssh = socketserver.ThreadingTCPServer(("0.0.0.0", 22), Banner)
                threading.Thread(target=ssh.serve_forever, daemon=True).start()
                # a third service the island does NOT open: a refusal of port 23 can only come from the island's filter
                telnet = socketserver.ThreadingTCPServer(("0.0.0.0", 23), Banner)
                threading.Thread(target=telnet.serve_forever, daemon=True).start()
                print("iot: serving on 80, 22 and 23", flush=True)
                web.serve_forever()
                """);
        // the plat: NAT64 and, in the same file, its DNS64 on the IPv6-only network's side, asking the IPv4 Internet
        Files.writeString(dir.resolve("plat.json"), nat64Config("lab-plat", PLAT_PREFIX, PLAT_POOL4, "", """
                ,
                 "dns64": {"listen": ["[%s]:53"], "upstream": ["%s:53"], "prefixes": ["%s"]}""".formatted(
                PLAT_V6NET, INET4_ADDR, PLAT_PREFIX)));
        // only TCP 22 and 80 and ping may be opened from the IPv6 side: ferry's own filter (a TCP RST for the rest)
        Files.writeString(dir.resolve("island-nat64.json"), nat64Config("lab-island", ISLAND_POOL6, ISLAND_POOL4, """
                ,
                           "nat64-allow": [{"protocol": "TCP", "ports": "22,80"}, {"protocol": "ICMP"}]""", ""));
        // no PLAT prefix configured: RFC 7050 asks the plat's DNS64 (PREF64 is off: nothing sends RAs here)
        Files.writeString(dir.resolve("island-clat.json"), """
                {"instance": "lab-clat",
                 "ferry": {"mode": "clat"},
                 "clat": {"dedicated-prefix": "%s", "island": ["198.51.100.0/24"], "pref64": false,
                          "resolvers": ["[%s]:53"], "state-file": "%s"},
                 "tun": {"device": "clat0", "mtu": 1500, "queues": 1, "addresses": ["192.0.0.1/29"],
                         "routes": ["0.0.0.0/0", "%s"]}}
                """.formatted(CLAT_PREFIX, PLAT_V6NET, dir.resolve("clat-state.json"), CLAT_PREFIX));
        // the island's resolver for its IPv4 devices: DNS only (no translator), on the LAN address, forwarding over
        // IPv6 to the plat's DNS64 (A queries pass through unchanged)
        Files.writeString(dir.resolve("island-dns.json"), """
                {"instance": "lab-island-dns",
                 "dns64": {"listen": ["%s:53"], "upstream": ["[%s]:53"], "prefixes": ["%s"]}}
                """.formatted(ISLAND_LAN, PLAT_V6NET, PLAT_PREFIX));
    }

    private static String nat64Config(String instance, String pool6, String pool4, String ferryMore, String more) {
        // an instance name of its own per router (Jool's "instance"): it names the control socket
        return """
                {"instance": "%3$s",
                 "global": {"pool6": "%1$s", "lowest-ipv6-mtu": 1500},
                 "pool4": [{"protocol": "TCP", "prefix": "%2$s/32", "port range": "1024-65535"},
                           {"protocol": "UDP", "prefix": "%2$s/32", "port range": "1024-65535"},
                           {"protocol": "ICMP", "prefix": "%2$s/32", "port range": "1024-65535"}],
                 "ferry": {"mode": "nat64"%5$s},
                 "tun": {"device": "nat64", "mtu": 1500, "queues": 1, "routes": ["%1$s", "%2$s/32"]}%4$s}
                """.formatted(pool6, pool4, instance, more, ferryMore);
    }

    // ---------------------------------------------------------------- processes

    /** The command line that runs this same ferry in a child JVM (marked with the lab directory). */
    String[] ferry(String... args) {
        List<String> c = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java"),
                "--enable-native-access=ALL-UNNAMED", "-Xmx128m", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-Dferry.lab.dir=" + dir, "-cp", System.getProperty("java.class.path"), "ferry.app.Main"));
        c.addAll(List.of(args));
        return c.toArray(String[]::new);
    }

    private void start(String name, String ns, String ready, String... cmd) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("setsid", "ip", "netns", "exec", ns));
        c.addAll(List.of(cmd));
        Path log = dir.resolve(name + ".log");
        Process p = new ProcessBuilder(c).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        // setsid and `ip netns exec` exec in place: the PID is the server's
        Files.writeString(dir.resolve(name + ".pid"), p.pid() + "\n");
        if (ready != null) awaitLog(name, ready, 60);
    }

    private void awaitLog(String name, String text, int seconds) throws IOException, InterruptedException {
        Path log = dir.resolve(name + ".log");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!Files.readString(log).contains(text)) {
            long pid = Long.parseLong(Files.readString(dir.resolve(name + ".pid")).trim());
            boolean dead = ProcessHandle.of(pid).isEmpty();
            if (System.nanoTime() > deadline || dead)
                throw new LabException(name + (dead ? " exited" : " did not print \"" + text + "\" within " + seconds
                        + " s") + "; " + log + ":\n" + Files.readString(log));
            Thread.sleep(100);
        }
    }

    /** How many whole packets the capture {@code file} (still being written) holds so far; 0 before its header. */
    static int packetsIn(Path file) {
        int n = 0;
        try (PacketReader r = PacketReaders.open(file)) {
            while (r.next()) n++;
        } catch (IOException | RuntimeException e) {
            // not there yet, or a record half written: what was read so far
        }
        return n;
    }

    private void awaitHttp(String ns, String url) throws IOException, InterruptedException {
        for (int i = 0; i < 50; i++) {
            if (in(ns, 5, "curl", "-s", "-o", "/dev/null", "-m", "1", url).ok()) return;
            Thread.sleep(200);
        }
        throw new LabException("the web server in " + ns + " does not answer " + url);
    }

    /** True when {@code pid} is alive and is a process this lab started (its command line names the lab dir). */
    boolean ours(long pid) {
        try {
            String cmdline = Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
            return cmdline.contains(dir.toString());
        } catch (IOException e) {
            return false;
        }
    }

    /** Stops the recorded process {@code name} by its PID: SIGTERM, then SIGKILL after 10 s. */
    private void stop(String name) throws IOException, InterruptedException {
        Path pidFile = dir.resolve(name + ".pid");
        if (!Files.exists(pidFile)) return;
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        if (ours(pid)) {
            ProcessHandle h = ProcessHandle.of(pid).orElse(null);
            if (h != null) {
                h.destroy();
                try {
                    h.onExit().get(10, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    h.destroyForcibly();
                    Thread.sleep(200);
                }
            }
        }
        Files.deleteIfExists(pidFile);
    }

    Result in(String ns, int seconds, String... cmd) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(List.of(cmd));
        return exec(seconds, c);
    }

    static Result host(int seconds, String... cmd) throws IOException, InterruptedException {
        return exec(seconds, List.of(cmd));
    }

    private static Result exec(int seconds, List<String> cmd) throws IOException, InterruptedException {
        Path tmp = Files.createTempFile("ferry-lab-", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.toFile()).start();
            boolean done = p.waitFor(seconds, TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
            String o = Files.readString(tmp);
            return new Result(done ? p.exitValue() : 124, done ? o : o + "\n(timed out after " + seconds + " s)",
                    String.join(" ", cmd));
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void must(Result r) {
        if (!r.ok()) throw new LabException("`" + r.command() + "` failed (exit " + r.exit() + "): " + r.output().trim());
    }

    private int item(String id, String what, Result r, boolean ok, String evidence) {
        if (id.equals(failItem) && !id.equals("2.4")) ok = false; // test hook (2.4 is failed by its port)
        out.println((ok ? "✓ " : "✗ ") + id + " " + what + (evidence.isBlank() ? "" : ": " + evidence));
        out.println("      $ " + shown(r.command()));
        if (!ok) out.println("      " + r.output().trim().replace("\n", "\n      "));
        return ok ? 0 : 1;
    }

    private static String firstLine(String s) {
        String t = s.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl);
    }

    private static String lastLine(String s, String containing) {
        String found = "";
        for (String l : s.split("\n")) if (l.contains(containing)) found = l.trim();
        return found.isEmpty() ? firstLine(s) : found;
    }

    private static String grepLine(String s, String containing) {
        for (String l : s.split("\n")) if (l.contains(containing)) return l.trim();
        return "";
    }

    /** A lab step that failed; the message says which and why. */
    public static final class LabException extends RuntimeException {
        LabException(String message) {
            super(message);
        }
    }
}
