package ferry.dns64;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Answers as rendered bytes, keyed by the query's wire question (lower-cased name bytes, type, class) and the DO/CD
 * bits, kept for their TTL (positive answers: the smallest record TTL; negative answers: the SOA's negative TTL, RFC
 * 2308 §5) and bounded in bytes. A hit costs one copy into the caller's buffer plus a TTL patch at pre-computed
 * offsets: TTLs shrink by the whole seconds the entry has spent in the cache. Synthesized answers are cached like any
 * other.
 *
 * <p>The stored bytes are the whole answer without OPT record, ID 0: what depends on the client (ID, RD, CD, its
 * spelling of the name, an OPT when it sent one, TC when the answer does not fit its UDP buffer) is applied to the
 * copy by the server, so EDNS presence and buffer size need not be part of the key. DO and CD are: they change
 * the answer (RFC 6147 §5.5).
 *
 * <p>Size accounting: each entry costs its answer bytes, its name bytes, 4 bytes per TTL offset and
 * {@link #ENTRY_OVERHEAD} for the objects around them (map node, key, entry, array headers; measured with a heap
 * histogram, 64-bit JVM with compressed oops). When the total passes the limit, expired entries go first, then
 * arbitrary ones, down to 90% of the limit.
 */
final class AnswerCache {
    /** Longest time an answer is kept, whatever its TTL (RFC 2308 §5 suggests at most a few days; we keep less). */
    static final long MAX_TTL_SECONDS = 86400;
    /** Answers larger than this are not cached. */
    static final int MAX_ENTRY_BYTES = 16384;
    /** JVM bytes per entry beyond its arrays' contents (see the class comment). */
    static final int ENTRY_OVERHEAD = 176;

    /**
     * A cache key: the canonical (lower-case, uncompressed) question name plus type, class and flags. Stored keys
     * are never changed; a receive thread keeps one mutable probe key ({@link #probe()}) that it re-points at each
     * query, so a lookup allocates nothing.
     */
    static final class Key {
        private byte[] name;
        private int nameLen;
        private int qtype, qclass, flags, hash;

        Key(byte[] name, int qtype, int qclass, int flags) {
            set(name, name.length, qtype, qclass, flags);
        }

        private Key() {
        }

        /** A reusable key for lookups (room for the longest name, 255 bytes). */
        static Key probe() {
            Key k = new Key();
            k.name = new byte[255];
            return k;
        }

        private Key set(byte[] n, int len, int qtype, int qclass, int flags) {
            this.name = n;
            this.nameLen = len;
            this.qtype = qtype;
            this.qclass = qclass;
            this.flags = flags;
            int h = 1;
            for (int i = 0; i < len; i++) h = 31 * h + n[i];
            this.hash = (h * 31 + qtype) * 31 + qclass * 7 + flags;
            return this;
        }

        static int flags(boolean dnssecOk, boolean cd) {
            return (dnssecOk ? 1 : 0) | (cd ? 2 : 0);
        }

        /**
         * Points this probe at the question at offset 12 of a raw query whose name is not compressed (its length
         * checked by {@link Wire#parseQuery}: at most 255 bytes), lower-casing the name.
         */
        Key setRaw(byte[] b, int nameEnd, int qtype, int qclass, boolean dnssecOk, boolean cd) {
            int len = nameEnd - Wire.HEADER;
            byte[] n = name;
            for (int i = 0; i < len; i++) {
                byte c = b[Wire.HEADER + i];
                n[i] = c >= 'A' && c <= 'Z' ? (byte) (c + 32) : c; // length bytes are < 64, never in 'A'..'Z'
            }
            return set(n, len, qtype, qclass, flags(dnssecOk, cd));
        }

        /** Key for the question at offset 12 of a raw query whose name is not compressed (a new, exact key). */
        static Key ofRaw(byte[] b, int nameEnd, int qtype, int qclass, boolean dnssecOk, boolean cd) {
            Key p = probe().setRaw(b, nameEnd, qtype, qclass, dnssecOk, cd);
            return new Key(Arrays.copyOf(p.name, p.nameLen), qtype, qclass, p.flags);
        }

