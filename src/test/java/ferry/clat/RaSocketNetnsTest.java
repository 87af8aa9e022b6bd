package ferry.clat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The raw ICMPv6 socket on a real link: a veth pair inside a namespace {@code ferry-ra-PID} (removed afterwards);
 * one end sends Router Advertisements to ff02::1, the other end's {@link RaSocket} reads them. Needs root; skipped
 * with a printed reason otherwise.
 */
class RaSocketNetnsTest {
    static final String NS = "ferry-ra-" + ProcessHandle.current().pid();
    static final String TX = "ferry-rat", RX = "ferry-rar";
    static boolean ready;

    static int sh(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        if (rc != 0) System.err.println("RaSocketNetnsTest: " + String.join(" ", cmd) + " -> " + rc + ": " + out);
        return rc;
    }

    static int ns(String... cmd) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", NS));
        c.addAll(List.of(cmd));
        return sh(c.toArray(String[]::new));
    }

    @BeforeAll
    static void setUp() throws Exception {
        if (!"root".equals(System.getProperty("user.name"))) {
            System.err.println("RaSocketNetnsTest skipped: needs root for ip netns and raw sockets");
            return;
        }
        if (sh("ip", "netns", "add", NS) != 0) return;
        ready = ns("sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0") == 0
                && ns("sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0") == 0
                && ns("sysctl", "-qw", "net.ipv6.conf.default.accept_ra=0") == 0
                && ns("ip", "link", "add", TX, "type", "veth", "peer", "name", RX) == 0
                && ns("ip", "link", "set", TX, "up") == 0
                && ns("ip", "link", "set", RX, "up") == 0;
        // the kernel adds the link-local addresses a moment after the links come up (no DAD here): wait until both
        // have one instead of sleeping 300 ms and hoping; a missing one fails the set-up with a reason
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        boolean linkLocal = false;
        while (ready && !(linkLocal = hasLinkLocal(TX) && hasLinkLocal(RX)) && System.nanoTime() < deadline) Thread.sleep(20);
        if (ready && !linkLocal) System.err.println("RaSocketNetnsTest: no link-local address on " + TX + "/" + RX + " within 10 s");
        ready &= linkLocal;
    }

    private static boolean hasLinkLocal(String dev) throws Exception {
        return ns("sh", "-c", "ip -6 addr show dev " + dev + " scope link | grep -q 'inet6 fe80'") == 0;
    }

    @AfterAll
    static void tearDown() throws Exception {
        sh("ip", "netns", "del", NS);
    }

    private List<String> loop(String... sends) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", NS,
                ProcessHandle.current().info().command().orElse("java"), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), RaLoopbackMain.class.getName(), RX, TX));
        cmd.addAll(List.of(sends));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        System.err.println("RaSocketNetnsTest: child printed:\n" + out);
        assertThat(p.exitValue()).as(out).isEqualTo(0);
        return out.lines().filter(l -> !l.startsWith("WARNING")).toList();
    }

    private static String hex(int hopLimit, byte[] b) {
        return hopLimit + ":" + HexFormat.of().formatHex(b);
    }

    @Test
    void pref64FromARealLinkIsReadAndBadAdvertisementsAreCounted() throws Exception {
        assumeTrue(ready, "RaSocketNetnsTest: the namespace could not be set up (see the messages above)");
        List<String> out = loop(
                hex(255, new Ra().sourceLinkLayer().pref64(225, 0, "2001:db8:64::").build()),
                hex(255, new Ra().pref64(100, 3, "2001:db8:65::").build()),
                hex(64, new Ra().pref64(225, 0, "2001:db8:66::").build()),      // RFC 4861 §6.1.2: not 255
                hex(255, new Ra().pref64(225, 6, "2001:db8:67::").build()),     // PLC 6
                hex(255, new Ra().pref64(225, 0, "2001:db8:68::").option(1, 0, 8).build())); // option length 0
        assertThat(out).containsSubsequence(
                "OPTIONS [Pref64Option[prefix=2001:db8:64::/96, lifetimeSeconds=1800]]",
                "OPTIONS [Pref64Option[prefix=2001:db8:65::/48, lifetimeSeconds=800]]",
                "IGNORED",
                "OPTIONS []",
                "IGNORED");
        String counters = out.getLast();
        assertThat(counters).contains("CLAT_RA_RECEIVED=5", "CLAT_PREF64_OK=2", "CLAT_PREF64_MALFORMED=1",
                "CLAT_RA_MALFORMED=2");
    }
}
