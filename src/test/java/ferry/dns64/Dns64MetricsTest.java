package ferry.dns64;

import ferry.app.Dns64Metrics;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;

import java.net.InetSocketAddress;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static ferry.dns64.Dns.msg;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Issue 7 item 4: the DNS64 metrics scraped from a running server (Prometheus text format). */
class Dns64MetricsTest {
    static final String SOA = "AUTH example. 3600 IN SOA ns.example. host.example. 1 3600 600 86400 300";

    static String scrape(int port) throws Exception {
        return ferry.testkit.Prometheus.scrape(port);
    }

    static double value(String body, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)").matcher(body);
        assertThat(m.find()).as("series %s in%n%s", series, body).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void queriesByTypeAnswersByRcodeCacheGaugesFailuresAndTheLatencyHistogramAreExported() throws Exception {
        FakeUpstream up = new FakeUpstream().on("a-only.example", Type.AAAA, msg(0, SOA))
                .on("a-only.example", Type.A, msg(0, "a-only.example. 300 IN A 192.0.2.1"))
                .on("nx.example", Type.A, msg(3, SOA));
        try (Dns64Server s = new Dns64Server(Dns.settings("64:ff9b::/96").withUdpThreads(1).withClientBudget(1500), up, new Dns64Counters());
             Dns64Metrics.Endpoint e = Dns64Metrics.serve(new InetSocketAddress("127.0.0.1", 0), s)) {
            for (int i = 0; i < 3; i++) {
                byte[] q = Dns.query("a-only.example", Type.AAAA, i, null, false, false);
                s.answer(q, q.length, true); // answer() counts and caches; only the listeners send and time answers
            }
            String body0 = scrape(e.port());
            assertThat(value(body0, "ferry_dns64_queries_total{type=\"AAAA\"}")).isEqualTo(3);
            assertThat(value(body0, "ferry_dns64_cache_hit_total")).isEqualTo(2);
            assertThat(value(body0, "ferry_dns64_synthesized_total")).isEqualTo(1);
            assertThat(value(body0, "ferry_dns64_cache_entries")).isEqualTo(1);
            assertThat(value(body0, "ferry_dns64_cache_bytes")).isGreaterThan(AnswerCache.ENTRY_OVERHEAD);
            assertThat(value(body0, "ferry_dns64_cache_max_bytes")).isEqualTo(Dns64Settings.DEFAULT_CACHE_BYTES);
            assertThat(value(body0, "ferry_dns64_upstream_failure_total")).isZero();

            // over UDP: the answers are counted by rcode and timed
            try (java.nio.channels.DatagramChannel ch = java.nio.channels.DatagramChannel.open()) {
                ch.connect(s.addresses().get(0));
                java.nio.ByteBuffer in = java.nio.ByteBuffer.allocate(4096);
                UdpFastPathTest.exchange(ch, java.nio.ByteBuffer.wrap(Dns.query("a-only.example", Type.AAAA, 9, null, false, false)), in);
                UdpFastPathTest.exchange(ch, java.nio.ByteBuffer.wrap(Dns.query("nx.example", Type.A, 10, null, false, false)), in);
                UdpFastPathTest.exchange(ch, java.nio.ByteBuffer.wrap(Dns.query("gone.example", Type.TXT, 11, null, false, false)), in);
            }
            // an answer is counted and timed just after it is sent, so the client may read the last one first: scrape
            // until the third answer is in (bounded)
            String body = scrape(e.port());
            for (long end = System.nanoTime() + 5_000_000_000L;
                 value(body, "ferry_dns64_response_seconds_count") < 3 && System.nanoTime() < end; body = scrape(e.port()))
                Thread.sleep(5);
            assertThat(value(body, "ferry_dns64_answers_total{rcode=\"NOERROR\"}")).isEqualTo(1);
            assertThat(value(body, "ferry_dns64_answers_total{rcode=\"NXDOMAIN\"}")).isEqualTo(1);
            assertThat(value(body, "ferry_dns64_answers_total{rcode=\"SERVFAIL\"}")).isEqualTo(1);
            assertThat(value(body, "ferry_dns64_queries_total{type=\"TXT\"}")).isEqualTo(1);
            // the fake upstream is not UpstreamClient (which counts upstream_failure, see UpstreamClientTest): the
            // SERVFAIL it caused is counted here
            assertThat(value(body, "ferry_dns64_servfail_sent_total")).isEqualTo(1);
            assertThat(body).contains("# HELP ferry_dns64_upstream_failure_total lookups for which every upstream");
            assertThat(value(body, "ferry_dns64_response_seconds_count")).isEqualTo(3);
            assertThat(value(body, "ferry_dns64_response_seconds_bucket{le=\"+Inf\"}")).isEqualTo(3);
            // the SERVFAIL waited ~1.5 s (the client budget) for the silent upstream: above 1 s, within 5 s; the other
            // two took well under 1 s (a 200 ms budget against a 100 ms bucket left a loaded machine too little room)
            assertThat(value(body, "ferry_dns64_response_seconds_bucket{le=\"1.0\"}")).isEqualTo(2);
            assertThat(value(body, "ferry_dns64_response_seconds_bucket{le=\"5.0\"}")).isEqualTo(3);
            assertThat(body).contains("# TYPE ferry_dns64_response_seconds histogram");
        }
    }

    @Test
    void onlyALoopbackAddressMayServeMetrics() {
        assertThatThrownBy(() -> Dns64Metrics.serve(new InetSocketAddress("192.0.2.1", 9464), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("loopback");
    }
}
