package ferry.nat64;

import ferry.addr.Ipv4;
import ferry.addr.Prefix4;
import ferry.packet.IpProto;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * pool4: the IPv4 transport addresses a NAT64 may bind IPv6 hosts to (RFC 6146 §3.5.1.1), per protocol, in Jool's
 * terms (entries of protocol, IPv4 prefix, port range, max-iterations). Every (address, port) of the pool is a
 * <em>slot</em> whose owner word says who holds it: 0 free, a positive BIB id + 1, or a negative
 * {@code -(second until which the port rests)} after its BIB entry was freed (RFC 6888 REQ-8 / issue 4: a freed
 * port is not reused for {@link #REUSE_DELAY_SECONDS} seconds). Owners are claimed with one compare-and-set, so
 * port allocation takes no lock and allocates nothing.
 *
 * <p>Port choice is RFC 6056 Algorithm 3 ("Simple Hash-Based Port Selection"): {@code offset = F(f-args fields,
 * secret)}, candidates {@code (offset + next_ephemeral + i) mod N}, at most {@code max-iterations} of them. The
 * candidates keep the source port's parity and its side of 1024 (RFC 4787 REQ-3, REQ-4, both RECOMMENDED); when
 * that part of the pool has nothing free, the whole pool is tried.
 */
public final class Pool4 {
    /** RFC 6888 / issue 4: seconds a freed port rests before it is handed out again. */
    public static final int REUSE_DELAY_SECONDS = 120;
    /** max-iterations when the configuration says "auto" (or nothing). */
    public static final int AUTO_ITERATIONS = 4096;

    /**
     * One pool4 entry.
     *
     * @param proto         {@link IpProto#TCP}, {@link IpProto#UDP} or {@link IpProto#ICMP}
     * @param prefix        the IPv4 addresses
     * @param portMin       first port (or ICMP identifier), inclusive
     * @param portMax       last port, inclusive
     * @param maxIterations candidates tried per allocation: 0 = auto ({@link #AUTO_ITERATIONS}), -1 = infinity
     */
    public record Entry(int proto, Prefix4 prefix, int portMin, int portMax, int maxIterations) {
        public Entry {
            if (proto != IpProto.TCP && proto != IpProto.UDP && proto != IpProto.ICMP)
                throw new IllegalArgumentException("pool4 protocol must be TCP, UDP or ICMP, not " + proto);
            if (portMin < 0 || portMax > 65535 || portMin > portMax)
                throw new IllegalArgumentException("pool4 port range " + portMin + "-" + portMax + " is empty or outside 0-65535");
        }

        @Override
        public String toString() {
            return IpProto.name(proto) + " " + prefix + " " + portMin + "-" + portMax;
        }
    }

    /** One entry's block of slots: {@code addrs} addresses × {@code ports} ports, starting at slot {@code base}. */
    private record Block(int firstAddr, int addrs, int portMin, int ports, int base) {
        boolean contains(int addr) {
            return Integer.compareUnsigned(addr - firstAddr, addrs) < 0;
        }
    }

    /** A run of candidate ports of one block: {@code count} ports per address, {@code first}, {@code first+step}, ... */
    private record Segment(Block block, int first, int step, int count, int size, long countMagic) {
        Segment(Block block, int first, int step, int count, int size) {
            this(block, first, step, count, size, magic(count));
        }
    }

    /** A set of candidates (one part of the pool): segments and their total size. */
    private record View(Segment[] segments, int size, long sizeMagic) {
        View(Segment[] segments, int size) {
            this(segments, size, magic(size));
        }

        /** Candidate {@code k} (0 <= k < size)'s slot. */
        int slot(int k) {
            for (Segment s : segments) {
                if (k < s.size) {
                    int addrIndex = (int) div(k, s.count, s.countMagic);
                    int port = s.first + s.step * (k - addrIndex * s.count);
                    return s.block.base + addrIndex * s.block.ports + (port - s.block.portMin);
                }
                k -= s.size;
            }
            throw new IllegalStateException();
        }
    }

    /**
     * The slots of one protocol as one configuration numbers them: the blocks, the candidate views and one owner word
     * per slot. Immutable except for the owner words; a reconfiguration builds a new one and publishes it in one
     * volatile write ({@link ProtoPool#layout}).
     */
    static final class Layout {
        final Block[] blocks;
        final AtomicIntegerArray owner;
        final int size;
        final int maxIterations;
        final View all;
        /** [below 1024? 0 : 1][parity]; ICMP uses {@link #all} only. */
        final View[] views = new View[4];

        Layout(List<Entry> entries) {
            List<Block> bl = new ArrayList<>();
            long base = 0;
            int iter = 0;
            boolean infinite = false;
            for (Entry e : entries) {
                int addrs = (int) e.prefix().size();
                int ports = e.portMax() - e.portMin() + 1;
                bl.add(new Block(e.prefix().addr(), addrs, e.portMin(), ports, (int) base));
                base += (long) addrs * ports;
                if (base > (1 << 28)) {
                    throw new IllegalArgumentException("pool4 for " + IpProto.name(e.proto())
                            + " has more than 2^28 (address, port) pairs; ferry keeps one word per pair");
                }
                if (e.maxIterations() < 0) infinite = true;
                iter = Math.max(iter, e.maxIterations());
            }
            blocks = bl.toArray(Block[]::new);
            size = (int) base;
            owner = new AtomicIntegerArray(size);
            maxIterations = infinite ? Integer.MAX_VALUE : iter == 0 ? AUTO_ITERATIONS : iter;
            all = view(-1, -1);
            for (int high = 0; high < 2; high++)
                for (int parity = 0; parity < 2; parity++) views[high * 2 + parity] = view(high, parity);
        }

        /** The candidates below 1024 (high = 0) or above (1), of one parity; (-1, -1): every port. */
        private View view(int high, int parity) {
            List<Segment> segs = new ArrayList<>();
            int total = 0;
            for (Block b : blocks) {
                int lo = b.portMin, hi = b.portMin + b.ports - 1;
                int first, step, count;
                if (high < 0) {
                    first = lo;
                    step = 1;
                    count = b.ports;
                } else {
                    if (high == 0) hi = Math.min(hi, 1023);
                    else lo = Math.max(lo, 1024);
                    first = lo + ((parity - lo) & 1);
                    step = 2;
                    count = first > hi ? 0 : (hi - first) / 2 + 1;
                }
                if (count == 0) continue;
                long s = (long) count * b.addrs;
                segs.add(new Segment(b, first, step, count, (int) s));
                total += (int) s;
            }
            return new View(segs.toArray(Segment[]::new), total);
        }

        int slotOf(int addr, int port) {
            for (Block b : blocks) {
                if (b.contains(addr)) {
                    int p = port - b.portMin;
                    if (p >= 0 && p < b.ports) return b.base + (addr - b.firstAddr) * b.ports + p;
                }
            }
            return -1;
        }

        boolean containsAddr(int addr) {
            for (Block b : blocks) if (b.contains(addr)) return true;
            return false;
        }

        int addrOf(int slot) {
            for (Block b : blocks) {
                int k = slot - b.base;
                if (k >= 0 && k < b.addrs * b.ports) return b.firstAddr + k / b.ports;
            }
            throw new IllegalArgumentException("slot " + slot);
        }

        int portOf(int slot) {
            for (Block b : blocks) {
                int k = slot - b.base;
                if (k >= 0 && k < b.addrs * b.ports) return b.portMin + k % b.ports;
            }
            throw new IllegalArgumentException("slot " + slot);
        }

        /**
         * Copies the owner words of every (address, port) that {@code from} and this layout share into this layout's
         * numbering: BIB owners and resting ports (RFC 6888: a freed port rests whatever the configuration does).
         * Walks the intersections of the two layouts' blocks, so the cost is that of the pairs kept.
         */
        void copyOwners(Layout from) {
            for (Block a : from.blocks) {
                for (Block b : blocks) {
                    long lo = Math.max(a.firstAddr & 0xffffffffL, b.firstAddr & 0xffffffffL);
                    long hi = Math.min((a.firstAddr & 0xffffffffL) + a.addrs, (b.firstAddr & 0xffffffffL) + b.addrs);
                    int pLo = Math.max(a.portMin, b.portMin), pHi = Math.min(a.portMin + a.ports, b.portMin + b.ports);
                    if (lo >= hi || pLo >= pHi) continue;
                    for (long addr = lo; addr < hi; addr++) {
                        int fromRow = a.base + (int) (addr - (a.firstAddr & 0xffffffffL)) * a.ports - a.portMin;
                        int toRow = b.base + (int) (addr - (b.firstAddr & 0xffffffffL)) * b.ports - b.portMin;
                        for (int port = pLo; port < pHi; port++) {
                            int v = from.owner.get(fromRow + port);
                            if (v != 0) owner.set(toRow + port, v);
                        }
                    }
                }
            }
        }
    }

    /**
     * The slots of one protocol. Its {@link Layout} is replaced when pool4 changes under live tables (see
     * {@link Nat64Mapper#reconfigured}); the object itself stays, so the {@link SessionTable} that points to it keeps
     * working. A slot number means one (address, port) only within one layout: code that computed a slot without
     * holding a stripe lock re-reads {@link #layout} under the lock before trusting it.
     */
    static final class ProtoPool {
        /** The current numbering; replaced only while every stripe lock of the protocol's table is held. */
        volatile Layout layout;
        /** {@code layout.size}, kept as a field for readers of the pool's size. */
        volatile int size;
        final AtomicInteger nextEphemeral = new AtomicInteger();

        ProtoPool(List<Entry> entries) {
            publish(new Layout(entries));
        }

        /** Makes {@code l} the current layout. Caller holds every stripe lock of the table (or owns the pool alone). */
        void publish(Layout l) {
            layout = l;
            size = l.size;
        }

        int slotOf(int addr, int port) {
            return layout.slotOf(addr, port);
        }

        boolean containsAddr(int addr) {
            return layout.containsAddr(addr);
        }

        int addrOf(int slot) {
            return layout.addrOf(slot);
        }

        int portOf(int slot) {
            return layout.portOf(slot);
        }
    }

    private final ProtoPool tcp, udp, icmp;
    private final long secret, secret0, secret1;
    private final int fArgs;

    /**
     * @param entries the pool4 entries (any order); overlapping entries of one protocol, an empty pool and
     *                entries of other protocols are refused
     * @param fArgs   Jool's {@code f-args}: which fields feed RFC 6056's F (8 source address, 4 source port,
     *                2 destination address, 1 destination port; Jool's default 0b1011)
     * @param secret  the secret key of F (random in production, fixed in tests)
     * @throws IllegalArgumentException naming the offending entry
     */
    public Pool4(List<Entry> entries, int fArgs, long secret) {
        validate(entries);
        tcp = pool(entries, IpProto.TCP);
        udp = pool(entries, IpProto.UDP);
        icmp = pool(entries, IpProto.ICMP);
        this.fArgs = fArgs;
        this.secret = secret;
        this.secret0 = mix(secret ^ 0x9e3779b97f4a7c15L);
        this.secret1 = mix(secret + 0x632be59bd9b4e019L);
        this.pending = null;
    }

    private Pool4(ProtoPool tcp, ProtoPool udp, ProtoPool icmp, int fArgs, long secret, Layout[] pending) {
        this.tcp = tcp;
        this.udp = udp;
        this.icmp = icmp;
        this.fArgs = fArgs;
        this.secret = secret;
        this.secret0 = mix(secret ^ 0x9e3779b97f4a7c15L);
        this.secret1 = mix(secret + 0x632be59bd9b4e019L);
        this.pending = pending;
    }

    private static void validate(List<Entry> entries) {
        if (entries.isEmpty()) throw new IllegalArgumentException("pool4 is empty: a NAT64 needs IPv4 addresses to bind to");
        for (int i = 0; i < entries.size(); i++) {
            for (int j = 0; j < i; j++) {
                Entry a = entries.get(i), b = entries.get(j);
                if (a.proto() == b.proto() && overlap(a.prefix(), b.prefix())
                        && a.portMin() <= b.portMax() && b.portMin() <= a.portMax()) {
                    throw new IllegalArgumentException("pool4 entries overlap: " + b + " and " + a);
                }
            }
        }
    }

    /**
     * The layouts a successor will publish, by {@link #index} (null: nothing to publish, the protocol's pool is new),
     * or null for a pool built from scratch.
     */
    final Layout[] pending;

    static int index(int proto) {
        return proto == IpProto.TCP ? 0 : proto == IpProto.UDP ? 1 : 2;
    }

    /**
     * The pool4 of a new configuration over the same slots (a reconfiguration that keeps the tables, see
     * {@link Nat64Mapper#reconfigured}): {@code entries} are validated as by the constructor; a protocol this pool has
     * keeps its {@link ProtoPool} object (its table points to it) with a new {@link Layout} that is only built here
     * and published later, under the table's locks, by the reconfiguration; a protocol it has not gets a new pool.
     * The RFC 6056 secret stays, so F keeps choosing the same ports for the same flows. Changes nothing.
     *
     * @throws IllegalArgumentException as the constructor
     */
    Pool4 successor(List<Entry> entries, int newFArgs) {
        validate(entries);
        Layout[] next = new Layout[3];
        ProtoPool[] pools = new ProtoPool[3];
        int[] protos = {IpProto.TCP, IpProto.UDP, IpProto.ICMP};
        for (int i = 0; i < 3; i++) {
            int proto = protos[i];
            List<Entry> mine = entries.stream().filter(e -> e.proto() == proto).toList();
            ProtoPool old = of(proto);
            if (old != null) {
                next[i] = new Layout(mine); // may be empty: the protocol's sessions end, its table stays
                pools[i] = old;
            } else {
                pools[i] = mine.isEmpty() ? null : new ProtoPool(mine);
            }
        }
        return new Pool4(pools[0], pools[1], pools[2], newFArgs, secret, next);
    }

    private static ProtoPool pool(List<Entry> entries, int proto) {
        List<Entry> mine = entries.stream().filter(e -> e.proto() == proto).toList();
        return mine.isEmpty() ? null : new ProtoPool(mine);
    }

    private static boolean overlap(Prefix4 a, Prefix4 b) {
        int len = Math.min(a.len(), b.len());
        int mask = len == 0 ? 0 : -1 << (32 - len);
        return (a.addr() & mask) == (b.addr() & mask);
    }

    ProtoPool of(int proto) {
        return switch (proto) {
            case IpProto.TCP -> tcp;
            case IpProto.UDP -> udp;
            case IpProto.ICMP -> icmp;
            default -> null;
        };
    }

    /** True when {@code v4} is an address of pool4 (any protocol): packets to it are for this NAT64 (§3.8). */
    public boolean containsAddress(int v4) {
        return (tcp != null && tcp.containsAddr(v4)) || (udp != null && udp.containsAddr(v4))
                || (icmp != null && icmp.containsAddr(v4));
    }

    /** Number of (address, port) pairs for {@code proto}. */
    public int size(int proto) {
        ProtoPool p = of(proto);
        return p == null ? 0 : p.size;
    }

    /**
     * RFC 6056 §3.3.3 Algorithm 3: picks and claims a free slot for BIB entry {@code bibId}, or returns -1 when
     * max-iterations candidates were all taken (or resting). Only the fields f-args selects feed F.
     */
    int allocate(int proto, long srcHi, long srcLo, int srcPort, int dst4, int dstPort, int bibId, long nowSec) {
        return allocate(proto, offset(srcHi, srcLo, srcPort, dst4, dstPort), srcPort, bibId, nowSec, -1L);
    }

    /** RFC 6056 §3.3.3 Algorithm 3: "offset = F(local_IP, remote_IP, remote_port, secret_key)", the fields f-args selects. */
    int offset(long srcHi, long srcLo, int srcPort, int dst4, int dstPort) {
        long h = secret0;
        if ((fArgs & 8) != 0) h = mix(h ^ srcHi) ^ mix(srcLo + secret1);
        if ((fArgs & 4) != 0) h = mix(h ^ srcPort);
        if ((fArgs & 2) != 0) h = mix(h ^ (dst4 & 0xffffffffL));
        if ((fArgs & 1) != 0) h = mix(h ^ ((long) dstPort << 32));
        return (int) (mix(h ^ secret1) >>> 33);
    }

    /**
     * Reads ahead, without a lock and without writing, the owner word of the first candidate {@link #allocate} would
     * try now for {@code offset} ({@link #offset}): its slot (high 32 bits) and owner word (low 32 bits), or -1 when
     * there is none. Issued before the stripe lock, so that this (usually cache-missing) load overlaps the IPv6
     * index's (issue 4: creation rate); {@link #allocate} uses the word it read only through a compare-and-set, so a
     * stale one costs a retry, never a wrong claim.
     */
    long peek(int proto, int offset, int srcPort) {
        ProtoPool p = of(proto);
        if (p == null) return -1L;
        Layout l = p.layout;
        View v = proto == IpProto.ICMP ? l.all : l.views[(srcPort < 1024 ? 0 : 2) + (srcPort & 1)];
        if (v.size == 0) return -1L;
        int next = p.nextEphemeral.getPlain();
        int slot = v.slot(mod((offset & 0xffffffffL) + (next & 0xffffffffL), v.size, v.sizeMagic));
        return (long) slot << 32 | (l.owner.getPlain(slot) & 0xffffffffL);
    }

    /**
     * {@link #allocate(int, long, long, int, int, int, int, long)} from a computed {@link #offset}; {@code peeked}
     * is a {@link #peek} result for it (or -1): when it names the first candidate, its owner word stands in for the
     * first read of that slot.
     */
    int allocate(int proto, int offset, int srcPort, int bibId, long nowSec, long peeked) {
        ProtoPool p = of(proto);
        if (p == null) return -1;
        Layout l = p.layout; // stable: callers hold a stripe lock of the table, and layouts change under all of them
        if (proto != IpProto.ICMP) {
            // RFC 4787 REQ-3/REQ-4 (RECOMMENDED): same side of 1024, same parity
            View v = l.views[(srcPort < 1024 ? 0 : 2) + (srcPort & 1)];
            int slot = tryView(p, l, v, offset, bibId, nowSec, peeked);
            if (slot >= 0) return slot;
        }
        return tryView(p, l, l.all, offset, bibId, nowSec, proto == IpProto.ICMP ? peeked : -1L);
    }

    private static int tryView(ProtoPool p, Layout l, View v, int offset, int bibId, long nowSec, long peeked) {
        int n = v.size;
        if (n == 0) return -1;
        int next = p.nextEphemeral.getAndIncrement();
        int tries = Math.min(n, l.maxIterations);
        for (int i = 0; i < tries; i++) {
            // "port = min_ephemeral + (offset + next_ephemeral) % num_ephemeral"
            int k = mod((offset & 0xffffffffL) + (next & 0xffffffffL) + i, n, v.sizeMagic);
            int slot = v.slot(k);
            // the word read ahead serves only when it shows the slot free: the CAS then checks it is still that word
            // (a taken or resting word read ahead is read again, so a stale one never refuses a free slot)
            int seen = (int) peeked;
            boolean claimed = i == 0 && peeked != -1L && (int) (peeked >>> 32) == slot
                    && (seen == 0 || seen < 0 && -(long) seen <= nowSec)
                    ? claim(l.owner, slot, bibId, nowSec, seen) : claim(l.owner, slot, bibId, nowSec);
            if (claimed) {
                if (i > 0) p.nextEphemeral.addAndGet(i); // "next_ephemeral++" per candidate tried
                return slot;
            }
        }
        return -1;
    }

    /** Claims {@code slot} for {@code bibId} if free or rested; lock-free. */
    static boolean claim(ProtoPool p, int slot, int bibId, long nowSec) {
        return claim(p.layout.owner, slot, bibId, nowSec);
    }

    private static boolean claim(AtomicIntegerArray owner, int slot, int bibId, long nowSec) {
        return claim(owner, slot, bibId, nowSec, owner.get(slot));
    }

    /** {@link #claim} with {@code v} as the first read of the owner word (read earlier: only the CAS trusts it). */
    private static boolean claim(AtomicIntegerArray owner, int slot, int bibId, long nowSec, int v) {
        while (true) {
            if (v > 0) return false;
            if (v < 0 && -(long) v > nowSec) return false;
            if (owner.compareAndSet(slot, v, bibId + 1)) return true;
            v = owner.get(slot);
        }
    }

    /** Frees {@code slot}: it rests for {@link #REUSE_DELAY_SECONDS} from {@code nowSec}. */
    static void release(ProtoPool p, int slot, long nowSec) {
        long until = Math.min(Integer.MAX_VALUE, Math.max(1, nowSec + REUSE_DELAY_SECONDS));
        // a release store, not a volatile one: the owner word is read and claimed by compare-and-set only, and a
        // claimer that still sees the old owner just finds the port taken; a volatile store's full fence would make
        // the (usually cache-missing) store to this random word stall the thread (issue 4: creation rate)
        p.layout.owner.lazySet(slot, (int) -until);
    }

    /**
     * The BIB id owning {@code slot} in the current layout, or -1 (also for a slot number beyond it: one computed
     * from an older layout by a reader that holds no lock).
     */
    static int owner(ProtoPool p, int slot) {
        AtomicIntegerArray o = p.layout.owner;
        if (slot < 0 || slot >= o.length()) return -1;
        int v = o.get(slot);
        return v > 0 ? v - 1 : -1;
    }

    // ---- division by multiplication (issue 4: creation rate): a candidate's slot took two hardware divisions in a row
    //      (tens of cycles each) before its owner word could be loaded. With magic = ceil(2^64 / d), the high 64 bits
    //      of x * magic are exactly floor(x / d) whenever 0 <= x < 2^33 and 2 <= d < 2^31 (the estimate exceeds x / d
    //      by less than x / 2^64 < 2^-31 < 1 / d, too little to reach the next integer; Lemire, Kaser and Kurz, "Faster
    //      Remainder by Direct Computation", 2019). Candidate numbers are below 2^33: offset (31 bits) + next_ephemeral
    //      (32) + tries (< 2^31); pool sizes are below 2^31.

    /** ceil(2^64 / d) as an unsigned long, for {@link #div}; 0 for d <= 1 (no magic needed: div handles d = 1). */
    static long magic(int d) {
        return d <= 1 ? 0 : Long.divideUnsigned(-1L, d) + 1;
    }

    /** floor(x / d) for 0 <= x < 2^33 and 1 <= d < 2^31, {@code magic} = {@link #magic}(d). */
    static long div(long x, int d, long magic) {
        return d == 1 ? x : Math.unsignedMultiplyHigh(x, magic);
    }

    /** x mod d, as {@link #div}. */
    static int mod(long x, int d, long magic) {
        return (int) (x - div(x, d, magic) * d);
    }

    /** SplitMix64's finaliser. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    @Override
    public String toString() {
        return "Pool4[tcp=" + size(IpProto.TCP) + ", udp=" + size(IpProto.UDP) + ", icmp=" + size(IpProto.ICMP)
                + " pairs, f-args=" + fArgs + "]";
    }

    /** Formats a slot's transport address (tests, logs). */
    static String format(ProtoPool p, int slot) {
        return Ipv4.format(p.addrOf(slot)) + "#" + p.portOf(slot);
    }
}
