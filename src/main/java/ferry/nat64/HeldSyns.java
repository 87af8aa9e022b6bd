package ferry.nat64;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * RFC 6146 §3.5.2.2 (CLOSED state, IPv4 SYN): an IPv4 SYN that finds no binding (or is filtered) may be the IPv4
 * half of a simultaneous open, so it is kept for 6 seconds (TCP_INCOMING_SYN) instead of being refused at once
 * (RFC 5382 REQ-4: no ICMP error about an unsolicited SYN within 6 s). If the IPv6 host opens the same connection in
 * that time, the kept packet is discarded (the connection goes ahead through the IPv6 SYN); otherwise it is handed
 * back for an ICMP Port Unreachable. At most {@code maximum-simultaneous-opens} packets are kept, each in a
 * preallocated 576-byte slot (what an ICMP error can quote), so memory is bounded and nothing is allocated.
 *
 * <p>This path runs only for unsolicited IPv4 SYNs and for IPv6 SYNs while something is held; the established
 * path never reaches it (one volatile read of {@link #held}). One small lock guards the slots.
 */
final class HeldSyns {
    static final int SLOT = 576;
    private final int capacity;
    private final long[] expires;
    private final int[] t4, tPort, y4, yPort, len;
    private final boolean[] used;
    private final MemorySegment data;
    private final AtomicInteger held = new AtomicInteger();
    /** Held SYNs discarded because the IPv6 side opened the connection, not yet counted ({@link #takeSuperseded}). */
    private final AtomicInteger superseded = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();

    HeldSyns(int capacity) {
        this.capacity = capacity;
        expires = new long[capacity];
        t4 = new int[capacity];
        tPort = new int[capacity];
        y4 = new int[capacity];
        yPort = new int[capacity];
        len = new int[capacity];
        used = new boolean[capacity];
        data = MemorySegment.ofArray(new byte[Math.max(1, capacity) * SLOT]);
    }

    /** 1 stored, 0 already held (a retransmission: nothing more to keep), -1 no room. */
    int hold(MemorySegment packet, long off, int length, int dst4, int dstPort, int src4, int srcPort, long expiry) {
        if (capacity == 0) return -1;
        lock.lock();
        try {
            int free = -1;
            for (int i = 0; i < capacity; i++) {
                if (!used[i]) {
                    if (free < 0) free = i;
                } else if (t4[i] == dst4 && tPort[i] == dstPort && y4[i] == src4 && yPort[i] == srcPort) {
                    return 0;
                }
            }
            if (free < 0) return -1;
            int n = Math.min(length, SLOT);
            MemorySegment.copy(packet, off, data, (long) free * SLOT, n);
            used[free] = true;
            len[free] = n;
            expires[free] = expiry;
            t4[free] = dst4;
            tPort[free] = dstPort;
            y4[free] = src4;
            yPort[free] = srcPort;
            held.incrementAndGet();
            return 1;
        } finally {
            lock.unlock();
        }
    }

    /** The IPv6 side opened (T:t ↔ Y:y): a held IPv4 SYN of that connection is discarded. */
    void opened(int addr4, int port4, int remote4, int remotePort) {
        if (held.get() == 0) return;
        lock.lock();
        try {
            for (int i = 0; i < capacity; i++) {
                if (used[i] && t4[i] == addr4 && tPort[i] == port4 && y4[i] == remote4 && yPort[i] == remotePort) {
                    used[i] = false;
                    held.decrementAndGet();
                    superseded.incrementAndGet();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Copies one held packet whose 6 s are over into {@code into} and forgets it; returns its length or 0. */
    int takeExpired(long now, MemorySegment into, long off) {
        if (held.get() == 0) return 0;
        lock.lock();
        try {
            for (int i = 0; i < capacity; i++) {
                if (used[i] && expires[i] <= now) {
                    MemorySegment.copy(data, (long) i * SLOT, into, off, len[i]);
                    used[i] = false;
                    held.decrementAndGet();
                    return len[i];
                }
            }
            return 0;
        } finally {
            lock.unlock();
        }
    }

    /** Held SYNs discarded by a simultaneous open since the last call (for the counters). */
    int takeSuperseded() {
        return superseded.get() == 0 ? 0 : superseded.getAndSet(0);
    }

    int held() {
        return held.get();
    }
}
