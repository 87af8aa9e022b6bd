package ferry.nat64;

import ferry.addr.NonGlobal;
import ferry.addr.Rfc6052;
import ferry.metrics.Counter;
import ferry.metrics.Counters;
import ferry.packet.IpProto;
import ferry.translate.AddressMapper;
import ferry.translate.Tuple;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Stateful NAT64 (RFC 6146) as an {@link AddressMapper}: IPv6 hosts are bound to pool4 transport addresses (BIB),
 * flows are tracked as sessions (TCP with the §3.5.2 state machine), IPv4 addresses of the other side are embedded
 * in pool6 (RFC 6052). Shared by all workers: the tables are striped ({@link SessionTable}), pool4 ports are claimed
 * lock-free ({@link Pool4}); nothing is allocated per packet, and time comes in as {@link Tuple#now}.
 *
 * <ul>
 *   <li>IPv6 → IPv4 (§3.5.1, §3.5.2): the destination must lie in pool6, the source must not (issue 4, citing
 *       §5.4); a BIB entry is found or created (endpoint-independent mapping, RFC 6056 port choice), then the
 *       session; RFC 6888 per-subscriber limits and the session cap refuse new flows, never evict old ones.</li>
 *   <li>IPv4 → IPv6: the destination must be a pool4 transport address with a BIB entry; a new session is allowed
 *       from anyone (endpoint-independent filtering) or, with {@code address-dependent-filtering}, only from an
 *       address the entry already has a session with.</li>
 *   <li>ICMP errors (RFC 5508, §3.5 "ICMP error messages"): the inner packet is looked up, never created,
 *       refreshed or deleted; the outer address on the NAT64's side follows the inner packet
 *       ({@link Tuple#outerFromInner}).</li>
 *   <li>Hairpinning (§3.8): {@link #explicit4} says true for pool4 addresses, so the translator sends an IPv6
 *       packet addressed to pool6 + a pool4 address straight back through the IPv4 → IPv6 direction.</li>
 *   <li>Simultaneous open (§3.5.2.2): unsolicited IPv4 SYNs are held 6 s ({@link HeldSyns}) and handed back through
 *       {@link #takeExpired} for ICMP 3/3; fragments follow their first fragment ({@link FragmentMap}) or wait for
 *       it ({@link HeldFragments}, handed back through {@link #takeReady}).</li>
 *   <li>Expiry: {@link #tick} (from the facade, with each packet's time) runs {@link #expire} at most once a second
 *       of packet time.</li>
 * </ul>
 */
public final class Nat64Mapper implements AddressMapper {
    private static final long SECOND = 1_000_000_000L;
    // TCP timer classes
    private static final int C_EST = 0, C_TRANS = 1, C_SYN = 2;

    private final Rfc6052 pool6;
    private final boolean checkWkp;
    private final Pool4 pool4;
    private final Nat64Settings settings;
    private final SessionTable tcp, udp, icmp;
    private final AtomicLong nextTick = new AtomicLong(Long.MIN_VALUE);
    private final SessionTable.OnExpiry tcpExpiry = this::tcpExpired;
    private final HeldSyns heldSyns;
    private final FragmentMap fragments;
    private final HeldFragments heldFragments;
    private static final SessionTable.OnExpiry DELETE = (t, s) -> -1;

    /**
     * @param pool6     the RFC 6052 prefix (e.g. 64:ff9b::/96)
     * @param wkpStrict refuse non-global IPv4 sources under 64:ff9b::/96 (RFC 6052 §3.1)
     * @param pool4     the IPv4 transport addresses
     * @param statics   static BIB entries (their IPv4 side must lie in pool4)
     * @param settings  timeouts, filtering and limits
     * @throws IllegalArgumentException a static entry outside pool4 or clashing with another (the message names it)
     */
    public Nat64Mapper(Rfc6052 pool6, boolean wkpStrict, Pool4 pool4, List<StaticBib> statics, Nat64Settings settings) {
        this(pool6, wkpStrict, pool4, statics, settings, null, null);
    }

    /** BIB rows kept for static entries added by later reconfigurations. */
    static final int STATIC_ROOM = 256;

    /** The lifetime (ns) of each timer class of {@code proto}'s table. */
    private static long[] timeouts(int proto, Nat64Settings settings) {
        long s = SECOND;
        return switch (proto) {
            case IpProto.TCP -> new long[]{settings.tcpEstTimeout() * s, settings.tcpTransTimeout() * s,
                    Nat64Settings.TCP_INCOMING_SYN_SECONDS * s};
            case IpProto.UDP -> new long[]{settings.udpTimeout() * s};
            default -> new long[]{settings.icmpTimeout() * s};
        };
    }

    // ======================================================================================== reconfiguration

    /** Static BIB entries of this configuration. */
    private final List<StaticBib> statics;
    /** Sessions ended by reconfigurations over the life of these tables and the ones they replaced. */
    private final AtomicLong endedByReconfiguration;
    private final int endedWhenBuilt;
    private final String rebuildReason;
    private final List<String> reconfigurationNotes;

    /**
     * The mapper of a new configuration, given the running one (issue 7 item 3: "sessions whose pool4 entry survives
     * keep working"). Nothing of {@code previous} changes unless the new configuration is accepted.
     *
     * <ul>
     *   <li>{@code previous} null: new tables.</li>
     *   <li>pool6, {@code max-sessions} or the per-subscriber limits changed: new, empty tables
     *       ({@link #rebuildReason()} says why; the old ones are let go with their sessions, counted). pool6 because
     *       every session's IPv6 side (the remote IPv4 host as an address under pool6) and every IPv6 host's view of
     *       its peers is an address under pool6: none of them would be reachable under another prefix. The other two
     *       size or shape the tables, which are allocated once.</li>
     *   <li>Otherwise the new mapper works on the SAME BIB and session tables ({@link #sharesTablesWith}), with the
     *       new pool4, static BIB entries, timeouts and flags ({@link TableCarryOver}): BIB entries (and their
     *       sessions) whose IPv4 transport address is in no pool4 entry any more, and static entries no longer
     *       configured, end and are counted ({@link #sessionsEndedWhenBuilt()}); every other entry keeps its IPv4
     *       transport address, which stays reserved in the new pool4. New timeouts apply to an existing session
     *       from its next refresh (a packet, or the ESTABLISHED → TRANS step): its current lifetime was promised
     *       under the old timeout, and rewriting every lifetime would walk the whole table under its locks.</li>
     * </ul>
     *
     * <p>Workers keep translating with {@code previous} until they see the new mapper; both work on the same tables.
     * The tables change only while every stripe lock is held (the workers' own per-flow locks, so the packet path
     * takes no new lock), and a worker that computed a pool4 slot before taking its stripe lock checks, once it
     * holds it, that the numbering it used is still current ({@code lockBibOf4}). So no session is lost or
     * mistaken for another in the race; a packet in flight at the swap is translated by the old or the new rules.
     *
     * @param previous the running mapper, or null
     * @param secret   RFC 6056 secret for new tables (carried tables keep theirs)
     * @param now      the time (ns) of the change: ended entries' pool4 ports rest from it (RFC 6888)
     * @throws IllegalArgumentException the new configuration does not fit the tables (the message names the entry)
     */
    public static Nat64Mapper reconfigured(Nat64Mapper previous, Rfc6052 pool6, boolean wkpStrict,
                                           List<Pool4.Entry> pool4, List<StaticBib> statics, Nat64Settings settings,
                                           long secret, long now) {
        if (previous == null) return new Nat64Mapper(pool6, wkpStrict, new Pool4(pool4, settings.fArgs(), secret), statics, settings);
        String reason = rebuildReason(previous, pool6, settings);
        if (reason != null) {
            return new Nat64Mapper(pool6, wkpStrict, new Pool4(pool4, settings.fArgs(), secret), statics, settings,
                    previous, reason);
        }
        Pool4 next = previous.pool4.successor(pool4, settings.fArgs());
        return new Nat64Mapper(previous, pool6, wkpStrict, next, statics, settings, now);
    }

    private static String rebuildReason(Nat64Mapper p, Rfc6052 pool6, Nat64Settings s) {
        Nat64Settings o = p.settings;
        if (pool6 == null || !pool6.equals(p.pool6))
            return "pool6 changed (every session's IPv6 side is an address under pool6)";
        if (o.maxSessions() != s.maxSessions()) return "max-sessions changed (the tables are allocated for it)";
        if (o.maxSessionsPerSubscriber() != s.maxSessionsPerSubscriber()
                || o.maxPortsPerSubscriber() != s.maxPortsPerSubscriber()
                || o.subscriberPrefixLength() != s.subscriberPrefixLength())
            return "per-subscriber limits changed (the tables count per subscriber as configured at their start)";
        return null;
    }

    /**
     * New tables; when they replace {@code previous}'s (for {@code reason}), its sessions are counted as ended.
     */
    private Nat64Mapper(Rfc6052 pool6, boolean wkpStrict, Pool4 pool4, List<StaticBib> statics, Nat64Settings settings,
                        Nat64Mapper previous, String reason) {
        if (pool6 == null) throw new IllegalArgumentException("pool6 is required in nat64 mode");
        this.pool6 = pool6;
        this.checkWkp = wkpStrict && pool6.isWellKnown();
        this.pool4 = pool4;
        this.settings = settings;
        this.statics = List.copyOf(statics);
        this.heldSyns = new HeldSyns(settings.maximumSimultaneousOpens());
        this.fragments = new FragmentMap(FRAGMENT_DATAGRAMS, settings.fragmentTimeout() * SECOND);
        this.heldFragments = new HeldFragments(HELD_FRAGMENTS, settings.fragmentTimeout() * SECOND);
        tcp = table(IpProto.TCP, statics, timeouts(IpProto.TCP, settings));
        udp = table(IpProto.UDP, statics, timeouts(IpProto.UDP, settings));
        icmp = table(IpProto.ICMP, statics, timeouts(IpProto.ICMP, settings));
        for (StaticBib b : statics) addStatic(tableOf(b.proto()), b);
        int ended = 0;
        if (previous != null) {
            for (int p : new int[] {IpProto.TCP, IpProto.UDP, IpProto.ICMP}) ended += previous.sessionCount(p);
        }
        this.endedByReconfiguration = previous != null ? previous.endedByReconfiguration : new AtomicLong();
        this.endedWhenBuilt = ended;
        endedByReconfiguration.addAndGet(ended);
        this.rebuildReason = reason;
        this.reconfigurationNotes = List.of();
    }

    /** The same tables as {@code previous}, reconfigured (see {@link #reconfigured}). */
    private Nat64Mapper(Nat64Mapper previous, Rfc6052 pool6, boolean wkpStrict, Pool4 pool4, List<StaticBib> statics,
                        Nat64Settings settings, long now) {
        this.pool6 = pool6;
        this.checkWkp = wkpStrict && pool6.isWellKnown();
        this.pool4 = pool4;
        this.settings = settings;
        this.statics = List.copyOf(statics);
        Nat64Settings o = previous.settings;
        // held packets carry over when their stores are shaped alike (a fragment's later pieces, a SYN's 6 s)
        this.heldSyns = o.maximumSimultaneousOpens() == settings.maximumSimultaneousOpens() ? previous.heldSyns
                : new HeldSyns(settings.maximumSimultaneousOpens());
        boolean sameFragments = o.fragmentTimeout() == settings.fragmentTimeout();
        this.fragments = sameFragments ? previous.fragments
                : new FragmentMap(FRAGMENT_DATAGRAMS, settings.fragmentTimeout() * SECOND);
        this.heldFragments = sameFragments ? previous.heldFragments
                : new HeldFragments(HELD_FRAGMENTS, settings.fragmentTimeout() * SECOND);
        // a protocol with a table keeps it (even when no pool4 entry is left for it: its pool is then empty);
        // a protocol new to pool4 gets a table
        tcp = previous.tcp != null ? previous.tcp : table(IpProto.TCP, statics, timeouts(IpProto.TCP, settings));
        udp = previous.udp != null ? previous.udp : table(IpProto.UDP, statics, timeouts(IpProto.UDP, settings));
        icmp = previous.icmp != null ? previous.icmp : table(IpProto.ICMP, statics, timeouts(IpProto.ICMP, settings));
        SessionTable[] kept = {previous.tcp, previous.udp, previous.icmp};
        long[][] newTimeouts = {timeouts(IpProto.TCP, settings), timeouts(IpProto.UDP, settings),
                timeouts(IpProto.ICMP, settings)};
        // the statics of tables made just now (their protocol was not in pool4 before): first, so that a refusal
        // comes before the running tables change (these tables are nobody else's yet)
        for (StaticBib b : statics) {
            if (kept[Pool4.index(b.proto())] == null) addStatic(tableOf(b.proto()), b);
        }
        List<String> notes = new ArrayList<>();
        this.endedWhenBuilt = TableCarryOver.apply(kept, pool4, previous.statics, statics, newTimeouts, now, notes);
        this.endedByReconfiguration = previous.endedByReconfiguration;
        endedByReconfiguration.addAndGet(endedWhenBuilt);
        this.rebuildReason = null;
        this.reconfigurationNotes = List.copyOf(notes);
    }

    /** True when this mapper works on the same BIB and session tables as {@code other}. */
    public boolean sharesTablesWith(Nat64Mapper other) {
        return other != null && (tcp != null && tcp == other.tcp || udp != null && udp == other.udp
                || icmp != null && icmp == other.icmp);
    }

    /** Sessions (and with them BIB entries) that ended when this mapper was built from a running one. */
    public int sessionsEndedWhenBuilt() {
        return endedWhenBuilt;
    }

    /** Sessions ended by reconfigurations since ferry started (pool4 or static entries removed, tables rebuilt). */
    public long sessionsEndedByReconfiguration() {
        return endedByReconfiguration.get();
    }

    /** Why this mapper has new tables although it replaced a running one, or null (new at start, or carried). */
    public String rebuildReason() {
        return rebuildReason;
    }

    /** What the operator should know about the reconfiguration that built this mapper (may be empty). */
    public List<String> reconfigurationNotes() {
        return reconfigurationNotes;
    }

    private SessionTable table(int proto, List<StaticBib> statics, long[] timeouts) {
        Pool4.ProtoPool p = pool4.of(proto);
        if (p == null) return null;
        long n = statics.stream().filter(b -> b.proto() == proto).count();
        // as many rows as sessions (a dynamic entry lives as long as it has one), but not more than twice today's
        // pool4 size (at least 64k): room for a reconfiguration to grow pool4 under the carried-over table without
        // allocating rows for max-sessions entries a small pool4 can never hold (262,144 by default: ~8 MiB per
        // protocol); plus the static entries and room for some added later. A pool4 grown past that leaves new flows
        // refused with drop_nat64_session_limit (counted) until a restart or a pool6/max-sessions change rebuilds the tables.
        long rows = Math.min(settings.maxSessions(), Math.max(2L * p.size, 1 << 16));
        int bibCap = (int) Math.max(1, Math.min(rows + n + STATIC_ROOM, 1 << 28));
        SubscriberLimits limits = new SubscriberLimits(settings.maxSessionsPerSubscriber(),
                settings.maxPortsPerSubscriber(), settings.subscriberPrefixLength(),
                settings.maxSessionsPerSubscriber() > 0 || settings.maxPortsPerSubscriber() > 0 ? settings.maxSessions() : 8);
        return new SessionTable(proto, p, settings.maxSessions(), bibCap, timeouts, limits);
    }

    private SessionTable tableOf(int proto) {
        return switch (proto) {
            case IpProto.TCP -> tcp;
            case IpProto.UDP -> udp;
            case IpProto.ICMP -> icmp;
            default -> null;
        };
    }

    /** Adds static entry {@code e} to {@code t} (its protocol's table, or null). Locks the entry's stripe. */
    static void addStatic(SessionTable t, StaticBib e) {
        int slot = t == null ? -1 : t.pool.slotOf(e.v4(), e.port4());
        if (slot < 0) throw new IllegalArgumentException("bib entry " + e + ": the IPv4 transport address is not in pool4");
        int bucket = t.bucket(e.v6Hi(), e.v6Lo(), e.port6());
        int stripe = SessionTable.stripeOfBucket(bucket);
        t.lock(stripe);
        try {
            if (t.find6(bucket, e.v6Hi(), e.v6Lo(), e.port6()) != SessionTable.NIL)
                throw new IllegalArgumentException("bib entry " + e + ": the IPv6 transport address is already bound");
            int b = t.allocBib(stripe);
            if (b == SessionTable.NIL) throw new IllegalArgumentException("bib entry " + e + ": too many entries");
            if (!Pool4.claim(t.pool, slot, b, Long.MIN_VALUE / 2)) {
                throw new IllegalArgumentException("bib entry " + e + ": the IPv4 transport address is already bound");
            }
            t.linkBib(b, bucket, e.v6Hi(), e.v6Lo(), e.port6(), slot, true, 0);
        } finally {
            t.unlock(stripe);
        }
    }

    // ================================================================================================ look-ahead

    // token: bits 62-63 what it names (1 an IPv6 index position, 2 a BIB row, 3 a session row, 0 done or, with bit 58
    // and not 59, a pool4 slot whose owner word names the BIB row: an IPv4 packet's first step), 60-61 the
    // table (0 TCP, 1 UDP, 2 ICMP); a position: home slot in bits 32-59, hash code in bits 0-31; a BIB row: its number
    // in bits 0-31; a session row: its number in bits 0-31 and its BIB row's in bits 32-59; done (bit 59 set): the BIB
    // row found in bits 0-31 and, from a single step, bits of the rows just loaded in bits 32-46 (kept so that the
    // loads are not dead code; the window pass keeps its loads in its return value instead). The last token reaches map64 as Tuple.hint: a BIB row to try before hashing the key and probing the index.
    private static final long LA_INDEX = 1L << 62, LA_BIB = 2L << 62, LA_SES = 3L << 62, LA_DONE = 1L << 59,
            LA_OWNER = 1L << 58;

    private SessionTable tableOfIndex(int k) {
        return k == 0 ? tcp : k == 1 ? udp : icmp;
    }

    private static int indexOf(int proto) {
        return proto == IpProto.TCP ? 0 : proto == IpProto.UDP ? 1 : 2;
    }

    @Override
    public boolean looksAhead() {
        return true;
    }

    /** BIB rows (of one table) above which a batch's look-ahead pays (see {@link #worthLookingAhead}). */
    static final int LOOK_AHEAD_ROWS = 16384;
    /** {@link #LOOK_AHEAD_ROWS}, per mapper (tests lower it to make small tables look ahead). */
    int lookAheadRows = LOOK_AHEAD_ROWS;

    /**
     * True when a table has handed out more than {@link #LOOK_AHEAD_ROWS} BIB rows: below that, a table's rows (64
     * bytes each) and index lines take about 1.5 MB at most, which stays in a core's L2 cache under a steady load,
     * where the look-ahead passes cost time (about 12 ns per packet at 10,000 flows) and save none.
     */
    @Override
    public boolean worthLookingAhead() {
        SessionTable a = tcp, b = udp, c = icmp;
        int rows = lookAheadRows;
        return a != null && a.bibRowsUsed() > rows || b != null && b.bibRowsUsed() > rows
                || c != null && c.bibRowsUsed() > rows;
    }

    /**
     * The position of the packet's BIB entry in the IPv6 index (computed, nothing loaded: the batch's first pass
     * does only that for every packet, the next one loads the index lines; see {@link SessionTable},
     * "look-ahead"). The lock-free hit that follows ({@link #hitBib64}) then finds the lines it reads in the cache.
     */
    @Override
    public long lookAhead64(int proto, long srcHi, long srcLo, int srcPort) {
        SessionTable tab = tableOf(proto);
        if (tab == null) return 0;
        long p = tab.indexPosition(srcHi, srcLo, srcPort);
        if ((p >>> 32) >= 1L << 28) return 0; // an index beyond what a token holds (2^28 slots): no look-ahead
        return LA_INDEX | (long) indexOf(proto) << 60 | p;
    }

    /**
     * The pool4 slot of the packet's IPv4 transport address (computed, nothing loaded: the batch's pass then loads
     * every packet's owner word together, then the BIB rows they name).
     */
    @Override
    public long lookAhead46(int proto, int dst4, int dstPort) {
        SessionTable tab = tableOf(proto);
        if (tab == null) return 0;
        int slot = tab.pool.layout.slotOf(dst4, dstPort);
        return slot < 0 ? 0 : LA_OWNER | (long) indexOf(proto) << 60 | slot;
    }

    /** The BIB row pool4 slot {@code slot} of table {@code tab} names (its owner word, loaded), or NIL. */
    private static int ownerOf(SessionTable tab, int slot) {
        Pool4.Layout l = tab.pool.layout; // maybe newer than the token's: only a hint, checked by the lookup
        int b = slot >= 0 && slot < l.size ? l.owner.getPlain(slot) - 1 : SessionTable.NIL;
        return b >= 0 && b < tab.bibCap ? b : SessionTable.NIL;
    }

    /**
     * Index position: loads the index line, returns the BIB row's token; pool4 slot: loads its owner word, returns the
     * BIB row's token; BIB row: loads it (its home session with
     * it), returns its first ordinary session's token, or done; session: loads the row, returns done. Done stays
     * done. Done and session tokens name the BIB row (for {@link #map64}'s {@link Tuple#hint}).
     */
    @Override
    public long lookAhead(long token) {
        long kind = token & (3L << 62);
        int k = (int) (token >>> 60) & 3;
        if (kind == 0) {
            if ((token & LA_DONE) != 0) return token; // done stays done (naming its BIB row)
            SessionTable tab = isSlot(token) ? tableOfIndex(k) : null;
            int b = tab == null ? SessionTable.NIL : ownerOf(tab, (int) token);
            return b < 0 ? 0 : LA_BIB | (long) k << 60 | b; // a pool4 slot: its owner word names the BIB row
        }
        SessionTable tab = tableOfIndex(k);
        if (tab == null) return 0;
        if (kind == LA_INDEX) {
            int b = tab.peekIndex(token & 0x0fffffff_ffffffffL);
            return b < 0 ? 0 : LA_BIB | (long) k << 60 | b;
        }
        int row = (int) token;
        if (row < 0 || row >= (kind == LA_BIB ? tab.bibCap : tab.sessIds)) return 0;
        if (kind == LA_BIB) {
            long r = tab.peekBib(row);
            int s = (int) r;
            return s < 0 ? LA_DONE | (long) k << 60 | (r & 0x7fffL << 32) | row
                    : LA_SES | (long) k << 60 | (long) row << 32 | s;
        }
        long b = token >>> 32 & 0x0fffffffL;
        // a value the caller keeps (the load is not dead code), naming the BIB row
        return LA_DONE | (long) k << 60 | (tab.peekSession(row) == 0x5e55_10_4L ? 1L << 32 : 0) | b;
    }

    /**
     * A pass over a window's tokens; counts the tokens with a line still to load. A packet's first step (a 6→4
     * packet's index position, a 4→6 packet's pool4 slot) is done in this one pass: a first loop only touches every
     * such packet's index line or owner word (one load, nothing decoded: a few instructions per packet, so the misses
     * of the whole window are in flight together), a second reads the BIB row each names (from the cache by then),
     * touches that row (both ends: the entry and its home session) and ends the packet's look-ahead with a done token
     * naming the row ({@link Tuple#hint} for 6→4). The rows' misses then overlap the translations of the packets
     * before them instead of holding up a further pass (issue 4; the NAT64 test README, "one pass for 6→4", "and for
     * 4→6"). An entry whose list starts with an ordinary session row has that row loaded by its lookup. Any other
     * token: one {@link #lookAhead(long)} step. A window of one table's first steps (the common one) takes that
     * table's lean loops ({@link SessionTable#touchIndexLines} ...), which leave the same tokens. The count may be
     * one more, with a chance of 2^-64 (a compare that keeps the loads): the caller then makes a pass for nothing.
     */
    @Override
    public int lookAhead(long[] tokens, int n) {
        // the common window: index positions (6->4) or pool4 slots (4->6) of one table, besides tokens that need
        // nothing (0, done): that table's lean loops, its arrays in registers (issue 4), which leave the tokens the
        // general loops would; the table is the first token's, and the first loop tells whether every token fits
        n = Math.min(n, tokens.length);
        int f = 0;
        while (f < n && tokens[f] == 0) f++;
        if (f >= n) return 0; // nothing to load, nothing changes
        long first = tokens[f];
        int c = (int) (first >>> 58), k = c >>> 2 & 3; // class: kind, table, done, slot
        boolean index = c >>> 4 == 1, slot = (c & 0x33) == 1;
        SessionTable one = k < 3 && (index || slot) ? tableOfIndex(k) : null;
        if (one != null) {
            long done = LA_DONE | (long) k << 60;
            long r = index ? one.touchIndexLines(tokens, f, n, c >>> 2) : one.touchOwners(tokens, f, n, c);
            if ((r & 1) == 0) {
                long bits = index ? one.resolveIndex(tokens, f, n, c >>> 2, done)
                        : one.resolveOwners(tokens, f, n, c, done);
                // no more to load; the comparison keeps the loads (a false 1 costs one pass over done tokens)
                return (r ^ bits) == 0x5e55_10_4L ? 1 : 0;
            }
            return lookAheadTables(tokens, f, n, index, k, r);
        }
        return lookAheadMixed(tokens, n);
    }

    /**
     * A window of first steps of several tables or directions (6→4 TCP and UDP, say), besides tokens that need
     * nothing: each class's lean loops in turn, all the index lines and owner words first, then the BIB rows; any
     * other token (or a table this mapper lacks) sends the window to {@link #lookAheadMixed}. The caller's first loop
     * loaded the lines of table {@code k0}'s index positions ({@code index0}) or pool4 slots ({@code r}: what it read).
     */
    private int lookAheadTables(long[] tokens, int f, int n, boolean index0, int k0, long r) {
        // the classes present: index positions of table k (token >>> 60 == 4 | k), pool4 slots of table k (token >>>
        // 58 == k << 2 | 1); anything else but 0 and done is for the general loops
        int idx = 0, slots = 0;
        for (int i = f; i < n; i++) {
            long t = tokens[i];
            if (t == 0) continue;
            if (t >>> 62 == 1) idx |= 1 << (int) (t >>> 60 & 3);
            else if ((t >>> 58 & 0x33) == 1) slots |= 1 << (int) (t >>> 60 & 3);
            else if (t >>> 62 != 0 || (t & LA_DONE) == 0) return lookAheadMixed(tokens, n);
        }
        if ((idx | slots) >>> 3 != 0) return lookAheadMixed(tokens, n); // table index 3: no such table
        for (int k = 0; k < 3; k++) {
            if (((idx | slots) >>> k & 1) != 0 && tableOfIndex(k) == null) return lookAheadMixed(tokens, n);
        }
        long bits = r;
        for (int k = 0; k < 3; k++) {
            SessionTable tab = tableOfIndex(k);
            if ((idx >>> k & 1) != 0 && !(index0 && k == k0)) bits += tab.touchIndexLines(tokens, f, n, 4 | k);
            if ((slots >>> k & 1) != 0 && (index0 || k != k0)) bits += tab.touchOwners(tokens, f, n, k << 2 | 1);
        }
        for (int k = 0; k < 3; k++) {
            SessionTable tab = tableOfIndex(k);
            long done = LA_DONE | (long) k << 60;
            if ((idx >>> k & 1) != 0) bits ^= tab.resolveIndex(tokens, f, n, 4 | k, done);
            if ((slots >>> k & 1) != 0) bits ^= tab.resolveOwners(tokens, f, n, k << 2 | 1, done);
        }
        return bits == 0x5e55_10_4L ? 1 : 0; // no more to load; the comparison keeps the loads
    }

    /**
     * {@link #lookAhead(long[], int)} for any window (tokens of several tables or kinds); package-private for the
     * test that holds the one-table pass to the same tokens.
     */
    int lookAheadMixed(long[] tokens, int n) {
        long touched = 0;
        for (int i = 0; i < n; i++) {
            long t = tokens[i];
            long kind = t & (3L << 62);
            boolean owner = isSlot(t);
            if (kind != LA_INDEX && !owner) continue;
            SessionTable tab = tableOfIndex((int) (t >>> 60) & 3);
            if (tab == null) continue;
            touched += owner ? touchOwner(tab, (int) t) : tab.touchIndexLine(t & 0x0fffffff_ffffffffL);
        }
        int more = 0;
        for (int i = 0; i < n; i++) {
            long t = tokens[i];
            long kind = t & (3L << 62);
            boolean owner = isSlot(t);
            if (kind != LA_INDEX && !owner) {
                t = lookAhead(t);
                tokens[i] = t;
                if ((t & (3L << 62)) != 0) more++; // a BIB or session row: not done, not nothing
                continue;
            }
            int k = (int) (t >>> 60) & 3;
            SessionTable tab = tableOfIndex(k);
            int b = tab == null ? SessionTable.NIL
                    : owner ? ownerOf(tab, (int) t) : tab.peekIndex(t & 0x0fffffff_ffffffffL);
            if (b < 0) {
                tokens[i] = 0;
                continue;
            }
            touched += tab.touchBibRow(b);
            tokens[i] = LA_DONE | (long) k << 60 | b;
        }
        // the comparison keeps the touching loads (not a store to a field of the mapper, which the workers share; a
        // false 1 costs one pass)
        return more + (touched == 0x5e55_10_4L ? 1 : 0);
    }

    /** True for a pool4 slot token ({@link #lookAhead46}): kind 0, not done, bit 58. */
    private static boolean isSlot(long t) {
        return (t & (3L << 62 | LA_DONE | LA_OWNER)) == LA_OWNER;
    }

    /** Loads pool4 slot {@code slot}'s owner word and nothing else; returns it. */
    private static long touchOwner(SessionTable tab, int slot) {
        Pool4.Layout l = tab.pool.layout;
        return slot >= 0 && slot < l.size ? l.owner.getPlain(slot) : 0;
    }

    /**
     * The BIB row a look-ahead token (Tuple.hint) names in table {@code k}, or NIL: only a hint, which {@link
     * #hitBib64} checks against the packet's key like any row the index names.
     */
    private static int hintedBib(long h, int k, SessionTable tab) {
        if (((int) (h >>> 60) & 3) != k) return SessionTable.NIL;
        long kind = h & (3L << 62);
        int b = kind == 0 && (h & LA_DONE) != 0 ? (int) h : kind == LA_SES ? (int) (h >>> 32 & 0x0fffffffL)
                : kind == LA_BIB ? (int) h : SessionTable.NIL;
        return b >= 0 && b < tab.bibCap ? b : SessionTable.NIL;
    }

    // ================================================================================================ IPv6 -> IPv4

    @Override
    public Counter map64(Tuple t) {
        if (t.inner) return inner64(t);
        // RFC 6146 §3.5: only packets to pool6 (Pref64::/n) are translated
        if (!pool6.matches(t.dstHi, t.dstLo)) return Counter.DROP_DST_UNTRANSLATABLE;
        // a source inside pool6 would be an IPv4 host's address on the IPv6 side: spoofed or looping (§5.4 in issue 4)
        if (pool6.matches(t.srcHi, t.srcLo)) return Counter.DROP_NAT64_SRC_IN_POOL6;
        int dst4 = pool6.extract(t.dstHi, t.dstLo);
        t.dst4 = dst4;
        if (t.icmpError) {
            t.outerFromInner = true; // the source becomes the session's pool4 address (inner destination)
            return null;
        }
        if (t.proto != IpProto.TCP && t.proto != IpProto.UDP && t.proto != IpProto.ICMP)
            return Counter.DROP_NAT64_UNSUPPORTED_PROTOCOL;
        if (t.fragmented && !t.firstFragment) {
            // a later fragment: no ports; its IPv4 source is what the first fragment of the datagram mapped to
            int r = fragments.get(t.srcHi, t.srcLo, fragKey(dst4, t.fragmentId), t.proto, t.fragmentOffset,
                    t.fragmentLength, t.now, t, true);
            if (r == FragmentMap.FOUND) return null;
            if (r != FragmentMap.MISSING) return Counter.DROP_NAT64_FRAGMENT_OVERLAP;
            return holdFragment(t, t.srcHi, t.srcLo, fragKey(dst4, t.fragmentId), t.proto);
        }
        boolean isIcmp = t.proto == IpProto.ICMP;
        if (isIcmp && settings.dropIcmpv6Info()) return Counter.DROP_NAT64_ICMPV6_INFO;
        SessionTable tab = tableOf(t.proto);
        if (tab == null) return refuse6(t, Counter.DROP_NAT64_POOL4_EXHAUSTED, 3, t.now);
        int port6 = t.srcPort; // TCP/UDP source port, or the ICMP identifier
        int remotePort = isIcmp ? 0 : t.dstPort;
        long now = t.now;
        if (!t.fragmented && t.hint != 0) {
            int hb = hintedBib(t.hint, indexOf(t.proto), tab);
            if (hb >= 0 && hitBib64(tab, t, hb, port6, dst4, remotePort, now)) return null;
        }
        int bucket = tab.bucket(t.srcHi, t.srcLo, port6);
        int offset = 0;
        long peeked = -1L; // -1: offset not computed
        if (!t.fragmented) {
            int fb = tab.find6Fast(bucket, t.srcHi, t.srcLo, port6);
            if (fb != SessionTable.NIL) {
                if (hitBib64(tab, t, fb, port6, dst4, remotePort, now)) return null;
            } else {
                // no BIB entry: most likely a new one (RFC 6146 §3.5.1.1). Its first pool4 candidate's owner word is
                // read now, before the lock, so that this load overlaps the index load just issued instead of
                // following it (issue 4: creation rate)
                offset = pool4.offset(t.srcHi, t.srcLo, port6, dst4, t.dstPort);
                peeked = pool4.peek(t.proto, offset, port6);
            }
        }
        int stripe = SessionTable.stripeOfBucket(bucket);
        tab.lock(stripe);
        try {
            int b = tab.find6(bucket, t.srcHi, t.srcLo, port6);
            int s = b == SessionTable.NIL ? SessionTable.NIL : tab.findSession(b, dst4, remotePort);
            int outcome = 0;
            if (t.proto == IpProto.TCP) {
                int state = s == SessionTable.NIL ? TcpStateMachine.CLOSED : tab.sState(s);
                outcome = TcpStateMachine.next(state, true, t.tcpFlags, settings.handleRstDuringFinRcv());
                // RFC 6146 §3.5.2.2: in CLOSED only a SYN opens a session
                if (TcpStateMachine.state(outcome) == TcpStateMachine.CLOSED) return Counter.DROP_NAT64_TCP_NO_SESSION;
            }
            int reserved = SessionTable.NIL;
            if (s == SessionTable.NIL) {
                // ferry's nat64-allow: a new IPv6-initiated flow must go to a listed port (checked only here, when a
                // session would be created: established flows and IPv4-initiated traffic never see the filter)
                Nat64PortFilter pf = portFilter;
                if (pf != null && !pf.allows(t.proto, remotePort)) return refuseFiltered(t, now);
                // the session first, then the BIB entry and its port: a flow refused for want of a session (the
                // total cap, or its subscriber's limit) must not claim a port that would then rest 120 s unused
                reserved = tab.reserveSession(stripe, t.srcHi, t.srcLo);
                if (reserved < 0) {
                    // RFC 6888 REQ-3/REQ-4: the new flow is refused; existing sessions are never evicted
                    return refuse6(t, reserved == SessionTable.OVER_LIMIT ? Counter.DROP_NAT64_SUBSCRIBER_LIMIT
                            : Counter.DROP_NAT64_SESSION_LIMIT, 1, now);
                }
            }
            if (b == SessionTable.NIL) {
                // RFC 6888 REQ-4: a subscriber over its port limit gets no new binding
                if (tab.limits != null && !tab.limits.acquire(t.srcHi, t.srcLo, true)) {
                    tab.unreserveSession(stripe, reserved, t.srcHi, t.srcLo);
                    return refuse6(t, Counter.DROP_NAT64_SUBSCRIBER_LIMIT, 1, now);
                }
                b = tab.allocBib(stripe);
                if (b == SessionTable.NIL) {
                    tab.unreserveSession(stripe, reserved, t.srcHi, t.srcLo);
                    if (tab.limits != null) tab.limits.release(t.srcHi, t.srcLo, true);
                    // every row taken: when there are as many rows as pool4 pairs, that is pool4 exhaustion
                    return tab.bibCap >= tab.pool.size ? refuse6(t, Counter.DROP_NAT64_POOL4_EXHAUSTED, 3, now)
                            : refuse6(t, Counter.DROP_NAT64_SESSION_LIMIT, 1, now);
                }
                // RFC 6146 §3.5.1.1 (paraphrased): when no IPv4 transport address can be allocated or no BIB entry
                // created, the packet is discarded and an ICMPv6 Destination Unreachable, Code 3 (Address
                // Unreachable), SHOULD be returned.
                if (peeked == -1L) offset = pool4.offset(t.srcHi, t.srcLo, port6, dst4, t.dstPort);
                int slot = pool4.allocate(t.proto, offset, port6, b, now / SECOND, peeked);
                if (slot < 0) {
                    tab.freeBibRow(stripe, b);
                    tab.unreserveSession(stripe, reserved, t.srcHi, t.srcLo);
                    if (tab.limits != null) tab.limits.release(t.srcHi, t.srcLo, true);
                    return refuse6(t, Counter.DROP_NAT64_POOL4_EXHAUSTED, 3, now);
                }
                tab.linkBib(b, bucket, t.srcHi, t.srcLo, port6, slot, false, now);
            }
            if (s == SessionTable.NIL) {
                int state = t.proto == IpProto.TCP ? TcpStateMachine.state(outcome) : 0;
                int cls = t.proto == IpProto.TCP ? TcpStateMachine.timer(outcome) - 1 : 0;
                s = tab.newSession(stripe, b, reserved, dst4, remotePort, state, cls, now);
                if (t.proto == IpProto.TCP) {
                    // §3.5.2.2: the IPv6 host opened the connection an IPv4 SYN was held for; that SYN is discarded
                    int slot = tab.bSlot(b);
                    heldSyns.opened(tab.pool.addrOf(slot), tab.pool.portOf(slot), dst4, remotePort);
                }
            } else {
                update(tab, stripe, s, outcome, now);
            }
            int slot = tab.bSlot(b);
            t.src4 = tab.pool.addrOf(slot);
            t.srcPort = tab.pool.portOf(slot);
            if (t.fragmented) {
                long c = fragKey(dst4, t.fragmentId);
                // no room to remember the datagram: its later fragments would be lost, so the first goes too
                if (!fragments.put(t.srcHi, t.srcLo, c, t.proto, t.src4 & 0xffffffffL, 0, t.fragmentLength, now))
                    return Counter.DROP_NAT64_FRAGMENT;
                heldFragments.mapped(t.srcHi, t.srcLo, c, t.proto, now);
            }
            return null;
        } finally {
            tab.unlock(stripe);
        }
    }

    /**
     * The lock-free path of an IPv6 packet of an established flow (see {@link SessionTable}, "Lock-free hits"): finds
     * the session without a lock, and when the packet changes nothing but the session's lifetime, refreshes it with
     * one compare-and-set and fills in the IPv4 source. False: not found, not valid, or a change that needs the
     * lock (a new session, a TCP state change, a timer class change); the caller takes the locked path.
     *
     * <p>It starts from BIB row {@code b}, found in the index ({@link SessionTable#find6Fast}) or named by the
     * look-ahead: the row's key is compared with the packet's inside the validated snapshot, so any row that is not
     * this flow's is a miss, never a hit.
     */
    private boolean hitBib64(SessionTable tab, Tuple t, int b, int port6, int dst4, int remotePort, long now) {
        int e = tab.epochBegin();
        int v = tab.readBegin(b);
        if (tab.bHi(b) != t.srcHi || tab.bLo(b) != t.srcLo || tab.bPort6(b) != port6) return false;
        int slot = tab.bSlot(b);
        Pool4.Layout l = tab.pool.layout; // the numbering of slot: validated by the reconfiguration number
        int s = tab.findSessionFast(b, dst4, remotePort);
        if (s == SessionTable.NIL || slot < 0 || slot >= l.size) return false;
        long word = tab.sWord(s);
        long seen = tab.sExpires(s);
        if (!tab.readValid(b, v) || !tab.epochValid(e)) return false;
        if (!touch(tab, s, word, seen, true, t.tcpFlags, now)) return false;
        t.src4 = l.addrOf(slot);
        t.srcPort = l.portOf(slot);
        return true;
    }

    /** The lock-free path of an IPv4 packet of an established flow; as {@link #hitBib64}. */
    private boolean hit46(SessionTable tab, Tuple t, int port4, int remotePort, boolean isIcmp, long now) {
        int e = tab.epochBegin();
        Pool4.Layout l = tab.pool.layout; // slot numbers mean (address, port) in this layout only
        int slot = l.slotOf(t.dst4, port4);
        if (slot < 0) return false;
        int b = l.owner.get(slot) - 1;
        if (b < 0 || b >= tab.bibCap) return false;
        int v = tab.readBegin(b);
        if (tab.bSlot(b) != slot) return false;
        long hi = tab.bHi(b), lo = tab.bLo(b);
        int port6 = tab.bPort6(b);
        int s = tab.findSessionFast(b, t.src4, remotePort);
        if (s == SessionTable.NIL) return false;
        long word = tab.sWord(s);
        long seen = tab.sExpires(s);
        if (!tab.readValid(b, v) || !tab.epochValid(e)) return false;
        if (!touch(tab, s, word, seen, false, t.tcpFlags, now)) return false;
        t.srcHi = pool6.embedHi(t.src4);
        t.srcLo = pool6.embedLo(t.src4);
        t.dstHi = hi;
        t.dstLo = lo;
        if (isIcmp) t.srcPort = port6;
        else t.dstPort = port6;
        return true;
    }

    /**
     * Applies a packet to a session read lock-free: UDP/ICMP refresh; TCP only when the state stays and the timer is
     * kept or refreshed in the same class (anything else needs the lock). False: take the locked path.
     */
    private boolean touch(SessionTable tab, int s, long word, long seen, boolean fromV6, int tcpFlags, long now) {
        if (tab.proto != IpProto.TCP) return tab.touch(s, seen, 0, now);
        int state = SessionTable.wordState(word);
        int outcome = TcpStateMachine.next(state, fromV6, tcpFlags, settings.handleRstDuringFinRcv());
        if (TcpStateMachine.state(outcome) != state) return false;
        int timer = TcpStateMachine.timer(outcome);
        if (timer == TcpStateMachine.KEEP) return true;
        return timer - 1 == SessionTable.wordClass(word) && tab.touch(s, seen, timer - 1, now);
    }

    /** Applies a packet to an existing session: TCP state and lifetime per the outcome; UDP/ICMP: refresh. */
    private static void update(SessionTable tab, int stripe, int s, int outcome, long now) {
        if (tab.proto != IpProto.TCP) {
            tab.refresh(stripe, s, 0, now);
            return;
        }
        tab.setSState(s, TcpStateMachine.state(outcome));
        int timer = TcpStateMachine.timer(outcome);
        if (timer != TcpStateMachine.KEEP) tab.refresh(stripe, s, timer - 1, now);
    }

    /**
     * Refuses a new flow with ICMPv6 Destination Unreachable {@code code}, within the error rate limit (RFC 6888:
     * limits are hit under attack, and answering every refused packet would turn the NAT64 into a reflector).
     */
    private Counter refuse6(Tuple t, Counter c, int code, long now) {
        if (errorBudget(now)) {
            t.errorType = 1;
            t.errorCode = code;
        }
        return c;
    }

    /**
     * A new IPv6-initiated flow to a port nat64-allow does not list: no BIB entry, no session; answered within the
     * error rate limit, TCP with a RST (clients see "connection refused", as {@code nft reject with tcp reset}), UDP
     * and ICMP with ICMPv6 Destination Unreachable, Code 1 "communication with destination administratively
     * prohibited" (RFC 4443 §3.1).
     */
    private Counter refuseFiltered(Tuple t, long now) {
        if (t.proto != IpProto.TCP) return refuse6(t, Counter.DROP_NAT64_PORT_FILTERED, 1, now);
        if (errorBudget(now)) t.errorType = Tuple.TCP_RESET;
        return Counter.DROP_NAT64_PORT_FILTERED;
    }

    /** Likewise on the IPv4 side (ICMPv4 Destination Unreachable). */
    private Counter refuse4(Tuple t, Counter c, int code, long now) {
        if (errorBudget(now)) {
            t.errorType = 3;
            t.errorCode = code;
        }
        return c;
    }

    /** ICMP errors for refused flows: at most {@link #ERRORS_PER_SECOND} per second, bursts of as many (GCRA). */
    static final int ERRORS_PER_SECOND = 100;
    private static final long ERROR_INTERVAL = SECOND / ERRORS_PER_SECOND;
    private final AtomicLong errorTat = new AtomicLong(Long.MIN_VALUE / 2);

    private boolean errorBudget(long now) {
        while (true) {
            long tat = errorTat.get();
            long start = Math.max(tat, now);
            if (start - now >= SECOND) { // the burst is spent
                rateLimited.increment(); // striped: a flood of refusals on every worker does not fight over one line
                return false;
            }
            if (errorTat.compareAndSet(tat, start + ERROR_INTERVAL)) return true;
        }
    }

    /**
     * The inner packet of an ICMPv6 error: a packet the NAT64 translated from IPv4 (source pool6 + Y, destination the
     * IPv6 host X). Its session is looked up, never created or refreshed (issue 4 item 4, RFC 5508).
     */
    private Counter inner64(Tuple t) {
        if (!pool6.matches(t.srcHi, t.srcLo)) return Counter.DROP_NAT64_ICMP_NO_SESSION;
        SessionTable tab = tableOf(t.proto);
        if (tab == null) return Counter.DROP_NAT64_ICMP_NO_SESSION;
        boolean isIcmp = t.proto == IpProto.ICMP;
        int remote4 = pool6.extract(t.srcHi, t.srcLo);
        int port6 = isIcmp ? t.srcPort : t.dstPort;
        int remotePort = isIcmp ? 0 : t.srcPort;
        int bucket = tab.bucket(t.dstHi, t.dstLo, port6);
        int stripe = SessionTable.stripeOfBucket(bucket);
        tab.lock(stripe);
        try {
            int b = tab.find6(bucket, t.dstHi, t.dstLo, port6);
            if (b == SessionTable.NIL || tab.findSession(b, remote4, remotePort) == SessionTable.NIL)
                return Counter.DROP_NAT64_ICMP_NO_SESSION;
            int slot = tab.bSlot(b);
            t.src4 = remote4;
            t.dst4 = tab.pool.addrOf(slot);
            if (isIcmp) t.srcPort = tab.pool.portOf(slot);
            else t.dstPort = tab.pool.portOf(slot);
            return null;
        } finally {
            tab.unlock(stripe);
        }
    }

    // ================================================================================================ IPv4 -> IPv6

    @Override
    public Counter map46(Tuple t) {
        if (t.inner) return inner46(t);
        if (!pool4.containsAddress(t.dst4)) return Counter.DROP_NAT64_NOT_POOL4;
        if (t.icmpError) {
            // the error's source (a router, any IPv4 address) is embedded; its destination follows the inner packet
            t.outerFromInner = true;
            if (checkWkp && NonGlobal.forbiddenUnderWkp(t.src4)) return Counter.DROP_SRC_UNTRANSLATABLE;
            t.srcHi = pool6.embedHi(t.src4);
            t.srcLo = pool6.embedLo(t.src4);
            return null;
        }
        if (checkWkp && NonGlobal.forbiddenUnderWkp(t.src4)) return Counter.DROP_WKP_NON_GLOBAL;
        if (t.proto != IpProto.TCP && t.proto != IpProto.UDP && t.proto != IpProto.ICMP)
            return Counter.DROP_NAT64_UNSUPPORTED_PROTOCOL;
        if (t.fragmented && !t.firstFragment) {
            int r = fragments.get(t.src4 & 0xffffffffL, 1, fragKey(t.dst4, t.fragmentId & 0xffff), t.proto,
                    t.fragmentOffset, t.fragmentLength, t.now, t, false);
            if (r == FragmentMap.FOUND) {
                t.srcHi = pool6.embedHi(t.src4);
                t.srcLo = pool6.embedLo(t.src4);
                return null;
            }
            if (r != FragmentMap.MISSING) return Counter.DROP_NAT64_FRAGMENT_OVERLAP;
            return holdFragment(t, t.src4 & 0xffffffffL, 1, fragKey(t.dst4, t.fragmentId & 0xffff), t.proto);
        }
        boolean isIcmp = t.proto == IpProto.ICMP;
        boolean isTcp = t.proto == IpProto.TCP;
        boolean syn = isTcp && (t.tcpFlags & (TcpStateMachine.SYN_FLAG | TcpStateMachine.RST)) == TcpStateMachine.SYN_FLAG;
        SessionTable tab = tableOf(t.proto);
        int port4 = isIcmp ? t.srcPort : t.dstPort;
        int remotePort = isIcmp ? 0 : t.srcPort;
        if (tab != null && !t.fragmented && hit46(tab, t, port4, remotePort, isIcmp, t.now)) return null;
        int b = tab == null ? SessionTable.NIL : lockBibOf4(tab, t.dst4, port4);
        if (b == SessionTable.NIL) {
            if (!isTcp) return refuse4(t, Counter.DROP_NAT64_NO_BIB, 1, t.now);
            if (!syn) return Counter.DROP_NAT64_NO_BIB;
            if (settings.dropExternallyInitiatedTcp()) return Counter.DROP_NAT64_TCP_EXTERNAL;
            return holdSyn(t);
        }
        int stripe = tab.stripeOfBib(b);
        try {
            long now = t.now;
            int s = tab.findSession(b, t.src4, remotePort);
            int outcome = 0;
            if (isTcp) {
                int state = s == SessionTable.NIL ? TcpStateMachine.CLOSED : tab.sState(s);
                outcome = TcpStateMachine.next(state, false, t.tcpFlags, settings.handleRstDuringFinRcv());
            }
            if (s == SessionTable.NIL) {
                if (isTcp && syn && settings.dropExternallyInitiatedTcp()) return Counter.DROP_NAT64_TCP_EXTERNAL;
                // RFC 6146 §3.5.1: with address-dependent filtering, only an address the BIB entry already has a
                // session with may open another; otherwise the packet is discarded (ICMP 3/13 "SHOULD").
                if (settings.addressDependentFiltering() && !tab.hasSessionWith(b, t.src4)) {
                    // §3.5.2.2: a filtered IPv4 SYN is kept like one without a binding (simultaneous open)
                    if (syn) return holdSyn(t);
                    return refuse4(t, Counter.DROP_NAT64_FILTERED, 13, now);
                }
                if (isTcp && TcpStateMachine.state(outcome) == TcpStateMachine.CLOSED)
                    return Counter.DROP_NAT64_TCP_NO_SESSION;
                int state = isTcp ? TcpStateMachine.state(outcome) : 0;
                int cls = isTcp ? TcpStateMachine.timer(outcome) - 1 : 0;
                s = tab.newSession(stripe, b, t.src4, remotePort, state, cls, now);
                if (s < 0) return refuse4(t, s == SessionTable.OVER_LIMIT ? Counter.DROP_NAT64_SUBSCRIBER_LIMIT
                        : Counter.DROP_NAT64_SESSION_LIMIT, 13, now);
            } else {
                update(tab, stripe, s, outcome, now);
            }
            t.srcHi = pool6.embedHi(t.src4);
            t.srcLo = pool6.embedLo(t.src4);
            t.dstHi = tab.bHi(b);
            t.dstLo = tab.bLo(b);
            if (isIcmp) t.srcPort = tab.bPort6(b);
            else t.dstPort = tab.bPort6(b);
            if (t.fragmented) {
                long c = fragKey(t.dst4, t.fragmentId & 0xffff);
                if (!fragments.put(t.src4 & 0xffffffffL, 1, c, t.proto, t.dstHi, t.dstLo, t.fragmentLength, now))
                    return Counter.DROP_NAT64_FRAGMENT;
                heldFragments.mapped(t.src4 & 0xffffffffL, 1, c, t.proto, now);
            }
            return null;
        } finally {
            tab.unlock(stripe);
        }
    }

    /** The inner packet of an ICMPv4 error: one the NAT64 translated from IPv6 (source a pool4 transport address). */
    private Counter inner46(Tuple t) {
        SessionTable tab = tableOf(t.proto);
        if (tab == null) return Counter.DROP_NAT64_ICMP_NO_SESSION;
        boolean isIcmp = t.proto == IpProto.ICMP;
        int remotePort = isIcmp ? 0 : t.dstPort;
        int b = lockBibOf4(tab, t.src4, t.srcPort); // the source port, or the ICMP identifier
        if (b == SessionTable.NIL) return Counter.DROP_NAT64_ICMP_NO_SESSION;
        int stripe = tab.stripeOfBib(b);
        try {
            if (tab.findSession(b, t.dst4, remotePort) == SessionTable.NIL) return Counter.DROP_NAT64_ICMP_NO_SESSION;
            t.srcHi = tab.bHi(b);
            t.srcLo = tab.bLo(b);
            t.srcPort = tab.bPort6(b);
            t.dstHi = pool6.embedHi(t.dst4);
            t.dstLo = pool6.embedLo(t.dst4);
            return null;
        } finally {
            tab.unlock(stripe);
        }
    }

    /**
     * The BIB entry bound to IPv4 transport address ({@code addr}, {@code port}) with its stripe locked, or NIL with no
     * lock held. A reconfiguration may renumber pool4's slots ({@link Pool4.Layout}) between our computing the slot
     * and locking the stripe; it does so only while holding every stripe lock, so once we hold one, the layout we
     * read is still current exactly when it is the same object: otherwise we let go and look again (at most once per
     * reconfiguration that raced us). One volatile read more per packet; no new lock.
     */
    private static int lockBibOf4(SessionTable tab, int addr, int port) {
        while (true) {
            Pool4.Layout l = tab.pool.layout;
            int slot = l.slotOf(addr, port);
            if (slot < 0) return SessionTable.NIL;
            int b = tab.lockBibOfSlot(slot);
            if (tab.pool.layout == l) return b;
            if (b != SessionTable.NIL) tab.unlock(tab.stripeOfBib(b));
        }
    }

    // ================================================================================================ the rest

    /** Fragmented datagrams remembered at once (first fragment seen, later ones expected). */
    static final int FRAGMENT_DATAGRAMS = 1 << 14;
    /** Out-of-order fragments kept at once (2 KiB each), a quarter of them per source at most. */
    static final int HELD_FRAGMENTS = 256;

    private static long fragKey(int addr4, int id) {
        return (addr4 & 0xffffffffL) << 32 | (id & 0xffffffffL);
    }

    /** RFC 6146 §3.8: a packet to a pool4 address is for this NAT64, so an IPv6 packet to it hairpins. */
    @Override
    public boolean explicit4(int v4) {
        return pool4.containsAddress(v4);
    }

    @Override
    public AddressMapper hairpinMapper() {
        return this;
    }

    /**
     * RFC 6146 §3.5.2.2: an IPv4 SYN without a binding is kept 6 s (at most maximum-simultaneous-opens of them); RFC
     * 5382 REQ-4: it gets no ICMP error before that. No room (or storage disabled): dropped without an error.
     */
    private Counter holdSyn(Tuple t) {
        if (t.packet == null) return Counter.DROP_NAT64_TCP_SYN4_NO_BIB;
        int r = heldSyns.hold(t.packet, t.packetOff, t.packetLen, t.dst4, t.dstPort, t.src4, t.srcPort,
                t.now + Nat64Settings.TCP_INCOMING_SYN_SECONDS * SECOND);
        return r >= 0 ? Counter.NAT64_TCP_SYN4_HELD : Counter.DROP_NAT64_TCP_SYN4_NO_BIB;
    }

    /** Keeps a fragment that came before its first fragment (issue 4 item 6); no room: dropped and counted. */
    private Counter holdFragment(Tuple t, long a, long b, long c, long d) {
        if (t.packet == null) return Counter.DROP_NAT64_FRAGMENT;
        return heldFragments.hold(t.packet, t.packetOff, t.packetLen, a, b, c, d, t.now)
                ? Counter.NAT64_FRAGMENT_HELD : Counter.DROP_NAT64_FRAGMENT;
    }

    /** A held fragment whose first fragment has now been mapped, copied for translation; its length or 0. */
    @Override
    public int takeReady(java.lang.foreign.MemorySegment into, long off) {
        return heldFragments.takeReady(into, off);
    }

    /** Hands over an IPv4 SYN held for 6 s in vain, for ICMP Port Unreachable (RFC 5382 REQ-4, issue 4). */
    @Override
    public int takeExpired(long now, java.lang.foreign.MemorySegment into, long off) {
        return heldSyns.takeExpired(now, into, off);
    }

    /** Expires sessions at most once a second of packet time, in whichever worker gets there first. */
    @Override
    public void tick(long now) {
        tick(now, null);
    }

    /**
     * At most once a second of packet time (in whichever worker gets there first): expires sessions, frees held
     * fragments past fragment-timeout, and adds to {@code counters} (when not null) what was counted off the packet
     * path since the last time: fragments discarded by timeout, held SYNs superseded by a simultaneous open, answers
     * withheld by the rate limit, mapping-log records dropped or not written.
     */
    @Override
    public void tick(long now, Counters counters) {
        long next = nextTick.get();
        if (now < next || !nextTick.compareAndSet(next, now + SECOND)) return;
        expire(now);
        heldFragments.expire(now);
        if (counters == null) return;
        counters.add(Counter.DROP_NAT64_FRAGMENT_TIMEOUT, heldFragments.takeTimedOut());
        counters.add(Counter.NAT64_TCP_SYN4_SUPERSEDED, heldSyns.takeSuperseded());
        long limited = rateLimited.sumThenReset(); // each cell read and zeroed atomically: nothing is lost
        if (limited != 0) counters.add(Counter.NAT64_ANSWER_RATE_LIMITED, limited);
        Nat64Log l = log;
        if (l != null) {
            counters.add(Counter.DROP_NAT64_LOG_QUEUE_FULL, l.takeDropped());
            counters.add(Counter.NAT64_LOG_WRITE_ERROR, l.takeWriteErrors());
        }
    }

    /** Answers withheld by {@link #errorBudget} since the last {@link #tick(long, Counters)}. */
    private final java.util.concurrent.atomic.LongAdder rateLimited = new java.util.concurrent.atomic.LongAdder();

    /**
     * Expires every session whose lifetime ended at or before {@code now} (ns), and the dynamic BIB entries left
     * without sessions. An ESTABLISHED TCP session that times out moves to TRANS for tcp-trans-timeout instead
     * (RFC 6146 §3.5.2.2 sends a probe there; ferry sends none, see the README). Returns sessions expired.
     */
    public int expire(long now) {
        int n = 0;
        if (tcp != null) n += tcp.expire(now, tcpExpiry);
        if (udp != null) n += udp.expire(now, DELETE);
        if (icmp != null) n += icmp.expire(now, DELETE);
        return n;
    }

    private int tcpExpired(SessionTable t, int s) {
        if (t.sState(s) == TcpStateMachine.ESTABLISHED) {
            t.setSState(s, TcpStateMachine.TRANS);
            return C_TRANS;
        }
        return -1;
    }

    /** pool4 transport addresses of {@code proto} (address, port or ICMP identifier pairs). */
    public int pool4Size(int proto) {
        return pool4.size(proto);
    }

    /** Fragments now kept waiting for their first fragment (gauge). */
    public int heldFragments() {
        return heldFragments.held();
    }

    /** Bytes of the fragments now kept waiting for their first fragment (gauge). */
    public long heldFragmentBytes() {
        return heldFragments.heldBytes();
    }

    /** IPv4 SYNs now held for a simultaneous open (RFC 6146 §3.5.2.2; gauge). */
    public int heldSyns() {
        return heldSyns.held();
    }

    /** Sessions now held for {@code proto}. */
    public int sessionCount(int proto) {
        SessionTable t = tableOf(proto);
        return t == null ? 0 : t.liveSessions.get();
    }

    /** BIB entries now held for {@code proto} (static ones included). */
    public int bibCount(int proto) {
        SessionTable t = tableOf(proto);
        return t == null ? 0 : t.liveBibs.get();
    }

    /** A snapshot of one session (control plane and tests; allocates). */
    public record Session(int proto, long v6Hi, long v6Lo, int port6, int v4, int port4, int remote4, int remotePort,
                          String state, long expires, boolean staticBib) {
    }

    /** Every session of {@code proto}, locking one stripe at a time (control plane and tests; allocates). */
    public List<Session> sessions(int proto) {
        List<Session> out = new ArrayList<>();
        SessionTable t = tableOf(proto);
        if (t == null) return out;
        for (int b = 0; b < t.bibCap; b++) {
            if (t.bSlot(b) < 0) continue;
            int stripe = t.stripeOfBib(b);
            t.lock(stripe);
            try {
                if (t.bSlot(b) < 0) continue;
                for (int s = t.bSessions(b); s != SessionTable.NIL; s = t.sNextInBib(s)) {
                    out.add(new Session(proto, t.bHi(b), t.bLo(b), t.bPort6(b), t.pool.addrOf(t.bSlot(b)),
                            t.pool.portOf(t.bSlot(b)), t.sRemote4(s), t.sRemotePort(s),
                            proto == IpProto.TCP ? TcpStateMachine.NAMES[t.sState(s)] : "-", t.sExpires(s), t.bStatic(b)));
                }
            } finally {
                t.unlock(stripe);
            }
        }
        return out;
    }

    /** A snapshot of one BIB entry. */
    public record Bib(int proto, long v6Hi, long v6Lo, int port6, int v4, int port4, boolean staticEntry) {
    }

    /** Every BIB entry of {@code proto} (control plane and tests; allocates). */
    public List<Bib> bib(int proto) {
        List<Bib> out = new ArrayList<>();
        SessionTable t = tableOf(proto);
        if (t == null) return out;
        for (int b = 0; b < t.bibCap; b++) {
            if (t.bSlot(b) < 0) continue;
            int stripe = t.stripeOfBib(b);
            t.lock(stripe);
            try {
                if (t.bSlot(b) >= 0) {
                    out.add(new Bib(proto, t.bHi(b), t.bLo(b), t.bPort6(b), t.pool.addrOf(t.bSlot(b)),
                            t.pool.portOf(t.bSlot(b)), t.bStatic(b)));
                }
            } finally {
                t.unlock(stripe);
            }
        }
        return out;
    }

    /**
     * Sends BIB and/or session creation and deletion records to {@code log} from now on (RFC 6888 REQ-12); call
     * before traffic flows. Static entries are not logged.
     */
    public void log(Nat64Log log) {
        this.log = log;
        for (SessionTable t : new SessionTable[] {tcp, udp, icmp}) if (t != null) t.log = log;
    }

    private Nat64Log log;

    /** ferry's {@code nat64-allow} (null: none); read only when an IPv6-initiated session would be created. */
    private volatile Nat64PortFilter portFilter;

    /**
     * Sets (or with null removes) the port filter for new IPv6-initiated flows; takes effect for the next new flow,
     * existing sessions are untouched.
     */
    public void portFilter(Nat64PortFilter f) {
        this.portFilter = f;
    }

    /** The log attached with {@link #log(Nat64Log)}, or null. */
    public Nat64Log log() {
        return log;
    }

    public Nat64Settings settings() {
        return settings;
    }
}
