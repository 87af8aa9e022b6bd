package ferry.lab;

import ferry.metrics.Counter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Item 4 of the lab's check: the counters each ferry reports through its CLI, taken before and after the pings of
 * items 1-3 and at the end, must account for every packet.
 *
 * <p>What is asserted, and how exactly:
 * <ul>
 *   <li>Every packet read from the TUN device is translated or not translated with a named reason (a {@code drop_*}
 *   counter; those answered with an ICMP error or a TCP RST are among them, counted again as
 *   {@code icmp*_error_sent} / {@code nat64_tcp_reset_sent}) or held (a {@code *_held} counter):
 *   {@code tun_rx_packets = xlat_46_ok + xlat_64_ok + Σ drop_* + Σ *_held}, and every packet written is a translation
 *   or an answer: {@code tun_tx_packets = translated + answers - tun_tx_drop_queue_full - tun_tx_error}. Exact, both
 *   since the instance started and over the check (off-path counters such as a held fragment timing out are left
 *   out of Σ drop_*; nothing is held in the lab).</li>
 *   <li>Each ping of the check (3 echo requests, 3 replies) moved exactly 3 packets one way and 3 the other
 *   through the instance, and nothing else happened to it meanwhile. Exact.</li>
 *   <li>The TCP connections of the check moved at least SYN, ACK (and the request, for HTTP) from client to server
 *   and SYN-ACK plus data back. Only a lower bound: delayed ACKs, FINs and retransmissions vary with timing.</li>
 *   <li>No packet of the check was dropped, except by the reasons an item expects (e.g. a filtered port).</li>
 * </ul>
 * An instance whose CLI shows no TUN counters (tun_rx_packets) gets every check but the read/written identity, and
 * says so.
 */
final class Accounting {
    /** One ferry of the lab: its name (instance, or a label), namespace, role, and whether its clients are IPv4. */
    record Instance(String name, String ns, String role, boolean ipv4Clients) {
        /** The counter of packets from the clients of this check towards the servers. */
        String clientToServer() {
            return ipv4Clients ? "xlat_46_ok" : "xlat_64_ok";
        }

        String serverToClient() {
            return ipv4Clients ? "xlat_64_ok" : "xlat_46_ok";
        }

        String c2s() {
            return ipv4Clients ? "IPv4→IPv6" : "IPv6→IPv4";
        }

        String s2c() {
            return ipv4Clients ? "IPv6→IPv4" : "IPv4→IPv6";
        }
    }

    /** The counters one CLI call printed; {@code error} is null when the call worked. */
    record Snapshot(Map<String, Long> counters, boolean hasTun, String command, String error) {
        long get(String id) {
            return counters.getOrDefault(id, 0L);
        }
    }

    /** Takes a snapshot of an instance (runs its CLI). */
    @FunctionalInterface
    interface Snapshotter {
        Snapshot take(Instance f) throws IOException, InterruptedException;
    }

    /** What item 4 says about one instance. */
    record Outcome(boolean ok, String summary, List<String> details, String command) {
    }

    private record Ping(String item, String before, String after) {
    }

    private record Tcp(String item, boolean http) {
    }

    private record ExpectedDrop(String item, String counter, long atLeast) {
    }

    /** What a drop reason means in the lab, where it is known. */
    static final Map<String, String> LAB_NOTES = Map.of("drop_64_icmp_mld",
            " — here the kernel's own MLD reports, sent into the TUN device as it came up (not packets of the check)",
            "drop_nat64_port_filtered", " — here the SYN of check 2.4 to port 23, which nat64-allow does not list");

    private final Snapshotter snapshotter;
    private final Map<String, Snapshot> snapshots = new LinkedHashMap<>();
    private final Map<Instance, List<String>> labels = new LinkedHashMap<>();
    private final Map<Instance, List<Ping>> pings = new LinkedHashMap<>();
    private final Map<Instance, List<Tcp>> tcps = new LinkedHashMap<>();
    private final Map<Instance, List<ExpectedDrop>> drops = new LinkedHashMap<>();

    Accounting(Snapshotter snapshotter) {
        this.snapshotter = snapshotter;
    }

    /** Takes and keeps the counters of {@code f} under {@code label}. */
    void snapshot(Instance f, String label) throws IOException, InterruptedException {
        put(f, label, snapshotter.take(f));
    }

    void put(Instance f, String label, Snapshot s) {
        snapshots.put(f.name() + "|" + label, s);
        labels.computeIfAbsent(f, k -> new ArrayList<>()).add(label);
    }

    /** Item {@code item} pinged through {@code f} (3 requests, 3 replies) between the two snapshots. */
    void ping(Instance f, String item, String before, String after) {
        pings.computeIfAbsent(f, k -> new ArrayList<>()).add(new Ping(item, before, after));
    }

    /** Item {@code item} made one TCP connection through {@code f} (an HTTP request when {@code http}). */
    void tcp(Instance f, String item, boolean http) {
        tcps.computeIfAbsent(f, k -> new ArrayList<>()).add(new Tcp(item, http));
    }

