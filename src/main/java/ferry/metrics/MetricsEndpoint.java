package ferry.metrics;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The optional Prometheus endpoint ({@code /metrics}, text format, Prometheus Java client): every {@link Counter} as
 * {@code ferry_<id>_total} (summed over the workers, read when scraped, so the packet path does no extra work), plus
 * the extra counters and labelled gauges the caller registers. Only a loopback address may be bound.
 */
public final class MetricsEndpoint implements AutoCloseable {
    /** Prefix of every metric name. */
    public static final String PREFIX = "ferry_";

    private final HTTPServer server;

    private MetricsEndpoint(HTTPServer server) {
        this.server = server;
    }

    /**
     * The Prometheus name of an id: {@code ferry_<id>}, or {@code ferry_<id>_events} when the client library reserves
     * the id's suffix (e.g. {@code _info}: {@code drop_nat64_icmpv6_info} becomes
     * {@code ferry_drop_nat64_icmpv6_info_events}). Counters are then exposed with {@code _total}.
     */
    public static String metricName(String id) {
        String n = PREFIX + id;
        return io.prometheus.metrics.model.snapshots.PrometheusNaming.validateMetricName(n) == null ? n : n + "_events";
    }

    /** The port bound (useful with port 0). */
    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.close();
    }

    /**
     * Parses {@code HOST:PORT} (or {@code [V6]:PORT}); the host must be a loopback address.
     *
     * @throws IllegalArgumentException not HOST:PORT, a bad port, or not loopback (the message names the value)
     */
    public static InetSocketAddress loopback(String text) {
        int c = text.lastIndexOf(':');
        if (c <= 0) throw new IllegalArgumentException("metrics: \"" + text + "\" is not HOST:PORT (e.g. 127.0.0.1:9464)");
        String host = text.substring(0, c);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        int port;
        try {
            port = Integer.parseInt(text.substring(c + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535)
            throw new IllegalArgumentException("metrics: \"" + text + "\": port must be 0..65535");
        if (!host.matches("[0-9.]+|[0-9a-fA-F:]+|localhost"))
            throw new IllegalArgumentException("metrics: \"" + text + "\": host must be a loopback address literal");
        InetAddress a;
        try {
            a = InetAddress.getByName(host); // a literal: no DNS lookup
        } catch (IOException e) {
            throw new IllegalArgumentException("metrics: \"" + text + "\": " + e.getMessage());
        }
        if (!a.isLoopbackAddress())
            throw new IllegalArgumentException("metrics: \"" + text + "\": only loopback addresses (127.0.0.0/8, ::1)"
                    + " may serve metrics; put a reverse proxy in front to publish them");
        return new InetSocketAddress(a, port);
    }

    /** Collects what to export, then {@link #start}s the server. */
    public static final class Builder {
        private Supplier<Map<Counter, Long>> counters = Map::of;
        private final Map<String, String[]> extraHelp = new LinkedHashMap<>();
        private final Map<String, LongSupplier> extra = new LinkedHashMap<>();
        private final Map<String, Gauge> gauges = new LinkedHashMap<>();

        private record Gauge(String help, String label, List<String> values, List<LongSupplier> suppliers) {
        }

        /** Every {@link Counter}, from the summed per-worker counters (missing = 0). */
        public Builder counters(Supplier<Map<Counter, Long>> sums) {
            this.counters = sums;
            return this;
        }

        /** One more counter, {@code ferry_<id>_total}. */
        public Builder counter(String id, String help, LongSupplier value) {
            extraHelp.put(id, new String[] {help});
            extra.put(id, value);
            return this;
        }

        /** One labelled sample of gauge {@code ferry_<name>}; call again with other label values. */
        public Builder gauge(String name, String help, String label, String labelValue, LongSupplier value) {
            Gauge g = gauges.computeIfAbsent(name, n -> new Gauge(help, label, new ArrayList<>(), new ArrayList<>()));
            g.values().add(labelValue);
            g.suppliers().add(value);
            return this;
        }

        /** Registers everything and starts serving {@code /metrics} on {@code address}. */
        public MetricsEndpoint start(InetSocketAddress address) throws IOException {
            PrometheusRegistry reg = new PrometheusRegistry();
            for (Counter c : Counter.values()) {
                CounterWithCallback.builder().name(metricName(c.id())).help(c.explanation())
                        .callback(cb -> cb.call(counters.get().getOrDefault(c, 0L))).register(reg);
            }
            extra.forEach((id, s) -> CounterWithCallback.builder().name(metricName(id)).help(extraHelp.get(id)[0])
                    .callback(cb -> cb.call(s.getAsLong())).register(reg));
            gauges.forEach((name, g) -> GaugeWithCallback.builder().name(metricName(name)).help(g.help())
                    .labelNames(g.label()).callback(cb -> {
                        for (int i = 0; i < g.values().size(); i++) cb.call(g.suppliers().get(i).getAsLong(), g.values().get(i));
                    }).register(reg));
            HTTPServer s = HTTPServer.builder().inetAddress(address.getAddress()).port(address.getPort())
                    .registry(reg).buildAndStart();
            return new MetricsEndpoint(s);
        }
    }

    public static Builder builder() {
        return new Builder();
    }
}
