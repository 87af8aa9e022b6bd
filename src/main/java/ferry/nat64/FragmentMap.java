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
 * <p>Limits of this approach (see the README): a non-first fragment that arrives before its first fragment is
 * dropped, not held; overlapping fragments are passed on for the receiver to discard (RFC 5722, RFC 8200 §4.5).
 */
final class FragmentMap {
    private final int regionSize;
    private final long[] k1, k2, k3, k4, v1, v2, expires;
    private final boolean[] used;
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
        for (int i = 0; i < locks.length; i++) locks[i] = new ReentrantLock();
        timeout = timeoutNanos;
    }

    private static int hash(long a, long b, long c, long d) {
        return (int) Pool4.mix(a * 0x9e3779b97f4a7c15L ^ Pool4.mix(b ^ Pool4.mix(c ^ Pool4.mix(d))));
    }

    /** Remembers (or refreshes) what the first fragment mapped to; false when the region is full. */
    boolean put(long a, long b, long c, long d, long value1, long value2, long now) {
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
            return true;
        } finally {
            locks[region].unlock();
        }
    }

    /**
     * Looks up a live entry and writes what it remembers into {@code t}: 6→4 ({@code to4}) the IPv4 source, 4→6 the
     * IPv6 destination. False when there is none.
     */
    boolean get(long a, long b, long c, long d, long now, Tuple t, boolean to4) {
        int h = hash(a, b, c, d);
        int region = (h >>> 24) & (SessionTable.STRIPES - 1);
        int base = region * regionSize, mask = regionSize - 1;
        locks[region].lock();
        try {
            for (int i = 0; i < regionSize; i++) {
                int s = base + ((h + i) & mask);
                if (!used[s]) return false;
                if (expires[s] > now && k1[s] == a && k2[s] == b && k3[s] == c && k4[s] == d) {
                    if (to4) {
                        t.src4 = (int) v1[s];
                    } else {
                        t.dstHi = v1[s];
                        t.dstLo = v2[s];
                    }
                    return true;
                }
            }
            return false;
        } finally {
            locks[region].unlock();
        }
    }
}
