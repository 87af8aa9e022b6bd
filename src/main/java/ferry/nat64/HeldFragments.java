package ferry.nat64;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Fragments that arrive before the first fragment of their datagram (which carries the ports, so only it can be
 * mapped) are kept here until it comes, then handed back to be translated; issue 4 item 6: "collected with bounded
 * memory (per-source and total caps, at least 2 s and a configurable timeout)". A fixed number of preallocated
 * slots of {@link #SLOT} bytes; one source holds at most a quarter of them; a fragment not claimed within the
 * fragment timeout is dropped. Only out-of-order fragments take this path (one small lock); the rest of the packet
 * path only reads {@link #held} when a first fragment is mapped.
 */
final class HeldFragments {
    static final int SLOT = 2048;
    private final int capacity, perSource;
    private final long[] k1, k2, k3, k4, expires;
    private final int[] len;
    private final boolean[] used, ready;
    private final MemorySegment data;
    private final AtomicInteger held = new AtomicInteger(), readyCount = new AtomicInteger();
    /** Fragments discarded by timeout, not yet handed to a counter ({@link #takeTimedOut}). */
    private final AtomicInteger timedOut = new AtomicInteger();
    /** Bytes of the fragments held (gauge). */
    private final java.util.concurrent.atomic.AtomicLong heldBytes = new java.util.concurrent.atomic.AtomicLong();
    private final ReentrantLock lock = new ReentrantLock();
    private final long timeout;

    HeldFragments(int capacity, long timeoutNanos) {
        this.capacity = capacity;
        this.perSource = Math.max(1, capacity / 4);
        this.timeout = timeoutNanos;
        k1 = new long[capacity];
        k2 = new long[capacity];
        k3 = new long[capacity];
        k4 = new long[capacity];
        expires = new long[capacity];
        len = new int[capacity];
        used = new boolean[capacity];
        ready = new boolean[capacity];
        data = MemorySegment.ofArray(new byte[Math.max(1, capacity) * SLOT]);
    }

    /** Keeps a copy of the fragment; false when it is too long, the source is at its cap, or every slot is taken. */
    boolean hold(MemorySegment packet, long off, int length, long a, long b, long c, long d, long now) {
        if (length > SLOT || capacity == 0) return false;
        lock.lock();
        try {
            int free = -1, fromSource = 0;
            for (int i = 0; i < capacity; i++) {
                if (used[i] && !ready[i] && expires[i] <= now) timeOut(i); // timed out: dropped
                if (!used[i]) {
                    if (free < 0) free = i;
                } else if (k1[i] == a && k2[i] == b) {
                    fromSource++;
                }
            }
            if (free < 0 || fromSource >= perSource) return false;
            MemorySegment.copy(packet, off, data, (long) free * SLOT, length);
            used[free] = true;
            ready[free] = false;
            len[free] = length;
            k1[free] = a;
            k2[free] = b;
            k3[free] = c;
            k4[free] = d;
            expires[free] = now + timeout;
            held.incrementAndGet();
            heldBytes.addAndGet(length);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** A fragment that waited longer than fragment-timeout for its first fragment: freed and counted. */
    private void timeOut(int i) {
        free(i);
        timedOut.incrementAndGet();
    }

    /**
     * Frees every fragment that has waited longer than fragment-timeout (called by the timers, so memory is given
     * back without further traffic); returns how many. No ICMP: RFC 8200 §4.5 and RFC 1122 §3.3.2 send Time
     * Exceeded (code 1) only when the first fragment was received, and a fragment held here is one whose first
     * fragment never came (a datagram whose first fragment came was forwarded, and its receiver reassembles it).
     */
    int expire(long now) {
        if (held.get() == 0) return 0;
        int n = 0;
        lock.lock();
        try {
            for (int i = 0; i < capacity; i++) {
                if (used[i] && !ready[i] && expires[i] <= now) {
                    timeOut(i);
                    n++;
                }
            }
        } finally {
            lock.unlock();
        }
        return n;
    }

    /** Fragments discarded by timeout since the last call (for the counters). */
    int takeTimedOut() {
        return timedOut.get() == 0 ? 0 : timedOut.getAndSet(0);
    }

    private void free(int i) {
        used[i] = false;
        heldBytes.addAndGet(-len[i]);
        if (ready[i]) readyCount.decrementAndGet();
        ready[i] = false;
        held.decrementAndGet();
    }

    /** The first fragment of datagram (a, b, c, d) was mapped: its held fragments may now be translated. */
    void mapped(long a, long b, long c, long d, long now) {
        if (held.get() == 0) return;
        lock.lock();
        try {
            for (int i = 0; i < capacity; i++) {
                if (used[i] && !ready[i] && expires[i] <= now) {
                    timeOut(i); // waited longer than fragment-timeout: dropped
                    continue;
                }
                if (used[i] && !ready[i] && k1[i] == a && k2[i] == b && k3[i] == c && k4[i] == d) {
                    ready[i] = true;
                    readyCount.incrementAndGet();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Copies one fragment whose datagram is now mapped into {@code into} at {@code off}; its length, or 0. */
    int takeReady(MemorySegment into, long off) {
        if (readyCount.get() == 0) return 0;
        lock.lock();
        try {
            for (int i = 0; i < capacity; i++) {
                if (used[i] && ready[i]) {
                    int n = len[i];
                    MemorySegment.copy(data, (long) i * SLOT, into, off, n);
                    free(i);
                    return n;
                }
            }
            return 0;
        } finally {
            lock.unlock();
        }
    }

    long heldBytes() {
        return heldBytes.get();
    }

    int held() {
        return held.get();
    }
}
