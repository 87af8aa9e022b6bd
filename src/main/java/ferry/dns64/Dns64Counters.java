package ferry.dns64;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** The DNS64 server's counters: shared by every listener and worker thread, lock-free ({@link LongAdder}). */
public final class Dns64Counters {
    private static final Dns64Counter[] ALL = Dns64Counter.values();
    private final LongAdder[] values = new LongAdder[ALL.length];

    public Dns64Counters() {
        for (int i = 0; i < values.length; i++) values[i] = new LongAdder();
    }

    public void inc(Dns64Counter c) {
        values[c.ordinal()].increment();
    }

    public void add(Dns64Counter c, long n) {
        values[c.ordinal()].add(n);
    }

    public long get(Dns64Counter c) {
        return values[c.ordinal()].sum();
    }

    /** Non-zero counters in declaration order. */
    public Map<Dns64Counter, Long> snapshot() {
        Map<Dns64Counter, Long> m = new EnumMap<>(Dns64Counter.class);
        for (Dns64Counter c : ALL) {
            long v = values[c.ordinal()].sum();
            if (v != 0) m.put(c, v);
        }
        return m;
    }

    /** The non-zero counters, one per line: {@code id value  # explanation}. */
    public String format() {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<Dns64Counter, Long> e : snapshot().entrySet())
            sb.append(String.format("%-28s %12d  # %s%n", e.getKey().id(), e.getValue(), e.getKey().explanation()));
        return sb.toString();
    }
}
