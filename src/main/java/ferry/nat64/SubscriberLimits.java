package ferry.nat64;

import java.util.concurrent.locks.ReentrantLock;

/**
 * RFC 6888 REQ-3/REQ-4 per-subscriber limits: how many sessions and how many dynamic BIB entries (pool4 ports) one
 * subscriber (an IPv6 /128, or /64 by configuration) holds, per protocol table. A subscriber over a limit gets no
 * new session or port; nothing existing is evicted.
 *
 * <p>Counts live in {@link SessionTable#STRIPES} independent open-addressing regions (linear probing with backward-
 * shift deletion inside the region), each with its own lock, picked by the subscriber's hash, so no operation takes
 * a global lock or allocates. The callers hold a table stripe lock when they come here (lock order: table stripe,
 * then subscriber region; never the reverse).
 */
final class SubscriberLimits {
    private final int maxSessions, maxBibs;
    private final long maskHi, maskLo;
    private final int regionSize; // power of two
    private final long[] keyHi, keyLo;
    private final int[] sessions, bibs; // a slot is free when both are 0
    private final boolean[] used;
    private final ReentrantLock[] locks = new ReentrantLock[SessionTable.STRIPES];

    /**
     * @param maxSessions  sessions per subscriber (0: no limit)
     * @param maxBibs      dynamic BIB entries per subscriber (0: no limit)
     * @param prefixLength 128 or 64 (a subscriber is a /128 or a /64)
     * @param capacity     subscribers that can be counted at once (rounded up)
     */
    SubscriberLimits(int maxSessions, int maxBibs, int prefixLength, int capacity) {
        this.maxSessions = maxSessions;
        this.maxBibs = maxBibs;
        this.maskHi = -1L;
        this.maskLo = prefixLength >= 128 ? -1L : 0L;
        int per = Integer.highestOneBit(Math.max(8, (capacity * 2) / SessionTable.STRIPES - 1)) << 1;
        regionSize = per;
        int n = per * SessionTable.STRIPES;
        keyHi = new long[n];
        keyLo = new long[n];
        sessions = new int[n];
        bibs = new int[n];
        used = new boolean[n];
        for (int i = 0; i < locks.length; i++) locks[i] = new ReentrantLock();
    }

    boolean active() {
        return maxSessions > 0 || maxBibs > 0;
    }

    private int hash(long hi, long lo) {
        return (int) Pool4.mix((hi & maskHi) * 0x9e3779b97f4a7c15L ^ (lo & maskLo));
    }

    /** Finds the slot of the subscriber, inserting it if {@code insert}; -1 when absent (or the region is full). */
    private int slot(int region, long hi, long lo, boolean insert, int h) {
        int base = region * regionSize;
        int mask = regionSize - 1;
        for (int i = 0; i < regionSize; i++) {
            int s = base + ((h + i) & mask);
            if (!used[s]) {
                if (!insert) return -1;
                used[s] = true;
                keyHi[s] = hi;
                keyLo[s] = lo;
                sessions[s] = bibs[s] = 0;
                return s;
            }
            if (keyHi[s] == hi && keyLo[s] == lo) return s;
        }
        return -1;
    }

    /** Takes one session (or BIB entry) for the subscriber of (hi, lo); false when over its limit. */
    boolean acquire(long hi, long lo, boolean bib) {
        int limit = bib ? maxBibs : maxSessions;
        if (limit <= 0) return true;
        hi &= maskHi;
        lo &= maskLo;
        int h = hash(hi, lo);
        int region = (h >>> 24) & (SessionTable.STRIPES - 1);
        locks[region].lock();
        try {
            int s = slot(region, hi, lo, true, h);
            if (s < 0) return false; // region full: refuse rather than lose count
            int[] c = bib ? bibs : sessions;
            if (c[s] >= limit) {
                if (sessions[s] == 0 && bibs[s] == 0) remove(region, s);
                return false;
            }
            c[s]++;
            return true;
        } finally {
            locks[region].unlock();
        }
    }

    /** Gives back what {@link #acquire} took. */
    void release(long hi, long lo, boolean bib) {
        int limit = bib ? maxBibs : maxSessions;
        if (limit <= 0) return;
        hi &= maskHi;
        lo &= maskLo;
        int h = hash(hi, lo);
        int region = (h >>> 24) & (SessionTable.STRIPES - 1);
        locks[region].lock();
        try {
            int s = slot(region, hi, lo, false, h);
            if (s < 0) return;
            int[] c = bib ? bibs : sessions;
            if (c[s] > 0) c[s]--;
            if (sessions[s] == 0 && bibs[s] == 0) remove(region, s);
        } finally {
            locks[region].unlock();
        }
    }

    /** Backward-shift deletion inside the region (Knuth 6.4 Algorithm R), so probes stay short and correct. */
    private void remove(int region, int s) {
        int base = region * regionSize;
        int mask = regionSize - 1;
        int hole = s - base;
        int j = hole;
        while (true) {
            j = (j + 1) & mask;
            int js = base + j;
            if (!used[js]) break;
            int home = hash(keyHi[js], keyLo[js]) & mask;
            // move js into the hole unless its home lies cyclically in (hole, j]
            boolean stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
            if (!stays) {
                int hs = base + hole;
                keyHi[hs] = keyHi[js];
                keyLo[hs] = keyLo[js];
                sessions[hs] = sessions[js];
                bibs[hs] = bibs[js];
                hole = j;
            }
        }
        used[base + hole] = false;
    }

    /** Sessions (or BIB entries) the subscriber of (hi, lo) holds now (tests, control plane). */
    int count(long hi, long lo, boolean bib) {
        hi &= maskHi;
        lo &= maskLo;
        int h = hash(hi, lo);
        int region = (h >>> 24) & (SessionTable.STRIPES - 1);
        locks[region].lock();
        try {
            int s = slot(region, hi, lo, false, h);
            return s < 0 ? 0 : (bib ? bibs : sessions)[s];
        } finally {
            locks[region].unlock();
        }
    }
}
