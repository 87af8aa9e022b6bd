package ferry.translate;

import ferry.metrics.Counter;
import ferry.metrics.Counters;
import ferry.packet.Bytes;
import ferry.packet.IpProto;

import java.lang.foreign.MemorySegment;

/**
 * The {@link Translator} facade: dispatches on the version nibble to {@link Translator46} (RFC 7915 §4) or
 * {@link Translator64} (RFC 7915 §5), and performs EAM hairpinning (RFC 7757 §4.2/§4.3, {@code eam-hairpin-mode}):
 * an IPv6 packet whose IPv4 translation is addressed to an explicitly mapped IPv4 address is translated straight
 * back into IPv6 (through the mapper's {@link AddressMapper#hairpinMapper()}, so its source takes the pool6 form)
 * instead of leaving on the IPv4 side. Nothing escapes: any exception is counted as
 * {@link Counter#DROP_INTERNAL_ERROR}.
 *
 * <p>One instance per worker thread (it owns both translators' flyweights and scratch buffers).
 */
public final class IpTranslator implements Translator {
    private final Counters counters;
    private final Translator46 xlat46;
    private final Translator64 xlat64;
    private final Translator46 hairpin46;
    private final AddressMapper mapper;
    /** Where the mapper hands over a held packet it gave up on (RFC 6146 §3.5.2.2). */
    private final MemorySegment expired = MemorySegment.ofArray(new byte[576]);
    /** Where the mapper hands over a kept packet it can now map (a fragment whose first fragment came). */
    private final MemorySegment ready = MemorySegment.ofArray(new byte[HEADROOM + 2048 + 2048]);

    // state of the call in progress (for the hairpin leg)
    private PacketSink current;
    private Verdict hairpinVerdict;
    private final PacketSink hairpinSink = this::hairpin;

    public IpTranslator(TranslatorSettings settings, AddressMapper mapper, Counters counters) {
        this.counters = counters;
        this.mapper = mapper;
        this.looksAhead = mapper.looksAhead();
        this.xlat46 = new Translator46(settings, mapper, counters);
        this.xlat64 = new Translator64(settings, mapper, counters);
        AddressMapper back = settings.eamHairpinMode() == null || settings.eamHairpinMode() == EamHairpinMode.OFF
                ? null : mapper.hairpinMapper();
        this.hairpin46 = back == null ? null : new Translator46(settings, back, counters);
        if (hairpin46 != null) xlat64.hairpinSink(hairpinSink);
    }

    @Override
    public Verdict translate(MemorySegment buf, long off, int len, PacketSink sink) {
        return translate(buf, off, len, 0L, sink);
    }

    @Override
    public Verdict translate(MemorySegment buf, long off, int len, long now, PacketSink sink) {
        return translate(buf, off, len, now, sink, true);
    }

    /** One packet, and the fragments it released; the mapper's timers first when {@code timers}. */
    private Verdict translate(MemorySegment buf, long off, int len, long now, PacketSink sink, boolean timers) {
        Verdict v = translate1(buf, off, len, now, sink, timers);
        // fragments the mapper kept until their first fragment came (this packet, perhaps) go out after it
        for (int n; (n = takeReady()) > 0; ) translate1(ready, HEADROOM, n, now, sink, false);
        return v;
    }

    /** Packets whose flows are looked up together before they are translated (see {@link #lookAhead}). */
    static final int LOOK_AHEAD = 32;
    /** Dependent steps a look-ahead follows after the first ({@link AddressMapper#lookAhead(long[], int)} passes). */
    static final int LOOK_AHEAD_STEPS = 3;
    /** Look-ahead tokens of the packets of a window (kept in a field: the loads behind them are not dead code). */
    private final long[] tokens = new long[LOOK_AHEAD];
    private final boolean looksAhead;

    /**
     * A batch: when the mapper keeps state worth loading ahead ({@link AddressMapper#worthLookingAhead}: NAT64 with
     * tables too large to stay in the cache), in windows of {@link #LOOK_AHEAD} packets, first passes over the
     * window: each packet's flow key is read from its headers and handed to the mapper ({@link
     * AddressMapper#lookAhead64} / {@link AddressMapper#lookAhead46}: NAT64 computes where the IPv6 index holds it,
     * or the pool4 slot), then up to {@link #LOOK_AHEAD_STEPS} passes in which the mapper loads the next
     * dependent lines of every packet's lookup ({@link AddressMapper#lookAhead(long[], int)}: NAT64 loads 6→4 the
     * index line and then the BIB row it names, 4→6 the pool4 owner word and then the BIB row, in one pass; no
     * further pass once no packet has a line left to load); the loads of a loop are independent of one another, so their
     * misses overlap. Then the packets are translated one by one, as {@link
     * #translate(MemorySegment, long, int, long, PacketSink)} does, finding their rows in the cache (or arriving
     * while the packets before them are translated). The passes change nothing: the verdicts and packets are those
     * of one call per packet.
     */
    @Override
    public void translate(MemorySegment[] bufs, long[] offs, int[] lens, int n, long now, PacketSink sink,
                          Verdict[] verdicts) {
        boolean ahead = looksAhead && mapper.worthLookingAhead(); // once per batch: small tables stay in the cache
        for (int from = 0; from < n; from += LOOK_AHEAD) {
            int to = Math.min(n, from + LOOK_AHEAD);
            if (ahead) {
                try {
                    for (int i = from; i < to; i++) tokens[i - from] = lookAhead(bufs[i], offs[i], lens[i]);
                    for (int pass = 0; pass < LOOK_AHEAD_STEPS && mapper.lookAhead(tokens, to - from) > 0; pass++) {
                        // each pass loads one more line per packet; none once every packet's lookup is loaded
                    }
                } catch (Throwable e) {
                    // a packet shorter than its buffer claims, say: the look-ahead is only a hint
                    java.util.Arrays.fill(tokens, 0L);
                }
            }
            for (int i = from; i < to; i++) {
                // the look-ahead's last token goes to the mapper with the packet (Tuple.hint): NAT64 then need not
                // hash the key and probe the index again for a flow the passes already found
                xlat64.hint = ahead ? tokens[i - from] : 0;
                // the mapper's timers once per batch: every packet of it has the same time, so after the first
                // packet's run there is nothing due that a later packet's run would find (a SYN held by a packet of
                // this batch is due seconds later)
                verdicts[i] = translate(bufs[i], offs[i], lens[i], now, sink, i == 0);
                xlat64.hint = 0; // a packet that never reached the mapper leaves nothing for the next one
            }
        }
    }

