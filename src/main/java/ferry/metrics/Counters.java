package ferry.metrics;

import java.util.EnumMap;
import java.util.Map;

/**
 * One set of counters, owned by one thread (a worker, the offline translator): increments are plain array
 * writes with no lock and no allocation. Readers on other threads may see slightly stale values; use
 * {@link #snapshot()} or {@link #sum(Iterable)} to read.
 */
public final class Counters {
    private static final Counter[] ALL = Counter.values();
    private final long[] values = new long[ALL.length];

    public void inc(Counter c) {
        values[c.ordinal()]++;
    }

    public void add(Counter c, long n) {
        values[c.ordinal()] += n;
    }

    public long get(Counter c) {
        return values[c.ordinal()];
    }

    /** Non-zero counters in declaration order. */
    public Map<Counter, Long> snapshot() {
        Map<Counter, Long> m = new EnumMap<>(Counter.class);
        for (Counter c : ALL) {
            long v = values[c.ordinal()];
            if (v != 0) m.put(c, v);
        }
        return m;
    }

    /** Sum of several per-thread sets, non-zero counters only. */
    public static Map<Counter, Long> sum(Iterable<Counters> sets) {
        Map<Counter, Long> m = new EnumMap<>(Counter.class);
        for (Counters s : sets) {
            for (Counter c : ALL) {
                long v = s.values[c.ordinal()];
                if (v != 0) m.merge(c, v, Long::sum);
            }
        }
        return m;
    }
}
