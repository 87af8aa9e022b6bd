package ferry.metrics;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.DoubleConsumer;
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

    /**
     * Collects what to export, then {@link #start}s the server. After {@link #instance(String)}, what is added belongs to
     * that instance and every series carries the label {@code instance="NAME"} (one endpoint for the several instances
     * of one {@code ferry run}); without it the series carry no instance label.
     */
    public static final class Builder {
        private String instance;
        private boolean labelled;
        private final List<Sample<Supplier<Map<Counter, Long>>>> counters = new ArrayList<>();
        private final Map<String, String> extraHelp = new LinkedHashMap<>();
        private final Map<String, String> extraLabel = new LinkedHashMap<>();
        private final Map<String, List<Sample<LongSupplier>>> extra = new LinkedHashMap<>();
        private final Map<String, Gauge> gauges = new LinkedHashMap<>();
        private final Map<String, Hist> histograms = new LinkedHashMap<>();

        private record Sample<T>(String instance, String labelValue, T value) {
        }

        private record Gauge(String help, String label, List<Sample<LongSupplier>> samples) {
        }

        private record Hist(String help, double[] buckets, List<Sample<Consumer<DoubleConsumer>>> samples) {
        }

        /** What follows belongs to instance {@code name}: its series are labelled {@code instance="NAME"}. */
        public Builder instance(String name) {
            this.instance = name;
            this.labelled = true;
            return this;
        }

        /** Every {@link Counter}, from the summed per-worker counters (missing = 0). */
        public Builder counters(Supplier<Map<Counter, Long>> sums) {
            counters.removeIf(c -> java.util.Objects.equals(c.instance(), instance));
            counters.add(new Sample<>(instance, null, sums));
            return this;
        }

        /** One more counter, {@code ferry_<id>_total}. */
        public Builder counter(String id, String help, LongSupplier value) {
            return counter(id, help, null, null, value);
        }

        /**
         * One labelled sample of counter {@code ferry_<id>_total} ({@code label="labelValue"} after the instance
         * label); call again with other label values. Every sample of one id has the same label name.
         */
        public Builder counter(String id, String help, String label, String labelValue, LongSupplier value) {
            extraHelp.putIfAbsent(id, help);
            String had = extraLabel.putIfAbsent(id, label == null ? "" : label);
            if (had != null && !had.equals(label == null ? "" : label))
                throw new IllegalArgumentException("counter " + id + ": label " + label + ", but it was " + had);
            extra.computeIfAbsent(id, k -> new ArrayList<>()).add(new Sample<>(instance, labelValue, value));
            return this;
        }

        /** One labelled sample of gauge {@code ferry_<name>}; call again with other label values. */
        public Builder gauge(String name, String help, String label, String labelValue, LongSupplier value) {
            Gauge g = gauges.computeIfAbsent(name, n -> new Gauge(help, label, new ArrayList<>()));
            g.samples().add(new Sample<>(instance, labelValue, value));
            return this;
        }

        /** One sample of gauge {@code ferry_<name>} with no label but the instance's. */
        public Builder gauge(String name, String help, LongSupplier value) {
            return gauge(name, help, null, null, value);
        }

        /**
         * Histogram {@code ferry_<name>} (classic buckets, upper bounds in its unit, e.g. seconds) for this instance:
         * once the endpoint starts, {@code observer} is given the function that records one observation (lock-free, no
         * allocation), to hand to whatever measures.
         */
        public Builder histogram(String name, String help, double[] buckets, Consumer<DoubleConsumer> observer) {
            histograms.computeIfAbsent(name, n -> new Hist(help, buckets.clone(), new ArrayList<>())).samples()
                    .add(new Sample<>(instance, null, observer));
            return this;
        }

        private String[] labels(String... more) {
            List<String> l = new ArrayList<>();
            if (labelled) l.add("instance");
            l.addAll(List.of(more));
            return l.toArray(String[]::new);
        }

        private String[] values(Sample<?> s, String... more) {
            List<String> l = new ArrayList<>();
            if (labelled) l.add(s.instance() == null ? "" : s.instance());
            l.addAll(List.of(more));
            return l.toArray(String[]::new);
        }

        /** Registers everything and starts serving {@code /metrics} on {@code address}. */
        public MetricsEndpoint start(InetSocketAddress address) throws IOException {
            if (counters.isEmpty()) counters.add(new Sample<>(instance, null, Map::of));
            PrometheusRegistry reg = new PrometheusRegistry();
            for (Counter c : Counter.values()) {
                CounterWithCallback.builder().name(metricName(c.id())).help(c.explanation()).labelNames(labels())
                        .callback(cb -> {
                            for (Sample<Supplier<Map<Counter, Long>>> s : counters)
                                cb.call(s.value().get().getOrDefault(c, 0L), values(s));
                        }).register(reg);
            }
            extra.forEach((id, samples) -> {
                String label = extraLabel.get(id);
                boolean none = label == null || label.isEmpty();
                CounterWithCallback.builder().name(metricName(id)).help(extraHelp.get(id))
                        .labelNames(none ? labels() : labels(label)).callback(cb -> {
                            for (Sample<LongSupplier> s : samples)
                                cb.call(s.value().getAsLong(), none ? values(s) : values(s, s.labelValue()));
                        }).register(reg);
            });
            gauges.forEach((name, g) -> GaugeWithCallback.builder().name(metricName(name)).help(g.help())
                    .labelNames(g.label() == null ? labels() : labels(g.label())).callback(cb -> {
                        for (Sample<LongSupplier> s : g.samples())
                            cb.call(s.value().getAsLong(), g.label() == null ? values(s) : values(s, s.labelValue()));
                    }).register(reg));
            histograms.forEach((name, h) -> {
                Histogram hist = Histogram.builder().name(PREFIX + name).help(h.help()).labelNames(labels())
                        .classicOnly().classicUpperBounds(h.buckets()).withoutExemplars().register(reg);
                for (Sample<Consumer<DoubleConsumer>> s : h.samples()) {
                    var point = labelled ? hist.labelValues(values(s)) : hist.labelValues();
                    s.value().accept(point::observe);
                }
            });
            HTTPServer s = HTTPServer.builder().inetAddress(address.getAddress()).port(address.getPort())
                    .registry(reg).buildAndStart();
            return new MetricsEndpoint(s);
        }
    }

    public static Builder builder() {
        return new Builder();
    }
}
