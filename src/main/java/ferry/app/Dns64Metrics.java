package ferry.app;

import ferry.dns64.Dns64Counter;
import ferry.dns64.Dns64Server;
import ferry.metrics.MetricsEndpoint;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;

/**
 * The DNS64 server's Prometheus metrics (issue 7 item 4), registered by one method so that {@code ferry dns64
 * --metrics} and {@code ferry run} (serving the config file's "dns64" section) export the same names:
 * <ul>
 *   <li>{@code ferry_dns64_<id>_total} for every {@link Dns64Counter} (synthesized, cache_hit, upstream_failure,
 *       each bad-input class, ...), read when scraped;</li>
 *   <li>{@code ferry_dns64_queries_total{type="A"|"AAAA"|"PTR"|...|"other"}}: well-formed queries by QTYPE;</li>
 *   <li>{@code ferry_dns64_answers_total{rcode="NOERROR"|"NXDOMAIN"|"SERVFAIL"|...}}: answers sent, by result;</li>
 *   <li>gauges {@code ferry_dns64_cache_entries}, {@code ferry_dns64_cache_bytes} and
 *       {@code ferry_dns64_cache_max_bytes};</li>
 *   <li>{@code ferry_dns64_response_seconds}: histogram of the time from receiving a query to sending its answer,
 *       buckets from 25 µs to 5 s (cache hits land in the lowest ones, upstream round trips in the middle,
 *       timeouts at the top).</li>
 * </ul>
 * The histogram is fed by {@link Dns64Server#setLatencyObserver}: one {@code Histogram.observe} per answer (adders,
 * no lock, no allocation).
 */
public final class Dns64Metrics {
    /** Histogram bucket upper bounds in seconds: 25 µs .. 5 s. */
    static final double[] BUCKETS = {25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3,
            100e-3, 250e-3, 500e-3, 1, 2.5, 5};

    private Dns64Metrics() {
    }

    /**
     * Registers every DNS64 metric of {@code server} in {@code registry} and starts feeding the latency histogram.
     * Call once per registry and server.
     */
    public static void register(PrometheusRegistry registry, Dns64Server server) {
        for (Dns64Counter c : Dns64Counter.values()) {
            CounterWithCallback.builder().name(MetricsEndpoint.metricName("dns64_" + c.id())).help(c.explanation())
                    .callback(cb -> cb.call(server.counters().get(c))).register(registry);
        }
        CounterWithCallback.builder().name(MetricsEndpoint.metricName("dns64_queries"))
                .help("well-formed DNS64 queries received (UDP and TCP), by query type").labelNames("type")
                .callback(cb -> {
                    for (Map.Entry<String, Long> e : server.counters().queriesByType().entrySet()) cb.call(e.getValue(), e.getKey());
                }).register(registry);
        CounterWithCallback.builder().name(MetricsEndpoint.metricName("dns64_answers"))
                .help("DNS64 answers sent (UDP and TCP), by response code (BADVERS: EDNS version not supported)")
                .labelNames("rcode")
                .callback(cb -> {
                    for (Map.Entry<String, Long> e : server.counters().answersByRcode().entrySet()) cb.call(e.getValue(), e.getKey());
                }).register(registry);
        GaugeWithCallback.builder().name(MetricsEndpoint.metricName("dns64_cache_entries"))
                .help("answers in the DNS64 cache").callback(cb -> cb.call(server.cacheEntries())).register(registry);
        GaugeWithCallback.builder().name(MetricsEndpoint.metricName("dns64_cache_bytes"))
                .help("bytes the DNS64 cache's answers cost (answer and name bytes plus a per-entry overhead)")
                .callback(cb -> cb.call(server.cacheBytes())).register(registry);
        GaugeWithCallback.builder().name(MetricsEndpoint.metricName("dns64_cache_max_bytes"))
                .help("the DNS64 cache's size limit (cache-size)")
                .callback(cb -> cb.call(server.settings().cacheSize())).register(registry);
        Histogram latency = Histogram.builder().name(MetricsEndpoint.PREFIX + "dns64_response_seconds").unit(Unit.SECONDS)
                .help("time from receiving a DNS64 query to sending its answer")
                .classicOnly().classicUpperBounds(BUCKETS).withoutExemplars().register(registry);
        server.setLatencyObserver(nanos -> latency.observe(nanos * 1e-9));
    }

    /** A running {@code /metrics} endpoint of its own (for {@code ferry dns64 --metrics}). */
    public static final class Endpoint implements AutoCloseable {
        private final HTTPServer http;

        private Endpoint(HTTPServer http) {
            this.http = http;
        }

        /** The port bound (useful with port 0). */
        public int port() {
            return http.getPort();
        }

        @Override
        public void close() {
            http.close();
        }
    }

    /** Serves {@code server}'s metrics on {@code http://address/metrics}; {@code address} must be loopback. */
    public static Endpoint serve(InetSocketAddress address, Dns64Server server) throws IOException {
        if (!address.getAddress().isLoopbackAddress())
            throw new IllegalArgumentException("metrics: only loopback addresses may serve metrics, got " + address);
        PrometheusRegistry registry = new PrometheusRegistry();
        register(registry, server);
        return new Endpoint(HTTPServer.builder().inetAddress(address.getAddress()).port(address.getPort())
                .registry(registry).buildAndStart());
    }
}