        int nameLength() {
            return nameLen;
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.hash == hash && k.qtype == qtype && k.qclass == qclass && k.flags == flags
                    && Arrays.equals(k.name, 0, k.nameLen, name, 0, nameLen);
        }
    }

    /**
     * One answer: rendered with ID 0 and no OPT, TTL field offsets, when it was stored and expires, its cost, and
     * when a hit should start its prefetch ({@link #prefetchAtNanos()}; the expiry for an entry that is not eligible,
     * so the hit path never sees it due). Immutable but for the one-shot prefetch claim.
     */
    static final class Entry {
        private static final java.util.concurrent.atomic.AtomicIntegerFieldUpdater<Entry> CLAIM =
                java.util.concurrent.atomic.AtomicIntegerFieldUpdater.newUpdater(Entry.class, "prefetchClaimed");
        private final byte[] wire;
        private final int[] ttlOffsets;
        private final long storedNanos, expiresNanos, prefetchAtNanos;
        private final int cost;
        @SuppressWarnings("unused") // through CLAIM
        private volatile int prefetchClaimed;

        Entry(byte[] wire, int[] ttlOffsets, long storedNanos, long expiresNanos, int cost) {
            this(wire, ttlOffsets, storedNanos, expiresNanos, expiresNanos, cost);
        }

        Entry(byte[] wire, int[] ttlOffsets, long storedNanos, long expiresNanos, long prefetchAtNanos, int cost) {
            this.wire = wire;
            this.ttlOffsets = ttlOffsets;
            this.storedNanos = storedNanos;
            this.expiresNanos = expiresNanos;
            this.prefetchAtNanos = prefetchAtNanos;
            this.cost = cost;
        }

        byte[] wire() {
            return wire;
        }

        int[] ttlOffsets() {
            return ttlOffsets;
        }

        long storedNanos() {
            return storedNanos;
        }

        long expiresNanos() {
            return expiresNanos;
        }

        /** From this time on (until expiry) a hit starts this entry's prefetch; equals the expiry when never. */
        long prefetchAtNanos() {
            return prefetchAtNanos;
        }

        int cost() {
            return cost;
        }

        /** True when {@code now} lies in this entry's prefetch window (one compare: the hit path's whole cost). */
        boolean prefetchDue(long now) {
            return now - prefetchAtNanos >= 0;
        }

        /** True for the one caller that may start this entry's prefetch; false for every later one. */
        boolean claimPrefetch() {
            return CLAIM.compareAndSet(this, 0, 1);
        }

        /** Gives the claim back (the refresh could not start): a later hit may start it. */
        void unclaimPrefetch() {
            prefetchClaimed = 0;
        }
    }

    private final long maxBytes;
    private final long prefetchTriggerNanos, prefetchMinTtl;
    private final Dns64Counters counters;
    private final ConcurrentHashMap<Key, Entry> map;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicBoolean evicting = new AtomicBoolean();

    /** A cache of at most {@code maxBytes} bytes (0 = no cache), without prefetch. */
    AnswerCache(long maxBytes, Dns64Counters counters) {
        this(maxBytes, 0, 0, counters);
    }

    /**
     * A cache of at most {@code maxBytes} bytes (0 = no cache) whose entries with an original TTL of at least
     * {@code prefetchMinTtl} seconds become due for prefetch {@code prefetchTrigger} seconds before they expire
     * (trigger 0: never).
     */
    AnswerCache(long maxBytes, int prefetchTrigger, int prefetchMinTtl, Dns64Counters counters) {
        this.maxBytes = maxBytes;
        this.prefetchTriggerNanos = prefetchTrigger * 1_000_000_000L;
        this.prefetchMinTtl = prefetchTrigger == 0 ? Long.MAX_VALUE : prefetchMinTtl;
        this.counters = counters;
        // a typical answer costs ~300-400 bytes: size the table for that, within reason
        this.map = new ConcurrentHashMap<>((int) Math.max(16, Math.min(maxBytes / 384, 1 << 20)));
    }

