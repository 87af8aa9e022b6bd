package ferry.dns64;

import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Answers as rendered bytes, keyed by question (lower-cased name, type, class) and the DO/CD bits, kept for their
 * TTL (positive answers: the smallest record TTL; negative answers: the SOA's negative TTL, RFC 2308 §5) and
 * bounded in count. A hit costs one copy plus a TTL patch: TTLs shrink by the whole seconds the entry has spent in
 * the cache. Synthesized answers are cached like any other.
 */
final class AnswerCache {
    /** Longest time an answer is kept, whatever its TTL (RFC 2308 §5 suggests at most a few days; we keep less). */
    static final long MAX_TTL_SECONDS = 86400;
    /** Answers larger than this are not cached (keeps memory bounded by count x this). */
    static final int MAX_ENTRY_BYTES = 16384;

    /** A cache key: the canonical (lower-case, uncompressed) question name plus type, class and flags. */
    static final class Key {
        final byte[] name;
        final int qtype, qclass, flags;
        final int hash;

        Key(byte[] name, int qtype, int qclass, int flags) {
            this.name = name;
            this.qtype = qtype;
            this.qclass = qclass;
            this.flags = flags;
            this.hash = (Arrays.hashCode(name) * 31 + qtype) * 31 + qclass * 7 + flags;
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.hash == hash && k.qtype == qtype && k.qclass == qclass && k.flags == flags
                    && Arrays.equals(k.name, name);
        }

        /** Key for the question at offset 12 of a raw query whose name is not compressed. */
        static Key ofRaw(byte[] b, int nameEnd, int qtype, int qclass, boolean dnssecOk, boolean cd) {
            byte[] n = new byte[nameEnd - Wire.HEADER];
            for (int i = 0; i < n.length; i++) {
                byte c = b[Wire.HEADER + i];
                n[i] = c >= 'A' && c <= 'Z' ? (byte) (c + 32) : c; // length bytes are < 64, never in 'A'..'Z'
            }
            return new Key(n, qtype, qclass, (dnssecOk ? 1 : 0) | (cd ? 2 : 0));
        }
    }

    /** One answer: rendered with ID 0 and no OPT, TTL field offsets, and when it was stored and expires. */
    record Entry(byte[] wire, int[] ttlOffsets, long storedNanos, long expiresNanos) {}

    private final int capacity;
    private final Dns64Counters counters;
    private final ConcurrentHashMap<Key, Entry> map;
    private final AtomicBoolean evicting = new AtomicBoolean();

    AnswerCache(int capacity, Dns64Counters counters) {
        this.capacity = capacity;
        this.counters = counters;
        this.map = new ConcurrentHashMap<>(Math.max(16, Math.min(capacity, 1 << 20) * 4 / 3));
    }

    Entry get(Key k, long now) {
        if (capacity == 0) return null;
        Entry e = map.get(k);
        if (e == null) return null;
        if (now - e.expiresNanos >= 0) {
            map.remove(k, e);
            return null;
        }
        return e;
    }

    void put(Key k, byte[] wire, int[] ttlOffsets, long ttlSeconds, long now) {
        if (capacity == 0 || ttlSeconds <= 0 || wire.length > MAX_ENTRY_BYTES || ttlOffsets == null) return;
        long ttl = Math.min(ttlSeconds, MAX_TTL_SECONDS);
        map.put(k, new Entry(wire, ttlOffsets, now, now + ttl * 1_000_000_000L));
        if (map.size() > capacity) evict(now);
    }

    int size() {
        return map.size();
    }

    /** Drops expired entries, then arbitrary ones, until the cache is at 90% of its capacity. */
    private void evict(long now) {
        if (!evicting.compareAndSet(false, true)) return;
        try {
            int target = Math.max(0, capacity - Math.max(1, capacity / 10));
            for (Iterator<Map.Entry<Key, Entry>> it = map.entrySet().iterator(); it.hasNext(); ) {
                if (now - it.next().getValue().expiresNanos >= 0) {
                    it.remove();
                    counters.inc(Dns64Counter.CACHE_EVICTED);
                }
            }
            for (Iterator<Key> it = map.keySet().iterator(); it.hasNext() && map.size() > target; ) {
                it.next();
                it.remove();
                counters.inc(Dns64Counter.CACHE_EVICTED);
            }
        } finally {
            evicting.set(false);
        }
    }

    /**
     * A copy of the entry's bytes with TTLs lowered by the whole seconds spent in the cache, plus {@code extra}
     * spare bytes at the end (room for an OPT record).
     */
    static byte[] render(Entry e, long now, int extra) {
        byte[] out = Arrays.copyOf(e.wire, e.wire.length + extra);
        long age = (now - e.storedNanos) / 1_000_000_000L;
        if (age > 0) {
            for (int off : e.ttlOffsets) {
                long ttl = Wire.getInt(out, off) & 0xffffffffL;
                Wire.putInt(out, off, (int) Math.max(0, ttl - age));
            }
        }
        return out;
    }
}
