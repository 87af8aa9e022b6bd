package ferry.nat64;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The BIB and session table of one protocol (RFC 6146 §3.1, §3.2), in primitive arrays allocated once, so creating,
 * finding, refreshing and expiring entries allocates nothing.
 *
 * <p><b>Layout.</b> A BIB entry (IPv6 address, port) ↔ pool4 slot is a row of 8 longs: 4 for the entry, 4 for its
 * <i>home session</i>, which holds the entry's first session (while it lives: a later first session takes it
 * again), so an established flow of an entry with one session, the common case, reads its entry and session in
 * one 64-byte row (one or two neighbouring cache lines, loaded together) instead of two unrelated rows. Its other
 * sessions (remote IPv4 address, remote port, TCP state, expiry time) are rows of 4 longs in a second array; the
 * field accessors at the end show the packing. Every session, home or not, holds one id of the second array, so
 * {@code sessCap} bounds the sessions as before (a home session's id is its credit; that row stays unused). Three
 * indexes: the IPv6 side is an open-addressed hash table over (IPv6 address, port); the IPv4 side is the pool4
 * slot's owner word (one lock-free read); a BIB's sessions are a singly linked list from the BIB row.
 *
 * <p><b>Concurrency.</b> The table is split into {@link #STRIPES} stripes, each with its own lock. A BIB entry and
 * all its sessions belong to the stripe of the hash bucket of its IPv6 side, so every change to one flow takes
 * exactly one stripe lock, whichever queue its packets arrive on; there is no global lock. The IPv4 side finds the
 * BIB id through the slot word (a volatile read), then locks that BIB's stripe and re-checks that the row still
 * owns the slot. Free rows are kept per stripe; new rows come from a shared atomic bump counter.
 *
 * <p><b>Lock-free hits.</b> A packet of an established flow whose TCP state does not change takes no lock: it
 * reads the rows optimistically and validates them with the BIB row's sequence number, a seqlock ({@link
 * #readBegin}, {@link #readValid}). Every writer, holding the stripe, makes the number odd before it changes a BIB
 * row, the session list hanging from it, or any of those sessions' key/state words, and even (and larger) after
 * ({@link #writeBegin}, {@link #writeEnd}); a reader that saw the same even number before and after its reads
 * (with an acquire load first and a load-load fence before the second read, as {@link
 * java.util.concurrent.locks.StampedLock#validate} does) has seen one consistent state of that flow, never a torn
 * row or a row recycled for another flow, which it would see as a different number. A reader that fails
 * validation, or finds nothing, takes the locked path, so a lock-free miss is never an answer. Index links
 * (hash chains, session lists) are followed with bounds and a step limit, so a chain rewired under a reader ends
 * its walk early at worst. The only lock-free write is the refresh: a compare-and-set of the expiry word from the
 * value read inside the validated snapshot to a later one. If the session was deleted meanwhile the write lands in a
 * free row (harmless: a new owner rewrites every word under the lock) and if the row was recycled, the new owner's
 * expiry is later than the old one (a row is freed only once its expiry has passed), so the CAS fails; a failed CAS
 * sends the packet down the locked path.
 *
 * <p><b>Expiry.</b> Every session sits in one bucket of its stripe's timer wheel ({@link #WHEEL} one-second
 * buckets, doubly linked): the bucket of a second at or before its expiry time. Refreshing a session only raises its
 * expiry word (no list is touched, so a packet of an established flow writes one word); expiry walks the buckets of
 * the seconds that have passed since its last run and, for each session there, deletes it when its lifetime has run
 * out or moves it to the bucket of its (later) expiry second. A session is examined about once per lifetime (plus
 * once per {@link #WHEEL} seconds for lifetimes longer than the wheel), so expiry costs O(1) amortised per session
 * and O(stripes × elapsed seconds) per call, whatever the table size. Lowering a lifetime (a TCP state change to a
 * shorter timer) moves the session to its new, earlier bucket at once, so the bucket second never exceeds the
 * expiry second.
 */
final class SessionTable {
    static final int STRIPES = 64;
    static final int NIL = -1;

    final int proto;
    final Pool4.ProtoPool pool;
    private final ReentrantLock[] locks = new ReentrantLock[STRIPES];

    // ---- BIB rows: 8 longs each (64 bytes: the BIB entry, then its home session)
    //      [0] IPv6 high  [1] IPv6 low  [2] port6 (bits 0-15) | static (bit 16) | pool4 slot (bits 32-63, -1: free)
    //      [3] sequence number (bits 0-31, see "Lock-free hits") | link (bits 32-63): the head of the session list
    //          while the row is live, the next row of the free list while it is free (a free row has slot -1)
    //      [4-7] the home session of the entry: a session row (as below) that only this BIB entry uses, so that the
    //          session of a BIB entry with one session (the common case) is read with its entry, in the same 64
    //          bytes, not after it (one dependent cache miss fewer for an established flow's lookup). Its id is
    //          sessCap + b. In word 7 the high half holds, instead of the owning BIB (implied), the id of the
    //          ordinary session row taken as its credit (-1: the home session is free): every session, home or not,
    //          holds one id of [0, sessCap), so sessCap still bounds the sessions; a home session's credit row
    //          stays unused meanwhile.
    final int bibCap;
    private final long[] bib;

    // ---- the IPv6 index: open addressing with linear probing, one segment of segSize slots per stripe (so a stripe's
    //      lock covers its segment), a slot = 4 bytes: a tag of the key's 32-bit hash code (the bits above idBits,
    //      see tag()) | BIB id + 1 (the low idBits bits), 0: empty. A hit usually costs one cache line of slots (16 per
    //      line) and then the BIB row; other keys in the probe sequence are skipped by their tag without touching
    //      their rows (a tag of 32 - idBits bits: 11 at a million rows, so one in 2 048 is looked at for nothing).
    //      4-byte slots keep the index at 8 MiB for a million entries (it was 16 with 8-byte slots): the lookups'
    //      one random load per packet then stays within what the TLB and the caches reach (issue 4: lookups at 1M).
    //      Deletion shifts later entries back (no tombstones); it finds an entry's home slot again from its BIB
    //      row's key. Fixed capacity: at most segSize - 1 entries per segment (load about 1/2 at capacity).
    private final int[] index6;
    private final int segBits, segMask, segLimit;
    /** Low bits of an index slot that hold the BIB id + 1; the bits above hold the key's tag. */
    private final int idBits, idMask;
    private final int[] segCount = new int[STRIPES];
    /** Per-table hash key, so that nobody outside can aim IPv6 addresses at one segment. */
    private final long seed = new java.util.SplittableRandom().nextLong() | 1;
    private final AtomicInteger bibTop = new AtomicInteger();
    private final int[] bibFree = new int[STRIPES];

    // ---- session rows: 4 longs each (ids 0 .. sessCap - 1; ids from sessCap up are home sessions, in bib)
    //      [0] remote IPv4 (bits 0-31) | remote port (32-47) | TCP state (48-55) | timer class (56-63)
    //      [1] expiry time  [2] wheel bucket prev (bits 0-31; NIL: in no bucket, < NIL: bucket head) | next (32-63)
    //      [3] next session of the same BIB, or in the free list (bits 0-31) | owning BIB (32-63, -1: free)
    final int sessCap;
    /** Session ids: sessCap ordinary rows, then one home session per BIB row (sessCap + b). */
    final int sessIds;
    private final long[] ses;
    private final AtomicInteger sessTop = new AtomicInteger();
    private final int[] sessFree = new int[STRIPES];

    // ---- timer wheel: [stripe * WHEEL + (second & (WHEEL - 1))] -> first session, NIL; per stripe, the last second
    //      whose bucket has been walked completely
    /** One-second buckets per stripe's timer wheel (a power of two). */
    static final int WHEEL = 512;
    private static final long SECOND = 1_000_000_000L;
    private final long[] timeouts;
    private final int classes;
    private final int[] wheel;
    private final long[] walked;

    /** RFC 6888 REQ-12 records, or null when logging is off. */
    Nat64Log log;

    /** Per-subscriber counts (RFC 6888), or null when no limit is configured. */
    final SubscriberLimits limits;
    /** {@link #newSession} result when the subscriber is at its session limit. */
    static final int OVER_LIMIT = -2;

    /** Live sessions and BIB entries, counted per stripe (under its lock), summed on read. */
    final StripedCount liveSessions = new StripedCount(), liveBibs = new StripedCount();

    /**
     * A count kept per stripe, each on its own cache line, changed only under the stripe's lock: creating and ending
     * an entry costs a plain add instead of an atomic read-modify-write on one line that every worker writes (issue
     * 4: creation rate). {@link #get} sums the stripes: exact when no writer is at work, a moment's view otherwise.
     */
    static final class StripedCount {
        private static final int PAD = 16; // ints per 64-byte line
        private final int[] n = new int[STRIPES * PAD];

        void add(int stripe, int d) {
            int i = stripe * PAD;
            INTS.setOpaque(n, i, n[i] + d);
        }

        int get() {
            int sum = 0;
            for (int i = 0; i < n.length; i += PAD) sum += (int) INTS.getOpaque(n, i);
            return sum;
        }
    }

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
        this.sessIds = sessCap + bibCap;
        for (int i = 0; i < STRIPES; i++) locks[i] = new ReentrantLock();
        if ((long) bibCap * 8 > Integer.MAX_VALUE - 8 || (long) sessCap * 4 > Integer.MAX_VALUE - 8
                || (long) sessCap + bibCap > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException("max-sessions too large for one table: " + sessCap + " sessions, "
                    + bibCap + " BIB rows");
        bib = new long[bibCap * 8];
        for (int b = 0; b < bibCap; b++) {
            bib[b * 8 + 2] = -1L << 32; // slot -1: free
            bib[b * 8 + 7] = -1L << 32; // home session: no credit, free
        }
        // slots per segment: ~1.5x the mean entries per stripe, a power of two; small tables get room for all of
        // their entries in every segment, so that a segment can never fill before the table does
        int mean = (bibCap + STRIPES - 1) / STRIPES;
        int seg = Integer.highestOneBit(Math.max(Math.min(bibCap + 1, 1024), mean + mean / 2 + 16) - 1) << 1;
        segBits = Integer.numberOfTrailingZeros(seg);
        segMask = seg - 1;
        segLimit = seg - 1;
        index6 = new int[STRIPES * seg];
        idBits = 32 - Integer.numberOfLeadingZeros(bibCap); // bibCap itself (the last id + 1) fits
        idMask = (int) ((1L << idBits) - 1);
        java.util.Arrays.fill(bibFree, NIL);
        ses = new long[sessCap * 4];
        for (int i = 0; i < sessCap; i++) ses[i * 4 + 3] = -1L << 32; // owning BIB -1: free
        java.util.Arrays.fill(sessFree, NIL);
        this.timeouts = timeouts.clone();
        this.classes = timeouts.length;
        wheel = new int[STRIPES * WHEEL];
        java.util.Arrays.fill(wheel, NIL);
        walked = new long[STRIPES];
        java.util.Arrays.fill(walked, Long.MIN_VALUE);
    }

    // ================================================================================================ locking

    static long hash6(long hi, long lo, int port) {
        return Pool4.mix(hi * 0x9e3779b97f4a7c15L ^ Pool4.mix(lo ^ port));
    }

    /**
     * The 32-bit hash code of (IPv6 address, port) under this table's key: its low bits name the stripe ({@link
     * #stripeOfBucket}), the bits above them the home slot in the stripe's index segment; all 32 are the
     * fingerprint kept in the slot.
     */
    int bucket(long hi, long lo, int port) {
        // multiply-xorshift: three independent multiplies (they run in parallel), one xorshift-multiply finaliser;
        // half the dependent multiplies of hash6 and as good for a power-of-two table (the high bits are used)
        long h = (hi ^ seed) * 0x9e3779b97f4a7c15L + lo * 0xc2b2ae3d27d4eb4fL + (port + 1) * 0x165667b19e3779f9L;
        h ^= h >>> 29;
        h *= 0xbf58476d1ce4e5b9L;
        return (int) (h >>> 32);
    }

    /**
     * The tag an index slot keeps of a key whose {@link #bucket} code is {@code bucket}: the high {@code 32 - idBits}
     * bits of the code times an odd constant, so that every bit of the code counts (the home slot is made of the low
     * bits, and keys probed side by side share some of them).
     */
    int tag(int bucket) {
        return bucket * 0x9e3779b9 & ~idMask;
    }

    /** Slots per stripe segment of the IPv6 index (tests). */
    int segmentSize() {
        return segMask + 1;
    }

    private int home(int bucket) {
        return (bucket & (STRIPES - 1)) << segBits | (bucket >>> 6 & segMask);
    }

    private int nextSlot(int i) {
        return (i & ~segMask) | ((i + 1) & segMask);
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

    // ================================================================================================ seqlock

    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    // The sequence number is the low half of the row's word 3 (so a lookup reads one line fewer than with a separate
    // array); only lock holders write that word, so incrementing it is a plain read and one ordered write of the word.

    private static long nextVersion(long w3) {
        return (w3 & ~0xffffffffL) | ((int) w3 + 1 & 0xffffffffL);
    }

    /** Starts a change to BIB row {@code b}, its session list or its sessions. Caller holds the stripe. */
    void writeBegin(int b) {
        LONGS.setOpaque(bib, b * 8 + 3, nextVersion(bib[b * 8 + 3]));
        VarHandle.storeStoreFence(); // the odd number is visible before any of the changes
    }

    /** Ends a change started with {@link #writeBegin}. */
    void writeEnd(int b) {
        LONGS.setRelease(bib, b * 8 + 3, nextVersion(bib[b * 8 + 3])); // every change is visible before the even number
    }

    /** The sequence number of BIB row {@code b} before optimistic reads (odd: a writer is at work, do not trust). */
    int readBegin(int b) {
        return (int) (long) LONGS.getAcquire(bib, b * 8 + 3);
    }

    /** True when the reads since {@link #readBegin} returned {@code v} saw one consistent state of row {@code b}. */
    boolean readValid(int b, int v) {
        VarHandle.loadLoadFence();
        return (v & 1) == 0 && (int) (long) LONGS.getOpaque(bib, b * 8 + 3) == v;
    }

    /**
     * The table's reconfiguration number: odd while {@link TableCarryOver} changes the table under every stripe lock
     * (renumbers BIB rows to a new pool4 {@link Pool4.Layout}, publishes that layout, makes entries static, changes
     * timeouts, ends entries). A row's own sequence number cannot cover the layout switch: a reader could see a row
     * already moved to its slot in the new numbering (validated, its writer done) and still the old layout (published
     * after every row is moved), and translate to the wrong IPv4 transport address. So a lock-free reader also reads
     * this number first ({@link #epochBegin}) and checks it last ({@link #epochValid}), and reads the layout in
     * between: a reader that saw the same even number saw the table entirely before or entirely after a change.
     */
    private int epoch;
    private static final VarHandle EPOCH;

    static {
        try {
            EPOCH = MethodHandles.lookup().findVarHandle(SessionTable.class, "epoch", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Starts a reconfiguration (makes the number odd). Caller holds every stripe lock. */
    void reconfigBegin() {
        EPOCH.setOpaque(this, epoch + 1);
        VarHandle.storeStoreFence(); // the odd number is visible before any of the changes
    }

    /** Ends a reconfiguration started with {@link #reconfigBegin}: every change is visible before the even number. */
    void reconfigEnd() {
        EPOCH.setRelease(this, epoch + 1);
    }

    /** The reconfiguration number before a lock-free read (odd: a reconfiguration is at work). */
    int epochBegin() {
        return (int) EPOCH.getAcquire(this);
    }

    /**
     * True when no reconfiguration overlapped the reads since {@link #epochBegin} returned {@code e}. Call after
     * {@link #readValid} (whose load-load fence orders the reads before this one).
     */
    boolean epochValid(int e) {
        VarHandle.loadLoadFence();
        return (e & 1) == 0 && (int) EPOCH.getOpaque(this) == e;
    }

    /** Longest hash chain or session list a lock-free reader follows before it gives up (and takes the lock). */
    static final int FAST_STEPS = 32;

    /**
     * Lock-free: a BIB row that held (IPv6 address, port) while it was read, or NIL. The caller re-reads the key
     * between {@link #readBegin} and {@link #readValid} before trusting it.
     */
    int find6Fast(int bucket, long hi, long lo, int port) {
        int i = home(bucket), tag = tag(bucket);
        for (int step = 0; step < FAST_STEPS; step++, i = nextSlot(i)) {
            int w = (int) INTS.getOpaque(index6, i);
            if (w == 0) return NIL;
            if ((w & ~idMask) == tag) {
                int b = (w & idMask) - 1;
                if (b >= 0 && b < bibCap && bHi(b) == hi && bLo(b) == lo && bPort6(b) == port) return b;
            }
        }
        return NIL;
    }

    /** Lock-free (inside a seqlock read of {@code b}): the session of BIB {@code b} with the remote side, or NIL. */
    int findSessionFast(int b, int remote4, int remotePort) {
        int s = bSessions(b);
        for (int i = 0; i < FAST_STEPS && s >= 0 && s < sessIds; i++) {
            long w = sWord(s);
            if ((int) w == remote4 && (int) (w >>> 32 & 0xffff) == remotePort) return s;
            s = sNextInBib(s);
        }
        return NIL;
    }

    /** The key/state word of session {@code s} (remote address, remote port, state, timer class) in one read. */
    long sWord(int s) {
        return s < sessCap ? ses[s * 4] : bib[(s - sessCap) * 8 + 4];
    }

    static int wordState(long w) {
        return (int) (w >>> 48) & 0xff;
    }

    static int wordClass(long w) {
        return (int) (w >>> 56) & 0xff;
    }

    /**
     * Lock-free refresh of session {@code s}, whose expiry word read {@code seen} inside a validated snapshot: raises
     * it to {@code now} + the class's timeout. False when another thread changed the word first (take the lock).
     */
    boolean touch(int s, long seen, int timerClass, long now) {
        long expires = now + (long) LONGS.getOpaque(timeouts, timerClass); // setTimeouts may write it meanwhile
        return expires <= seen || (s < sessCap ? LONGS.compareAndSet(ses, s * 4 + 1, seen, expires)
                : LONGS.compareAndSet(bib, (s - sessCap) * 8 + 5, seen, expires));
    }

    // ================================================================================================ look-ahead

    /*
     * Batch look-ahead (Nat64Mapper.lookAhead*, Translator batches): plain reads of the lines a lookup will read,
     * one dependent step per call, for many packets in a row, so that the CPU overlaps their cache (and TLB) misses
     * instead of paying them one after another inside the lookups. No lock, no write, no validation: the answers
     * only choose what to load next (a stale one costs time, never a wrong result), and they are bounded, so a row
     * or slot changing meanwhile cannot make them fail.
     */

    /**
     * Where (IPv6 address, port) lives in the IPv6 index, computed without loading anything: its home slot (high 32
     * bits) and its tag in the index (low 32 bits), for {@link #peekIndex}. Splitting the two keeps the loop that
     * loads index lines short, so that many of its loads are in flight at once.
     */
    long indexPosition(long hi, long lo, int port) {
        int bucket = bucket(hi, lo, port);
        return (long) home(bucket) << 32 | (tag(bucket) & 0xffffffffL);
    }

    /**
     * Loads the index line at {@code position} ({@link #indexPosition}): the BIB id found in the home slot or the
     * next one (same line mostly), or NIL (not there, or probed further away: the lookup will find it).
     */
    int peekIndex(long position) {
        int i = (int) (position >>> 32), tag = (int) position;
        if (i < 0 || i >= index6.length) return NIL;
        int w0 = index6[i], w1 = index6[nextSlot(i)];
        int b = (w0 & ~idMask) == tag ? (w0 & idMask) - 1 : (w1 & ~idMask) == tag ? (w1 & idMask) - 1 : NIL;
        return b >= 0 && b < bibCap ? b : NIL;
    }

    /**
     * Loads BIB row {@code b} (both ends: its 64 bytes, the home session's included, span one or two cache lines;
     * its sequence number is in it): the first session of its list in the low 32 bits (NIL: none, or the home
     * session, loaded already), and bits of the row's first and last words above them (so that the loads are not
     * dead code).
     */
    long peekBib(int b) {
        long w0 = bib[b * 8], w3 = bib[b * 8 + 3], w7 = bib[b * 8 + 7]; // w3: the sequence number and the session list
        int s = (int) (w3 >> 32);
        return ((w0 ^ w7) & 0x7fffL) << 32 | (s >= 0 && s < sessCap ? s : NIL) & 0xffffffffL;
    }

    /** Loads the index line at {@code position} ({@link #indexPosition}) and nothing else; returns what it read. */
    long touchIndexLine(long position) {
        int i = (int) (position >>> 32);
        return i >= 0 && i < index6.length ? index6[i] : 0;
    }

    /** Loads BIB row {@code b} (both ends: the entry and its home session) and nothing else; returns what it read. */
    long touchBibRow(int b) {
        return b >= 0 && b < bibCap ? bib[b * 8] + bib[b * 8 + 7] : 0;
    }

    /*
     * The window pass of a batch whose look-ahead tokens (Nat64Mapper) are this table's index positions (6->4) or
     * pool4 slots (4->6), besides tokens that need nothing (0, done): the lean form of touchIndexLine, then peekIndex
     * and touchBibRow, per token, with this table's arrays in locals (the loops touch nothing else, so the JIT keeps
     * them in registers: a few instructions per packet, issue 4). The first loop loads every token's index line or
     * owner word (the misses of the window overlap) and tells whether the window is such a window at all; the second
     * reads the BIB id there (from the cache by then), loads that row and replaces the token with done | row (0: not
     * found). Both return bits of the lines read (a value the caller keeps, so that the loads are not dead code) and
     * never throw: a position, slot or id out of range reads nothing.
     */

    /**
     * The first loop for index positions of class {@code cls} ({@code token >>> 60}: the kind and this table), from
     * token {@code from} to {@code n}: loads their index lines. Returns bits read, shifted left once, with bit 0 set
     * when a token is none of 0, done (kind 0, bit 59) or such a position: then the window is not one for {@link
     * #resolveIndex}.
     */
    long touchIndexLines(long[] tokens, int from, int n, long cls) {
        int[] idx = index6;
        long s = 0;
        boolean other = false;
        n = Math.min(n, tokens.length);
        for (int i = Math.max(from, 0); i < n; i++) {
            long t = tokens[i];
            int h = (int) (t >>> 32) & 0x0fffffff;
            if (t >>> 60 == cls) {
                if (h < idx.length) s += idx[h];
            } else {
                other |= needsGeneralPass(t);
            }
        }
        return s << 1 | (other ? 1 : 0);
    }

    /**
     * The second loop (after {@link #touchIndexLines}): the BIB row each index position of class {@code cls} names,
     * loaded, its token replaced with {@code done | row} (0: not found). Other tokens are left as they are.
     */
    long resolveIndex(long[] tokens, int from, int n, long cls, long done) {
        int[] idx = index6;
        long[] rows = bib;
        int mask = idMask, seg = segMask, cap = bibCap;
        long s = 0;
        n = Math.min(n, tokens.length);
        for (int i = Math.max(from, 0); i < n; i++) {
            long t = tokens[i];
            if (t >>> 60 != cls) continue;
            int h = (int) (t >>> 32) & 0x0fffffff, tag = (int) t;
            int b = NIL;
            if (h < idx.length) {
                int w0 = idx[h];
                if ((w0 & ~mask) == tag) {
                    b = (w0 & mask) - 1;
                } else {
                    int w1 = idx[(h & ~seg) | ((h + 1) & seg)];
                    if ((w1 & ~mask) == tag) b = (w1 & mask) - 1;
                }
            }
            s += endAt(tokens, i, b, rows, cap, done);
        }
        return s;
    }

    /** True for a token that is neither 0 nor done (kind 0, bit 59): not one for a first step's lean loops. */
    private static boolean needsGeneralPass(long t) {
        return t != 0 && (t >>> 62 != 0 || (t & 1L << 59) == 0);
    }

    /**
     * Ends token {@code i}'s look-ahead at BIB row {@code b} of {@code rows} ({@code cap} rows): {@code done | b}
     * after loading both ends of the row (returns bits of them), or 0 when {@code b} is no row.
     */
    private static long endAt(long[] tokens, int i, int b, long[] rows, int cap, long done) {
        if (b < 0 || b >= cap) {
            tokens[i] = 0;
            return 0;
        }
        tokens[i] = done | b;
        return rows[b * 8] + rows[b * 8 + 7];
    }

    /**
     * As {@link #touchIndexLines}, for pool4 slots of class {@code cls} ({@code token >>> 58}: kind 0, this table,
     * not done, bit 58): loads their owner words.
     */
    long touchOwners(long[] tokens, int from, int n, long cls) {
        Pool4.Layout l = pool.layout; // maybe newer than the tokens': only hints, checked by the lookups
        AtomicIntegerArray owner = l.owner;
        int size = l.size;
        long s = 0;
        boolean other = false;
        n = Math.min(n, tokens.length);
        for (int i = Math.max(from, 0); i < n; i++) {
            long t = tokens[i];
            int slot = (int) t;
            if (t >>> 58 == cls) {
                if (slot >= 0 && slot < size) s += owner.getPlain(slot);
            } else {
                other |= needsGeneralPass(t);
            }
        }
        return s << 1 | (other ? 1 : 0);
    }

    /**
     * As {@link #resolveIndex}, after {@link #touchOwners}: the BIB row each pool4 slot of class {@code cls} ({@code
     * token >>> 58}: kind 0, this table, not done, bit 58) names; the others are left as they are.
     */
    long resolveOwners(long[] tokens, int from, int n, long cls, long done) {
        Pool4.Layout l = pool.layout;
        AtomicIntegerArray owner = l.owner;
        int size = l.size, cap = bibCap;
        long[] rows = bib;
        long s = 0;
        n = Math.min(n, tokens.length);
        for (int i = Math.max(from, 0); i < n; i++) {
            long t = tokens[i];
            if (t >>> 58 != cls) continue; // a pool4 slot of this table (kind 0, not done, bit 58)
            int slot = (int) t;
            int b = slot >= 0 && slot < size ? owner.getPlain(slot) - 1 : NIL;
            s += endAt(tokens, i, b, rows, cap, done);
        }
        return s;
    }

    /** Loads session row {@code s} (both ends); returns bits of it (a value the caller keeps). */
    long peekSession(int s) {
        return s < sessCap ? ses[s * 4] ^ ses[s * 4 + 3] : bib[(s - sessCap) * 8 + 4] ^ bib[(s - sessCap) * 8 + 7];
    }

    /** BIB rows ever handed out (a high-water mark of the live entries: how many rows lookups may touch). */
    int bibRowsUsed() {
        return bibTop.get();
    }

    /** Slots of the IPv6 index (a position's home slot is below it). */
    int indexSlots() {
        return index6.length;
    }

    // ================================================================================================ BIB

    /** The BIB entry of (IPv6 address, port), or NIL. Caller holds the bucket's stripe. */
    int find6(int bucket, long hi, long lo, int port) {
        int tag = tag(bucket);
        for (int i = home(bucket); ; i = nextSlot(i)) {
            int w = index6[i];
            if (w == 0) return NIL;
            if ((w & ~idMask) == tag) {
                int b = (w & idMask) - 1;
                if (bHi(b) == hi && bLo(b) == lo && bPort6(b) == port) return b;
            }
        }
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

    /** A free BIB row for {@code stripe} (held), or NIL when the table (or the stripe's index segment) is full. */
    int allocBib(int stripe) {
        if (segCount[stripe] >= segLimit) return NIL;
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
        writeBegin(b);
        setBHi(b, hi);
        setBLo(b, lo);
        setBPort6(b, (char) port6);
        setBSlot(b, slot);
        setBStatic(b, isStatic);
        setBSessions(b, NIL);
        writeEnd(b);
        int i = home(bucket);
        while (index6[i] != 0) i = nextSlot(i); // allocBib kept one slot free at least
        INTS.setRelease(index6, i, tag(bucket) | (b + 1)); // the row is complete before it can be found
        segCount[bucket & (STRIPES - 1)]++;
        liveBibs.add(bucket & (STRIPES - 1), 1);
        if (log != null) log.record(Nat64Log.BIB_ADD, now, proto, hi, lo, port6, pool.addrOf(slot), pool.portOf(slot));
    }

    /** Returns an unused row (slot never claimed) to the stripe's free list. */
    void freeBibRow(int stripe, int b) {
        writeBegin(b);
        setBSlot(b, -1);
        setBNext(b, bibFree[stripe]);
        writeEnd(b);
        bibFree[stripe] = b;
    }

    /** Removes a BIB entry without sessions: unlinks it, rests its pool4 port, frees the row. Caller holds its stripe. */
    void deleteBib(int stripe, int b, long now) {
        long nowSec = now / 1_000_000_000L;
        unindex(bucket(bHi(b), bLo(b), bPort6(b)), b);
        int slot = bSlot(b);
        if (log != null) log.record(Nat64Log.BIB_DEL, now, proto, bHi(b), bLo(b), bPort6(b),
                pool.addrOf(slot), pool.portOf(slot));
        writeBegin(b);
        setBSlot(b, -1);
        setBNext(b, bibFree[stripe]);
        writeEnd(b);
        Pool4.release(pool, slot, nowSec);
        if (limits != null && !bStatic(b)) limits.release(bHi(b), bLo(b), true);
        bibFree[stripe] = b;
        liveBibs.add(stripe, -1);
    }

    /**
     * Removes BIB {@code b} from the index: backward-shift deletion (Knuth 6.4 Algorithm R), each later entry of the
     * probe run moves back into the hole when its home slot does not lie cyclically between the hole and itself. A
     * lock-free reader probing meanwhile may miss an entry being moved (it then takes the lock), never finds a wrong
     * one (it compares the key in the row under the row's sequence number). A later entry's home slot comes from its
     * row's key (a slot keeps only a tag of the hash code): every row indexed in the segment belongs to the stripe,
     * so it is stable under the lock. Caller holds the stripe.
     */
    private void unindex(int bucket, int b) {
        int i = home(bucket);
        int want = tag(bucket) | (b + 1);
        while (index6[i] != want) {
            if (index6[i] == 0) return; // not indexed (never linked)
            i = nextSlot(i);
        }
        int hole = i;
        for (int j = nextSlot(hole); ; j = nextSlot(j)) {
            int w = index6[j];
            if (w == 0) break;
            int r = (w & idMask) - 1;
            int h = home(bucket(bHi(r), bLo(r), bPort6(r)));
            // the entry at j may fill the hole unless its home lies in (hole, j] (cyclically, within the segment)
            int dHome = (j - h) & segMask, dHole = (j - hole) & segMask;
            if (dHome >= dHole) {
                INTS.setRelease(index6, hole, w);
                hole = j;
            }
        }
        INTS.setRelease(index6, hole, 0);
        segCount[bucket & (STRIPES - 1)]--;
    }

    // ---- reconfiguration (Nat64Mapper.reconfigured): callers hold every stripe lock

    /** Moves BIB {@code b} to {@code slot}: the same (address, port) under a new pool4 numbering. */
    void setBibSlot(int b, int slot) {
        writeBegin(b);
        setBSlot(b, slot);
        writeEnd(b);
    }

    /** Makes dynamic BIB {@code b} static (a static entry was configured for exactly its mapping). */
    void makeStatic(int b) {
        if (bStatic(b)) return;
        writeBegin(b);
        setBStatic(b, true);
        writeEnd(b);
        if (limits != null) limits.release(bHi(b), bLo(b), true); // static entries count against no subscriber
    }

    /** New lifetimes per timer class (ns); sessions get them when next refreshed. Same number of classes. */
    void setTimeouts(long[] t) {
        if (t.length != classes) throw new IllegalArgumentException("timer classes: " + t.length + " for " + classes);
        for (int i = 0; i < classes; i++) LONGS.setOpaque(timeouts, i, t[i]); // read lock-free by touch
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

    /**
     * Creates a session of BIB {@code b}; NIL when the table is full, {@link #OVER_LIMIT} when the subscriber is at
     * its session limit. Caller holds the stripe.
     */
    int newSession(int stripe, int b, int remote4, int remotePort, int state, int timerClass, long now) {
        int s = reserveSession(stripe, bHi(b), bLo(b));
        return s < 0 ? s : newSession(stripe, b, s, remote4, remotePort, state, timerClass, now);
    }

    /**
     * Reserves a session for a new flow of subscriber (hi, lo) before anything else is made for it: counts it
     * against the subscriber's session limit and takes a session id. Returns the id, NIL when the table is full or
     * {@link #OVER_LIMIT}. A new flow that also needs a BIB entry reserves first, so that a flow refused for want of
     * a session never claims a pool4 port: a claimed port, once freed, rests {@link Pool4#REUSE_DELAY_SECONDS}, and a
     * flood of refused flows (or one subscriber at its limit opening flow after flow) would leave every free port
     * resting and refuse everyone's new flows. The id goes to {@link #newSession(int, int, int, int, int, int, int,
     * long)} or back through {@link #unreserveSession}. Caller holds the stripe.
     */
    int reserveSession(int stripe, long hi, long lo) {
        if (limits != null && !limits.acquire(hi, lo, false)) return OVER_LIMIT;
        int s = sessFree[stripe];
        if (s != NIL) {
            sessFree[stripe] = sNextInBib(s);
            return s;
        }
        // a read before the increment: once the rows are all handed out (a full table under a flood of new flows)
        // each refusal costs a shared read, not two atomic writes on the line every worker's new flows use
        if (sessTop.get() < sessCap) {
            s = sessTop.getAndIncrement();
            if (s < sessCap) return s;
            sessTop.decrementAndGet();
        }
        s = steal(stripe, false);
        if (s == NIL && limits != null) limits.release(hi, lo, false);
        return s;
    }

    /**
     * Gives back a session id reserved by {@link #reserveSession} and not used (its flow was refused later). The row
     * is free and linked from nowhere, so no reader can see it. Caller holds the stripe.
     */
    void unreserveSession(int stripe, int s, long hi, long lo) {
        setSNextInBib(s, sessFree[stripe]);
        sessFree[stripe] = s;
        if (limits != null) limits.release(hi, lo, false);
    }

    /** Creates a session of BIB {@code b} with the id {@code s} reserved for it ({@link #reserveSession}). */
    int newSession(int stripe, int b, int s, int remote4, int remotePort, int state, int timerClass, long now) {
        writeBegin(b);
        if (homeCredit(b) < 0) { // the home session is free: take it, holding s as its credit (s stays unused)
            setHomeCredit(b, s);
            s = sessCap + b;
        }
        setSBib(s, b);
        setSRemote4(s, remote4);
        setSRemotePort(s, (char) remotePort);
        setSState(s, (byte) state);
        setSClass(s, (byte) timerClass);
        long expires = now + timeouts[timerClass];
        setSExpires(s, expires);
        setSNextInBib(s, bSessions(b));
        setBSessions(b, s);
        writeEnd(b);
        wheelInsert(stripe, s, expires);
        liveSessions.add(stripe, 1);
        if (log != null) log.record(Nat64Log.SESSION_ADD, now, proto, bHi(b), bLo(b), bPort6(b),
                pool.addrOf(bSlot(b)), pool.portOf(bSlot(b)));
        return s;
    }

    /**
     * Sets the session's lifetime to its class's timeout from {@code now}. A longer lifetime only rewrites the expiry
     * word (the session stays in its wheel bucket, which expiry revisits); a shorter one moves it to an earlier bucket.
     */
    void refresh(int stripe, int s, int timerClass, long now) {
        setSClass(s, (byte) timerClass);
        long expires = now + timeouts[timerClass];
        long old = sExpires(s);
        setSExpires(s, expires);
        if (expires < old) {
            wheelUnlink(s);
            wheelInsert(stripe, s, expires);
        }
    }

    /** Links session {@code s} into the bucket of {@code expires}' second (never one already walked). */
    private void wheelInsert(int stripe, int s, long expires) {
        long sec = Math.max(Math.floorDiv(expires, SECOND), walked[stripe] + 1);
        int wi = stripe * WHEEL + (int) (sec & (WHEEL - 1));
        int head = wheel[wi];
        setSPrev(s, -2 - wi);
        setSNext(s, head);
        if (head != NIL) setSPrev(head, s);
        wheel[wi] = s;
    }

    /** Unlinks session {@code s} from its wheel bucket; a head's prev word holds -2 - its bucket index,
     * a session in no bucket NIL. */
    private void wheelUnlink(int s) {
        int p = sPrev(s), n = sNext(s);
        if (p == NIL) return; // in no bucket (being walked by expiry)
        if (p < NIL) wheel[-2 - p] = n;
        else setSNext(p, n);
        if (n != NIL) setSPrev(n, p);
    }

    /** Deletes a session; its BIB goes too when it was the last session and the entry is dynamic. Caller holds the stripe. */
    void deleteSession(int stripe, int s, long now) {
        wheelUnlink(s);
        int b = sBib(s);
        if (log != null) log.record(Nat64Log.SESSION_DEL, now, proto, bHi(b), bLo(b), bPort6(b),
                pool.addrOf(bSlot(b)), pool.portOf(bSlot(b)));
        int prev = NIL;
        writeBegin(b);
        for (int x = bSessions(b); x != NIL; prev = x, x = sNextInBib(x)) {
            if (x == s) {
                if (prev == NIL) setBSessions(b, sNextInBib(s));
                else setSNextInBib(prev, sNextInBib(s));
                break;
            }
        }
        int id = s; // the ordinary row id that goes back to the free list: s, or the home session's credit
        if (s >= sessCap) {
            id = homeCredit(b);
            setHomeCredit(b, -1);
        }
        freeSessRow(id, sessFree[stripe]);
        writeEnd(b);
        if (limits != null) limits.release(bHi(b), bLo(b), false);
        sessFree[stripe] = id;
        liveSessions.add(stripe, -1);
        if (bSessions(b) == NIL && !bStatic(b)) deleteBib(stripe, b, now);
    }

    /** What expiry does with a session whose lifetime ran out. */
    interface OnExpiry {
        /** Returns the timer class to move the session to (it stays), or -1 to delete it. */
        int expired(SessionTable t, int s);
    }

    /**
     * Expires every session whose lifetime ended at or before {@code now}: walks, per stripe, the wheel buckets of the
     * seconds since the last walk (all {@link #WHEEL} of them at most), so the cost is O(stripes × elapsed seconds +
     * sessions examined) whatever the table size. Returns the number of sessions whose lifetime ran out (deleted, or
     * kept by the policy). One expiry at a time (the packet path never waits for it: it takes stripe locks only).
     */
    synchronized int expire(long now, OnExpiry policy) {
        int n = 0;
        long nowSec = Math.floorDiv(now, SECOND);
        warmSink += warmDue(now, nowSec);
        for (int stripe = 0; stripe < STRIPES; stripe++) {
            lock(stripe);
            try {
                long from = walked[stripe] + 1;
                if (from > nowSec) continue; // time went back: nothing can be due that was not due before
                if (from <= nowSec - WHEEL) from = nowSec - WHEEL + 1; // a whole turn covers every bucket
                for (long sec = from; sec <= nowSec; sec++) n += walk(stripe, stripe * WHEEL + (int) (sec & (WHEEL - 1)), now, policy);
                // the current second's bucket stays open: a session may yet expire later in this second
                walked[stripe] = Math.max(walked[stripe], nowSec - 1);
            } finally {
                unlock(stripe);
            }
        }
        return n;
    }

    // ---- expiry warm-up (issue 4: creation rate). Deleting an expired session reads lines that have gone cold since
    //      it was created (its wheel links and rows, its BIB key, the BIB's index slot, its pool4 owner word, the
    //      credit row), each miss after the previous one: the chain of a bucket is followed link by link, and each
    //      session's other lines are found from its row. The walk below first follows every due bucket's chain of
    //      every stripe side by side and then loads the other lines of the due sessions, with plain reads and no lock,
    //      so that their misses overlap; the locked walk then finds them in cache. As in the look-ahead, the reads
    //      only choose what to load (a stale or changing answer costs time, never a wrong result) and are bounded.

    /** Most sessions the warm-up loads per expiry (about a second of new flows at 2 M/s per core is far more). */
    private static final int WARM_MAX = 4096;
    /** Buckets the warm-up follows per stripe (the seconds just passed; more after a pause are not warmed). */
    private static final int WARM_SECONDS = 2;
    private final int[] warmIds = new int[WARM_MAX], warmCursor = new int[STRIPES * WARM_SECONDS];
    /** Bits of what the warm-up read, kept so that its loads are not dead code. */
    private long warmSink;

    /** Loads the lines expiry will touch for the sessions due at {@code now}; returns bits of them (see above). */
    private long warmDue(long now, long nowSec) {
        int chains = 0;
        for (int stripe = 0; stripe < STRIPES; stripe++) {
            long from = Math.max(walked[stripe] + 1, nowSec - WARM_SECONDS + 1);
            for (long sec = from; sec <= nowSec; sec++) {
                int s = wheel[stripe * WHEEL + (int) (sec & (WHEEL - 1))];
                if (s >= 0 && s < sessIds) warmCursor[chains++] = s;
            }
        }
        // the chains side by side: one row of each per round, so the rows of different chains load together
        int ids = 0;
        while (chains > 0 && ids < WARM_MAX) {
            int live = 0;
            for (int c = 0; c < chains && ids < WARM_MAX; c++) {
                int s = warmCursor[c];
                warmIds[ids++] = s;
                int next = sNext(s);
                if (next >= 0 && next < sessIds) warmCursor[live++] = next;
            }
            chains = live;
        }
        // then the lines found from the due sessions' rows (independent of one another, so their misses overlap)
        long sink = 0;
        java.util.concurrent.atomic.AtomicIntegerArray o = pool.layout.owner;
        for (int i = 0; i < ids; i++) {
            int s = warmIds[i];
            if (sExpires(s) > now) continue; // refreshed: expiry only moves it
            int b = sBib(s);
            if (b < 0 || b >= bibCap) continue;
            long hi = bHi(b), lo = bLo(b);
            int i6 = home(bucket(hi, lo, bPort6(b)));
            sink += index6[i6];
            int slot = bSlot(b);
            if (slot >= 0 && slot < o.length()) sink += o.getPlain(slot);
            int credit = homeCredit(b);
            if (credit >= 0 && credit < sessCap) sink += ses[credit * 4 + 3];
        }
        return sink;
    }

    /** Walks one bucket (detached first, so sessions put back into it are not seen twice). */
    private int walk(int stripe, int wi, long now, OnExpiry policy) {
        int n = 0;
        int s = wheel[wi];
        wheel[wi] = NIL;
        while (s != NIL) {
            int next = sNext(s);
            setSPrev(s, NIL); // s stands alone now: deleteSession's unlink has nothing to do
            setSNext(s, NIL);
            long expires = sExpires(s);
            if (expires <= now) {
                n++;
                int keep = policy.expired(this, s);
                if (keep >= 0) {
                    int b = sBib(s);
                    writeBegin(b); // the key/state word changes: a versioned change of the BIB row
                    setSClass(s, (byte) keep);
                    expires = now + timeouts[keep];
                    setSExpires(s, expires);
                    writeEnd(b);
                    wheelInsert(stripe, s, expires);
                } else {
                    deleteSession(stripe, s, now);
                }
            } else {
                wheelInsert(stripe, s, expires); // refreshed since it was put here: to its expiry second's bucket
            }
            s = next;
        }
        return n;
    }

    long timeout(int timerClass) {
        return timeouts[timerClass];
    }

    // ================================================================================================ row fields

    long bHi(int b) { return bib[b * 8]; }
    long bLo(int b) { return bib[b * 8 + 1]; }
    int bPort6(int b) { return (int) (bib[b * 8 + 2] & 0xffff); }
    boolean bStatic(int b) { return (bib[b * 8 + 2] & 0x10000) != 0; }
    int bSlot(int b) { return (int) (bib[b * 8 + 2] >> 32); }
    int bNext(int b) { return (int) (bib[b * 8 + 3] >> 32); } // the link of a free row
    int bSessions(int b) { return (int) (bib[b * 8 + 3] >> 32); }
    private void setBHi(int b, long v) { bib[b * 8] = v; }
    private void setBLo(int b, long v) { bib[b * 8 + 1] = v; }
    private void setBPort6(int b, int v) { bib[b * 8 + 2] = (bib[b * 8 + 2] & ~0xffffL) | (v & 0xffff); }
    private void setBStatic(int b, boolean v) { bib[b * 8 + 2] = v ? bib[b * 8 + 2] | 0x10000 : bib[b * 8 + 2] & ~0x10000L; }
    private void setBSlot(int b, int v) { bib[b * 8 + 2] = (bib[b * 8 + 2] & 0xffffffffL) | ((long) v << 32); }
    private void setBNext(int b, int v) { bib[b * 8 + 3] = (bib[b * 8 + 3] & 0xffffffffL) | ((long) v << 32); }
    private void setBSessions(int b, int v) { bib[b * 8 + 3] = (bib[b * 8 + 3] & 0xffffffffL) | ((long) v << 32); }

    // a session's word k (0-3): an ordinary row in ses, or a home session in words 4-7 of its BIB row
    private long sGet(int s, int k) { return s < sessCap ? ses[s * 4 + k] : bib[(s - sessCap) * 8 + 4 + k]; }
    private void sSet(int s, int k, long v) {
        if (s < sessCap) ses[s * 4 + k] = v;
        else bib[(s - sessCap) * 8 + 4 + k] = v;
    }

    int sRemote4(int s) { return (int) sGet(s, 0); }
    int sRemotePort(int s) { return (int) (sGet(s, 0) >>> 32) & 0xffff; }
    int sState(int s) { return (int) (sGet(s, 0) >>> 48) & 0xff; }
    int sClass(int s) { return (int) (sGet(s, 0) >>> 56) & 0xff; }
    long sExpires(int s) {
        return s < sessCap ? (long) LONGS.getOpaque(ses, s * 4 + 1) : (long) LONGS.getOpaque(bib, (s - sessCap) * 8 + 5);
    }
    int sPrev(int s) { return (int) sGet(s, 2); }
    int sNext(int s) { return (int) (sGet(s, 2) >> 32); }
    int sNextInBib(int s) { return (int) sGet(s, 3); }
    /** The owning BIB row (-1: a free ordinary row); a home session's is implied by its id. */
    int sBib(int s) { return s < sessCap ? (int) (ses[s * 4 + 3] >> 32) : s - sessCap; }
    private void setSRemote4(int s, int v) { sSet(s, 0, (sGet(s, 0) & ~0xffffffffL) | (v & 0xffffffffL)); }
    private void setSRemotePort(int s, int v) { sSet(s, 0, (sGet(s, 0) & ~(0xffffL << 32)) | ((long) (v & 0xffff) << 32)); }
    /** Sets a session's TCP state (a versioned change of its BIB row, see the class comment). Caller holds the stripe. */
    void setSState(int s, int v) {
        int b = sBib(s);
        writeBegin(b);
        sSet(s, 0, (sGet(s, 0) & ~(0xffL << 48)) | ((long) (v & 0xff) << 48));
        writeEnd(b);
    }
    private void setSClass(int s, int v) { sSet(s, 0, (sGet(s, 0) & ~(0xffL << 56)) | ((long) (v & 0xff) << 56)); }
    private void setSExpires(int s, long v) {
        if (s < sessCap) LONGS.setOpaque(ses, s * 4 + 1, v);
        else LONGS.setOpaque(bib, (s - sessCap) * 8 + 5, v);
    }
    private void setSPrev(int s, int v) { sSet(s, 2, (sGet(s, 2) & ~0xffffffffL) | (v & 0xffffffffL)); }
    private void setSNext(int s, int v) { sSet(s, 2, (sGet(s, 2) & 0xffffffffL) | ((long) v << 32)); }
    private void setSNextInBib(int s, int v) { sSet(s, 3, (sGet(s, 3) & ~0xffffffffL) | (v & 0xffffffffL)); }
    /**
     * Marks ordinary row {@code id} free (owning BIB -1) with {@code next} as its free-list link: one store of the
     * whole word, no read (a home session's credit row has not been touched since it was taken: issue 4).
     */
    private void freeSessRow(int id, int next) { ses[id * 4 + 3] = -1L << 32 | (next & 0xffffffffL); }
    /** Sets the owning BIB of an ordinary row (-1: free); a home session's owner is fixed. */
    private void setSBib(int s, int v) { if (s < sessCap) ses[s * 4 + 3] = (ses[s * 4 + 3] & 0xffffffffL) | ((long) v << 32); }
    /** The credit (an ordinary row id) held by BIB {@code b}'s home session, -1 while the home session is free. */
    private int homeCredit(int b) { return (int) (bib[b * 8 + 7] >> 32); }
    private void setHomeCredit(int b, int c) { bib[b * 8 + 7] = (bib[b * 8 + 7] & 0xffffffffL) | ((long) c << 32); }
}
