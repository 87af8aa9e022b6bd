package ferry.app;

import ferry.io.tun.TunDataplane;
import ferry.io.tun.TunStat;
import ferry.metrics.Counters;
import ferry.metrics.MetricsEndpoint;
import ferry.nat64.Nat64Mapper;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * What {@code ferry run --metrics} exports: every counter (summed over the workers of the running configuration), the
 * TUN device's counters, and in nat64 mode the BIB entries and sessions per protocol (read from the tables in use at
 * scrape time, so they follow reconfigurations).
 */
final class Metrics {
    private Metrics() {
    }

    static MetricsEndpoint start(InetSocketAddress address, LiveConfig live, TunDataplane plane)
            throws java.io.IOException {
        MetricsEndpoint.Builder b = MetricsEndpoint.builder()
                .counters(() -> Counters.sum(List.of(live.current().counters())));
        for (TunStat s : TunStat.values()) b.counter(s.id(), s.help(), () -> plane.stats().getOrDefault(s, 0L));
        for (int proto : new int[] {6, 17, 1}) {
            String p = proto == 6 ? "tcp" : proto == 17 ? "udp" : "icmp";
            b.gauge("nat64_bib_entries", "BIB entries (static and dynamic) of the stateful NAT64", "protocol", p,
                    () -> { Nat64Mapper m = live.current().nat64(); return m == null ? 0 : m.bibCount(proto); });
            b.gauge("nat64_sessions", "sessions of the stateful NAT64", "protocol", p,
                    () -> { Nat64Mapper m = live.current().nat64(); return m == null ? 0 : m.sessionCount(proto); });
        }
        nat64Gauges(b, () -> live.current().nat64());
        MetricsEndpoint e = b.start(address);
        Log.event(Log.Level.INFO, "metrics_listening", "url", "http://" + address.getAddress().getHostAddress()
                + ":" + e.port() + "/metrics");
        return e;
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
