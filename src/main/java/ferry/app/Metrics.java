package ferry.app;

import ferry.dns64.Dns64Counter;
import ferry.dns64.Dns64Counters;
import ferry.dns64.Dns64Server;
import ferry.io.tun.TunDataplane;
import ferry.io.tun.TunStat;
import ferry.metrics.Counters;
import ferry.metrics.MetricsEndpoint;
import ferry.nat64.Nat64Mapper;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Supplier;

/**
 * What {@code ferry run}'s metrics endpoint ({@code --metrics} or {@code "ferry": {"metrics"}}) exports, for each
 * instance of the process, labelled {@code instance="NAME"}: every counter (summed over the workers of the running
 * configuration), the TUN device's counters, in nat64 mode the BIB entries and sessions per protocol (read from the
 * tables in use at scrape time, so they follow reconfigurations), and, where the instance serves a {@code "dns64"}
 * section, the DNS64 server's counters as {@code ferry_dns64_<id>_total}, and its queries by type and answers by rcode
 * ({@code ferry_dns64_queries_total{type}}, {@code ferry_dns64_answers_total{rcode}}).
 */
final class Metrics {
    private Metrics() {
    }

    /** One endpoint for every instance. */
    static MetricsEndpoint start(InetSocketAddress address, List<RunInstance> instances) throws java.io.IOException {
        MetricsEndpoint.Builder b = MetricsEndpoint.builder();
        for (RunInstance i : instances) i.metrics(b.instance(i.name()));
        MetricsEndpoint e = b.start(address);
        Log.event(Log.Level.INFO, "metrics_listening", "url", "http://" + address.getAddress().getHostAddress()
                + ":" + e.port() + "/metrics");
        return e;
    }

    /** The series of one translator instance. */
    static void translator(MetricsEndpoint.Builder b, LiveConfig live, Supplier<TunDataplane> plane) {
        b.counters(() -> Counters.sum(List.of(live.current().counters())));
        for (TunStat s : TunStat.values()) {
            b.counter(s.id(), s.help(), () -> {
                TunDataplane p = plane.get();
                return p == null ? 0 : p.stats().getOrDefault(s, 0L);
            });
        }
        for (int proto : new int[] {6, 17, 1}) {
            String p = proto == 6 ? "tcp" : proto == 17 ? "udp" : "icmp";
            b.gauge("nat64_bib_entries", "BIB entries (static and dynamic) of the stateful NAT64", "protocol", p,
                    () -> { Nat64Mapper m = live.current().nat64(); return m == null ? 0 : m.bibCount(proto); });
            b.gauge("nat64_sessions", "sessions of the stateful NAT64", "protocol", p,
                    () -> { Nat64Mapper m = live.current().nat64(); return m == null ? 0 : m.sessionCount(proto); });
        }
        b.counter(ControlOps.ENDED_BY_RECONFIGURATION, ControlOps.ENDED_BY_RECONFIGURATION_HELP,
                () -> { Nat64Mapper m = live.current().nat64(); return m == null ? 0 : m.sessionsEndedByReconfiguration(); });
        nat64Gauges(b, () -> live.current().nat64());
    }

    /**
     * The DNS64 server's counters, its cache's size (entries, bytes, limit) and the latency histogram
     * {@code ferry_dns64_response_seconds} (the names {@code ferry dns64 --metrics} uses, {@link Dns64Metrics}), for
     * the server in use at scrape time (0 while none runs); {@code latency} receives the histogram's recorder, which
     * the instance hands to each server it starts.
     */
    static void dns64(MetricsEndpoint.Builder b, Supplier<Dns64Server> server,
                      java.util.function.Consumer<java.util.function.DoubleConsumer> latency) {
        for (Dns64Counter c : Dns64Counter.values()) {
            b.counter("dns64_" + c.id(), "DNS64: " + c.explanation(), () -> {
                Dns64Server s = server.get();
                return s == null ? 0 : s.counters().get(c);
            });
        }
        // the same names as ferry dns64 --metrics (Dns64Metrics): ferry_dns64_queries_total{type}, ..._answers_total{rcode}
        for (String t : Dns64Counters.typeNames()) {
            b.counter("dns64_queries", "well-formed DNS64 queries received (UDP and TCP), by query type", "type", t,
                    () -> { Dns64Server s = server.get(); return s == null ? 0 : s.counters().queries(t); });
        }
        for (String rc : Dns64Counters.rcodeNames()) {
            b.counter("dns64_answers", "DNS64 answers sent (UDP and TCP), by response code (BADVERS: EDNS version not supported)",
                    "rcode", rc, () -> { Dns64Server s = server.get(); return s == null ? 0 : s.counters().answers(rc); });
        }
        b.gauge("dns64_cache_entries", "answers in the DNS64 cache",
                () -> { Dns64Server s = server.get(); return s == null ? 0 : s.cacheEntries(); });
        b.gauge("dns64_cache_bytes", "bytes the DNS64 cache's answers cost (answer and name bytes plus a per-entry overhead)",
                () -> { Dns64Server s = server.get(); return s == null ? 0 : s.cacheBytes(); });
        b.gauge("dns64_cache_max_bytes", "the DNS64 cache's size limit (cache-size)",
                () -> { Dns64Server s = server.get(); return s == null ? 0 : s.settings().cacheSize(); });
        b.histogram("dns64_response_seconds", "time from receiving a DNS64 query to sending its answer",
                Dns64Metrics.BUCKETS, latency);
    }

    /**
     * nat64 (issue 7 item 4): pool4 use per protocol (pairs bound by BIB entries, static and dynamic, against all
     * (address, port) pairs; ports resting 120 s after release count as free), fragments held for their first
     * fragment (count and bytes), IPv4 SYNs held for a simultaneous open. Read from the tables in use at scrape
     * time; 0 outside nat64 mode.
     */
    static void nat64Gauges(MetricsEndpoint.Builder b, java.util.function.Supplier<Nat64Mapper> mapper) {
        for (int proto : new int[] {6, 17, 1}) {
            String p = proto == 6 ? "tcp" : proto == 17 ? "udp" : "icmp";
            b.gauge("nat64_pool4_ports", "pool4 transport addresses (address, port or ICMP identifier) per protocol",
                    "protocol", p, () -> { Nat64Mapper m = mapper.get(); return m == null ? 0 : m.pool4Size(proto); });
            b.gauge("nat64_pool4_ports_in_use", "pool4 transport addresses bound by a BIB entry (static or dynamic)",
                    "protocol", p, () -> { Nat64Mapper m = mapper.get(); return m == null ? 0 : m.bibCount(proto); });
        }
        String why = "awaiting_first_fragment";
        b.gauge("nat64_fragments_held", "fragments kept until the first fragment of their datagram comes", "reason",
                why, () -> { Nat64Mapper m = mapper.get(); return m == null ? 0 : m.heldFragments(); });
        b.gauge("nat64_fragment_bytes_held", "bytes of the fragments kept until their first fragment comes", "reason",
                why, () -> { Nat64Mapper m = mapper.get(); return m == null ? 0 : m.heldFragmentBytes(); });
        b.gauge("nat64_tcp_syns_held", "unsolicited IPv4 SYNs held up to 6 s (RFC 6146 §3.5.2.2)", "reason",
                "simultaneous_open", () -> { Nat64Mapper m = mapper.get(); return m == null ? 0 : m.heldSyns(); });
    }
}
