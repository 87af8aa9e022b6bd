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
        b.counter(ControlOps.ENDED_BY_RECONFIGURATION, ControlOps.ENDED_BY_RECONFIGURATION_HELP,
                () -> { Nat64Mapper m = live.current().nat64(); return m == null ? 0 : m.sessionsEndedByReconfiguration(); });
        MetricsEndpoint e = b.start(address);
        Log.event(Log.Level.INFO, "metrics_listening", "url", "http://" + address.getAddress().getHostAddress()
                + ":" + e.port() + "/metrics");
        return e;
    }
}
