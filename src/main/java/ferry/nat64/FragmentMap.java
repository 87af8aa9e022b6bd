package ferry.nat64;

import ferry.translate.Tuple;

import java.util.concurrent.locks.ReentrantLock;

/**
 * Fragments through the NAT64 without reassembly ("virtual reassembly"): the first fragment carries the ports, so it
 * is mapped like a whole packet (BIB, session, rewritten ports with the checksum updated in that fragment), and the
 * result — the address on the NAT64's side — is remembered here under (direction, protocol, addresses,
 * Identification) for the fragments that follow, which carry no ports and only need their addresses translated.
 * Entries live {@code timeout} of packet time (at least 2 s); the table has a fixed number of entries in
 * {@link SessionTable#STRIPES} locked regions, so memory is bounded whatever arrives: when a region is full, new
 * fragmented datagrams are refused (counted) and nothing is evicted early.
 *
 * <p>Overlapping fragments (RFC 5722, RFC 8200 §4.5: the datagram "must be abandoned"; RFC 1858 tiny-fragment
 * attacks) are caught on up to two disjoint byte ranges per datagram (fragments in order merge into one): a fragment
 * that overlaps data already sent poisons the datagram, and it and every later fragment are dropped (the earlier
 * ones cannot be recalled; without them the receiver never completes the datagram). A fragment wholly inside data
 * already sent (a duplicate) is dropped alone. A datagram with more than two gaps is no longer checked.
 */
final class FragmentMap {
    private final int regionSize;
    private final long[] k1, k2, k3, k4, v1, v2, expires;
    private final boolean[] used;
    /** Ranges of the datagram's data already sent: [s1, e1) and [s2, e2), -1 when unused; state 1 unchecked, 2 poisoned. */
    private final int[] s1, e1, s2, e2;
    private final byte[] state;
    static final int FOUND = 1, MISSING = 0, OVERLAP = -1, DUPLICATE = -2;
    private final ReentrantLock[] locks = new ReentrantLock[SessionTable.STRIPES];
    private final long timeout;

    FragmentMap(int capacity, long timeoutNanos) {
        int per = Integer.highestOneBit(Math.max(8, capacity / SessionTable.STRIPES - 1)) << 1;
        regionSize = per;
        int n = per * SessionTable.STRIPES;
        k1 = new long[n];
        k2 = new long[n];
        k3 = new long[n];
        k4 = new long[n];
        v1 = new long[n];
        v2 = new long[n];
        expires = new long[n];
        used = new boolean[n];
        s1 = new int[n];
        e1 = new int[n];
        s2 = new int[n];
        e2 = new int[n];
        state = new byte[n];
        for (int i = 0; i < locks.length; i++) locks[i] = new ReentrantLock();
        timeout = timeoutNanos;
    }

    private static int hash(long a, long b, long c, long d) {
        return (int) Pool4.mix(a * 0x9e3779b97f4a7c15L ^ Pool4.mix(b ^ Pool4.mix(c ^ Pool4.mix(d))));
    }

    /** Remembers (or refreshes) what the first fragment mapped to; false when the region is full. */
    boolean put(long a, long b, long c, long d, long value1, long value2, int length, long now) {
        int h = hash(a, b, c, d);
        int region = (h >>> 24) & (SessionTable.STRIPES - 1);
        int base = region * regionSize, mask = regionSize - 1;
        locks[region].lock();
        try {
            int free = -1;
            for (int i = 0; i < regionSize; i++) {
                int s = base + ((h + i) & mask);
                boolean live = used[s] && expires[s] > now;
                if (live && k1[s] == a && k2[s] == b && k3[s] == c && k4[s] == d) {
                    free = s;
                    break;
                }
                if (!live && free < 0) free = s;
                if (!used[s]) break; // end of the probe chain
            }
            if (free < 0) return false;
            used[free] = true;
            k1[free] = a;
            k2[free] = b;
            k3[free] = c;
            k4[free] = d;
            v1[free] = value1;
            v2[free] = value2;
            expires[free] = now + timeout;
            s1[free] = 0; // the first fragment: [0, length)
            e1[free] = length;
            s2[free] = e2[free] = -1;
            state[free] = 0;
            return true;
        } finally {
            locks[region].unlock();
        }
    }

    /** Records [from, to) as sent unless it overlaps what was; the datagram is poisoned on overlap. */
    private int ranges(int s, int from, int to) {
        if (state[s] == 2) return OVERLAP;
        if (state[s] == 1) return FOUND;
        // wholly inside data already sent: a duplicate (RFC 8200 §4.5 lets it be dropped alone); the receiver never
        // sees a rewrite of bytes it has
        if ((from >= s1[s] && to <= e1[s]) || (e2[s] >= 0 && from >= s2[s] && to <= e2[s])) return DUPLICATE;
        if ((e1[s] >= 0 && from < e1[s] && s1[s] < to) || (e2[s] >= 0 && from < e2[s] && s2[s] < to)) {
            state[s] = 2;
            return OVERLAP;
        }
        if (e1[s] == from) e1[s] = to;           // follows range 1
        else if (to == s1[s]) s1[s] = from;      // precedes range 1
        else if (e2[s] >= 0 && e2[s] == from) e2[s] = to;
        else if (e2[s] >= 0 && to == s2[s]) s2[s] = from;
        else if (e2[s] < 0) {
            s2[s] = from;
            e2[s] = to;
        } else {
            state[s] = 1; // a third gap: no longer checked
            return FOUND;
        }
        if (e2[s] >= 0 && (e1[s] == s2[s] || e2[s] == s1[s])) { // the two ranges met
            s1[s] = Math.min(s1[s], s2[s]);
            e1[s] = Math.max(e1[s], e2[s]);
            s2[s] = e2[s] = -1;
        }
        return FOUND;
    }

    /**
     * Looks up a live entry and writes what it remembers into {@code t}: 6→4 ({@code to4}) the IPv4 source, 4→6 the
     * IPv6 destination. Returns {@link #FOUND}, {@link #MISSING}, {@link #OVERLAP} (this fragment overlaps data already
     * sent: the datagram is poisoned) or {@link #DUPLICATE}.
     */
    int get(long a, long b, long c, long d, int offset, int length, long now, Tuple t, boolean to4) {
        int h = hash(a, b, c, d);
        int region = (h >>> 24) & (SessionTable.STRIPES - 1);
        int base = region * regionSize, mask = regionSize - 1;
        locks[region].lock();
        try {
            for (int i = 0; i < regionSize; i++) {
                int s = base + ((h + i) & mask);
                if (!used[s]) return MISSING;
                if (expires[s] > now && k1[s] == a && k2[s] == b && k3[s] == c && k4[s] == d) {
                    int r = ranges(s, offset, offset + length);
                    if (r != FOUND) return r;
                    if (to4) {
                        t.src4 = (int) v1[s];
                    } else {
                        t.dstHi = v1[s];
                        t.dstLo = v2[s];
                    }
                    return FOUND;
                }
            }
            return MISSING;
        } finally {
            locks[region].unlock();
        }
    }
}