    /** True with a mapper that looks flows up ahead ({@link AddressMapper#looksAhead}: NAT64). */
    @Override
    public boolean batches() {
        return looksAhead;
    }

    /**
     * The first look-ahead step of one packet: its flow key as the mapper will see it (IPv6: source address and
     * source port or Echo identifier; IPv4: destination address and destination port or Echo identifier), for
     * TCP, UDP and ICMP Echo without IPv6 extension headers or IPv4 fragment offset; other packets get no
     * look-ahead (0) and are simply translated.
     */
    private long lookAhead(MemorySegment buf, long off, int len) {
        if (len < 28) return 0;
        int version = Bytes.u8(buf, off) >>> 4;
        if (version == 6) {
            if (len < 48) return 0;
            int nh = Bytes.u8(buf, off + 6);
            long hi = Bytes.i64(buf, off + 8), lo = Bytes.i64(buf, off + 16);
            if (nh == IpProto.UDP || nh == IpProto.TCP) return mapper.lookAhead64(nh, hi, lo, Bytes.u16(buf, off + 40));
            int type = Bytes.u8(buf, off + 40);
            if (nh == IpProto.ICMPV6 && (type == 128 || type == 129)) // Echo Request / Reply
                return mapper.lookAhead64(IpProto.ICMP, hi, lo, Bytes.u16(buf, off + 44));
            return 0;
        }
        if (version != 4) return 0;
        int ihl = (Bytes.u8(buf, off) & 0xf) * 4;
        if (ihl < 20 || len < ihl + 8 || (Bytes.u16(buf, off + 6) & 0x1fff) != 0) return 0;
        int proto = Bytes.u8(buf, off + 9);
        int dst4 = Bytes.i32(buf, off + 16);
        if (proto == IpProto.UDP || proto == IpProto.TCP) return mapper.lookAhead46(proto, dst4, Bytes.u16(buf, off + ihl + 2));
        int type = Bytes.u8(buf, off + ihl);
        if (proto == IpProto.ICMP && (type == 0 || type == 8)) // Echo Reply / Request
            return mapper.lookAhead46(proto, dst4, Bytes.u16(buf, off + ihl + 4));
        return 0;
    }

    private int takeReady() {
        try {
            return mapper.takeReady(ready, HEADROOM);
        } catch (Throwable e) {
            counters.inc(Counter.DROP_INTERNAL_ERROR);
            return 0;
        }
    }

    /**
     * No packet for a while: the mapper's timers run as they would before a packet (sessions expire, held
     * fragments past fragment-timeout are freed), and IPv4 SYNs held 6 s in vain are answered now rather than when
     * the next packet comes (RFC 6146 §3.5.2.2, RFC 5382 REQ-4).
     */
    @Override
    public void idle(long now, PacketSink sink) {
        try {
            timers(now, sink);
        } catch (Throwable e) {
            counters.inc(Counter.DROP_INTERNAL_ERROR);
        }
    }

    private void timers(long now, PacketSink sink) {
        mapper.tick(now, counters);
        for (int n; (n = mapper.takeExpired(now, expired, 0)) > 0; ) {
            counters.inc(Counter.NAT64_TCP_SYN4_EXPIRED);
            xlat46.sendError(expired, 0, n, 3, 3, sink); // Port Unreachable (RFC 5382 REQ-4)
        }
    }

    private Verdict translate1(MemorySegment buf, long off, int len, long now, PacketSink sink, boolean timers) {
        try {
            if (timers) timers(now, sink);
            xlat46.now = now;
            xlat64.now = now;
            if (hairpin46 != null) hairpin46.now = now;
            if (len < 1) {
                counters.inc(Counter.DROP_TRUNCATED);
                return Verdict.DROP;
            }
            int version = Bytes.u8(buf, off) >>> 4;
            if (version == 4) return xlat46.translate(buf, off, len, sink);
            if (version == 6) {
                current = sink;
                hairpinVerdict = null;
                Verdict v = xlat64.translate(buf, off, len, sink);
                Verdict h = hairpinVerdict;
                current = null;
                hairpinVerdict = null;
                // a hairpinned packet's fate is that of its second (4->6) translation
                return v == Verdict.EMIT && h != null ? h : v;
            }
            counters.inc(Counter.DROP_UNKNOWN_VERSION);
            return Verdict.DROP;
        } catch (Throwable e) {
            counters.inc(Counter.DROP_INTERNAL_ERROR);
            current = null;
            return Verdict.DROP;
        }
    }

    /** RFC 7757 §4.2: "the translator ... translates [the packet] back to IPv6" (the 4->6 leg). */
    private void hairpin(MemorySegment buf, long off, int len) {
        hairpinVerdict = hairpin46.translate(buf, off, len, current);
    }
}
