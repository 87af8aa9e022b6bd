package ferry.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ferry.io.Tshark;
import ferry.testkit.NetnsHarness;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `ferry lab` as a user runs it (a child JVM, as root): every check ✓, the three pcaps clean in tshark, and no
 * {@code ferry-lab-*} namespace or lab process left afterwards — also when a check fails or a router dies.
 */
class LabEndToEndTest {
    @TempDir
    static Path tmp;

    @BeforeAll
    static void rootAndTools() throws Exception {
        String why = !"root".equals(System.getProperty("user.name")) ? "not root (ferry lab needs namespaces and TUN)"
                : Lab.host(10, "sh", "-c", "command -v tcpdump && command -v dig && command -v curl")
                        .exit() != 0 ? "tcpdump, dig or curl is missing (.ci/run installs them)" : null;
        if (why != null) System.out.println("SKIPPED LabEndToEndTest: " + why);
        assumeTrue(why == null, why);
    }

    @AfterAll
    static void nothingLeft() throws Exception {
        if (!"root".equals(System.getProperty("user.name"))) return;
        // belt and braces: whatever a failed assertion left behind goes
        run(60, "lab", "--dir", tmp.resolve("full").toString(), "down");
    }

    record Run(int exit, String out) {
    }

    static Run run(int seconds, String... args) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(NetnsHarness.ferryJvm(null, args)).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(seconds, TimeUnit.SECONDS)).as("ferry %s finished", List.of(args)).isTrue();
        String s = new String(out, StandardCharsets.UTF_8);
        System.out.println(s);
        return new Run(p.exitValue(), s);
    }

    static void noLabNamespaceOrProcessLeft(Path dir) throws Exception {
        assertThat(Lab.host(10, "ip", "netns", "list").output()).doesNotContain("ferry-lab-");
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(f -> f.getFileName().toString().matches("\\d+")).toList()) {
                String cmdline;
                try {
                    cmdline = Files.readString(p.resolve("cmdline")).replace('\0', ' ');
                } catch (IOException gone) {
                    continue;
                }
                assertThat(cmdline).as("process %s", p).doesNotContain(dir.toString() + "/")
                        .doesNotContain("-Dferry.lab.dir=" + dir);
            }
        }
    }

    @Test
    void theWholeLabPassesEveryCheckWritesThreeCleanCapturesAndLeavesNothingBehind() throws Exception {
        Path dir = tmp.resolve("full");
        Run r = run(150, "lab", "--dir", dir.toString());
        assertThat(r.out()).doesNotContain("✗");
        assertThat(r.exit()).isZero();
        for (String item : List.of("1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "3.1", "3.2", "3.3", "3.4",
                "4.1", "4.2", "4.3"))
            assertThat(r.out()).contains("✓ " + item + " ");
        // item 4: the counters through the CLI, the pings counted exactly
        assertThat(r.out()).contains("✓ 4.1 ferry lab-plat (the plat's NAT64) accounts for every packet: read ")
                .contains("ferry -i lab-plat stats display --csv").contains("ferry -i lab-island stats display --csv");
        assertThat(r.out().split("— exactly the 3 \\+ 3 of the ping, nothing else ✓", -1)).hasSize(5);
        // 2.4: the island's ferry itself refused port 23 (nat64-allow), with a TCP RST
        assertThat(r.out()).contains("2.4 refused by ferry itself: drop_nat64_port_filtered 1 ≥ 1 ✓, answered with a TCP"
                + " RST: nat64_tcp_reset_sent 1");
        assertThat(r.out()).contains("-> 64:ff9b::c000:201")
                .contains("192.0.2.1 is bits 96-127 (0xc0000201) of 64:ff9b::c000:201 under 64:ff9b::/96")
                .contains("198.51.100.109 is bits 96-127 (0xc633646d) of 2001:db8:8011:fda4:4444:0:c633:646d");
        List<Path> pcaps = List.of(dir.resolve("1-ipv4-only-network.pcap"), dir.resolve("2-ipv6-only-network.pcap"),
                dir.resolve("3-ipv4-access-from-the-ipv6-only-network.pcap"));
        if (Tshark.available()) {
            for (Path pcap : pcaps) {
                List<String> all = Tshark.run("-n", "-r", pcap.toString(), "-T", "fields", "-e", "frame.number");
                assertThat(all).as(pcap.toString()).hasSize(12);
                assertThat(Tshark.run("-n", "-r", pcap.toString(), "-Y", "_ws.malformed || _ws.expert.severity >= 8388608"))
                        .as(pcap + ": malformed or error-level packets").isEmpty();
                // first the six that entered (requests in the client's family, replies in the other), then the
                // six that left (the same packets translated)
                boolean clientIpv6 = !pcap.getFileName().toString().startsWith("1-");
                List<String> in = clientIpv6 ? List.of("\t128", "0\t") : List.of("8\t", "\t129");
                List<String> out = clientIpv6 ? List.of("8\t", "\t129") : List.of("\t128", "0\t");
                List<String> types = Tshark.run("-n", "-r", pcap.toString(), "-T", "fields", "-e", "icmp.type",
                        "-e", "icmpv6.type");
                assertThat(types.subList(0, 6)).as(pcap + " entered").allMatch(in::contains);
                assertThat(types.subList(6, 12)).as(pcap + " left").allMatch(out::contains);
            }
        } else {
            for (Path pcap : pcaps) assertThat(pcap).isNotEmptyFile();
        }
        noLabNamespaceOrProcessLeft(dir);
    }

    @Test
    void aFailedCheckIsReportedWithAnXAndTheLabIsStillRemoved() throws Exception {
        Path dir = tmp.resolve("fail");
        // hidden test hook: check 2.4 tries port 80, which is open, so "refused" must fail
        Run r = run(150, "lab", "--dir", dir.toString(), "--fail", "2.4");
        assertThat(r.exit()).isEqualTo(1);
        // and item 4 notices that the island's ferry refused nothing
        assertThat(r.out()).contains("✗ 2.4 TCP 80 (not 22 or 80; the device listens on 23 too) is refused")
                .contains("✗ 4.2 ferry lab-island").contains("2.4 refused by ferry itself: drop_nat64_port_filtered 0 ≥ 1 ✗")
                .contains("2 check(s) failed");
        noLabNamespaceOrProcessLeft(dir);
    }

    @Test
    void aLabStoppedBySigtermHalfwayCleansUpAsOnCtrlC() throws Exception {
        Path dir = tmp.resolve("interrupted");
        Path log = tmp.resolve("interrupted.out");
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "ferry.app.Main",
                "lab", "--dir", dir.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!Files.readString(log).contains("ferry lab check:") && p.isAlive() && System.nanoTime() < deadline)
            Thread.sleep(100);
        p.destroy(); // SIGTERM: the JVM runs its shutdown hooks as on SIGINT (Ctrl-C)
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = Files.readString(log);
        System.out.println(out);
        assertThat(out).contains("ferry lab check:").contains("ferry lab: interrupted: cleaning up");
        noLabNamespaceOrProcessLeft(dir);
    }

    @Test
    void aKilledIslandRouterFailsTheChecksThroughItButNotThePlatsAndDownRemovesEverything() throws Exception {
        Path dir = tmp.resolve("killed");
        try {
            Run up = run(120, "lab", "--dir", dir.toString(), "up");
            assertThat(up.exit()).as(up.out()).isZero();
            assertThat(run(20, "lab", "--dir", dir.toString(), "status").exit()).isZero();
            // the island's one ferry (CLAT, NAT64 and DNS in one process) dies; the plat's goes on
            long pid = Long.parseLong(Files.readString(dir.resolve("island.pid")).trim());
            ProcessHandle island = ProcessHandle.of(pid).orElseThrow();
            island.destroyForcibly();
            island.onExit().get(10, TimeUnit.SECONDS);
            Run check = run(120, "lab", "--dir", dir.toString(), "check");
            assertThat(check.exit()).isEqualTo(1);
            assertThat(check.out()).contains("✓ 1.2 ").contains("✗ 2.1 v6host pings the IoT device")
                    .contains("✗ 3.2 iot pings 192.0.2.1").contains("✗ 4.2 ferry lab-island").contains("✗ 4.3 ferry lab-clat");
            assertThat(run(20, "lab", "--dir", dir.toString(), "status").exit()).isEqualTo(3);
        } finally {
            run(60, "lab", "--dir", dir.toString(), "down");
        }
        noLabNamespaceOrProcessLeft(dir);
    }
}
