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
 * Issue 4 end to end: {@code ferry run} in nat64 mode between an IPv6-only host and an IPv4-only host, each in its own
 * network namespace ({@code ferry-*}, removed afterwards), with real clients and servers: ping, HTTP over TCP and UDP
 * from the IPv6 side through 64:ff9b::/96 and a one-address pool4 (203.0.113.1), 200 concurrent UDP flows, and the
 * island case: the IPv4 host reaches the IPv6 host's HTTP server published by a static BIB entry on
 * 203.0.113.1#80, while another port is refused (ICMP Port Unreachable after the simultaneous-open wait).
 * The file is Jool's NAT64 form (pool6, pool4, bib, a NAT64 global) plus the "tun" object; the mode comes from
 * {@code --mode nat64}. Skipped, with the reason printed, when not root or a tool is missing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Nat64RunEndToEndTest {
    static final String V6_HOST = "2001:db8:6::2";
    static final String V4_HOST = "198.51.100.2";
    static final String V4_HOST_AS_V6 = "64:ff9b::c633:6402";
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
        if (why != null) System.err.println("Nat64RunEndToEndTest skipped: " + why);
        assumeTrue(why == null, why);
        built = true;
        dir = Files.createTempDirectory("ferry-nat64-e2e");
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
        in(nsV6, "ip", "-6", "route", "add", "64:ff9b::/96", "via", "2001:db8:6::1");
        in(nsV4, "ip", "route", "add", "203.0.113.0/24", "via", "198.51.100.1");
        in(nsX, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1");
        Path config = dir.resolve("nat64.json");
        Files.writeString(config, """
                {
                  "global": { "pool6": "64:ff9b::/96", "logging-bib": true, "logging-session": true,
                              "icmp-timeout": "2" },
                  "pool4": [ { "protocol": "TCP", "prefix": "203.0.113.1/32", "port range": "1024-65535" },
                             { "protocol": "TCP", "prefix": "203.0.113.1/32", "port range": "80-80" },
                             { "protocol": "UDP", "prefix": "203.0.113.1/32", "port range": "1024-65535" },
                             { "protocol": "ICMP", "prefix": "203.0.113.1/32" } ],
                  "bib": [ { "protocol": "TCP", "ipv6 address": "2001:db8:6::2#8080", "ipv4 address": "203.0.113.1#80" } ],
                  "tun": { "device": "ferry%s", "mtu": 1500, "queues": 2, "vnet-header": false,
                           "routes": [ "64:ff9b::/96", "203.0.113.1/32" ] }
                }
                """.formatted(prefix.substring(6, 10)));
        String java = ProcessHandle.current().info().command().orElse("java");
        ferry = spawn(nsX, java, "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-cp",
                System.getProperty("java.class.path"), "ferry.app.Main", "run", "--mode", "nat64", "--config",
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
    void pingFromTheIpv6HostReachesTheIpv4HostThroughPool4() throws Exception {
        Result r = in(nsV6, 30, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", V4_HOST_AS_V6);
        assertThat(r.exit()).as(r.out() + "\nferry:\n" + ferryErr).isZero();
    }

    @Test
    void aPingSessionExpiresAfterIcmpTimeoutAndTheNextPingOpensANewOne() throws Exception {
        // the ping's identifier is per process: two ping runs are two ICMP flows, one run of two echoes is one
        int added0 = count(ferryErr.toString(), "event=nat64_session_add proto=ICMP ipv6=" + V6_HOST + " ");
        int deleted0 = count(ferryErr.toString(), "event=nat64_session_del proto=ICMP ipv6=" + V6_HOST + " ");
        Result first = in(nsV6, 30, "ping", "-6", "-c", "2", "-i", "0.3", "-W", "2", V4_HOST_AS_V6);
        assertThat(first.exit()).as(first.out()).isZero();
        Thread.sleep(3500); // icmp-timeout is 2 s here; expiry runs with the next packet's time
        Result second = in(nsV6, 30, "ping", "-6", "-c", "1", "-W", "2", V4_HOST_AS_V6);
        assertThat(second.exit()).as(second.out()).isZero();
        Thread.sleep(300); // the log thread drains every few ms
        String err = ferryErr.toString();
        assertThat(count(err, "event=nat64_session_add proto=ICMP ipv6=" + V6_HOST + " ") - added0).as(err).isEqualTo(2);
        assertThat(count(err, "event=nat64_session_del proto=ICMP ipv6=" + V6_HOST + " ") - deleted0).as(err).isGreaterThanOrEqualTo(1);
    }

    static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) n++;
        return n;
    }

    @Test
    void httpOverTcpFromTheIpv6HostToTheIpv4Server() throws Exception {
        Path www = Files.createDirectories(dir.resolve("www4"));
        Files.writeString(www.resolve("hello"), "hello from the IPv4 island\n");
        Process s = spawn(nsV4, "python3", "-m", "http.server", "8000", "--bind", V4_HOST, "-d", www.toString());
        try {
            Result r = in(nsV6, 60, "curl", "-sS", "--retry", "5", "--retry-connrefused", "--retry-delay", "1", "-m",
                    "10", "http://[" + V4_HOST_AS_V6 + "]:8000/hello");
            assertThat(r.out()).as("ferry:\n" + ferryErr).contains("hello from the IPv4 island");
        } finally {
            s.destroy();
            s.waitFor(5, TimeUnit.SECONDS);
        }
    }

    static final String UDP_ECHO = """
            import socket, sys
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], int(sys.argv[2])))
            while True:
                d, a = s.recvfrom(65535); s.sendto(d, a)
            """;

    /** n sockets (n flows, n BIB entries), each sends and waits for its echo. */
    static final String UDP_FLOWS = """
            import socket, sys, time
            n = int(sys.argv[3]); dst = (sys.argv[1], int(sys.argv[2]))
            socks = [socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) for _ in range(n)]
            pending = set(range(n))
            for attempt in range(5):
                for i in pending: socks[i].sendto(b'flow %d' % i, dst)
                deadline = time.time() + 2
                for i in list(pending):
                    socks[i].settimeout(max(0.01, deadline - time.time()))
                    try:
                        d, a = socks[i].recvfrom(100)
                        if d == b'flow %d' % i: pending.discard(i)
                    except socket.timeout:
                        pass
                if not pending: break
            print('answered %d of %d' % (n - len(pending), n))
            """;

    @Test
    void udpEchoAnd200ConcurrentFlows() throws Exception {
        Files.writeString(dir.resolve("echo.py"), UDP_ECHO);
        Files.writeString(dir.resolve("flows.py"), UDP_FLOWS);
        Process e = spawn(nsV4, "python3", dir.resolve("echo.py").toString(), V4_HOST, "7007");
        try {
            Thread.sleep(500);
            Result one = in(nsV6, 30, "python3", dir.resolve("flows.py").toString(), V4_HOST_AS_V6, "7007", "1");
            assertThat(one.out()).as("ferry:\n" + ferryErr).contains("answered 1 of 1");
            Result many = in(nsV6, 60, "python3", dir.resolve("flows.py").toString(), V4_HOST_AS_V6, "7007", "200");
            assertThat(many.out()).as("ferry:\n" + ferryErr).contains("answered 200 of 200");
        } finally {
            e.destroy();
            e.waitFor(5, TimeUnit.SECONDS);
        }
        // logging-bib: every binding was recorded, with no destination
        assertThat(ferryErr.toString()).contains("event=nat64_bib_add proto=UDP ipv6=" + V6_HOST + " ");
        assertThat(ferryErr.toString().lines().filter(l -> l.contains("event=nat64_"))).noneMatch(l -> l.contains(V4_HOST));
    }

    /** Echoes each datagram at once, and again 3 s later (to the same transport address). */
    static final String UDP_ECHO_TWICE = """
            import socket, sys, threading
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], int(sys.argv[2])))
            while True:
                d, a = s.recvfrom(65535); s.sendto(d, a)
                threading.Timer(3.0, lambda d=d, a=a: s.sendto(b'again ' + d, a)).start()
            """;

    static final String UDP_WAIT_TWICE = """
            import socket, sys
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.settimeout(10)
            s.sendto(b'hello', (sys.argv[1], int(sys.argv[2])))
            print('first', s.recvfrom(100)[0].decode(), flush=True)
            print('second', s.recvfrom(100)[0].decode(), flush=True)
            """;

    @Test
    void aSighupThatLeavesTheNat64SettingsAloneKeepsTheBindings() throws Exception {
        Files.writeString(dir.resolve("echo2.py"), UDP_ECHO_TWICE);
        Files.writeString(dir.resolve("wait2.py"), UDP_WAIT_TWICE);
        Process e = spawn(nsV4, "python3", dir.resolve("echo2.py").toString(), V4_HOST, "7009");
        try {
            Thread.sleep(500);
            Process c = spawn(nsV6, "python3", dir.resolve("wait2.py").toString(), V4_HOST_AS_V6, "7009");
            Thread.sleep(1000); // the first echo has come back
            int reloads = count(ferryErr.toString(), "event=config_reloaded");
            Process k = new ProcessBuilder("kill", "-HUP", Long.toString(ferry.pid())).start();
            assertThat(k.waitFor(5, TimeUnit.SECONDS) && k.exitValue() == 0).isTrue();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (count(ferryErr.toString(), "event=config_reloaded") == reloads && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(count(ferryErr.toString(), "event=config_reloaded")).as(ferryErr.toString()).isGreaterThan(reloads);
            assertThat(c.waitFor(15, TimeUnit.SECONDS)).isTrue();
            String out = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            // the second datagram, sent after the reload to the same pool4 transport address, still finds its BIB
            assertThat(out).as("ferry:\n" + ferryErr).contains("first hello").contains("second again hello");
        } finally {
            e.destroy();
            e.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void islandCaseTheIpv4HostReachesThePublishedServerAndAnotherPortIsRefused() throws Exception {
        Path www = Files.createDirectories(dir.resolve("www6"));
        Files.writeString(www.resolve("device"), "hello from the IPv6-only device\n");
        Process s = spawn(nsV6, "python3", "-m", "http.server", "8080", "--bind", V6_HOST, "-d", www.toString());
        try {
            Result r = in(nsV4, 60, "curl", "-sS", "--retry", "5", "--retry-connrefused", "--retry-delay", "1", "-m",
                    "10", "http://" + POOL4 + ":80/device");
            assertThat(r.out()).as("ferry:\n" + ferryErr).contains("hello from the IPv6-only device");
        } finally {
            s.destroy();
            s.waitFor(5, TimeUnit.SECONDS);
        }
        // not published: the SYN is held 6 s (RFC 6146 §3.5.2.2), then answered with Port Unreachable
        long t0 = System.nanoTime();
        Result refused = in(nsV4, 40, "curl", "-sS", "-m", "30", "http://" + POOL4 + ":81/");
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
        assertThat(refused.exit()).as(refused.out()).isEqualTo(7); // couldn't connect (refused), not a timeout (28)
        assertThat(seconds).isBetween(5L, 29L);
    }

    /**
     * One TCP SYN from a raw socket (no retransmissions), then nothing: prints when its ICMP Port Unreachable comes.
     */
    static final String ONE_SYN = """
            import socket, struct, sys, time
            src, dst, dport, sport = sys.argv[1], sys.argv[2], int(sys.argv[3]), 40123
            def csum(b):
                s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
                while s >> 16: s = (s & 0xffff) + (s >> 16)
                return ~s & 0xffff
            tcp = struct.pack('!HHIIBBHHH', sport, dport, 12345, 0, 5 << 4, 0x02, 65535, 0, 0)
            pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, len(tcp))
            tcp = tcp[:16] + struct.pack('!H', csum(pseudo + tcp)) + tcp[18:]
            icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
            icmp.settimeout(20)
            raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
            t0 = time.monotonic()
            raw.sendto(tcp, (dst, 0))
            try:
                while True:
                    d, a = icmp.recvfrom(2000)
                    ihl = (d[0] & 15) * 4
                    inner = d[ihl + 8:]
                    iihl = (inner[0] & 15) * 4
                    if d[ihl] == 3 and d[ihl + 1] == 3 and struct.unpack('!H', inner[iihl:iihl + 2])[0] == sport:
                        print('port unreachable after %.3f s' % (time.monotonic() - t0), flush=True)
                        break
            except socket.timeout:
                print('no answer within 20 s', flush=True)
            """;

    @Test
    void aSingleIpv4SynToPool4WithoutABindingIsAnsweredAfter6SecondsWithNoFurtherTraffic() throws Exception {
        // RFC 6146 §3.5.2.2 / RFC 5382 REQ-4: held 6 s, then ICMP 3/3; the idle worker sends it, no packet needed
        Files.writeString(dir.resolve("onesyn.py"), ONE_SYN);
        Result r = in(nsV4, 40, "python3", dir.resolve("onesyn.py").toString(), V4_HOST, POOL4, "5555");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("port unreachable after ([0-9.]+) s").matcher(r.out());
        assertThat(m.find()).as(r.out() + "\nferry:\n" + ferryErr).isTrue();
        double seconds = Double.parseDouble(m.group(1));
        System.out.println("Nat64RunEndToEndTest: ICMP 3/3 for a lone SYN after " + seconds + " s");
        assertThat(seconds).as(r.out()).isBetween(5.9, 7.5);
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