    /** Item {@code item} makes {@code f} drop at least {@code atLeast} packets with {@code counter}. */
    void expectDrop(Instance f, String item, String counter, long atLeast) {
        drops.computeIfAbsent(f, k -> new ArrayList<>()).add(new ExpectedDrop(item, counter, atLeast));
    }

    static long translated(Snapshot s) {
        return s.get("xlat_46_ok") + s.get("xlat_64_ok");
    }

    /**
     * {@code drop_*} counters that do not count packets as they are read: a held fragment given up later (it was
     * counted as held when read) and a lost mapping-log record (not a packet).
     */
    static final Set<String> NOT_AT_READ = Set.of("drop_nat64_fragment_timeout", "drop_nat64_log_queue_full");

    /** The named reasons a packet read was not translated, with their counts (zero ones left out). */
    static Map<String, Long> dropReasons(Snapshot s) {
        Map<String, Long> m = new TreeMap<>();
        s.counters().forEach((k, v) -> {
            if (v != 0 && (k.startsWith("drop_") && !NOT_AT_READ.contains(k) || k.equals("tun_rx_drop_gso")
                    || k.equals("tun_rx_drop_bad_vnet") || k.equals("tun_handler_exception"))) m.put(k, v);
        });
        return m;
    }

    static long held(Snapshot s) {
        return s.counters().entrySet().stream().filter(e -> e.getKey().endsWith("_held"))
                .mapToLong(Map.Entry::getValue).sum();
    }

    /** Packets not translated but answered: an ICMP error, or (nat64-allow) a TCP RST. */
    static long answered(Snapshot s) {
        return s.get("icmp4_error_sent") + s.get("icmp6_error_sent") + s.get("nat64_tcp_reset_sent");
    }

    static long txFailed(Snapshot s) {
        return s.get("tun_tx_drop_queue_full") + s.get("tun_tx_error");
    }

    /** {@code b - a}, counter by counter. */
    static Snapshot delta(Snapshot a, Snapshot b) {
        Map<String, Long> d = new LinkedHashMap<>();
        Set<String> keys = new LinkedHashSet<>(b.counters().keySet());
        keys.addAll(a.counters().keySet());
        for (String k : keys) {
            long v = b.get(k) - a.get(k);
            if (v != 0) d.put(k, v);
        }
        return new Snapshot(d, a.hasTun() && b.hasTun(), b.command(), null);
    }

    private static String sum(long total, Map<String, Long> reasons) {
        if (reasons.isEmpty()) return Long.toString(total);
        StringBuilder sb = new StringBuilder().append(total).append(" (");
        String sep = "";
        for (Map.Entry<String, Long> e : reasons.entrySet()) {
            sb.append(sep).append(e.getKey()).append(' ').append(e.getValue());
            sep = ", ";
        }
        return sb.append(')').toString();
    }

    /** The identity read = translated + not translated + held, and written = translated + errors; null when it holds. */
    static String identityBroken(Snapshot s) {
        long rx = s.get("tun_rx_packets"), tx = s.get("tun_tx_packets"), t = translated(s);
        long d = dropReasons(s).values().stream().mapToLong(Long::longValue).sum(), h = held(s);
        List<String> broken = new ArrayList<>();
        if (rx != t + d + h) broken.add("read " + rx + " ≠ translated " + t + " + not translated " + d
                + (h == 0 ? "" : " + held " + h));
        if (tx != t + answered(s) - txFailed(s)) broken.add("written " + tx + " ≠ translated " + t + " + answers "
                + answered(s) + (txFailed(s) == 0 ? "" : " - write failures " + txFailed(s)));
        return broken.isEmpty() ? null : String.join("; ", broken);
    }