    /** The entry for {@code k}, or null when there is none or it has expired ({@code now}: {@link System#nanoTime()}). */
    Entry get(Key k, long now) {
        if (maxBytes == 0) return null;
        Entry e = map.get(k);
        if (e == null) return null;
        if (now - e.expiresNanos >= 0) {
            if (map.remove(k, e)) bytes.addAndGet(-e.cost);
            return null;
        }
        return e;
    }

    /**
     * Stores an answer for {@code ttlSeconds} (capped at {@link #MAX_TTL_SECONDS}); {@code k} must not be a probe.
     * Returns false when the answer is not cached (no cache, TTL 0, too large).
     */
    boolean put(Key k, byte[] wire, int[] ttlOffsets, long ttlSeconds, long now) {
        if (maxBytes == 0 || ttlSeconds <= 0 || wire.length > MAX_ENTRY_BYTES || ttlOffsets == null) return false;
        long ttl = Math.min(ttlSeconds, MAX_TTL_SECONDS);
        int cost = wire.length + 4 * ttlOffsets.length + k.nameLength() + ENTRY_OVERHEAD;
        if (cost > maxBytes) { // larger than the whole cache: dropped at once
            counters.inc(Dns64Counter.CACHE_EVICTED);
            return false;
        }
        long expires = now + ttl * 1_000_000_000L;
        // prefetch (BIND's "prefetch 2 9", unbound's "prefetch: yes"): only answers that lived long enough
        long prefetchAt = ttl >= prefetchMinTtl ? expires - prefetchTriggerNanos : expires;
        Entry e = new Entry(wire, ttlOffsets, now, expires, prefetchAt, cost);
        Entry old = map.put(k, e);
        if (bytes.addAndGet(cost - (old == null ? 0 : old.cost)) > maxBytes) evict(now);
        return true;
    }

    /** Answers cached now. */
    int size() {
        return map.size();
    }

    /** Bytes the cached answers cost now (see the class comment). */
    long bytes() {
        return bytes.get();
    }

    /** The limit on {@link #bytes()}. */
    long maxBytes() {
        return maxBytes;
    }

    /** Drops expired entries, then arbitrary ones, until the cache is at 90% of its size. */
    private void evict(long now) {
        if (!evicting.compareAndSet(false, true)) return;
        try {
            long target = maxBytes - maxBytes / 10;
            for (Map.Entry<Key, Entry> me : map.entrySet()) {
                Entry e = me.getValue();
                if (now - e.expiresNanos >= 0 && map.remove(me.getKey(), e)) {
                    bytes.addAndGet(-e.cost);
                    counters.inc(Dns64Counter.CACHE_EVICTED);
                }
            }
            for (Map.Entry<Key, Entry> me : map.entrySet()) {
                if (bytes.get() <= target) break;
                Entry e = me.getValue();
                if (map.remove(me.getKey(), e)) {
                    bytes.addAndGet(-e.cost);
                    counters.inc(Dns64Counter.CACHE_EVICTED);
                }
            }
        } finally {
            evicting.set(false);
        }
    }

    /**
     * Copies the entry's bytes to the start of {@code out} with TTLs lowered by the whole seconds spent in the
     * cache (never below 0); returns the length. {@code out} must hold {@code e.wire().length} bytes.
     */
    static int renderInto(Entry e, long now, byte[] out) {
        byte[] w = e.wire;
        System.arraycopy(w, 0, out, 0, w.length);
        long age = (now - e.storedNanos) / 1_000_000_000L;
        if (age > 0) {
            for (int off : e.ttlOffsets) {
                long ttl = Wire.getInt(out, off) & 0xffffffffL;
                Wire.putInt(out, off, (int) Math.max(0, ttl - age));
            }
        }
        return w.length;
    }
}
