package ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.cli.CliEndToEndTest;
import ferry.testkit.Await;
import ferry.testkit.NetnsHarness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * ONE {@code ferry run --config siit.json --config nat64.json --config clat.json --config dns.json} process serving
 * four instances in one router namespace (issue 8: one process per router namespace): a SIIT, a NAT64 whose file also
 * carries a {@code "dns64"} section that the same process serves (issue 5 item 1), a CLAT whose PLAT is that NAT64
 * (464XLAT inside one process), and a DNS64-only instance forwarding to the NAT64's DNS64. As root, in three namespaces {@code ferry-mr-*} built here and always removed:
 *
 * <pre>
 *  ferry-mr-X-v6                  ferry-mr-X-r                                       ferry-mr-X-v4
 *  2001:db8:6::2 ── veth ── 2001:db8:6::1  [mrs0: SIIT] [mrn0: NAT64]  198.51.100.1 ── veth ── 198.51.100.2
 *                           DNS64 127.0.0.1:5353 → lab DNS 127.0.0.1:5300 (example.net, A only)
 *                           DNS64-only 127.0.0.1:5354 → 127.0.0.1:5353
 *  ferry-mr-X-c                           [mrc0: CLAT, dedicated 2001:db8:c1a7::/64, PLAT = the NAT64's pool6]
 *  203.0.113.66 ── veth ── 203.0.113.65 (ip rule: from the island → table 100 → mrc0)
 * </pre>
 *
 * SIIT: pool6 2001:db8:100::/40, EAM 2001:db8:6::/120 = 192.0.2.0/24. NAT64: pool6 2001:db8:64::/96 (a
 * network-specific prefix, so documentation IPv4 addresses may be synthesized and translated), pool4 203.0.113.8/30.
 * Checked: ping through each instance, {@code ferry -i NAME stats display} for each, a synthesized AAAA from the dns64
 * section, SIGHUP with one invalid file (that instance keeps its configuration, the other reloads), SIGTERM → exit 0
 * and both devices removed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class MultiRunEndToEndTest extends NetnsHarness {
    static final String V4_HOST = "198.51.100.2";
    static final String V4_VIA_SIIT = RunEndToEndTest.v6(V4_HOST);  // 2001:db8:1c6:3364:2::
    static final String V4_VIA_NAT64 = "2001:db8:64::c633:6402";
    static final String V6_HOST = "2001:db8:6::2";
    static final String ISLAND_HOST = "203.0.113.66";

    final String tag = HexFormat.of().toHexDigits(new Random().nextInt()).substring(4);
    final String nsV6 = "ferry-mr-" + tag + "-v6";
    final String nsR = "ferry-mr-" + tag + "-r";
    final String nsV4 = "ferry-mr-" + tag + "-v4";
    final String nsC = "ferry-mr-" + tag + "-c";
    final String siit = "mrs" + tag;
    final String nat = "mrn" + tag;
    final String dns = "mrd" + tag;
    final String clat = "mrc" + tag;
    Path dir;
    Path siitFile;
    Path natFile;
    Path dnsFile;
    Path clatFile;
    Child ferry;

    @BeforeAll
    void setUp() throws Exception {
        assumeRootWith("MultiRunEndToEndTest", "dig");
        dir = tempDir("ferry-mr-e2e");
        addNamespaces(nsV6, nsR, nsV4, nsC);
        veth(nsV6, "v6a", nsR, "v6b");
        veth(nsV4, "v4a", nsR, "v4b");
        veth(nsC, "ca", nsR, "cb");
        for (String[] l : new String[][] {{nsV6, "lo"}, {nsV6, "v6a"}, {nsR, "lo"}, {nsR, "v6b"}, {nsR, "v4b"},
                {nsV4, "lo"}, {nsV4, "v4a"}, {nsC, "lo"}, {nsC, "ca"}, {nsR, "cb"}}) {
            in(l[0], "ip", "link", "set", "dev", l[1], "up");
        }
        in(nsV6, "ip", "-6", "addr", "add", V6_HOST + "/64", "dev", "v6a", "nodad");
        in(nsR, "ip", "-6", "addr", "add", "2001:db8:6::1/64", "dev", "v6b", "nodad");
        in(nsV4, "ip", "addr", "add", V4_HOST + "/24", "dev", "v4a");
        in(nsR, "ip", "addr", "add", "198.51.100.1/24", "dev", "v4b");
        // an IPv4-only island behind a CLAT whose PLAT is the NAT64 instance of the same process (464XLAT)
        in(nsC, "ip", "addr", "add", ISLAND_HOST + "/26", "dev", "ca");
        in(nsR, "ip", "addr", "add", "203.0.113.65/26", "dev", "cb");
        in(nsC, "ip", "route", "add", "default", "via", "203.0.113.65");
        in(nsV6, "ip", "-6", "route", "add", "2001:db8:100::/40", "via", "2001:db8:6::1");
        in(nsV6, "ip", "-6", "route", "add", "2001:db8:64::/96", "via", "2001:db8:6::1");
        in(nsV4, "ip", "route", "add", "192.0.2.0/24", "via", "198.51.100.1");
        in(nsV4, "ip", "route", "add", "203.0.113.8/30", "via", "198.51.100.1");
        in(nsR, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward && echo 1 > /proc/sys/net/ipv6/conf/all/forwarding");
        for (String[] n : new String[][] {{nsR, V6_HOST}, {nsR, V4_HOST}}) {
            Result r = in(n[0], 30, "ping", "-n", "-c", "1", "-w", "10", n[1]);
            assertThat(r.exit()).as("topology: %s reaches %s: %s", n[0], n[1], r.out()).isZero();
        }
        siitFile = dir.resolve("siit.json");
        Files.writeString(siitFile, siitJson(1280));
        natFile = dir.resolve("nat64.json");
        Files.writeString(natFile, """
                { "instance": "%s", "ferry": { "mode": "nat64" }, "global": { "pool6": "2001:db8:64::/96" },
                  "pool4": [ { "protocol": "ICMP", "prefix": "203.0.113.8/30" },
                             { "protocol": "UDP", "prefix": "203.0.113.8/30", "port range": "1024-65535" },
                             { "protocol": "TCP", "prefix": "203.0.113.8/30", "port range": "1024-65535" } ],
                  "tun": { "device": "mrn0", "queues": 1, "routes": ["2001:db8:64::/96", "203.0.113.8/30"] },
                  "dns64": { "listen": ["127.0.0.1:5353"], "upstream": ["127.0.0.1:5300"], "timeout-ms": 1000 } }
                """.formatted(nat));
        // a DNS64-only instance (the island's LAN forwarder of the lab), asking the nat64 instance's DNS64
        dnsFile = dir.resolve("dns.json");
        Files.writeString(dnsFile, """
                { "instance": "%s", "dns64": { "listen": ["127.0.0.1:5354"], "upstream": ["127.0.0.1:5353"] } }
                """.formatted(dns));
        clatFile = dir.resolve("clat.json");
        Files.writeString(clatFile, """
                { "instance": "%s", "ferry": { "mode": "clat" },
                  "clat": { "dedicated-prefix": "2001:db8:c1a7::/64", "island": ["203.0.113.64/26"],
                            "plat-prefix": "2001:db8:64::/96", "state-file": "%s" },
                  "tun": { "device": "mrc0", "queues": 1, "routes": ["2001:db8:c1a7::/64"] } }
                """.formatted(clat, dir.resolve("clat-state.json")));
        // the upstream of the dns64 section: the lab's authoritative server (example.net, A records only)
        String java = ProcessHandle.current().info().command().orElse("java");
        spawn(nsR, java, "-Xmx48m", "-cp", System.getProperty("java.class.path"), "ferry.app.Main", "lab",
                "dns-server", "--listen", "127.0.0.1:5300");
        Process p = spawn(nsR, java, "--enable-native-access=ALL-UNNAMED", "-Xmx160m",
                "-cp", System.getProperty("java.class.path"), "ferry.app.Main", "run",
                "--config", siitFile.toString(), "--config", natFile.toString(), "--config", clatFile.toString(),
                "--config", dnsFile.toString(),
                "--metrics", "127.0.0.1:9473");
        ferry = new Child(p);
        ferry.awaitStderr("event=ready instances=4 names=" + siit + "," + nat + "," + clat + "," + dns, 40);
        // the island's traffic goes into the CLAT (policy routing: the router's own IPv4 routes stay as they are)
        in(nsR, "ip", "rule", "add", "from", "203.0.113.64/26", "iif", "cb", "lookup", "100");
        in(nsR, "ip", "route", "add", "default", "dev", "mrc0", "table", "100");
    }

    String siitJson(int lowestIpv6Mtu) {
        return """
                { "instance": "%s", "global": { "pool6": "2001:db8:100::/40", "lowest-ipv6-mtu": %d },
                  "eamt": [ { "ipv6 prefix": "2001:db8:6::/120", "ipv4 prefix": "192.0.2.0/24" } ],
                  "tun": { "device": "mrs0", "queues": 1, "routes": ["2001:db8:100::/40", "192.0.2.0/24"] } }
                """.formatted(siit, lowestIpv6Mtu);
    }

    // (NetnsHarness stops what this test started, by PID, and removes the namespaces and the folder, also after a failure)

    @Test
    @Order(1)
    void oneProcessLogsOneReadyEventPerInstanceAndServesTheDns64SectionBesideTheNat64() {
        String err = ferry.stderr();
        assertThat(err).contains("event=ready instance=" + siit + " mode=siit device=mrs0 created=true")
                .contains("event=ready instance=" + nat + " mode=nat64 device=mrn0 created=true")
                .contains("event=dns64_serving instance=" + nat + " listen=127.0.0.1:5353")
                .contains("event=control_socket_listening instance=" + siit)
                .contains("event=control_socket_listening instance=" + nat)
                .contains("event=ready instance=" + dns + " mode=dns64 dns64=127.0.0.1:5354")
                .doesNotContain("event=control_socket_listening instance=" + dns);
    }

    @Test
    @Order(2)
    void trafficFlowsThroughBothInstancesAndEachInstanceCountsItsOwn() throws Exception {
        Result a = in(nsV6, 30, "ping", "-6", "-n", "-c", "3", "-i", "0.2", "-W", "2", V4_VIA_SIIT);
        assertThat(a.out()).as("through SIIT; ferry:\n" + ferry.stderr()).contains("3 received");
        Result b = in(nsV6, 30, "ping", "-6", "-n", "-c", "2", "-i", "0.2", "-W", "2", V4_VIA_NAT64);
        assertThat(b.out()).as("through NAT64; ferry:\n" + ferry.stderr()).contains("2 received");

        long siit64 = statAtLeast(siit, "xlat_64_ok", 3), nat64 = statAtLeast(nat, "xlat_64_ok", 2);
        assertThat(siit64).as("the SIIT instance's own counters").isGreaterThanOrEqualTo(3).isLessThan(5);
        assertThat(nat64).as("the NAT64 instance's own counters").isGreaterThanOrEqualTo(2).isLessThan(3 + 2);
        assertThat(statAtLeast(nat, "xlat_46_ok", 2)).isGreaterThanOrEqualTo(2);
        CliEndToEndTest.Cli sessions = CliEndToEndTest.ferry("-i", nat, "session", "display", "--icmp", "--csv");
        assertThat(sessions.exit()).isZero();
        assertThat(sessions.out()).contains(V6_HOST);
    }

    @Test
    @Order(3)
    void theClatInstanceCarriesAnIslandThroughTheNat64InstanceOfTheSameProcess() throws Exception {
        Result r = in(nsC, 30, "ping", "-n", "-c", "2", "-i", "0.2", "-W", "2", V4_HOST);
        assertThat(r.out()).as("464XLAT; ferry:\n" + ferry.stderr()).contains("2 received");
        assertThat(statAtLeast(clat, "xlat_46_ok", 2)).as("the CLAT instance's own counters").isGreaterThanOrEqualTo(2);
        assertThat(statAtLeast(clat, "xlat_64_ok", 2)).isGreaterThanOrEqualTo(2);
        assertThat(ferry.stderr()).contains("event=ready instance=" + clat + " mode=clat device=mrc0")
                .contains("plat_prefix=\"2001:db8:64::/96 (configured)\"");
        // the CLAT instance writes its state file from a timer (once a second): wait for it, bounded
        Await.until("clat-state.json written", 10, () -> Files.exists(dir.resolve("clat-state.json")));
        assertThat(dir.resolve("clat-state.json")).as("ferry clat status reads it").exists();
    }

    @Test
    @Order(4)
    void theDns64SectionAnswersWithASynthesizedAaaa() throws Exception {
        Result r = in(nsR, 20, "dig", "+short", "+time=2", "+tries=2", "-p", "5353", "@127.0.0.1",
                "AAAA", "www.example.net");
        assertThat(r.out().trim()).as("ferry:\n" + ferry.stderr()).isEqualTo("2001:db8:64::c000:201");
        // the DNS64-only instance forwards to it: the AAAA comes back as it is, and A queries pass through
        Result viaDnsOnly = in(nsR, 20, "dig", "+short", "+time=2", "+tries=2", "-p", "5354",
                "@127.0.0.1", "AAAA", "www.example.net");
        assertThat(viaDnsOnly.out().trim()).isEqualTo("2001:db8:64::c000:201");
        Result a = in(nsR, 20, "dig", "+short", "+time=2", "+tries=2", "-p", "5354",
                "@127.0.0.1", "A", "www.example.net");
        assertThat(a.out().trim()).isEqualTo("192.0.2.1");
    }

    @Test
    @Order(5)
    void oneMetricsEndpointServesEveryInstanceEachSeriesLabelledWithItsInstance() throws Exception {
        // the DNS64 server observes an answer's latency just after sending it, and the workers count a moment after
        // the packets passed: the previous tests' clients may have seen their answers before either happened, so
        // scrape again until the last of them shows (10 s at most), then assert on that scrape
        Result r = Await.poll(10, this::scrape, x -> x.exit() != 0
                || value(x.out(), "ferry_dns64_response_seconds_count{instance=\"" + dns + "\"}") >= 2
                && value(x.out(), "ferry_xlat_64_ok_total{instance=\"" + siit + "\"}") >= 3
                && value(x.out(), "ferry_xlat_64_ok_total{instance=\"" + nat + "\"}") >= 2);
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(sample(r.out(), "ferry_xlat_64_ok_total{instance=\"" + siit + "\"}")).isGreaterThanOrEqualTo(3);
        assertThat(sample(r.out(), "ferry_xlat_64_ok_total{instance=\"" + nat + "\"}")).isGreaterThanOrEqualTo(2);
        assertThat(sample(r.out(), "ferry_dns64_synthesized_total{instance=\"" + nat + "\"}")).isGreaterThanOrEqualTo(1);
        assertThat(sample(r.out(), "ferry_dns64_queries_udp_total{instance=\"" + dns + "\"}")).isGreaterThanOrEqualTo(2);
        assertThat(r.out()).contains("ferry_nat64_sessions{instance=\"" + nat + "\",protocol=\"icmp\"}");
        // issue 7 item 4: the DNS64 cache size and latency histogram, per instance serving DNS64
        assertThat(sample(r.out(), "ferry_dns64_cache_entries{instance=\"" + nat + "\"}")).isGreaterThanOrEqualTo(1);
        assertThat(sample(r.out(), "ferry_dns64_cache_max_bytes{instance=\"" + dns + "\"}")).isPositive();
        assertThat(sample(r.out(), "ferry_dns64_response_seconds_count{instance=\"" + dns + "\"}"))
                .as("every answer of the DNS64-only instance observed").isGreaterThanOrEqualTo(2);
        assertThat(sample(r.out(), "ferry_dns64_response_seconds_bucket{instance=\"" + dns + "\",le=\"+Inf\"}"))
                .isGreaterThanOrEqualTo(2);
        // issue 5: queries by type and answers by rcode, as ferry dns64 --metrics exports them, per instance
        assertThat(sample(r.out(), "ferry_dns64_queries_total{instance=\"" + dns + "\",type=\"AAAA\"}")).isGreaterThanOrEqualTo(1);
        assertThat(sample(r.out(), "ferry_dns64_queries_total{instance=\"" + dns + "\",type=\"A\"}")).isGreaterThanOrEqualTo(1);
        assertThat(sample(r.out(), "ferry_dns64_queries_total{instance=\"" + nat + "\",type=\"AAAA\"}")).isGreaterThanOrEqualTo(1);
        assertThat(sample(r.out(), "ferry_dns64_answers_total{instance=\"" + dns + "\",rcode=\"NOERROR\"}")).isGreaterThanOrEqualTo(2);
        assertThat(sample(r.out(), "ferry_dns64_answers_total{instance=\"" + nat + "\",rcode=\"NOERROR\"}")).isGreaterThanOrEqualTo(1);
        assertThat(sample(r.out(), "ferry_dns64_answers_total{instance=\"" + dns + "\",rcode=\"SERVFAIL\"}")).isZero();
        assertThat(r.out()).as("no DNS64 series for the instance without a dns64 section")
                .doesNotContain("ferry_dns64_queries_total{instance=\"" + siit + "\"");
    }

    Result scrape() throws Exception {
        return in(nsR, 20, "python3", "-c", "import urllib.request,sys; sys.stdout.write("
                + "urllib.request.urlopen('http://127.0.0.1:9473/metrics', timeout=10).read().decode())");
    }

    /** A series' value, or -1 when the scrape lacks it. */
    static double value(String text, String series) {
        return text.lines().filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(l.split(" ")[1]))
                .findFirst().orElse(-1);
    }

    static double sample(String text, String series) {
        return text.lines().filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(l.split(" ")[1]))
                .findFirst().orElseThrow(() -> new AssertionError(series + " not in the scrape:\n" + text));
    }

    @Test
    @Order(6)
    void sighupReloadsEveryFileAndAnInvalidOneKeepsOnlyItsInstanceRunning() throws Exception {
        Files.writeString(natFile, "{ \"instance\": \"" + nat + "\", \"ferry\": { \"mode\": \"nat64\", \"ipv4-mtu\": 7 } }");
        Files.writeString(siitFile, siitJson(1300));
        ferry.signal("HUP");
        ferry.awaitStderr("event=config_invalid instance=" + nat, 10);
        ferry.awaitStderr("event=config_reloaded instance=" + siit, 10);
        assertThat(ferry.stderr()).contains("ferry.ipv4-mtu").doesNotContain("event=config_reloaded instance=" + nat);
        CliEndToEndTest.Cli g = CliEndToEndTest.ferry("-i", siit, "global", "display", "--csv");
        assertThat(g.out().lines()).as("the SIIT instance took its new file").contains("lowest-ipv6-mtu,1300");
        Result b = in(nsV6, 30, "ping", "-6", "-n", "-c", "1", "-W", "2", V4_VIA_NAT64);
        assertThat(b.out()).as("the NAT64 instance still runs its old configuration").contains("1 received");
        Result a = in(nsV6, 30, "ping", "-6", "-n", "-c", "1", "-W", "2", V4_VIA_SIIT);
        assertThat(a.out()).contains("1 received");
    }

    @Test
    @Order(7)
    void sigtermStopsBothInstancesExitsZeroAndRemovesBothDevices() throws Exception {
        ferry.signal("TERM");
        assertThat(ferry.process.waitFor(20, TimeUnit.SECONDS)).as("exited").isTrue();
        String err = ferry.stderr();
        System.err.print("MultiRunEndToEndTest: ferry's stderr:\n" + err);
        assertThat(ferry.process.exitValue()).as(err).isZero();
        assertThat(err).contains("event=stopped instance=" + siit + " device=mrs0 removed=true")
                .contains("event=stopped instance=" + nat + " device=mrn0 removed=true")
                .contains("event=stopped instance=" + clat + " device=mrc0 removed=true")
                .contains("event=dns64_counters instance=" + nat).contains("event=stopped instance=" + dns)
                .contains("event=exit code=0");
        assertThat(in(nsR, 20, "ip", "link", "show", "mrs0").exit()).as("mrs0 gone").isNotZero();
        assertThat(in(nsR, 20, "ip", "link", "show", "mrn0").exit()).as("mrn0 gone").isNotZero();
        assertThat(in(nsR, 20, "ip", "link", "show", "mrc0").exit()).as("mrc0 gone").isNotZero();
        assertThat(dir.resolve("clat-state.json")).doesNotExist();
        assertThat(Path.of("/run/ferry", siit + ".sock")).doesNotExist();
    }

    /**
     * One counter of {@code ferry -i INSTANCE stats display --csv}, asked again (10 s at most) until it reaches
     * {@code min}: the workers count in plain per-thread longs that the control thread reads a moment later.
     * Returns the last value; the caller asserts on it.
     */
    static long statAtLeast(String instance, String counter, long min) throws Exception {
        return Await.poll(10, () -> stat(instance, counter), v -> v >= min);
    }

    /** One counter of {@code ferry -i INSTANCE stats display --csv}. */
    static long stat(String instance, String counter) {
        CliEndToEndTest.Cli c = CliEndToEndTest.ferry("-i", instance, "stats", "display", "--csv");
        assertThat(c.exit()).as(c.err()).isZero();
        return c.out().lines().filter(l -> l.startsWith(counter + ",")).mapToLong(l -> Long.parseLong(l.split(",")[1]))
                .findFirst().orElse(0);
    }
}
