package ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.testkit.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
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
class Nat64RunEndToEndTest extends Nat64LineHarness {
    static final String V4_HOST_AS_V6 = "64:ff9b::c633:6402";

    @BeforeAll
    void setUp() throws Exception {
        startNat64("Nat64RunEndToEndTest", "64:ff9b::/96", d -> """
                {
                  "global": { "pool6": "64:ff9b::/96", "logging-bib": true, "logging-session": true,
                              "icmp-timeout": "2" },
                  "pool4": %s,
                  "bib": [ { "protocol": "TCP", "ipv6 address": "2001:db8:6::2#8080", "ipv4 address": "203.0.113.1#80" } ],
                  "tun": { "device": "%s", "mtu": 1500, "queues": 2, "vnet-header": false,
                           "routes": [ "64:ff9b::/96", "203.0.113.1/32" ] }
                }
                """.formatted(POOL4_JSON, device()));
    }

    // (NetnsHarness removes the namespaces, the processes started and the folder afterwards, also after a failure)

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
        // the log thread writes the records a moment after the packets passed: wait for the second add (bounded)
        Await.until("two ICMP session adds logged", 10,
                () -> count(ferryErr.toString(), "event=nat64_session_add proto=ICMP ipv6=" + V6_HOST + " ") - added0 >= 2
                        && count(ferryErr.toString(), "event=nat64_session_del proto=ICMP ipv6=" + V6_HOST + " ") - deleted0 >= 1,
                ferryErr::toString);
        String err = ferryErr.toString();
        assertThat(count(err, "event=nat64_session_add proto=ICMP ipv6=" + V6_HOST + " ") - added0).as(err).isEqualTo(2);
        assertThat(count(err, "event=nat64_session_del proto=ICMP ipv6=" + V6_HOST + " ") - deleted0).as(err).isGreaterThanOrEqualTo(1);
    }

    @Test
    void httpOverTcpFromTheIpv6HostToTheIpv4Server() throws Exception {
        Path www = Files.createDirectories(dir.resolve("www4"));
        Files.writeString(www.resolve("hello"), "hello from the IPv4 island\n");
        Result r = fetchServed(nsV4, www, 8000, V4_HOST, nsV6, "http://[" + V4_HOST_AS_V6 + "]:8000/hello");
        assertThat(r.out()).as("ferry:\n" + ferryErr).contains("hello from the IPv4 island");
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
            awaitListening(nsV4, "udp", 7007, 20);
            Result one = in(nsV6, 30, "python3", dir.resolve("flows.py").toString(), V4_HOST_AS_V6, "7007", "1");
            assertThat(one.out()).as("ferry:\n" + ferryErr).contains("answered 1 of 1");
            Result many = in(nsV6, 60, "python3", dir.resolve("flows.py").toString(), V4_HOST_AS_V6, "7007", "200");
            assertThat(many.out()).as("ferry:\n" + ferryErr).contains("answered 200 of 200");
        } finally {
            e.destroy();
            e.waitFor(5, TimeUnit.SECONDS);
        }
        // logging-bib: every binding was recorded, with no destination (by the log thread, a moment after the packet)
        Await.until("a UDP BIB add logged", 10,
                () -> ferryErr.toString().contains("event=nat64_bib_add proto=UDP ipv6=" + V6_HOST + " "), ferryErr::toString);
        assertThat(ferryErr.toString()).contains("event=nat64_bib_add proto=UDP ipv6=" + V6_HOST + " ");
        assertThat(ferryErr.toString().lines().filter(l -> l.contains("event=nat64_"))).noneMatch(l -> l.contains(V4_HOST));
    }

    /**
     * Echoes each datagram at once, and again (to the same transport address) once the file {@code argv[3]} exists:
     * the test creates it after the reload, so the second echo surely crosses the reloaded translator.
     */
    static final String UDP_ECHO_TWICE = """
            import os, socket, sys, threading, time
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], int(sys.argv[2])))
            def again(d, a):
                while not os.path.exists(sys.argv[3]): time.sleep(0.05)
                s.sendto(b'again ' + d, a)
            while True:
                d, a = s.recvfrom(65535); s.sendto(d, a)
                threading.Thread(target=again, args=(d, a), daemon=True).start()
            """;

    static final String UDP_WAIT_TWICE = """
            import socket, sys
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.settimeout(30)
            s.sendto(b'hello', (sys.argv[1], int(sys.argv[2])))
            print('first', s.recvfrom(100)[0].decode(), flush=True)
            print('second', s.recvfrom(100)[0].decode(), flush=True)
            """;

    @Test
    void aSighupThatLeavesTheNat64SettingsAloneKeepsTheBindings() throws Exception {
        Files.writeString(dir.resolve("echo2.py"), UDP_ECHO_TWICE);
        Files.writeString(dir.resolve("wait2.py"), UDP_WAIT_TWICE);
        Path trigger = dir.resolve("reloaded");
        Process e = spawn(nsV4, "python3", dir.resolve("echo2.py").toString(), V4_HOST, "7009", trigger.toString());
        try {
            // the client sends once: the server must listen first, and the reload must come after the first echo
            // (the binding exists) and before the second (sent when the test says so); wait for each instead of
            // sleeping 0.5 s and 1 s and hoping the reload beat a 3 s timer
            awaitListening(nsV4, "udp", 7009, 20);
            Child c = new Child(spawn(nsV6, "python3", dir.resolve("wait2.py").toString(), V4_HOST_AS_V6, "7009"));
            c.awaitStderr("first hello", 15);
            sighupAndAwaitReload();
            Files.writeString(trigger, "now");
            assertThat(c.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            c.awaitStderr("second", 5); // the reader thread has the rest of the output
            String out = c.stderr();
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
        Result r = fetchServed(nsV6, www, 8080, V6_HOST, nsV4, "http://" + POOL4 + ":80/device");
        assertThat(r.out()).as("ferry:\n" + ferryErr).contains("hello from the IPv6-only device");
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
        // the idle worker wakes every 100-250 ms; the upper bound leaves a loaded machine 4 s of scheduling delay (7.5
        // left 1.3 s) and still fails a translator that waits for another packet (the script gives up after 20 s)
        assertThat(seconds).as(r.out()).isBetween(5.9, 10.0);
    }

    // ------------------------------------------------------------------------------------------------- helpers
}
