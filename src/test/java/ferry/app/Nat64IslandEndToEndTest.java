package ferry.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Issue 4 end to end, the island case: an IPv6-only network reaches an IPv4-only device behind a ferry island router
 * through a network-specific /96 prefix (the device's IPv4 address embedded, RFC 6052): the issue's own
 * 2001:db8:8011:fda4:4444::/96, whose bits 64-71 (the u-octet) are not zero, so ferry is started with --force as Jool
 * would be (RFC 6052 §2.2 asks for zero; a /96 carries no IPv4 bits there: see ferry.addr.Rfc6052#of(Prefix6, boolean)).
 * {@code ferry run --mode nat64} binding the IPv6 host to the island's pool4 address: ping, TCP 22 and TCP 80
 * answer; the operator opened only those ports ({@code "ferry": {"nat64-allow": ...}}), so a connection to 8080,
 * where the device does listen, is refused by ferry itself with a TCP RST (its counter moves), as is a port nothing
 * listens on. Namespaces {@code ferry-*}, removed afterwards; skipped with the
 * reason printed when not root or a tool is missing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Nat64IslandEndToEndTest {
    static final String V6_HOST = "2001:db8:6::2";
    static final String V4_HOST = "198.51.100.2";
    /** The IPv4-only device, as the IPv6 network sees it under the island's prefix. */
    static final String DEVICE_AS_V6 = "2001:db8:8011:fda4:4444::c633:6402";
    static final String POOL4 = "203.0.113.1";

    final String prefix = "ferry-" + HexFormat.of().toHexDigits(new Random().nextInt()).substring(2);
    final String nsV6 = prefix + "-v6", nsX = prefix + "-xlat", nsV4 = prefix + "-v4";
    final List<Process> started = new ArrayList<>();
    boolean built;
    Path dir;
    Process ferry;
    final StringBuffer ferryErr = new StringBuffer();

    @BeforeAll
    void setUp() throws Exception {
        String why = RunEndToEndTest.whyNot();
        if (why != null) System.err.println("Nat64IslandEndToEndTest skipped: " + why);
        assumeTrue(why == null, why);
        built = true;
        dir = Files.createTempDirectory("ferry-island-e2e");
        for (String ns : List.of(nsV6, nsX, nsV4)) sh("ip", "netns", "add", ns);
        sh("ip", "link", "add", "v6a", "netns", nsV6, "type", "veth", "peer", "name", "v6b", "netns", nsX);
        sh("ip", "link", "add", "v4a", "netns", nsV4, "type", "veth", "peer", "name", "v4b", "netns", nsX);
        for (String[] l : new String[][] {{nsV6, "lo"}, {nsV6, "v6a"}, {nsX, "lo"}, {nsX, "v6b"}, {nsX, "v4b"},
                {nsV4, "lo"}, {nsV4, "v4a"}}) {
            in(l[0], "ip", "link", "set", "dev", l[1], "up");
        }
        in(nsV6, "ip", "-6", "addr", "add", V6_HOST + "/64", "dev", "v6a", "nodad");
        in(nsX, "ip", "-6", "addr", "add", "2001:db8:6::1/64", "dev", "v6b", "nodad");
        in(nsV4, "ip", "addr", "add", V4_HOST + "/24", "dev", "v4a");
        in(nsX, "ip", "addr", "add", "198.51.100.1/24", "dev", "v4b");
        in(nsV6, "ip", "-6", "route", "add", "2001:db8:8011:fda4:4444::/96", "via", "2001:db8:6::1");
        in(nsV4, "ip", "route", "add", "203.0.113.0/24", "via", "198.51.100.1");
        in(nsX, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1");
        Path config = dir.resolve("nat64.json");
        Files.writeString(config, """
                {
                  "instance": "%s",
                  "ferry": { "nat64-allow": [ { "protocol": "TCP", "ports": "22,80" }, { "protocol": "ICMP" } ],
                             "nat64-log": { "file": "%s" } },
                  "global": { "pool6": "2001:db8:8011:fda4:4444::/96", "logging-bib": true },
                  "pool4": [ { "protocol": "TCP", "prefix": "203.0.113.1/32", "port range": "1024-65535" },
                             { "protocol": "TCP", "prefix": "203.0.113.1/32", "port range": "80-80" },
                             { "protocol": "UDP", "prefix": "203.0.113.1/32", "port range": "1024-65535" },
                             { "protocol": "ICMP", "prefix": "203.0.113.1/32" } ],
                  "tun": { "device": "ferry%s", "mtu": 1500, "queues": 2, "vnet-header": false,
                           "routes": [ "2001:db8:8011:fda4:4444::/96", "203.0.113.1/32" ] }
                }
                """.formatted(prefix, dir.resolve("mapping.log"), prefix.substring(6, 10)));
        String java = ProcessHandle.current().info().command().orElse("java");
        ferry = spawn(nsX, java, "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-cp",
                System.getProperty("java.class.path"), "ferry.app.Main", "run", "--mode", "nat64", "--force", "--config",
                config.toString());
        Process f = ferry;
        Thread.ofPlatform().daemon(true).start(() -> {
            try (InputStream in = f.getInputStream()) {
                byte[] b = new byte[4096];
                for (int n; (n = in.read(b)) > 0; ) ferryErr.append(new String(b, 0, n, StandardCharsets.UTF_8));
            } catch (IOException e) {
                ferryErr.append("[stderr reader: ").append(e).append(']');
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        while (!ferryErr.toString().contains("event=ready instances=")) {
            if (System.nanoTime() > deadline || !ferry.isAlive()) {
                Thread.sleep(300);
                throw new AssertionError("ferry run did not start; stderr:\n" + ferryErr);
            }
            Thread.sleep(50);
        }
    }

    @AfterAll
    void tearDown() throws Exception {
        for (Process p : started) { // only what this test started, by PID
            if (p.isAlive()) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        }
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
        if (built) {
            for (String ns : List.of(nsV6, nsX, nsV4)) {
                Process p = new ProcessBuilder("ip", "netns", "del", ns).redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void theIpv6HostPingsTheIpv4DeviceAtItsEmbeddedAddress() throws Exception {
        Result r = in(nsV6, 30, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", DEVICE_AS_V6);
        assertThat(r.exit()).as(r.out() + "\nferry:\n" + ferryErr).isZero();
    }

    @Test
    void sshAndHttpPortsOfTheDeviceAnswerAndAnotherPortIsRefused() throws Exception {
        Path www = Files.createDirectories(dir.resolve("device"));
        Files.writeString(www.resolve("id"), "IPv4-only device\n");
        Process p22 = spawn(nsV4, "python3", "-m", "http.server", "22", "--bind", V4_HOST, "-d", www.toString());
        Process p80 = spawn(nsV4, "python3", "-m", "http.server", "80", "--bind", V4_HOST, "-d", www.toString());
        Process p8080 = spawn(nsV4, "python3", "-m", "http.server", "8080", "--bind", V4_HOST, "-d", www.toString());
        try {
            for (String port : List.of("22", "80")) {
                Result r = in(nsV6, 60, "curl", "-sS", "--retry", "5", "--retry-connrefused", "--retry-delay", "1",
                        "-m", "10", "http://[" + DEVICE_AS_V6 + "]:" + port + "/id");
                assertThat(r.out()).as("port " + port + "; ferry:\n" + ferryErr).contains("IPv4-only device");
            }
            // the device listens on 8080 too, but the operator opened only 22 and 80 ("nat64-allow"): ferry refuses
            // the connection itself with a TCP RST (curl: "connection refused", exit 7) and counts it
            long filtered0 = counter("drop_nat64_port_filtered");
            long t0 = System.nanoTime();
            Result refused = in(nsV6, 30, "curl", "-sS", "-m", "10", "http://[" + DEVICE_AS_V6 + "]:8080/id");
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(refused.exit()).as(refused.out() + "\nferry:\n" + ferryErr).isEqualTo(7);
            assertThat(refused.out()).doesNotContain("IPv4-only device");
            assertThat(ms).as("refused at once, not after retransmissions").isLessThan(5000);
            assertThat(counter("drop_nat64_port_filtered")).isGreaterThan(filtered0);
            assertThat(counter("nat64_tcp_reset_sent")).isGreaterThanOrEqualTo(1);
            // nothing listens on 23 either: refused by ferry before the device is asked
            Result closed = in(nsV6, 30, "curl", "-sS", "-m", "10", "http://[" + DEVICE_AS_V6 + "]:23/");
            assertThat(closed.exit()).as(closed.out()).isEqualTo(7);
        } finally {
            p22.destroy();
            p80.destroy();
            p8080.destroy();
            p22.waitFor(5, TimeUnit.SECONDS);
            p80.waitFor(5, TimeUnit.SECONDS);
            p8080.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void theMappingLogGoesToItsOwnFileAndIsReopenedAfterLogrotateRenamesItAndSendsSighup() throws Exception {
        Path log = dir.resolve("mapping.log"), rotated = dir.resolve("mapping.log.1");
        Result first = in(nsV6, 30, "ping", "-6", "-c", "1", "-W", "2", DEVICE_AS_V6);
        assertThat(first.exit()).as(first.out()).isZero();
        waitFor(() -> read(log).contains("event=nat64_bib_add proto=ICMP ipv6=" + V6_HOST + " "));
        assertThat(ferryErr.toString()).doesNotContain("event=nat64_bib_add"); // not on stderr any more
        assertThat(read(log)).doesNotContain("c633:6402").doesNotContain(V4_HOST); // RFC 6888 REQ-12: no destination
        // logrotate: rename, then SIGHUP
        Files.move(log, rotated);
        int reloads = count(ferryErr.toString(), "event=config_reloaded");
        Process k = new ProcessBuilder("kill", "-HUP", Long.toString(ferry.pid())).start();
        assertThat(k.waitFor(5, TimeUnit.SECONDS) && k.exitValue() == 0).isTrue();
        waitFor(() -> count(ferryErr.toString(), "event=config_reloaded") > reloads);
        long before = read(rotated).lines().count();
        Result second = in(nsV6, 30, "ping", "-6", "-c", "1", "-W", "2", DEVICE_AS_V6); // a new identifier: a new BIB
        assertThat(second.exit()).as(second.out()).isZero();
        waitFor(() -> Files.exists(log) && read(log).contains("event=nat64_bib_add proto=ICMP"));
        assertThat(read(rotated).lines().count()).isEqualTo(before);
        assertThat(counter("nat64_log_write_error")).isZero();
    }

    static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            return "";
        }
    }

    static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) n++;
        return n;
    }

    static void waitFor(java.util.function.BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("condition not met within 10 s");
            Thread.sleep(50);
        }
    }

    /** A counter of the running ferry, read through its control socket ({@code ferry -i INSTANCE stats display}). */
    long counter(String id) throws Exception {
        String jvm = ProcessHandle.current().info().command().orElse("java");
        Result r = run(30, List.of(jvm, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "ferry.app.Main", "-i", prefix, "stats", "display", "--all", "--csv", "--no-headers"));
        assertThat(r.exit()).as(r.out()).isZero();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^" + id + ",(\\d+)").matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        return Long.parseLong(m.group(1));
    }

    // ------------------------------------------------------------------------------------------------- helpers

    record Result(int exit, String out) {
    }

    Process spawn(String ns, String... cmd) throws IOException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(List.of(cmd));
        Process p = new ProcessBuilder(c).redirectErrorStream(true).start();
        started.add(p);
        return p;
    }

    Result in(String ns, int seconds, String... cmd) throws Exception {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(List.of(cmd));
        return run(seconds, c);
    }

    void in(String ns, String... cmd) throws Exception {
        Result r = in(ns, 20, cmd);
        assertThat(r.exit()).as("%s in %s: %s", String.join(" ", cmd), ns, r.out()).isZero();
    }

    void sh(String... cmd) throws Exception {
        Result r = run(20, List.of(cmd));
        assertThat(r.exit()).as("%s: %s", String.join(" ", cmd), r.out()).isZero();
    }

    Result run(int seconds, List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        started.add(p);
        StringBuffer out = new StringBuffer();
        Thread reader = Thread.ofPlatform().daemon(true).start(() -> {
            try (InputStream in = p.getInputStream()) {
                out.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                out.append("[output reader: ").append(e).append(']');
            }
        });
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
            reader.join(2000);
            return new Result(-1, out + "\n[timed out after " + seconds + " s: " + String.join(" ", cmd) + "]");
        }
        reader.join(5000);
        started.remove(p);
        return new Result(p.exitValue(), out.toString());
    }
}
