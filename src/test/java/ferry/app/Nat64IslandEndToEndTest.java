package ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.testkit.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
class Nat64IslandEndToEndTest extends Nat64LineHarness {
    /** The IPv4-only device, as the IPv6 network sees it under the island's prefix. */
    static final String DEVICE_AS_V6 = "2001:db8:8011:fda4:4444::c633:6402";

    @BeforeAll
    void setUp() throws Exception {
        startNat64("Nat64IslandEndToEndTest", "2001:db8:8011:fda4:4444::/96", d -> """
                {
                  "instance": "%s",
                  "ferry": { "nat64-allow": [ { "protocol": "TCP", "ports": "22,80" }, { "protocol": "ICMP" } ],
                             "nat64-log": { "file": "%s" } },
                  "global": { "pool6": "2001:db8:8011:fda4:4444::/96", "logging-bib": true },
                  "pool4": %s,
                  "tun": { "device": "%s", "mtu": 1500, "queues": 2, "vnet-header": false,
                           "routes": [ "2001:db8:8011:fda4:4444::/96", "203.0.113.1/32" ] }
                }
                """.formatted(prefix, d.resolve("mapping.log"), POOL4_JSON, device()), "--force");
    }

    // (NetnsHarness removes the namespaces, the processes started and the folder afterwards, also after a failure)

    @Test
    void theIpv6HostPingsTheIpv4DeviceAtItsEmbeddedAddress() throws Exception {
        Result r = in(nsV6, 30, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", DEVICE_AS_V6);
        assertThat(r.exit()).as(r.out() + "\nferry:\n" + ferryErr).isZero();
        // nat64 workers (read/write I/O) hand what they read to the translator's batch call: counted per call
        awaitCounter("tun_rx_batches", v -> v >= 1);
        assertThat(counter("tun_rx_batches")).as("at most one call per packet read")
                .isLessThanOrEqualTo(counter("tun_rx_packets"));
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
            // the workers' counters are plain per-thread longs that the control thread reads a moment later (and
            // the worker may count after it sent the RST curl already saw): poll the stats, bounded
            awaitCounter("drop_nat64_port_filtered", v -> v > filtered0);
            awaitCounter("nat64_tcp_reset_sent", v -> v >= 1);
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
        Await.until("the ICMP BIB record in " + log, 10,
                () -> read(log).contains("event=nat64_bib_add proto=ICMP ipv6=" + V6_HOST + " "), () -> read(log));
        assertThat(ferryErr.toString()).doesNotContain("event=nat64_bib_add"); // not on stderr any more
        assertThat(read(log)).doesNotContain("c633:6402").doesNotContain(V4_HOST); // RFC 6888 REQ-12: no destination
        // logrotate: rename, then SIGHUP
        Files.move(log, rotated);
        sighupAndAwaitReload();
        long before = read(rotated).lines().count();
        Result second = in(nsV6, 30, "ping", "-6", "-c", "1", "-W", "2", DEVICE_AS_V6); // a new identifier: a new BIB
        assertThat(second.exit()).as(second.out()).isZero();
        Await.until("the new BIB record in a new " + log, 10,
                () -> Files.exists(log) && read(log).contains("event=nat64_bib_add proto=ICMP"), () -> read(log));
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

    /** Reads {@link #counter(String)} again until {@code ok} holds (10 s bound); fails naming the last value. */
    void awaitCounter(String id, java.util.function.Predicate<Long> ok) throws Exception {
        long v = Await.poll(10, () -> counter(id), ok);
        assertThat(ok.test(v)).as("%s is still %d after 10 s", id, v).isTrue();
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
}
