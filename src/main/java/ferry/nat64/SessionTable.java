package ferry.nat64;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The BIB and session table of one protocol (RFC 6146 §3.1, §3.2), in primitive arrays allocated once, so creating,
 * finding, refreshing and expiring entries allocates nothing.
 *
 * <p><b>Layout.</b> A BIB entry (IPv6 address, port) ↔ pool4 slot, and its sessions (remote IPv4 address, remote
 * port, TCP state, expiry time), are rows of 4 longs each in two arrays (a row is one or two cache lines; the
 * field accessors at the end show the packing). Three indexes: the IPv6 side is a chained hash table over (IPv6
 * address, port); the IPv4 side is the pool4 slot's owner word (one lock-free read); a BIB's sessions
 * are a singly linked list from the BIB row.
 *
 * <p><b>Concurrency.</b> The table is split into {@link #STRIPES} stripes, each with its own lock. A BIB entry and
 * all its sessions belong to the stripe of the hash bucket of its IPv6 side, so every operation on one flow takes
 * exactly one stripe lock, whichever queue its packets arrive on; there is no global lock. The IPv4 side finds the
 * BIB id through the slot word (a volatile read), then locks that BIB's stripe and re-checks that the row still
 * owns the slot. Free rows are kept per stripe; new rows come from a shared atomic bump counter.
 *
 * <p><b>Expiry.</b> Every session sits in one of its stripe's timer lists (one per timeout value). A list holds the
 * sessions in the order of their last refresh, and since all of a list's sessions have the same timeout, in the
 * order of their expiry: refreshing moves a session to the tail (O(1)), expiring pops from the head while the head
 * has expired (O(1) per expired session), so the cost stays flat as the table grows.
 */
final class SessionTable {
    static final int STRIPES = 64;
    static final int NIL = -1;

    final int proto;
    final Pool4.ProtoPool pool;
    private final ReentrantLock[] locks = new ReentrantLock[STRIPES];

    // ---- BIB rows: 4 longs each (one cache line holds two rows)
    //      [0] IPv6 high  [1] IPv6 low  [2] port6 (bits 0-15) | static (bit 16) | pool4 slot (bits 32-63, -1: free)
    //      [3] next in the IPv6 hash chain or the free list (bits 0-31) | head of the session list (bits 32-63)
    final int bibCap;
    private final long[] bib;
    private final int[] heads6; // bucket -> first BIB id, NIL
    private final int mask6;
    private final AtomicInteger bibTop = new AtomicInteger();
    private final int[] bibFree = new int[STRIPES];

    // ---- session rows: 4 longs each
    //      [0] remote IPv4 (bits 0-31) | remote port (32-47) | TCP state (48-55) | timer class (56-63)
    //      [1] expiry time  [2] timer list prev (bits 0-31) | next (32-63)
    //      [3] next session of the same BIB, or in the free list (bits 0-31) | owning BIB (32-63, -1: free)
    final int sessCap;
    private final long[] ses;
    private final AtomicInteger sessTop = new AtomicInteger();
    private final int[] sessFree = new int[STRIPES];

    // ---- timer lists: [stripe * classes + class]
    private final long[] timeouts;
    private final int classes;
    private final int[] listHead, listTail;

    /** RFC 6888 REQ-12 records, or null when logging is off. */
    Nat64Log log;

    /** Per-subscriber counts (RFC 6888), or null when no limit is configured. */
    final SubscriberLimits limits;
    /** {@link #newSession} result when the subscriber is at its session limit. */
    static final int OVER_LIMIT = -2;

    final AtomicInteger liveSessions = new AtomicInteger();
    final AtomicInteger liveBibs = new AtomicInteger();

    /**
     * @param proto    protocol number (for messages)
     * @param pool     this protocol's pool4 slots
     * @param sessCap  most sessions at once
     * @param bibCap   most BIB entries at once (static ones included)
     * @param timeouts the lifetime (ns) of each timer class
     */
    SessionTable(int proto, Pool4.ProtoPool pool, int sessCap, int bibCap, long[] timeouts, SubscriberLimits limits) {
        this.limits = limits != null && limits.active() ? limits : null;
        this.proto = proto;
        this.pool = pool;
        this.sessCap = sessCap;
        this.bibCap = bibCap;
        for (int i = 0; i < STRIPES; i++) locks[i] = new ReentrantLock();
        bib = new long[bibCap * 4];
        for (int b = 0; b < bibCap; b++) bib[b * 4 + 2] = -1L << 32; // slot -1: free
        int h = Integer.highestOneBit(Math.max(STRIPES, bibCap - 1)) << 1;
        heads6 = new int[h];
        mask6 = h - 1;
        java.util.Arrays.fill(heads6, NIL);
        java.util.Arrays.fill(bibFree, NIL);
        ses = new long[sessCap * 4];
        for (int i = 0; i < sessCap; i++) ses[i * 4 + 3] = -1L << 32; // owning BIB -1: free
        java.util.Arrays.fill(sessFree, NIL);
        this.timeouts = timeouts.clone();
        this.classes = timeouts.length;
        listHead = new int[STRIPES * classes];
        listTail = new int[STRIPES * classes];
        java.util.Arrays.fill(listHead, NIL);
        java.util.Arrays.fill(listTail, NIL);
    }

    // ================================================================================================ locking

    static long hash6(long hi, long lo, int port) {
        return Pool4.mix(hi * 0x9e3779b97f4a7c15L ^ Pool4.mix(lo ^ port));
    }

    int bucket(long hi, long lo, int port) {
        return (int) hash6(hi, lo, port) & mask6;
    }

    static int stripeOfBucket(int bucket) {
        return bucket & (STRIPES - 1);
    }

    void lock(int stripe) {
        locks[stripe].lock();
    }

    void unlock(int stripe) {
        locks[stripe].unlock();
    }

    int stripeOfBib(int bib) {
        return stripeOfBucket(bucket(bHi(bib), bLo(bib), bPort6(bib)));
    }

    // ================================================================================================ BIB

    /** The BIB entry of (IPv6 address, port), or NIL. Caller holds the bucket's stripe. */
    int find6(int bucket, long hi, long lo, int port) {
        for (int b = heads6[bucket]; b != NIL; b = bNext(b)) {
            if (bHi(b) == hi && bLo(b) == lo && bPort6(b) == port) return b;
        }
        return NIL;
    }

    /**
     * Locks the stripe of the BIB entry that owns pool4 {@code slot} and returns the entry, or returns NIL with no
     * lock held. Lock-free up to the stripe lock; re-checks ownership under it.
     */
    int lockBibOfSlot(int slot) {
        for (int attempt = 0; attempt < 4; attempt++) {
            int b = Pool4.owner(pool, slot);
            if (b < 0 || b >= bibCap) return NIL;
            int stripe = stripeOfBib(b);
            lock(stripe);
            if (bSlot(b) == slot && Pool4.owner(pool, slot) == b && stripeOfBib(b) == stripe) return b;
            unlock(stripe);
        }
        return NIL;
    }

    /** A free BIB row for {@code stripe} (held), or NIL when the table is full. */
    int allocBib(int stripe) {
        int b = bibFree[stripe];
        if (b != NIL) {
            bibFree[stripe] = bNext(b);
            return b;
        }
        b = bibTop.getAndIncrement();
        if (b < bibCap) return b;
        bibTop.decrementAndGet();
        return steal(stripe, true);
    }

    /** Takes a free row from another stripe's free list (tryLock only: never waits while holding a lock). */
    private int steal(int stripe, boolean bib) {
        for (int i = 1; i < STRIPES; i++) {
            int other = (stripe + i) & (STRIPES - 1);
            int[] free = bib ? bibFree : sessFree;
            if (free[other] == NIL || !locks[other].tryLock()) continue;
            try {
                int r = free[other];
                if (r != NIL) {
                    free[other] = bib ? bNext(r) : sNextInBib(r);
                    return r;
                }
            } finally {
                locks[other].unlock();
            }
        }
        return NIL;
    }

    /** Fills row {@code b} and links it into the IPv6 index. Caller holds the bucket's stripe; slot claimed for b. */
    void linkBib(int b, int bucket, long hi, long lo, int port6, int slot, boolean isStatic, long now) {
        setBHi(b, hi);
        setBLo(b, lo);
        setBPort6(b, (char) port6);
        setBSlot(b, slot);
        setBStatic(b, isStatic);
        setBSessions(b, NIL);
        setBNext(b, heads6[bucket]);
        heads6[bucket] = b;
        liveBibs.incrementAndGet();
        if (log != null) log.record(Nat64Log.BIB_ADD, now, proto, hi, lo, port6, pool.addrOf(slot), pool.portOf(slot));
    }

    /** Returns an unused row (slot never claimed) to the stripe's free list. */
    void freeBibRow(int stripe, int b) {
        setBSlot(b, -1);
        setBNext(b, bibFree[stripe]);
        bibFree[stripe] = b;
    }

    /** Removes a BIB entry without sessions: unlinks it, rests its pool4 port, frees the row. Caller holds its stripe. */
    void deleteBib(int stripe, int b, long now) {
        long nowSec = now / 1_000_000_000L;
        int bucket = bucket(bHi(b), bLo(b), bPort6(b));
        int prev = NIL;
        for (int x = heads6[bucket]; x != NIL; prev = x, x = bNext(x)) {
            if (x == b) {
                if (prev == NIL) heads6[bucket] = bNext(b);
                else setBNext(prev, bNext(b));
                break;
            }
        }
        int slot = bSlot(b);
        if (log != null) log.record(Nat64Log.BIB_DEL, now, proto, bHi(b), bLo(b), bPort6(b),
                pool.addrOf(slot), pool.portOf(slot));
        setBSlot(b, -1);
        Pool4.release(pool, slot, nowSec);
        if (limits != null && !bStatic(b)) limits.release(bHi(b), bLo(b), true);
        setBNext(b, bibFree[stripe]);
        bibFree[stripe] = b;
        liveBibs.decrementAndGet();
    }

    // ---- reconfiguration (Nat64Mapper.reconfigured): callers hold every stripe lock

    /** Moves BIB {@code b} to {@code slot}: the same (address, port) under a new pool4 numbering. */
    void setBibSlot(int b, int slot) {
        setBSlot(b, slot);
    }

    /** Makes dynamic BIB {@code b} static (a static entry was configured for exactly its mapping). */
    void makeStatic(int b) {
        if (bStatic(b)) return;
        setBStatic(b, true);
        if (limits != null) limits.release(bHi(b), bLo(b), true); // static entries count against no subscriber
    }

    /** New lifetimes per timer class (ns); sessions get them when next refreshed. Same number of classes. */
    void setTimeouts(long[] t) {
        if (t.length != classes) throw new IllegalArgumentException("timer classes: " + t.length + " for " + classes);
        System.arraycopy(t, 0, timeouts, 0, classes);
    }

    // ================================================================================================ sessions

    /** The session of BIB {@code b} with the remote (address, port), or NIL. Caller holds the stripe. */
    int findSession(int b, int remote4, int remotePort) {
        for (int s = bSessions(b); s != NIL; s = sNextInBib(s)) {
            if (sRemote4(s) == remote4 && sRemotePort(s) == remotePort) return s;
        }
        return NIL;
    }

    /** True when BIB {@code b} has a session with {@code remote4} (any port): address-dependent filtering. */
    boolean hasSessionWith(int b, int remote4) {
        for (int s = bSessions(b); s != NIL; s = sNextInBib(s)) if (sRemote4(s) == remote4) return true;
        return false;
    }

    /** Creates a session of BIB {@code b}; NIL when the table is full. Caller holds the stripe. */
    int newSession(int stripe, int b, int remote4, int remotePort, int state, int timerClass, long now) {
        if (limits != null && !limits.acquire(bHi(b), bLo(b), false)) return OVER_LIMIT;
        int s = sessFree[stripe];
        if (s != NIL) {
            sessFree[stripe] = sNextInBib(s);
        } else {
            s = sessTop.getAndIncrement();
            if (s >= sessCap) {
                sessTop.decrementAndGet();
                s = steal(stripe, false);
                if (s == NIL) {
                    if (limits != null) limits.release(bHi(b), bLo(b), false);
                    return NIL;
                }
            }
        }
        setSBib(s, b);
        setSRemote4(s, remote4);
        setSRemotePort(s, (char) remotePort);
        setSState(s, (byte) state);
        setSNextInBib(s, bSessions(b));
        setBSessions(b, s);
        setSClass(s, (byte) timerClass);
        setSExpires(s, now + timeouts[timerClass]);
        append(stripe, s, timerClass);
        liveSessions.incrementAndGet();
        if (log != null) log.record(Nat64Log.SESSION_ADD, now, proto, bHi(b), bLo(b), bPort6(b),
                pool.addrOf(bSlot(b)), pool.portOf(bSlot(b)));
        return s;
    }

    /** Sets the session's lifetime to its class's timeout from {@code now} and moves it to that list's tail. */
    void refresh(int stripe, int s, int timerClass, long now) {
        unlinkTimer(stripe, s);
        setSClass(s, (byte) timerClass);
        setSExpires(s, now + timeouts[timerClass]);
        append(stripe, s, timerClass);
    }

    private void append(int stripe, int s, int c) {
        int li = stripe * classes + c;
        int tail = listTail[li];
        setSPrev(s, tail);
        setSNext(s, NIL);
        if (tail == NIL) listHead[li] = s;
        else setSNext(tail, s);
        listTail[li] = s;
    }

    private void unlinkTimer(int stripe, int s) {
        int li = stripe * classes + sClass(s);
        int p = sPrev(s), n = sNext(s);
        if (p == NIL) listHead[li] = n;
        else setSNext(p, n);
        if (n == NIL) listTail[li] = p;
        else setSPrev(n, p);
    }

    /** Deletes a session; its BIB goes too when it was the last session and the entry is dynamic. Caller holds the stripe. */
    void deleteSession(int stripe, int s, long now) {
        unlinkTimer(stripe, s);
        int b = sBib(s);
        if (log != null) log.record(Nat64Log.SESSION_DEL, now, proto, bHi(b), bLo(b), bPort6(b),
                pool.addrOf(bSlot(b)), pool.portOf(bSlot(b)));
        int prev = NIL;
        for (int x = bSessions(b); x != NIL; prev = x, x = sNextInBib(x)) {
            if (x == s) {
                if (prev == NIL) setBSessions(b, sNextInBib(s));
                else setSNextInBib(prev, sNextInBib(s));
                break;
            }
        }
        setSBib(s, -1);
        if (limits != null) limits.release(bHi(b), bLo(b), false);
        setSNextInBib(s, sessFree[stripe]);
        sessFree[stripe] = s;
        liveSessions.decrementAndGet();
        if (bSessions(b) == NIL && !bStatic(b)) deleteBib(stripe, b, now);
    }

    /** What expiry does with a session whose lifetime ran out. */
    interface OnExpiry {
        /** Returns the timer class to move the session to (it stays), or -1 to delete it. */
        int expired(SessionTable t, int s);
    }

    /**
     * Expires every session whose lifetime ended at or before {@code now}: pops list heads, so the cost is
     * O(stripes × classes + expired sessions) whatever the table size. Returns the number of sessions expired.
     */
    int expire(long now, OnExpiry policy) {
        int n = 0;
        for (int stripe = 0; stripe < STRIPES; stripe++) {
            lock(stripe);
            try {
                for (int c = 0; c < classes; c++) {
                    int li = stripe * classes + c;
                    int s;
                    while ((s = listHead[li]) != NIL && sExpires(s) <= now) {
                        n++;
                        int keep = policy.expired(this, s);
                        if (keep >= 0) {
                            unlinkTimer(stripe, s);
                            setSClass(s, (byte) keep);
                            setSExpires(s, now + timeouts[keep]);
                            append(stripe, s, keep);
                        } else {
                            deleteSession(stripe, s, now);
                        }
                    }
                }
            } finally {
                unlock(stripe);
            }
        }
        return n;
    }

    long timeout(int timerClass) {
        return timeouts[timerClass];
    }

    // ================================================================================================ row fields

    long bHi(int b) { return bib[b * 4]; }
    long bLo(int b) { return bib[b * 4 + 1]; }
    int bPort6(int b) { return (int) (bib[b * 4 + 2] & 0xffff); }
    boolean bStatic(int b) { return (bib[b * 4 + 2] & 0x10000) != 0; }
    int bSlot(int b) { return (int) (bib[b * 4 + 2] >> 32); }
    int bNext(int b) { return (int) bib[b * 4 + 3]; }
    int bSessions(int b) { return (int) (bib[b * 4 + 3] >> 32); }
    private void setBHi(int b, long v) { bib[b * 4] = v; }
    private void setBLo(int b, long v) { bib[b * 4 + 1] = v; }
    private void setBPort6(int b, int v) { bib[b * 4 + 2] = (bib[b * 4 + 2] & ~0xffffL) | (v & 0xffff); }
    private void setBStatic(int b, boolean v) { bib[b * 4 + 2] = v ? bib[b * 4 + 2] | 0x10000 : bib[b * 4 + 2] & ~0x10000L; }
    private void setBSlot(int b, int v) { bib[b * 4 + 2] = (bib[b * 4 + 2] & 0xffffffffL) | ((long) v << 32); }
    private void setBNext(int b, int v) { bib[b * 4 + 3] = (bib[b * 4 + 3] & ~0xffffffffL) | (v & 0xffffffffL); }
    private void setBSessions(int b, int v) { bib[b * 4 + 3] = (bib[b * 4 + 3] & 0xffffffffL) | ((long) v << 32); }

    int sRemote4(int s) { return (int) ses[s * 4]; }
    int sRemotePort(int s) { return (int) (ses[s * 4] >>> 32) & 0xffff; }
    int sState(int s) { return (int) (ses[s * 4] >>> 48) & 0xff; }
    int sClass(int s) { return (int) (ses[s * 4] >>> 56) & 0xff; }
    long sExpires(int s) { return ses[s * 4 + 1]; }
    int sPrev(int s) { return (int) ses[s * 4 + 2]; }
    int sNext(int s) { return (int) (ses[s * 4 + 2] >> 32); }
    int sNextInBib(int s) { return (int) ses[s * 4 + 3]; }
    int sBib(int s) { return (int) (ses[s * 4 + 3] >> 32); }
    private void setSRemote4(int s, int v) { ses[s * 4] = (ses[s * 4] & ~0xffffffffL) | (v & 0xffffffffL); }
    private void setSRemotePort(int s, int v) { ses[s * 4] = (ses[s * 4] & ~(0xffffL << 32)) | ((long) (v & 0xffff) << 32); }
    void setSState(int s, int v) { ses[s * 4] = (ses[s * 4] & ~(0xffL << 48)) | ((long) (v & 0xff) << 48); }
    private void setSClass(int s, int v) { ses[s * 4] = (ses[s * 4] & ~(0xffL << 56)) | ((long) (v & 0xff) << 56); }
    private void setSExpires(int s, long v) { ses[s * 4 + 1] = v; }
    private void setSPrev(int s, int v) { ses[s * 4 + 2] = (ses[s * 4 + 2] & ~0xffffffffL) | (v & 0xffffffffL); }
    private void setSNext(int s, int v) { ses[s * 4 + 2] = (ses[s * 4 + 2] & 0xffffffffL) | ((long) v << 32); }
    private void setSNextInBib(int s, int v) { ses[s * 4 + 3] = (ses[s * 4 + 3] & ~0xffffffffL) | (v & 0xffffffffL); }
    private void setSBib(int s, int v) { ses[s * 4 + 3] = (ses[s * 4 + 3] & 0xffffffffL) | ((long) v << 32); }
}
