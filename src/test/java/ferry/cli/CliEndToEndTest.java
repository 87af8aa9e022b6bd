package ferry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ferry.app.Main;
import ferry.testkit.Await;
import ferry.testkit.NetnsHarness;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Issue 7: the CLI against real daemons. Two {@code ferry run} processes in a {@code ferry-*} namespace (removed
 * afterwards): a NAT64 between an IPv6-only and an IPv4-only host (pool4 203.0.113.1), and an SIIT instance with no
 * traffic for the SIIT-only nouns (eamt, denylist4). Every implemented noun and verb, table and CSV output, errors and
 * exit codes, {@code file handle} and SIGHUP while a ping runs, and the control socket refusing {@code nobody}.
 * Skipped, with the reason printed, when not root or a tool is missing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public class CliEndToEndTest extends NetnsHarness { // public: ferry.app.MultiRunEndToEndTest runs the CLI through ferry()
    static final String V6_HOST = "2001:db8:6::2";
    static final String V4_HOST = "198.51.100.2";
    static final String V4_HOST_AS_V6 = "64:ff9b::c633:6402";

    final String prefix = newPrefix(6);
    final String nsV6 = prefix + "-v6", nsX = prefix + "-xlat", nsV4 = prefix + "-v4";
    final String nat = prefix + "-n", siit = prefix + "-s";
    Path dir, natConfig;
    Process natDaemon, siitDaemon;
    final StringBuffer natErr = new StringBuffer(), siitErr = new StringBuffer();

    static String natJson(String instance, String device, String extraGlobal) {
        return """
                {
                  "instance": "%s",
                  "global": { "pool6": "64:ff9b::/96", "icmp-timeout": "30"%s },
                  "pool4": [ { "protocol": "TCP", "prefix": "203.0.113.1/32", "port range": "1024-65535" },
                             { "protocol": "TCP", "prefix": "203.0.113.1/32", "port range": "80-80" },
                             { "protocol": "UDP", "prefix": "203.0.113.1/32", "port range": "1024-65535" },
                             { "protocol": "ICMP", "prefix": "203.0.113.1/32" } ],
                  "tun": { "device": "%s", "mtu": 1500, "queues": 2, "vnet-header": false,
                           "routes": [ "64:ff9b::/96", "203.0.113.1/32" ] }
                }
                """.formatted(instance, extraGlobal, device);
    }

    @BeforeAll
    void setUp() throws Exception {
        assumeRootWith("CliEndToEndTest", "ip", "ping");
        dir = tempDir("ferry-cli-e2e");
        xlatLine(nsV6, nsX, nsV4, "64:ff9b::/96", "203.0.113.0/24"); // V6_HOST, V4_HOST
        String tag = prefix.substring(6, 10);
        natConfig = dir.resolve("nat64.json");
        Files.writeString(natConfig, natJson(nat, "ferryn" + tag, ""));
        Path siitConfig = dir.resolve("siit.json");
        Files.writeString(siitConfig, """
                { "instance": "%s", "global": { "pool6": "2001:db8:100::/40" },
                  "eamt": [ { "ipv6 prefix": "2001:db8:6::/120", "ipv4 prefix": "192.0.2.0/24" } ],
                  "tun": { "device": "ferrys%s", "queues": 1, "vnet-header": false } }
                """.formatted(siit, tag));
        Child n = daemon(natConfig, natErr, "--mode", "nat64", "--metrics", "127.0.0.1:9464");
        Child s = daemon(siitConfig, siitErr);
        natDaemon = n.process;
        siitDaemon = s.process;
        waitReady(n);
        waitReady(s);
    }

    Child daemon(Path config, StringBuffer err, String... extra) throws IOException {
        List<String> cmd = ferryJvm("256m", "run", "--config", config.toString());
        cmd.addAll(List.of(extra));
        return new Child(spawn(nsX, cmd.toArray(String[]::new)), err);
    }

    static void waitReady(Child daemon) throws InterruptedException {
        daemon.awaitStderr("event=ready instances=", 40);
        assertThat(daemon.stderr()).contains("event=control_socket_listening");
    }

    /** PIDs of daemons started by ferry instance add in a test (stopped in tearDown if still alive). */
    final List<Long> addedPids = new ArrayList<>();

    @AfterAll
    void tearDown() throws Exception {
        for (long pid : addedPids) {
            ProcessHandle.of(pid).ifPresent(h -> {
                h.destroy();
                try {
                    h.onExit().get(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    h.destroyForcibly();
                }
            });
        }
        for (Process p : List.of(natDaemon, siitDaemon)) {
            if (p != null && p.isAlive()) {
                p.destroy(); // SIGTERM: a clean stop removes the socket and the device
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
        for (String i : List.of(nat, siit, prefix + "-a")) Files.deleteIfExists(Path.of("/run/ferry/" + i + ".sock"));
        // then NetnsHarness kills what else this test started (by PID), removes the namespaces and the folder
    }

    // --- the CLI, in process ---

    public record Cli(int exit, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }
    }

    /** Runs the CLI ({@code ferry ARGS}) in-process, capturing stdout and stderr. */
    public static synchronized Cli ferry(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = Main.run(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        Cli c = new Cli(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        oldErr.println("$ ferry " + String.join(" ", args) + " -> " + code + "\n" + c.out + c.err);
        return c;
    }

    Cli n(String... args) {
        return ferry(concat("-i", nat, args));
    }

    Cli s(String... args) {
        return ferry(concat("-i", siit, args));
    }

    static String[] concat(String a, String b, String[] rest) {
        String[] all = new String[rest.length + 2];
        all[0] = a;
        all[1] = b;
        System.arraycopy(rest, 0, all, 2, rest.length);
        return all;
    }

    // --- tests ---

    @Test
    void instanceDisplayAndStatusDescribeTheRunningDaemon() throws Exception {
        Cli d = n("instance", "display");
        assertThat(d.exit()).isZero();
        assertThat(d.lines().get(0)).startsWith("Instance").contains("| Mode").contains("| PID");
        assertThat(d.lines().get(1)).matches("-+(-\\+-+)+");
        assertThat(d.lines().get(2)).startsWith(nat).contains("nat64").contains(natConfig.toString())
                .contains("/run/ferry/" + nat + ".sock");
        Cli csv = n("instance", "display", "--csv", "--no-headers");
        assertThat(csv.lines()).singleElement().asString().startsWith(nat + ",nat64,");
        Cli st = s("instance", "status", "--no-headers");
        assertThat(st.exit()).isZero();
        assertThat(st.out().strip()).isEqualTo("Running");
        assertThat(Files.getPosixFilePermissions(Path.of("/run/ferry/" + nat + ".sock")))
                .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void aMissingDaemonIsOneLineAndAHintWithExitCode2() {
        Cli c = ferry("-i", prefix + "-absent", "stats", "display");
        assertThat(c.exit()).isEqualTo(2);
        assertThat(c.out()).isEmpty();
        assertThat(c.err().lines().toList()).containsExactly(
                "ferry stats display: no ferry daemon listening on /run/ferry/" + prefix + "-absent.sock",
                "hint: start it with: ferry run --config FILE (its \"instance\" names the socket), or pass -i INSTANCE");
        Cli bad = ferry("-i", "../x", "stats", "display");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("\"../x\" is not a valid instance name");
    }

    @Test
    void usageErrorsExitWith2() {
        assertThat(n("frobnicate").exit()).isEqualTo(2);
        assertThat(n("pool4", "explode").exit()).isEqualTo(2);
        assertThat(n("eamt", "add", "2001:db8::/120").exit()).isEqualTo(2); // missing IPv4 prefix
    }

    @Test
    void statsCountTranslatedPingsInTablesAndCsv() throws Exception {
        Result r = in(nsV6, 30, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", V4_HOST_AS_V6);
        assertThat(r.exit()).as(r.out() + "\nferry:\n" + natErr).isZero();
        // the workers count in plain per-thread longs that the control thread reads a moment later, and may count
        // after writing the reply ping already saw: ask again until the three echoes show (bounded)
        Cli csv = statsWhen(c -> value(c, "xlat_64_ok") >= 3 && value(c, "xlat_46_ok") >= 3);
        assertThat(csv.exit()).isZero();
        assertThat(csv.lines().get(0)).isEqualTo("Counter,Value");
        long ok64 = value(csv, "xlat_64_ok"), ok46 = value(csv, "xlat_46_ok");
        assertThat(ok64).isGreaterThanOrEqualTo(3);
        assertThat(ok46).isGreaterThanOrEqualTo(3);
        assertThat(csv.lines()).noneMatch(l -> l.endsWith(",0")); // only non-zero counters without --all
        Cli all = n("stats", "display", "--all", "--explain", "--csv", "--no-headers");
        assertThat(all.lines()).anyMatch(l -> l.startsWith("drop_46_igmp,0,IGMP is single-hop"));
        assertThat(all.lines()).noneMatch(l -> l.startsWith("Counter"));
        Cli table = n("stats", "display", "--explain");
        assertThat(table.lines().get(0)).matches("Counter +\\| Value +\\| Explanation");
        assertThat(table.out()).contains("IPv6 packets translated to IPv4");
    }

    /**
     * {@code stats display --csv} of the NAT64 daemon, asked again (every 100 ms, 10 s at most) until {@code ok}
     * holds; returns the last answer, on which the caller asserts.
     */
    Cli statsWhen(java.util.function.Predicate<Cli> ok) throws Exception {
        return Await.poll(10, () -> n("stats", "display", "--csv"), ok);
    }

    /**
     * Sends SIGHUP to the NAT64 daemon and waits (15 s at most) until it logs one more {@code event=config_reloaded}
     * than before: waiting for the text alone returned at once when an earlier test had reloaded the same daemon.
     */
    void sighupAndAwaitReload() throws Exception {
        int reloads = natErr.toString().split("event=config_reloaded", -1).length;
        Process k = new ProcessBuilder("kill", "-HUP", Long.toString(natDaemon.pid())).start();
        assertThat(k.waitFor(5, TimeUnit.SECONDS) && k.exitValue() == 0).as("kill -HUP").isTrue();
        Await.until("one more event=config_reloaded", 15,
                () -> natErr.toString().split("event=config_reloaded", -1).length > reloads, natErr::toString);
    }

    /** The ICMP sessions of the IPv6 host, asked again (10 s at most) until {@code ok} holds; the last answer. */
    List<String> icmpSessionsWhen(java.util.function.Predicate<List<String>> ok) throws Exception {
        return Await.poll(10, this::icmpSessions, ok);
    }

    static long value(Cli csv, String counter) {
        return csv.lines().stream().filter(l -> l.startsWith(counter + ",")).mapToLong(l -> Long.parseLong(l.split(",")[1]))
                .findFirst().orElse(0);
    }

    @Test
    void globalUpdateValidatesLikeTheFileAndChangesNothingOnError() {
        Cli before = n("global", "display", "--csv");
        assertThat(before.lines()).contains("pool6,64:ff9b::/96", "lowest-ipv6-mtu,1280");
        Cli bad = n("global", "update", "lowest-ipv6-mtu", "1000");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("lowest-ipv6-mtu").contains("1000").contains("1280..65535");
        Cli unknown = n("global", "update", "no-such-key", "1");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown key \"no-such-key\"");
        assertThat(n("global", "display", "--csv").out()).isEqualTo(before.out());

        Cli ok = n("global", "update", "mtu-plateaus", "9000,1500,1280");
        assertThat(ok.exit()).isZero();
        assertThat(ok.err()).contains("applied").contains("NAT64 tables kept");
        assertThat(n("global", "display", "--csv").lines()).contains("mtu-plateaus,9000,1500,1280".replace(",9000,1500,1280", ",\"9000,1500,1280\""));
        Cli timeout = n("global", "update", "icmp-timeout", "45"); // a NAT64 global: Jool writes it as a string
        assertThat(timeout.exit()).isZero();
        assertThat(timeout.err()).contains("NAT64 tables kept"); // timeouts apply from each session's next refresh
        assertThat(n("global", "display", "--csv").lines()).contains("icmp-timeout,45");
        assertThat(n("global", "update", "icmp-timeout", "30").exit()).isZero();
    }

    @Test
    void pool4AddDisplayRemoveFlushAndRefusals() {
        Cli before = n("pool4", "display", "--csv", "--no-headers");
        assertThat(before.lines()).containsExactly("0,TCP,auto,203.0.113.1/32,1024-65535", "0,TCP,auto,203.0.113.1/32,80-80",
                "0,UDP,auto,203.0.113.1/32,1024-65535", "0,ICMP,auto,203.0.113.1/32,0-65535");
        assertThat(n("pool4", "add", "--udp", "203.0.113.2", "2000-3000").exit()).isZero();
        assertThat(n("pool4", "display", "--csv").lines()).contains("0,UDP,auto,203.0.113.2/32,2000-3000");
        Cli bad = n("pool4", "add", "--tcp", "203.0.113.3", "3000-2000");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("3000-2000");
        Cli table = n("pool4", "display");
        assertThat(table.lines().get(0)).matches("Mark \\| Proto \\| Max iterations \\| Address +\\| Ports");
        assertThat(n("pool4", "remove", "--udp", "203.0.113.2").exit()).isZero();
        Cli missing = n("pool4", "remove", "203.0.113.9");
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("no pool4 entry matches 203.0.113.9");
        assertThat(n("pool4", "display", "--csv", "--no-headers").out()).isEqualTo(before.out());
        // flush on the SIIT instance: pool4 exists only in nat64 mode
        Cli siitFlush = s("pool4", "flush");
        assertThat(siitFlush.exit()).isEqualTo(2);
        assertThat(siitFlush.err()).contains("siit mode");
    }

    @Test
    void pool4FlushIsRefusedBecauseANat64NeedsPool4AndNothingChanges() {
        String before = n("pool4", "display", "--csv").out();
        Cli flush = n("pool4", "flush");
        assertThat(flush.exit()).isEqualTo(2);
        assertThat(flush.err()).contains("pool4 is empty");
        assertThat(n("pool4", "display", "--csv").out()).isEqualTo(before);
    }

    @Test
    void staticBibEntriesAreAddedShownAndRemovedAndPingsCreateDynamicOnes() throws Exception {
        Cli add = n("bib", "add", "--tcp", "2001:db8:6::2#8080", "203.0.113.1#80");
        assertThat(add.exit()).isZero();
        assertThat(n("bib", "display", "--tcp", "--csv", "--no-headers").lines())
                .contains("TCP,203.0.113.1#80,2001:db8:6::2#8080,static");
        Cli outside = n("bib", "add", "--tcp", "2001:db8:6::2#8081", "203.0.113.7#80");
        assertThat(outside.exit()).isEqualTo(2);
        assertThat(outside.err()).contains("203.0.113.7#80").contains("not in pool4");
        assertThat(n("bib", "add", "2001:db8:6::2#8081", "203.0.113.1#81").exit()).isEqualTo(2); // no protocol
        assertThat(n("bib", "remove", "--tcp", "203.0.113.1#80").exit()).isZero();
        // the whole field: a dynamic entry left by another test may hold 203.0.113.1#80xx
        assertThat(n("bib", "display", "--tcp", "--csv", "--no-headers").lines())
                .noneMatch(l -> l.startsWith("TCP,203.0.113.1#80,"));
        assertThat(n("bib", "remove", "--tcp", "203.0.113.1#80").exit()).isEqualTo(2);

        Result r = in(nsV6, 30, "ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", V4_HOST_AS_V6);
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(n("bib", "display", "--icmp", "--csv", "--no-headers").lines())
                .anyMatch(l -> l.startsWith("ICMP,203.0.113.1#") && l.contains(V6_HOST + "#") && l.endsWith(",dynamic"));
        Cli sessions = n("session", "display", "--icmp", "--csv");
        assertThat(sessions.lines().get(0)).isEqualTo(
                "Proto,IPv6 local,IPv6 remote,IPv4 local,IPv4 remote,State,Expires in (s)");
        assertThat(sessions.lines()).anyMatch(l -> l.startsWith("ICMP," + V6_HOST + "#")
                && l.contains("," + V4_HOST_AS_V6 + "#") && l.contains(",203.0.113.1#") && l.contains("," + V4_HOST + "#"));
        assertThat(n("session", "display").lines().get(0)).startsWith("Proto | IPv6 local");
    }

    @Test
    void sessionFollowPrintsSessionsAsTheyAppear() throws Exception {
        List<String> before = n("session", "display", "--icmp", "--csv", "--no-headers").lines().stream()
                .map(l -> "+ " + l.substring(0, l.lastIndexOf(','))).toList();
        Process ping = new ProcessBuilder("ip", "netns", "exec", nsV6, "ping", "-6", "-c", "8", "-i", "0.2", "-W", "2",
                V4_HOST_AS_V6).redirectErrorStream(true).start();
        started.add(ping);
        Cli follow = n("session", "follow", "--icmp", "--interval-ms", "300", "--polls", "5");
        assertThat(follow.exit()).isZero();
        assertThat(follow.lines()).anyMatch(l -> l.startsWith("+ ICMP," + V6_HOST + "#")
                && l.contains("," + V4_HOST + "#") && !before.contains(l)); // the new ping's session
        assertThat(ping.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(n("session", "follow", "--interval-ms", "10").exit()).isEqualTo(2);
        assertThat(s("session", "follow", "--polls", "1").exit()).isEqualTo(2); // siit: no sessions
    }

    @Test
    void addressQueryExplainsPool6AndEamtMappings() {
        Cli v4 = n("address", "query", V4_HOST, "--csv", "--no-headers");
        assertThat(v4.out().strip()).isEqualTo(V4_HOST + "," + V4_HOST_AS_V6 + ",pool6 64:ff9b::/96 (RFC 6052)");
        Cli v6 = n("address", "query", V4_HOST_AS_V6, "--csv", "--no-headers");
        assertThat(v6.out().strip()).startsWith(V4_HOST_AS_V6 + "," + V4_HOST + ",");
        Cli eam = s("address", "query", "2001:db8:6::5", "--csv", "--no-headers");
        assertThat(eam.out().strip()).startsWith("2001:db8:6::5,192.0.2.5,EAMT entry");
        Cli bad = n("address", "query", "192.0.2");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("\"192.0.2\"");
    }

    @Test
    void eamtAddDisplayRemoveFlush() {
        assertThat(s("eamt", "display", "--csv", "--no-headers").lines()).containsExactly("2001:db8:6::/120,192.0.2.0/24");
        assertThat(s("eamt", "add", "2001:db8:7::/128", "203.0.113.5/32").exit()).isZero();
        assertThat(s("eamt", "display", "--csv").lines()).containsExactly("IPv6 Prefix,IPv4 Prefix",
                "2001:db8:6::/120,192.0.2.0/24", "2001:db8:7::/128,203.0.113.5/32");
        Cli bad = s("eamt", "add", "2001:db8:8::/120", "203.0.113.0/33");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("203.0.113.0/33");
        Cli dup = s("eamt", "add", "2001:db8:7::/128", "203.0.113.6/32"); // the same IPv6 prefix twice
        assertThat(dup.exit()).isEqualTo(2);
        assertThat(s("eamt", "display", "--csv", "--no-headers").lines()).hasSize(2);
        assertThat(s("eamt", "remove", "203.0.113.5/32").exit()).isZero();
        assertThat(s("eamt", "remove", "203.0.113.5/32").exit()).isEqualTo(2);
        assertThat(s("eamt", "flush").exit()).isZero();
        assertThat(s("eamt", "display", "--csv", "--no-headers").out()).isEmpty();
        assertThat(s("eamt", "add", "2001:db8:6::/120", "192.0.2.0/24").exit()).isZero();
    }

    @Test
    void denylist4AddDisplayRemoveFlush() {
        assertThat(s("denylist4", "add", "198.51.100.0/24").exit()).isZero();
        assertThat(s("denylist4", "add", "203.0.113.0/24").exit()).isZero();
        assertThat(s("denylist4", "display", "--csv", "--no-headers").lines())
                .containsExactly("198.51.100.0/24", "203.0.113.0/24");
        Cli q = s("address", "query", "198.51.100.7");
        assertThat(q.exit()).isEqualTo(2);
        assertThat(q.err()).contains("denylist4");
        assertThat(s("denylist4", "add", "198.51.100.0/33").exit()).isEqualTo(2);
        assertThat(s("denylist4", "remove", "198.51.100.0/24").exit()).isZero();
        assertThat(s("denylist4", "display", "--no-headers").out().strip()).isEqualTo("203.0.113.0/24");
        assertThat(s("denylist4", "flush").exit()).isZero();
        assertThat(s("denylist4", "display", "--csv", "--no-headers").out()).isEmpty();
        Cli natDeny = n("denylist4", "add", "198.51.100.0/24");
        assertThat(natDeny.exit()).isEqualTo(2);
    }

    @Test
    void fileHandleAndSighupUnderAPingFlowKeepTheSessionAndAnInvalidFileChangesNothing() throws Exception {
        Process ping = new ProcessBuilder("ip", "netns", "exec", nsV6, "ping", "-6", "-c", "40", "-i", "0.1", "-W", "2",
                V4_HOST_AS_V6).redirectErrorStream(true).start();
        started.add(ping);
        // the ping's first echo opens the session: wait for it (bounded) instead of sleeping 800 ms
        List<String> session = icmpSessionsWhen(l -> !l.isEmpty());
        assertThat(session).isNotEmpty();
        String pool4Before = n("pool4", "display", "--csv").out();
        String globalBefore = n("global", "display", "--csv").out();

        Path invalid = dir.resolve("invalid.json");
        Files.writeString(invalid, natJson(nat, "ignored", ", \"lowest-ipv6-mtu\": 5, \"tos\": 300")
                .replace("203.0.113.1/32\", \"port range\": \"80-80\"", "203.0.113.9/32\", \"port range\": \"80-80\""));
        Cli bad = n("file", "handle", invalid.toString());
        assertThat(bad.exit()).isEqualTo(2);
        List<String> errs = bad.err().lines().toList();
        assertThat(errs).anyMatch(l -> l.matches("ferry file handle: " + invalid + ":3:\\d+: global.lowest-ipv6-mtu: .*5.*"));
        assertThat(errs).anyMatch(l -> l.matches("ferry file handle: " + invalid + ":3:\\d+: global.tos: .*300.*"));
        assertThat(n("pool4", "display", "--csv").out()).isEqualTo(pool4Before);
        assertThat(n("global", "display", "--csv").out()).isEqualTo(globalBefore);

        Path other = dir.resolve("other-instance.json");
        Files.writeString(other, natJson("ferry-other", "ferryn" + prefix.substring(6, 10), ""));
        Cli wrongInstance = n("file", "handle", other.toString());
        assertThat(wrongInstance.exit()).isEqualTo(2);
        assertThat(wrongInstance.err()).contains("\"ferry-other\" is not the running instance");

        Path valid = dir.resolve("valid.json");
        Files.writeString(valid, natJson(nat, "ferryn" + prefix.substring(6, 10), ", \"mtu-plateaus\": [1500, 1280]"));
        Cli ok = n("file", "handle", valid.toString());
        assertThat(ok.exit()).isZero();
        assertThat(ok.err()).contains("applied").contains("NAT64 tables kept");
        assertThat(n("global", "display", "--csv").lines()).contains("mtu-plateaus,\"1500,1280\"");

        // SIGHUP with a changed file: the same path (validate, then swap)
        Files.writeString(natConfig, natJson(nat, "ferryn" + prefix.substring(6, 10), ", \"mtu-plateaus\": [1400, 1280]"));
        sighupAndAwaitReload();
        assertThat(n("global", "display", "--csv").lines()).contains("mtu-plateaus,\"1400,1280\"");

        List<String> after = icmpSessions();
        assertThat(after).containsAll(session); // the same binding and session, not a new one
        assertThat(ping.waitFor(20, TimeUnit.SECONDS)).isTrue();
        String out = new String(ping.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(out).as(out).contains("40 packets transmitted, 40 received");
        Files.writeString(natConfig, natJson(nat, "ferryn" + prefix.substring(6, 10), ""));
    }

    @Test
    void removingThePool4EntryOfLiveSessionsEndsThemCleanlyCountsThemAndSaysHowMany() throws Exception {
        Result r = in(nsV6, 30, "ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", V4_HOST_AS_V6);
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(n("session", "display", "--icmp", "--csv", "--no-headers").lines()).isNotEmpty();
        int udp = n("session", "display", "--udp", "--csv", "--no-headers").lines().size();
        long endedBefore = value(n("stats", "display", "--all", "--csv"), "nat64_sessions_ended_by_reconfiguration");
        Cli remove = n("pool4", "remove", "--icmp", "203.0.113.1");
        assertThat(remove.exit()).isZero();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "NAT64 tables kept: BIB and sessions carry over; (\\d+) session\\(s\\) ended: their pool4 entry or static"
                        + " BIB entry was removed").matcher(remove.err());
        assertThat(m.find()).as(remove.err()).isTrue();
        int ended = Integer.parseInt(m.group(1));
        assertThat(ended).isPositive(); // at least the ping's (other tests' may not have expired yet)
        assertThat(n("session", "display", "--icmp", "--csv", "--no-headers").out()).isEmpty();
        assertThat(n("session", "display", "--udp", "--csv", "--no-headers").lines()).hasSize(udp); // untouched
        assertThat(value(n("stats", "display", "--csv"), "nat64_sessions_ended_by_reconfiguration"))
                .isEqualTo(endedBefore + ended); // the counter moves by exactly the sessions ended
        Result refused = in(nsV6, 30, "ping", "-6", "-c", "1", "-W", "1", V4_HOST_AS_V6);
        assertThat(refused.exit()).as(refused.out()).isNotZero(); // no ICMP pool4 left: no new binding
        assertThat(natDaemon.isAlive()).isTrue();
        assertThat(n("pool4", "add", "--icmp", "203.0.113.1").exit()).isZero();
        Result again = in(nsV6, 30, "ping", "-6", "-c", "1", "-W", "2", V4_HOST_AS_V6);
        assertThat(again.exit()).as(again.out()).isZero();
    }

    /** The ICMP sessions of the IPv6 host, without the "expires in" column. */
    List<String> icmpSessions() {
        return n("session", "display", "--icmp", "--csv", "--no-headers").lines().stream()
                .filter(l -> l.startsWith("ICMP," + V6_HOST)).map(l -> l.substring(0, l.lastIndexOf(','))).toList();
    }

    /** The TCP sessions to the echo server's port 5007, without the "expires in" column. */
    /** The echo connection's ESTABLISHED session (a connect refused while the server was starting stays V6_INIT). */
    List<String> tcpSessions() {
        return n("session", "display", "--tcp", "--csv", "--no-headers").lines().stream()
                .filter(l -> l.contains("," + V4_HOST + "#5007,") && l.contains(",ESTABLISHED,"))
                .map(l -> l.substring(0, l.lastIndexOf(','))).toList();
    }

    @Test
    void reconfigurationUnderTrafficKeepsNat64Sessions() throws Exception {
        String tag = prefix.substring(6, 10);
        long endedBefore = value(n("stats", "display", "--all", "--csv"), "nat64_sessions_ended_by_reconfiguration");
        List<String> earlier = icmpSessions(); // other tests' pings may still have sessions
        Process ping = new ProcessBuilder("ip", "netns", "exec", nsV6, "ping", "-6", "-c", "100", "-i", "0.1", "-W", "2",
                V4_HOST_AS_V6).redirectErrorStream(true).start();
        started.add(ping);
        // and a TCP connection (python3 echo server and client), when python3 is there
        Process w = new ProcessBuilder("sh", "-c", "command -v python3").start();
        boolean tcp = w.waitFor(5, TimeUnit.SECONDS) && w.exitValue() == 0;
        Process server = null, client = null;
        if (!tcp) System.err.println("reconfigurationUnderTraffic...: no TCP flow, python3 is not installed");
        if (tcp) {
            server = new ProcessBuilder("ip", "netns", "exec", nsV4, "python3", "-c", """
                    import socket
                    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind(("%s", 5007)); s.listen(1); c, _ = s.accept()
                    while True:
                        d = c.recv(4096)
                        if not d: break
                        c.sendall(d)
                    """.formatted(V4_HOST)).redirectErrorStream(true).start();
            started.add(server);
            // python starts slowly on a busy machine: connect only once the server listens
            for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20); System.nanoTime() < end
                    && in(nsV4, 5, "sh", "-c", "ss -ltn | grep -q ':5007 '").exit() != 0; ) Thread.sleep(100);
            client = new ProcessBuilder("ip", "netns", "exec", nsV6, "python3", "-c", """
                    import socket, time
                    for attempt in range(50):  # the server may still be starting
                        try:
                            c = socket.create_connection(("%s", 5007), timeout=5); break
                        except ConnectionRefusedError:
                            time.sleep(0.1)
                    n = 0
                    for i in range(100):
                        m = ("%%d\\n" %% i).encode(); c.sendall(m); r = b""
                        while len(r) < len(m): r += c.recv(100)
                        n += r == m
                        time.sleep(0.1)
                    print("echoed", n)
                    """.formatted(V4_HOST_AS_V6)).redirectErrorStream(true).start();
            started.add(client);
        }
        // the ping's first echo opens its session: wait for it (bounded) instead of sleeping 700 ms
        List<String> session = icmpSessionsWhen(l -> l.stream().anyMatch(x -> !earlier.contains(x))).stream()
                .filter(l -> !earlier.contains(l)).toList();
        assertThat(session).hasSize(1); // ping's identifier, bound to 203.0.113.1#port
        String port4 = session.get(0).split(",")[3];
        assertThat(port4).startsWith("203.0.113.1#");
        List<String> tcpSession = List.of();
        for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20); tcp && tcpSession.isEmpty()
                && System.nanoTime() < end; Thread.sleep(100)) {
            tcpSession = tcpSessions(); // python starts slowly on a busy machine
        }
        if (tcp) assertThat(tcpSession).as(natErr.toString()).hasSize(1);
        List<String> tcpFirst = tcpSession;

        // 1. a CLI edit: another pool4 entry
        Cli add = n("pool4", "add", "--udp", "203.0.113.2", "2000-3000");
        assertThat(add.exit()).isZero();
        assertThat(add.err()).contains("NAT64 tables kept").doesNotContain("ended");
        // 2. file handle: an extra ICMP entry IN FRONT of the one in use (its pool4 slots are renumbered) and a new
        //    icmp-timeout (applies from the session's next echo)
        String extra = natJson(nat, "ferryn" + tag, "").replace("\"icmp-timeout\": \"30\"", "\"icmp-timeout\": \"40\"").replace(
                "{ \"protocol\": \"ICMP\", \"prefix\": \"203.0.113.1/32\" }",
                "{ \"protocol\": \"ICMP\", \"prefix\": \"203.0.113.8/30\" }, { \"protocol\": \"ICMP\", \"prefix\": \"203.0.113.1/32\" }");
        Path file = dir.resolve("extra-pool4.json");
        Files.writeString(file, extra);
        Cli handled = n("file", "handle", file.toString());
        assertThat(handled.exit()).isZero();
        assertThat(handled.err()).contains("NAT64 tables kept").doesNotContain("ended");
        assertThat(n("pool4", "display", "--csv", "--no-headers").lines()).contains("0,ICMP,auto,203.0.113.8/30,0-65535");
        assertThat(icmpSessions()).containsAll(session);
        // 3. SIGHUP: the file on disk, with yet another pool4 entry
        Files.writeString(natConfig, extra.replace("{ \"protocol\": \"UDP\"",
                "{ \"protocol\": \"UDP\", \"prefix\": \"203.0.113.3/32\" }, { \"protocol\": \"UDP\""));
        sighupAndAwaitReload();
        assertThat(n("pool4", "display", "--csv", "--no-headers").lines()).contains("0,UDP,auto,203.0.113.3/32,1-65535");
        List<String> after = icmpSessions();
        assertThat(after).containsAll(session); // the same pool4 port: the same session
        // the new icmp-timeout applies from the session's next echo (one every 100 ms): ask again until one came
        // (bounded) instead of sleeping 300 ms; under the old 30 s timeout the time left never exceeds 30
        long left = Await.poll(10, () -> n("session", "display", "--icmp", "--csv", "--no-headers").lines().stream()
                .filter(l -> l.startsWith(session.get(0) + ","))
                .mapToLong(l -> Long.parseLong(l.substring(l.lastIndexOf(',') + 1))).findFirst().orElse(-1), v -> v >= 38);
        assertThat(left).isBetween(38L, 40L); // refreshed by the last echo under the new icmp-timeout (40 s)
        if (tcp) assertThat(tcpSessions()).isEqualTo(tcpFirst); // the same connection, the same pool4 port

        assertThat(ping.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String out = new String(ping.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(out).as(out).contains("100 packets transmitted, 100 received"); // no packet lost
        if (tcp) {
            assertThat(client.waitFor(30, TimeUnit.SECONDS)).isTrue();
            String echoed = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(client.exitValue()).as(echoed).isZero();
            assertThat(echoed).as(echoed).contains("echoed 100"); // every line came back over the one connection
            server.waitFor(5, TimeUnit.SECONDS);
        }
        assertThat(value(n("stats", "display", "--all", "--csv"), "nat64_sessions_ended_by_reconfiguration"))
                .isEqualTo(endedBefore);

        // back to the start configuration (other tests expect it): the file, then SIGHUP
        Files.writeString(natConfig, natJson(nat, "ferryn" + tag, ""));
        Cli restore = n("file", "handle", natConfig.toString());
        assertThat(restore.exit()).isZero();
    }

    /** The CLI as its own process in namespace {@code ns} (what it starts inherits the namespace). */
    Result cliIn(String ns, String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns, java, "--enable-native-access=ALL-UNNAMED",
                "-Xmx128m", "-cp", System.getProperty("java.class.path"), "ferry.app.Main"));
        c.addAll(Arrays.asList(args));
        return run(60, c);
    }

    @Test
    void instanceAddStartsADaemonStatusSeesItAndRemoveStopsIt() throws Exception {
        String name = prefix + "-a", device = "ferrya" + prefix.substring(6, 10);
        Path sock = Path.of("/run/ferry/" + name + ".sock");
        Path cfg = dir.resolve("added.json"), bad = dir.resolve("added-bad.json"), log = dir.resolve("added.log");
        String json = """
                { "instance": "%s", "global": { "pool6": "2001:db8:100::/40"%s },
                  "tun": { "device": "%s", "queues": 1, "vnet-header": false } }
                """;
        Files.writeString(cfg, json.formatted(name, "", device));
        Files.writeString(bad, json.formatted(name, ", \"lowest-ipv6-mtu\": 5", device));

        Result invalid = cliIn(nsX, "-i", name, "instance", "add", "--config", bad.toString(), "--log", log.toString());
        assertThat(invalid.exit()).as(invalid.out()).isEqualTo(2);
        assertThat(invalid.out()).contains("global.lowest-ipv6-mtu").contains("nothing was started");
        assertThat(sock).doesNotExist();
        Result wrongName = cliIn(nsX, "-i", prefix + "-other", "instance", "add", "--config", cfg.toString());
        assertThat(wrongName.exit()).as(wrongName.out()).isEqualTo(2);
        assertThat(wrongName.out()).contains("\"instance\" is \"" + name + "\"");

        Result added = cliIn(nsX, "-i", name, "instance", "add", "--config", cfg.toString(), "--log", log.toString());
        assertThat(added.exit()).as(added.out() + "\nlog:\n" + (Files.exists(log) ? Files.readString(log) : "")).isZero();
        long pid = Long.parseLong(added.out().lines().filter(l -> l.matches("\\d+")).findFirst().orElseThrow());
        addedPids.add(pid);
        assertThat(added.out()).contains("instance \"" + name + "\" running (PID " + pid + ")");
        assertThat(ProcessHandle.of(pid)).isPresent();

        Cli status = ferry("-i", name, "instance", "status", "--no-headers");
        assertThat(status.exit()).isZero();
        assertThat(status.out().strip()).isEqualTo("Running");
        assertThat(ferry("-i", name, "instance", "display", "--csv", "--no-headers").out())
                .startsWith(name + ",siit," + pid + "," + cfg);
        assertThat(in(nsX, 10, "ip", "link", "show", device).exit()).isZero(); // its TUN device, in its namespace
        Result twice = cliIn(nsX, "-i", name, "instance", "add", "--config", cfg.toString(), "--log", log.toString());
        assertThat(twice.exit()).as(twice.out()).isEqualTo(2);
        assertThat(twice.out()).contains("instance \"" + name + "\" is already running (PID " + pid + ")");

        Cli remove = ferry("-i", name, "instance", "remove");
        assertThat(remove.exit()).as(remove.err()).isZero();
        assertThat(remove.err()).contains("is stopping").contains("stopped");
        assertThat(sock).doesNotExist(); // the CLI returned once the socket was gone
        ProcessHandle.of(pid).ifPresent(h -> h.onExit().orTimeout(10, TimeUnit.SECONDS).join());
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(in(nsX, 10, "ip", "link", "show", device).exit()).isNotZero(); // removed with the daemon
        assertThat(Files.readString(log)).contains("event=stopping reason=\"ferry instance remove\" instance=" + name)
                .containsPattern("event=stopped instance=" + name + " device=" + device + " removed=true");

        Cli again = ferry("-i", name, "instance", "remove");
        assertThat(again.exit()).isEqualTo(2);
        assertThat(again.out()).isEmpty();
        assertThat(again.err().lines().toList()).containsExactly(
                "ferry instance remove: no ferry daemon listening on " + sock,
                "hint: there is no running instance \"" + name + "\" to remove (ferry -i " + name
                        + " instance add --config FILE starts one)");
    }

    String scrape() throws Exception {
        Result r = in(nsX, 20, "python3", "-c", "import urllib.request,sys; "
                + "sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:9464/metrics', timeout=10).read().decode())");
        assertThat(r.exit()).as(r.out()).isZero();
        return r.out();
    }

    static double sample(String text, String name) {
        // ferry run labels every series with its instance: name{instance="..."} value
        return text.lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.split(" ")[1]))
                .findFirst().orElseThrow(() -> new AssertionError(name + " not in the scrape:\n" + text));
    }

    @Test
    void theMetricsEndpointIsScrapedDuringTrafficAndItsCountersMove() throws Exception {
        Process w = new ProcessBuilder("sh", "-c", "command -v python3").start();
        if (!w.waitFor(5, TimeUnit.SECONDS) || w.exitValue() != 0) {
            System.err.println("theMetricsEndpoint... skipped: python3 is not installed (used as the scraper)");
            assumeTrue(false, "python3 is not installed");
        }
        assertThat(natErr.toString()).contains("event=metrics_listening url=http://127.0.0.1:9464/metrics");
        String first = scrape();
        Result r = in(nsV6, 30, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", V4_HOST_AS_V6);
        assertThat(r.exit()).as(r.out()).isZero();
        // the workers count a moment after the packets passed (plain per-thread counters, read by the endpoint's
        // thread): scrape again until the three echoes show, 10 s at most, then assert on that scrape
        String second = Await.poll(10, this::scrape,
                t -> sample(t, "ferry_xlat_64_ok_total") - sample(first, "ferry_xlat_64_ok_total") >= 3
                        && sample(t, "ferry_xlat_46_ok_total") - sample(first, "ferry_xlat_46_ok_total") >= 3);
        assertThat(sample(second, "ferry_xlat_64_ok_total") - sample(first, "ferry_xlat_64_ok_total")).isGreaterThanOrEqualTo(3);
        assertThat(sample(second, "ferry_xlat_46_ok_total") - sample(first, "ferry_xlat_46_ok_total")).isGreaterThanOrEqualTo(3);
        assertThat(sample(second, "ferry_tun_rx_packets_total")).isGreaterThan(sample(first, "ferry_tun_rx_packets_total"));
        assertThat(sample(second, "ferry_nat64_sessions{instance=\"" + nat + "\",protocol=\"icmp\"}")).isGreaterThanOrEqualTo(1);
        assertThat(sample(second, "ferry_nat64_bib_entries{instance=\"" + nat + "\",protocol=\"icmp\"}")).isGreaterThanOrEqualTo(1);
        List<String> names1 = first.lines().filter(l -> l.startsWith("# TYPE")).toList();
        assertThat(second.lines().filter(l -> l.startsWith("# TYPE")).toList()).isEqualTo(names1); // stable names
        // the CLI's stats agree with the endpoint's counter (both sum the workers)
        assertThat(value(n("stats", "display", "--csv"), "xlat_64_ok")).isGreaterThanOrEqualTo((long) sample(second, "ferry_xlat_64_ok_total"));
    }

    @Test
    void theControlSocketRefusesNobody() throws Exception {
        Process w = new ProcessBuilder("sh", "-c", "command -v setpriv").start();
        if (!w.waitFor(5, TimeUnit.SECONDS) || w.exitValue() != 0) {
            System.err.println("theControlSocketRefusesNobody skipped: setpriv is not installed");
            assumeTrue(false, "setpriv is not installed");
        }
        // a class path nobody can read: the compiled classes plus the CLI's libraries, copied out of /root
        Path cp = Files.createTempDirectory("ferry-cli-nobody");
        try {
            Files.setPosixFilePermissions(cp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            List<String> entries = new ArrayList<>();
            for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
                Path p = Path.of(e);
                if (Files.isDirectory(p) && p.endsWith("classes")) {
                    Path copy = cp.resolve("classes");
                    try (var files = Files.walk(p)) {
                        for (Path f : (Iterable<Path>) files::iterator) {
                            Path t = copy.resolve(p.relativize(f).toString());
                            if (Files.isDirectory(f)) Files.createDirectories(t);
                            else Files.copy(f, t);
                        }
                    }
                    entries.add(copy.toString());
                } else if (p.getFileName().toString().matches("(picocli|jackson).*\\.jar")) {
                    Path t = cp.resolve(p.getFileName());
                    Files.copy(p, t);
                    entries.add(t.toString());
                }
            }
            new ProcessBuilder("chmod", "-R", "a+rX", cp.toString()).start().waitFor(10, TimeUnit.SECONDS);
            String java = ProcessHandle.current().info().command().orElse("java");
            Result r = run(30, List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", java,
                    "-cp", String.join(":", entries), "ferry.app.Main", "-i", nat, "pool4", "flush"));
            assertThat(r.exit()).as(r.out()).isEqualTo(2);
            assertThat(r.out()).contains("ferry pool4 flush: permission denied on /run/ferry/" + nat + ".sock")
                    .contains("hint: only the user running ferry (root)");
            assertThat(n("pool4", "display", "--csv", "--no-headers").lines()).hasSize(4); // not flushed
        } finally {
            try (var files = Files.walk(cp)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    // --- processes ---
}