    /** Evaluates {@code f} from the snapshot {@code start} (its first in the check) to {@code "end"}. */
    Outcome evaluate(Instance f, String start) {
        List<String> taken = labels.getOrDefault(f, List.of());
        Snapshot first = snapshots.get(f.name() + "|" + start), end = snapshots.get(f.name() + "|end");
        String command = (end != null ? end.command() : first != null ? first.command() : "?")
                + "   # " + String.join(", ", taken);
        List<String> details = new ArrayList<>();
        for (String label : taken) {
            Snapshot s = snapshots.get(f.name() + "|" + label);
            if (s.error() != null) {
                details.add("the counters " + label + " could not be read: " + s.error());
                return new Outcome(false, "its counters could not be read (" + label + ")", details, command);
            }
        }
        if (first == null || end == null)
            return new Outcome(false, "no counters taken (" + start + ", end)", details, command);
        boolean ok = true;

        // since the instance started
        Map<String, Long> reasons = dropReasons(end);
        long d = reasons.values().stream().mapToLong(Long::longValue).sum();
        String translated = translated(end) + " (" + f.c2s() + " " + end.get(f.clientToServer())
                + ", " + f.s2c() + " " + end.get(f.serverToClient()) + ")";
        String summary;
        if (end.hasTun()) {
            String broken = identityBroken(end);
            ok &= broken == null;
            summary = "read " + end.get("tun_rx_packets") + " = translated " + translated + " + not translated "
                    + sum(d, reasons) + (held(end) == 0 ? "" : " + held " + held(end)) + "; " + answered(end)
                    + " of them answered (ICMP error or TCP RST); written " + end.get("tun_tx_packets") + " = translated "
                    + translated(end) + " + answers " + answered(end)
                    + (txFailed(end) == 0 ? "" : " - write failures " + txFailed(end))
                    + (broken == null ? "" : "  ✗ " + broken);
        } else {
            summary = "translated " + translated + ", not translated " + sum(d, reasons) + ", answered (ICMP error"
                    + " or TCP RST) " + answered(end) + " (its status shows no TUN read/write counts, so read = translated"
                    + " + not translated is not checked for it)";
        }
        for (String reason : reasons.keySet()) {
            for (Counter c : Counter.values())
                if (c.id().equals(reason)) details.add(reason + ": " + c.explanation() + LAB_NOTES.getOrDefault(reason, ""));
        }

        // the check's window
        Snapshot w = delta(first, end);
        if (w.hasTun()) {
            String broken = identityBroken(w);
            ok &= broken == null;
            details.add("during the check: read " + w.get("tun_rx_packets") + " = translated " + translated(w)
                    + " + not translated " + sum(dropReasons(w).values().stream().mapToLong(Long::longValue).sum(),
                    dropReasons(w)) + (held(w) == 0 ? "" : " + held " + held(w)) + ", written "
                    + w.get("tun_tx_packets") + (broken == null ? " ✓" : "  ✗ " + broken));
        }

        // the pings: exact
        List<Ping> ps = pings.getOrDefault(f, List.of());
        for (Ping p : ps) {
            Snapshot a = snapshots.get(f.name() + "|" + p.before()), b = snapshots.get(f.name() + "|" + p.after());
            Snapshot pd = delta(a, b);
            Map<String, Long> other = new TreeMap<>(dropReasons(pd));
            if (held(pd) != 0) other.put("held", held(pd));
            if (answered(pd) != 0) other.put("answers", answered(pd));
            boolean exact = pd.get(f.clientToServer()) == 3 && pd.get(f.serverToClient()) == 3 && other.isEmpty()
                    && (!pd.hasTun() || pd.get("tun_rx_packets") == 6 && pd.get("tun_tx_packets") == 6);
            ok &= exact;
            details.add("ping " + p.item() + " (" + p.before() + " → " + p.after() + "): " + pd.get(f.clientToServer())
                    + " echo requests " + f.c2s() + " + " + pd.get(f.serverToClient()) + " replies " + f.s2c()
                    + (pd.hasTun() ? ", read " + pd.get("tun_rx_packets") + ", written " + pd.get("tun_tx_packets")
                    : "") + (other.isEmpty() ? "" : ", and " + other)
                    + (exact ? " — exactly the 3 + 3 of the ping, nothing else ✓" : "  ✗ expected exactly 3 + 3"
                    + (pd.hasTun() ? ", read 6, written 6" : "") + " and nothing else"));
        }

        // TCP: a lower bound
        List<Tcp> ts = tcps.getOrDefault(f, List.of());
        if (!ts.isEmpty()) {
            long c2s = w.get(f.clientToServer()) - 3L * ps.size(), s2c = w.get(f.serverToClient()) - 3L * ps.size();
            long minC2s = ts.stream().mapToLong(t -> t.http() ? 3 : 2).sum(), minS2c = 2L * ts.size();
            boolean enough = c2s >= minC2s && s2c >= minS2c;
            ok &= enough;
            details.add("TCP of " + String.join(", ", ts.stream().map(Tcp::item).toList()) + " (" + ts.size()
                    + " connection" + (ts.size() == 1 ? "" : "s") + "): " + c2s + " " + f.c2s() + " ≥ " + minC2s
                    + " (SYN, ACK" + (ts.stream().anyMatch(Tcp::http) ? ", and the GET of each HTTP request" : "")
                    + "), " + s2c + " " + f.s2c() + " ≥ " + minS2c + " (SYN-ACK and data each)"
                    + (enough ? " ✓" : " ✗") + " — a lower bound only: ACKs, FINs and retransmissions vary with timing");
        }

        // drops during the check: only those an item expects
        Map<String, Long> wd = dropReasons(w);
        for (ExpectedDrop e : drops.getOrDefault(f, List.of())) {
            long n = wd.getOrDefault(e.counter(), 0L);
            boolean seen = n >= e.atLeast();
            ok &= seen;
            details.add(e.item() + " refused by ferry itself: " + e.counter() + " " + n + " ≥ " + e.atLeast()
                    + (seen ? " ✓" : " ✗") + (w.get("nat64_tcp_reset_sent") == 0 ? ""
                    : ", answered with a TCP RST: nat64_tcp_reset_sent " + w.get("nat64_tcp_reset_sent")));
            wd.remove(e.counter());
        }
        if (wd.isEmpty()) {
            details.add("no packet of the check was dropped" + (drops.containsKey(f) ? " otherwise" : "") + " ✓");
        } else {
            ok = false;
            details.add("dropped during the check: " + wd + " ✗");
        }
        return new Outcome(ok, summary, details, command);
    }
}
