package ferry.dns64;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** The DNS64 server's counters: shared by every listener and worker thread, lock-free ({@link LongAdder}). */
public final class Dns64Counters {
    private static final Dns64Counter[] ALL = Dns64Counter.values();
    private final LongAdder[] values = new LongAdder[ALL.length];

    /** Query types counted on their own ({@link #queriesByType}); every other type counts as "other". */
    private static final int[] TYPES = {1, 2, 5, 6, 12, 15, 16, 28, 33, 43, 48, 64, 65, 255};
    private static final String[] TYPE_NAMES = {"A", "NS", "CNAME", "SOA", "PTR", "MX", "TXT", "AAAA", "SRV", "DS",
            "DNSKEY", "SVCB", "HTTPS", "ANY", "other"};
    /** Response codes by value (RFC 6895 §2.3); 16 is BADVERS (EDNS extended rcode). */
    private static final String[] RCODE_NAMES = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
            "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI", "RCODE12", "RCODE13", "RCODE14",
            "RCODE15", "BADVERS"};
    private static final byte[] TYPE_INDEX = new byte[256];

    static {
        java.util.Arrays.fill(TYPE_INDEX, (byte) TYPES.length);
        for (int i = 0; i < TYPES.length; i++) TYPE_INDEX[TYPES[i]] = (byte) i;
    }

    private final LongAdder[] byType = new LongAdder[TYPE_NAMES.length];
    private final LongAdder[] byRcode = new LongAdder[RCODE_NAMES.length];

    public Dns64Counters() {
        for (int i = 0; i < values.length; i++) values[i] = new LongAdder();
        for (int i = 0; i < byType.length; i++) byType[i] = new LongAdder();
        for (int i = 0; i < byRcode.length; i++) byRcode[i] = new LongAdder();
    }

    /** The type names of {@link #queriesByType} (A, NS, ..., "other"), in its order. */
    public static java.util.List<String> typeNames() {
        return java.util.List.of(TYPE_NAMES);
    }

    /** The rcode names of {@link #answersByRcode} (NOERROR, ..., BADVERS), in its order. */
    public static java.util.List<String> rcodeNames() {
        return java.util.List.of(RCODE_NAMES);
    }

    /** Well-formed queries received of type {@code name} (one of {@link #typeNames()}; 0 for another name). */
    public long queries(String name) {
        int i = java.util.List.of(TYPE_NAMES).indexOf(name);
        return i < 0 ? 0 : byType[i].sum();
    }

    /** Answers sent with rcode {@code name} (one of {@link #rcodeNames()}; 0 for another name). */
    public long answers(String name) {
        int i = java.util.List.of(RCODE_NAMES).indexOf(name);
        return i < 0 ? 0 : byRcode[i].sum();
    }

    /** Counts one well-formed query by its QTYPE. */
    void query(int qtype) {
        byType[qtype >= 0 && qtype < 256 ? TYPE_INDEX[qtype] : TYPES.length].increment();
    }

    /** Counts one answer sent, by its rcode (0..15 from the header, 16 for BADVERS). */
    void answered(int rcode) {
        byRcode[rcode >= 0 && rcode < byRcode.length ? rcode : byRcode.length - 1].increment();
    }

    /** Well-formed queries received, by type name (A, AAAA, PTR, ..., "other"), in a fixed order. */
    public Map<String, Long> queriesByType() {
        Map<String, Long> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < byType.length; i++) m.put(TYPE_NAMES[i], byType[i].sum());
        return m;
    }

    /** Answers sent, by rcode name (NOERROR, NXDOMAIN, SERVFAIL, ...), in a fixed order. */
    public Map<String, Long> answersByRcode() {
        Map<String, Long> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < byRcode.length; i++) m.put(RCODE_NAMES[i], byRcode[i].sum());
        return m;
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
