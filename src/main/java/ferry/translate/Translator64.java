package ferry.translate;

import ferry.addr.Special;
import ferry.metrics.Counter;
import ferry.metrics.Counters;
import ferry.packet.Bytes;
import ferry.packet.Checksum;
import ferry.packet.ExtHeaderWalker;
import ferry.packet.IcmpTypes;
import ferry.packet.IpProto;

import java.lang.foreign.MemorySegment;

/**
 * RFC 7915 §5: IPv6 → IPv4 translation of one packet, in place.
 *
 * <p>The IPv4 header (20 bytes) is written so that it ends exactly where the IPv6 upper-layer header starts (after
 * the fixed header and every extension header), so the payload never moves; the translated packet is emitted as
 * that slice of the input buffer. A translated ICMPv6 error is rebuilt the same way around its inner packet: outer
 * IPv4 + ICMPv4 + inner IPv4 headers end where the inner packet's transport header starts, and the whole message
 * is cut to 576 bytes (in a scratch buffer only when an RFC 4884 extension must be moved). The ICMPv6 errors the
 * translator itself sends (Time Exceeded, Parameter Problem, Packet Too Big, Destination Unreachable) are built in
 * a scratch buffer owned by this instance.
 *
 * <p>Steps, in Jool's order: validate the headers and the extension-header chain; classify the ICMPv6 message
 * (and parse the inner packet of an error); map the addresses; router duties (size against ipv4-mtu, Hop Limit,
 * Routing header); then write. Nothing is written before the packet is known to be translated, so the ICMPv6
 * errors quote the packet as received.
 *
 * <p>One instance per worker thread. {@link #translate} allocates nothing, reads no clock, and never throws: every
 * packet ends as {@link Verdict#EMIT}, {@link Verdict#DROP} with one named counter, or {@link Verdict#ICMP_ERROR}
 * (the reason's counter and {@link Counter#ICMP6_ERROR_SENT}).
 */
public final class Translator64 {
    private static final int IPV6_HEADER = 40;
    private static final int IPV4_HEADER = 20;
    private static final int ICMP_HEADER = 8;
    /** RFC 1812 §4.3.2.3 / Jool: translated ICMPv4 errors are cut to 576 bytes. */
    private static final int ICMP4_ERROR_MAX = 576;
    /** RFC 7915 §5.1: DF is set on translated packets larger than 1260 bytes. */
    private static final int DF_THRESHOLD = 1260;
    /** RFC 4884 §4: the original datagram of an extended ICMP message is zero-padded to at least 128 bytes. */
    private static final int RFC4884_MIN = 128;
    private static final int DF = 0x4000, MF = 0x2000;
    private static final MemorySegment ZEROS = MemorySegment.ofArray(new byte[RFC4884_MIN]);

    private final AddressMapper mapper;
    private final Counters counters;
    private final Tuple tuple = new Tuple();
    /** Time of the packet being translated (nanoseconds, from the caller; see {@link Tuple#now}). */
    long now;
    /** The batch look-ahead's token for the next packet (see {@link Tuple#hint}); used by one packet, then 0. */
    long hint;
    private int tcpFlags;
    private final ExtHeaderWalker walker = new ExtHeaderWalker();
    private final ExtHeaderWalker innerWalker = new ExtHeaderWalker();
    private final Icmp64Errors errors;
    /** ICMPv4 errors whose RFC 4884 extension moves are assembled here, after {@link Translator#HEADROOM} bytes. */
    private final MemorySegment extScratch =
            MemorySegment.ofArray(new byte[Translator.HEADROOM + ICMP4_ERROR_MAX + Translator.HEADROOM]);

    private final boolean overrideTos;
    private final int tos;
    private final int ipv4Mtu;
    private final int ipv6Mtu;
    private final EamHairpinMode hairpinMode;
    private PacketSink hairpinSink;

    // ---- per-packet state of the outer packet (fields, not objects: nothing is allocated per packet)
    private int len, upper, proto6, hopLimit, trafficClass;
    private long srcHi, srcLo, dstHi, dstLo;
    private boolean hasFragment, firstFragment, moreFragments, mayAnswer, fragmented;
    private int fragmentOffset, fragmentId;
    private boolean icmpError;
    private int icmpType, icmpCode, icmpMapped, pointer4;
    private int srcPort, dstPort, newSrcPort, newDstPort;
    private int src4, dst4;

    // ---- per-packet state of an ICMPv6 error's inner packet
    private int innerAt, innerBytes, innerUpper, innerProto6, innerHop, innerTc, innerPayloadLength, extLength;
    private long innerSrcHi, innerSrcLo, innerDstHi, innerDstLo;
    private boolean innerFragment, innerMore;
    private int innerFragOffset, innerFragId, innerIcmpType;
    private int innerSrcPort, innerDstPort, innerNewSrcPort, innerNewDstPort, innerSrc4, innerDst4;

    /**
     * @param settings the globals (read once here)
     * @param mapper   the address strategy (SIIT, NAT64, CLAT)
     * @param counters this worker's counters
     */
    public Translator64(TranslatorSettings settings, AddressMapper mapper, Counters counters) {
        this(settings, mapper, counters, System.identityHashCode(counters) ^ 0x27d4eb2f);
    }

    /** With a fixed PRNG seed (tests: identifications and RFC 6791 addresses become reproducible). */
    Translator64(TranslatorSettings settings, AddressMapper mapper, Counters counters, int seed) {
        this.mapper = mapper;
        this.counters = counters;
        this.errors = new Icmp64Errors(settings, seed);
        this.overrideTos = settings.overrideTos();
        this.tos = settings.tos();
        this.ipv4Mtu = settings.ipv4Mtu();
        this.ipv6Mtu = settings.ipv6Mtu();
        this.hairpinMode = settings.eamHairpinMode() == null ? EamHairpinMode.OFF : settings.eamHairpinMode();
    }

    /**
     * Where packets go whose IPv4 destination is explicitly mapped back into IPv6 (RFC 7757 §4.2 EAM
     * hairpinning), instead of the caller's sink; null (the default) sends them to IPv4 like any other. The sink
     * receives the translated IPv4 packet, in place, with at least {@link Translator#HEADROOM} writable bytes before
     * it.
     */
    public void hairpinSink(PacketSink sink) {
        this.hairpinSink = sink;
    }

    /** Translates the IPv6 packet at {@code buf[off, off+len)}. Never throws. */
    public Verdict translate(MemorySegment buf, long off, int len, PacketSink sink) {
        try {
            tuple.now = now;
            return translate0(buf, off, len, sink);
        } catch (Throwable e) { // a bug: count it, drop the packet, keep the worker alive
            counters.inc(Counter.DROP_INTERNAL_ERROR);
            return Verdict.DROP;
        }
    }

    private Verdict translate0(MemorySegment buf, long off, int length, PacketSink sink) {
        // ------------------------------------------------------------ fixed header
        if (length < IPV6_HEADER) return drop(Counter.DROP_TRUNCATED);
        if ((Bytes.u8(buf, off) >>> 4) != 6) return drop(Counter.DROP_UNKNOWN_VERSION);
        int payloadLength = Bytes.u16(buf, off + 4);
        // RFC 8200 §3: Payload Length counts the bytes after the fixed header; trailing bytes beyond it are link
        // padding and dropped (as the IPv6 stack does). A jumbogram (length 0, RFC 2675) is not translatable.
        if (IPV6_HEADER + payloadLength > length) return drop(Counter.DROP_64_PAYLOAD_LENGTH);
        if (payloadLength == 0 && Bytes.u8(buf, off + 6) == IpProto.HOPOPT) return drop(Counter.DROP_64_PAYLOAD_LENGTH);
        len = IPV6_HEADER + payloadLength;
        trafficClass = (Bytes.i32(buf, off) >>> 20) & 0xff;
        hopLimit = Bytes.u8(buf, off + 7);
        srcHi = Bytes.i64(buf, off + 8);
        srcLo = Bytes.i64(buf, off + 16);
        dstHi = Bytes.i64(buf, off + 24);
        dstLo = Bytes.i64(buf, off + 32);

        // ------------------------------------------------------------ extension headers
        int chain = walker.walk(buf, off, len);
        if (chain == ExtHeaderWalker.HOP_BY_HOP_NOT_FIRST && walker.hasFragmentHeader()) {
            // a Hop-by-Hop header after the Fragment header: refused like any extension header there (below)
            mayAnswer = !neverTranslated6(srcHi, srcLo)
                    && !mayEndInIcmp6Error(buf, off, len, walker.errorOffset(), IpProto.HOPOPT);
            return answer(Counter.DROP_64_EXT_AFTER_FRAGMENT, buf, off, IcmpTypes.V6_DEST_UNREACH,
                    IcmpTypes.V6_ADMIN_PROHIBITED, 0, sink);
        }
        if (chain != ExtHeaderWalker.OK) return drop(chainReason(chain));
        upper = walker.upperOffset();
        proto6 = walker.upperProtocol();
        hasFragment = walker.hasFragmentHeader();
        fragmentOffset = walker.fragmentOffset();
        moreFragments = walker.moreFragments();
        fragmentId = walker.fragmentId();
        firstFragment = fragmentOffset == 0;
        fragmented = hasFragment && (fragmentOffset != 0 || moreFragments);
        // RFC 4443 §2.4 (e): no ICMPv6 error about an ICMPv6 error, nor to a source that is not a unicast address.
        icmpError = firstFragment && proto6 == IpProto.ICMPV6 && len - upper >= 1
                && IcmpTypes.isError6(Bytes.u8(buf, off + upper));
        mayAnswer = !icmpError && !neverTranslated6(srcHi, srcLo);
        // Next Header 1 is ICMPv4, which has no meaning inside IPv6. RFC 7915 §5.1 would copy it into the IPv4
        // Protocol field, handing IPv4 hosts an ICMPv4 message nobody checked (any type, checksum, inner packet).
        // Refused, as 4->6 refuses the IPv6-only protocols (drop_46_ipv6_only_protocol).
        if (proto6 == IpProto.ICMP) return drop(Counter.DROP_64_ICMPV4_IN_IPV6);

        if (hasFragment) {
            // RFC 7915 §5.1.1: "If the Next Header field of the Fragment Header is an extension header (except ESP,
            // but including the Authentication Header (AH)), then the packet SHOULD be dropped and logged." and
            // §5.4: "the translator SHOULD send back an ICMPv6 error message ... Type 1 ... Code 1" (as Jool does).
            if (walker.extAfterFragment() || isExtensionHeader(proto6)) {
                return answer(Counter.DROP_64_EXT_AFTER_FRAGMENT, buf, off, IcmpTypes.V6_DEST_UNREACH,
                        IcmpTypes.V6_ADMIN_PROHIBITED, 0, sink);
            }
            int fragmentHeader = walker.fragmentHeaderOffset();
            int data = len - (fragmentHeader + 8);
            // RFC 8200 §4.5: "If the length of a fragment ... is not a multiple of 8 octets and the M flag of that
            // fragment is 1, then that fragment must be discarded and an ICMP Parameter Problem, Code 0, message
            // should be sent to the source of the fragment, pointing to the Payload Length field".
            if (moreFragments && (data & 7) != 0) {
                return answer(Counter.DROP_64_FRAGMENT_NOT_MULTIPLE_OF_8, buf, off, IcmpTypes.V6_PARAM_PROBLEM,
                        IcmpTypes.V6_ERRONEOUS_HEADER, 4, sink);
            }
            // RFC 8200 §4.5: "If the length and offset of a fragment are such that the Payload Length of the packet
            // reassembled from that fragment would exceed 65,535 octets, then that fragment must be discarded and an
            // ICMP Parameter Problem, Code 0, message should be sent ... pointing to the Fragment Offset field".
            // The IPv4 datagram it becomes part of (RFC 791: Total Length <= 65535) bounds it too.
            int unfragmentable = Math.max(fragmentHeader - IPV6_HEADER, IPV4_HEADER);
            if (unfragmentable + fragmentOffset * 8 + data > 0xffff) {
                return answer(Counter.DROP_64_FRAGMENT_TOO_LONG, buf, off, IcmpTypes.V6_PARAM_PROBLEM,
                        IcmpTypes.V6_ERRONEOUS_HEADER, fragmentHeader + 2, sink);
            }
        }

        // ------------------------------------------------------------ upper layer
        Counter bad = parseUpperLayer(buf, off, fragmented);
        if (bad != null) return drop(bad);

        // ------------------------------------------------------------ addresses (RFC 7915 §5.1)
        Verdict v = mapAddresses(buf, off, sink);
        if (v != null) return v;

        // ------------------------------------------------------------ router duties
        if (!icmpError) {
            // RFC 7915 §5.1.1: "If a translated packet with DF set to 1 will be larger than the MTU of the next-hop
            // interface, then the translator MUST drop the packet and send the ICMPv6 Packet Too Big (Type 2, Code
            // 0) error message to the IPv6 host with an adjusted MTU in the ICMPv6 message." As Jool does, any
            // packet or first fragment too big gets it (a later fragment is dropped silently). The adjusted MTU is
            // ipv4-mtu + 20, + 8 more when the packet has a Fragment header (it shrinks by 28 when translated; Jool
            // adds 20 only), and never under 1280 (RFC 8200 §5). ICMPv6 errors are exempt: they are cut to 576.
            if (len - upper + IPV4_HEADER > ipv4Mtu) {
                if (!firstFragment) return drop(Counter.DROP_64_FRAGMENT_TOO_BIG);
                int mtu6 = Math.min(0xffff, Math.max(1280, ipv4Mtu + 20 + (hasFragment ? 8 : 0)));
                return answer(Counter.DROP_64_PACKET_TOO_BIG, buf, off, IcmpTypes.V6_PACKET_TOO_BIG, 0, mtu6, sink);
            }
        }
        // RFC 7915 §5.1 Time to Live: "As part of decrementing the TTL or Hop Limit the translator (as any router)
        // MUST check for zero and send the ICMPv4 "TTL Exceeded" or ICMPv6 "Hop Limit Exceeded" error."
        if (hopLimit <= 1) {
            return answer(Counter.DROP_64_HOP_LIMIT_EXPIRED, buf, off, IcmpTypes.V6_TIME_EXCEEDED,
                    IcmpTypes.V6_HOP_LIMIT_EXCEEDED, 0, sink);
        }
        // RFC 7915 §5.1: "If a Routing header with a non-zero Segments Left field is present, then the packet MUST
        // NOT be translated, and an ICMPv6 "parameter problem/erroneous header field encountered" (Type 4, Code 0)
        // error message, with the Pointer field indicating the first byte of the Segments Left field, SHOULD be
        // returned to the sender."
        if (walker.routingOffset() >= 0 && walker.segmentsLeft() != 0) {
            return answer(Counter.DROP_64_SEGMENTS_LEFT, buf, off, IcmpTypes.V6_PARAM_PROBLEM,
                    IcmpTypes.V6_ERRONEOUS_HEADER, walker.segmentsLeftFieldOffset(), sink);
        }

        if (icmpError) return writeIcmpError(buf, off, sink);
        return writePacket(buf, off, sink);
    }

    // ================================================================================================ parsing

    private static Counter chainReason(int chain) {
        return switch (chain) {
            case ExtHeaderWalker.TOO_MANY_HEADERS -> Counter.DROP_64_TOO_MANY_EXT_HEADERS;
            case ExtHeaderWalker.HOP_BY_HOP_NOT_FIRST -> Counter.DROP_64_HOP_BY_HOP_NOT_FIRST;
            case ExtHeaderWalker.TWO_FRAGMENT_HEADERS -> Counter.DROP_64_TWO_FRAGMENT_HEADERS;
            default -> Counter.DROP_64_EXT_TRUNCATED;
        };
    }

    /** Extension headers RFC 7915 §5.1.1 refuses after a Fragment header (AH included, ESP not). */
    private static boolean isExtensionHeader(int nh) {
        return nh == IpProto.HOPOPT || nh == IpProto.IPV6_ROUTE || nh == IpProto.IPV6_FRAG || nh == IpProto.IPV6_OPTS
                || nh == IpProto.AH;
    }

    /** Multicast, link-local, unspecified (ferry.addr.Special) and loopback ::1 (RFC 4291 §2.5.3). */
    private static boolean neverTranslated6(long hi, long lo) {
        return Special.neverTranslate6(hi, lo) || (hi == 0 && lo == 1);
    }

    /** Checks the transport header of an unfragmented packet or first fragment; reads ports and ICMP fields. */
    private Counter parseUpperLayer(MemorySegment buf, long off, boolean fragmented) {
        srcPort = dstPort = 0;
        tcpFlags = 0;
        if (proto6 == IpProto.ICMPV6 && fragmented) {
            // RFC 7915 §1.2: "Fragmented ICMP/ICMPv6 packets will not be translated by IP/ICMP translators."
            return Counter.DROP_64_FRAGMENTED_ICMP;
        }
        if (!firstFragment) return null; // later fragments carry no transport header
        long l4 = off + upper;
        int l4Length = len - upper;
        switch (proto6) {
            case IpProto.TCP -> {
                if (l4Length < 20) return Counter.DROP_64_TRUNCATED_L4;
                int dataOffset = Bytes.u8(buf, l4 + 12) >>> 4;
                if (dataOffset < 5) return Counter.DROP_64_TCP_BAD_DATA_OFFSET;
                if (dataOffset * 4 > l4Length) return Counter.DROP_64_TRUNCATED_L4;
                srcPort = Bytes.u16(buf, l4);
                dstPort = Bytes.u16(buf, l4 + 2);
                tcpFlags = Bytes.u8(buf, l4 + 13);
            }
            case IpProto.UDP -> {
                if (l4Length < 8) return Counter.DROP_64_TRUNCATED_L4;
                // RFC 8200 §8.1: "IPv6 receivers must discard UDP packets containing a zero checksum"; an IPv4 UDP
                // checksum 0 would claim "no checksum" for a datagram whose sender computed none.
                if (Bytes.u16(buf, l4 + 6) == 0) return Counter.DROP_64_UDP_ZERO_CHECKSUM;
                srcPort = Bytes.u16(buf, l4);
                dstPort = Bytes.u16(buf, l4 + 2);
            }
            case IpProto.ICMPV6 -> {
                if (l4Length < ICMP_HEADER) return Counter.DROP_64_TRUNCATED_L4;
                return parseIcmp(buf, off, l4, l4Length);
            }
            default -> { } // RFC 7915 §5.5: other transport protocols are forwarded unchanged
        }
        return null;
    }

    private Counter parseIcmp(MemorySegment buf, long off, long l4, int l4Length) {
        icmpType = Bytes.u8(buf, l4);
        icmpCode = Bytes.u8(buf, l4 + 1);
        icmpMapped = Icmp64.map(icmpType, icmpCode);
        if (icmpMapped == Icmp64.UNTRANSLATED) return Icmp64.reason(icmpType);
        if (!icmpError) {
            srcPort = Bytes.u16(buf, l4 + 4); // the Echo identifier
            return null;
        }
        // The error's checksum is recomputed from scratch, so a corrupted error must not be laundered into a
        // valid-looking one (Jool: JSTAT64_ICMP_CSUM).
        int pseudo = Checksum.pseudo6(srcHi, srcLo, dstHi, dstLo, IpProto.ICMPV6, l4Length);
        if (Checksum.add(pseudo, Checksum.sum(buf, l4, l4Length)) != 0xffff) return Counter.DROP_64_ICMP_CHECKSUM;
        if (icmpType == IcmpTypes.V6_PARAM_PROBLEM && icmpCode == IcmpTypes.V6_ERRONEOUS_HEADER) {
            // RFC 7915 §5.2: "If the Pointer field ... has no IPv4 counterpart (n/a in Figure 6), silently drop"
            pointer4 = Icmp64.pointer(Bytes.u32(buf, l4 + 4));
            if (pointer4 < 0) return Counter.DROP_64_ICMP_PARAM_POINTER;
        }
        innerAt = upper + ICMP_HEADER;
        int payload = len - innerAt;
        // RFC 4884 §4.1: the Length of Destination Unreachable and Time Exceeded is the original datagram's length
        // in 64-bit words; what follows is an ICMP extension structure.
        extLength = 0;
        innerBytes = payload;
        if (icmpType == IcmpTypes.V6_DEST_UNREACH || icmpType == IcmpTypes.V6_TIME_EXCEEDED) {
            int original = Bytes.u8(buf, l4 + 4) * 8;
            if (original > payload) return Counter.DROP_64_ICMP_EXTENSION_LENGTH;
            if (original > 0 && original < payload) {
                innerBytes = original;
                extLength = payload - original;
            }
        }
        return parseInner(buf, off + innerAt);
    }

    /**
     * RFC 7915 §5.3: the packet in error is translated like an outer packet, one level only. It must have its
     * IPv6 header, extension headers and transport header; being a quote, its length fields are not trusted.
     */
    private Counter parseInner(MemorySegment buf, long in) {
        if (innerBytes < IPV6_HEADER || (Bytes.u8(buf, in) >>> 4) != 6) return Counter.DROP_64_ICMP_BAD_INNER;
        if (innerWalker.walk(buf, in, innerBytes) != ExtHeaderWalker.OK) return Counter.DROP_64_ICMP_BAD_INNER;
        innerFragment = innerWalker.hasFragmentHeader();
        innerFragOffset = innerWalker.fragmentOffset();
        innerMore = innerWalker.moreFragments();
        innerFragId = innerWalker.fragmentId();
        if (innerFragment && (innerFragOffset != 0 || innerWalker.extAfterFragment())) {
            return Counter.DROP_64_ICMP_BAD_INNER;
        }
        innerUpper = innerWalker.upperOffset();
        innerProto6 = innerWalker.upperProtocol();
        innerTc = (Bytes.i32(buf, in) >>> 20) & 0xff;
        innerPayloadLength = Bytes.u16(buf, in + 4);
        innerHop = Bytes.u8(buf, in + 7);
        innerSrcHi = Bytes.i64(buf, in + 8);
        innerSrcLo = Bytes.i64(buf, in + 16);
        innerDstHi = Bytes.i64(buf, in + 24);
        innerDstLo = Bytes.i64(buf, in + 32);
        innerSrcPort = innerDstPort = 0;
        long l4 = in + innerUpper;
        int l4Length = innerBytes - innerUpper;
        switch (innerProto6) {
            case IpProto.TCP -> {
                if (l4Length < 20) return Counter.DROP_64_ICMP_BAD_INNER;
                int dataOffset = Bytes.u8(buf, l4 + 12) >>> 4;
                if (dataOffset < 5 || dataOffset * 4 > l4Length) return Counter.DROP_64_ICMP_BAD_INNER;
                innerSrcPort = Bytes.u16(buf, l4);
                innerDstPort = Bytes.u16(buf, l4 + 2);
            }
            case IpProto.UDP -> {
                if (l4Length < 8) return Counter.DROP_64_ICMP_BAD_INNER;
                innerSrcPort = Bytes.u16(buf, l4);
                innerDstPort = Bytes.u16(buf, l4 + 2);
            }
            case IpProto.ICMPV6 -> {
                if (l4Length < ICMP_HEADER) return Counter.DROP_64_ICMP_BAD_INNER;
                innerIcmpType = Bytes.u8(buf, l4);
                // RFC 7915 §5.3: "This process MUST stop at the first embedded header and drop the packet if it
                // contains more embedded headers."
                if (IcmpTypes.isError6(innerIcmpType)) return Counter.DROP_64_ICMP_ERROR_IN_ERROR;
                if (innerIcmpType != IcmpTypes.V6_ECHO_REQUEST && innerIcmpType != IcmpTypes.V6_ECHO_REPLY) {
                    return Counter.DROP_64_ICMP_BAD_INNER;
                }
                innerSrcPort = Bytes.u16(buf, l4 + 4);
            }
            default -> { }
        }
        return null;
    }

    // ================================================================================================ addresses

    private Verdict mapAddresses(MemorySegment buf, long off, PacketSink sink) {
        if (neverTranslated6(dstHi, dstLo)) return drop(Counter.DROP_64_DST_NEVER_TRANSLATED);
        boolean srcSpecial = neverTranslated6(srcHi, srcLo);
        if (srcSpecial && !icmpError) return drop(Counter.DROP_64_SRC_NEVER_TRANSLATED);
        Tuple t = tuple;
        t.clear();
        t.hint = hint;
        hint = 0;
        t.srcHi = srcHi;
        t.srcLo = srcLo;
        t.dstHi = dstHi;
        t.dstLo = dstLo;
        t.proto = proto6 == IpProto.ICMPV6 ? IpProto.ICMP : proto6;
        t.srcPort = srcPort;
        t.dstPort = dstPort;
        t.icmpError = icmpError;
        t.tcpFlags = tcpFlags;
        t.fragmented = fragmented;
        t.firstFragment = firstFragment;
        t.fragmentId = fragmentId;
        t.fragmentOffset = fragmentOffset * 8;
        t.fragmentLength = len - upper;
        t.packet = buf;
        t.packetOff = off;
        t.packetLen = len;
        Counter mapped = mapper.map64(t);
        t.packet = null;
        boolean fromInner = icmpError && t.outerFromInner;
        boolean rfc6791 = icmpError && srcSpecial && !fromInner;
        if (mapped != null) {
            if (mapped == Counter.DROP_SRC_UNTRANSLATABLE && icmpError) {
                rfc6791 = true;
            } else if (mapped == Counter.DROP_SRC_UNTRANSLATABLE) {
                // RFC 7915 §5.1 Source Address: "if the IPv6 source address is not within the range of configured
                // IPv6 prefix(es), the translator SHOULD drop the packet and respond with an ICMPv6 "Destination
                // Unreachable, Source address failed ingress/egress policy" (Type 1, Code 5)."
                return answer(mapped, buf, off, IcmpTypes.V6_DEST_UNREACH, IcmpTypes.V6_SOURCE_POLICY_FAILED, 0, sink);
            } else if (t.errorType == Tuple.TCP_RESET && !icmpError) {
                return reset(mapped, buf, off, sink);
            } else if (t.errorType >= 0 && !icmpError) {
                // a stateful mapper may ask for the refusal to be answered (e.g. RFC 6146 §3.5.1.1: no pool4 port)
                return answer(mapped, buf, off, t.errorType, t.errorCode, 0, sink);
            } else {
                return drop(mapped);
            }
        }
        dst4 = t.dst4;
        if (Special.neverTranslate4(dst4)) return drop(Counter.DROP_64_DST4_NEVER_TRANSLATED);
        if (rfc6791) {
            // RFC 7915 §5.1 / RFC 6791: an ICMPv6 error from an address without an IPv4 mapping (a router in the
            // IPv6 network) is sourced from the rfc6791v4 pool, else from the translator's own address.
            if (!errors.haveRfc6791v4()) return drop(Counter.DROP_64_NO_RFC6791_SOURCE);
            src4 = errors.rfc6791v4(hopLimit);
        } else {
            src4 = t.src4;
            // "illegal" sources of ICMP errors are translated for troubleshooting (RFC 7915 §4.1, as Jool does)
            if (!icmpError && Special.neverTranslate4(src4)) return drop(Counter.DROP_64_SRC4_NEVER_TRANSLATED);
        }
        newSrcPort = t.srcPort;
        newDstPort = t.dstPort;
        if (!icmpError) return null;

        // The inner packet goes the other way: its source is the IPv4-side host, its destination the IPv6 host.
        t.clear();
        t.srcHi = innerSrcHi;
        t.srcLo = innerSrcLo;
        t.dstHi = innerDstHi;
        t.dstLo = innerDstLo;
        t.proto = innerProto6 == IpProto.ICMPV6 ? IpProto.ICMP : innerProto6;
        t.srcPort = innerSrcPort;
        t.dstPort = innerDstPort;
        t.inner = true;
        t.icmpError = true;
        mapped = mapper.map64(t);
        if (mapped != null) return drop(mapped);
        innerSrc4 = t.src4;
        innerDst4 = t.dst4;
        innerNewSrcPort = t.srcPort;
        innerNewDstPort = t.dstPort;
        // stateful NAT64: the error comes from the IPv4 transport address the inner packet was sent to
        if (fromInner) src4 = innerDst4;
        return null;
    }

    // ================================================================================================ writing

    /** RFC 7915 §5.1 TOS: "By default, copied from the IPv6 Traffic Class (all 8 bits)", or the configured value. */
    private int tos(int tc) {
        return overrideTos ? tos & 0xff : tc;
    }

    private static int protocol4(int nh) {
        // RFC 7915 §5.1 Protocol: "For ICMPv6 (58), it is changed to ICMPv4 (1); otherwise, extension headers are
        // skipped, and the Next Header field is copied from the last IPv6 header."
        return nh == IpProto.ICMPV6 ? IpProto.ICMP : nh;
    }

    /** Writes a 20-byte IPv4 header (no options) with a valid checksum. */
    private static void writeIpv4(MemorySegment seg, long at, int tos, int totalLength, int id, int flagsOffset,
                                  int ttl, int protocol, int src, int dst) {
        Bytes.put16(seg, at, 0x4500 | (tos & 0xff));
        Bytes.put16(seg, at + 2, totalLength);
        Bytes.put16(seg, at + 4, id);
        Bytes.put16(seg, at + 6, flagsOffset);
        Bytes.put8(seg, at + 8, ttl);
        Bytes.put8(seg, at + 9, protocol);
        Bytes.put16(seg, at + 10, 0);
        Bytes.put32(seg, at + 12, src);
        Bytes.put32(seg, at + 16, dst);
        Bytes.put16(seg, at + 10, Checksum.checksum(seg, at, IPV4_HEADER));
    }

    private Verdict writePacket(MemorySegment buf, long off, PacketSink sink) {
        long l4 = off + upper;
        if (firstFragment) updateTransport(buf, l4);
        int total = len - upper + IPV4_HEADER;
        int id, flags;
        if (hasFragment) {
            // RFC 7915 §5.1.1: "Identification: Copied from the low-order 16 bits in the Identification field in the
            // Fragment Header." "The IPv4 More Fragments (MF) flag is copied from the M flag in the IPv6 Fragment
            // Header. The IPv4 Don't Fragment (DF) flag is cleared". Fragment Offset is copied. An atomic fragment
            // (RFC 6946/RFC 8021: offset 0, M 0) thus becomes an unfragmented packet with DF=0.
            id = fragmentId & 0xffff;
            flags = (moreFragments ? MF : 0) | fragmentOffset;
        } else {
            // RFC 7915 §5.1: "Identification: Set according to a Fragment Identification generator at the
            // translator." "If the size of the translated IPv4 packet is less than or equal to 1260 bytes, [DF] is
            // set to zero; otherwise, it is set to one."
            id = errors.identification();
            flags = total > DF_THRESHOLD ? DF : 0;
        }
        long at = l4 - IPV4_HEADER;
        // RFC 7915 §5.1: Total Length: "Payload length value from the IPv6 header, plus the size of the IPv4
        // header" less the skipped extension headers; TTL: Hop Limit - 1.
        writeIpv4(buf, at, tos(trafficClass), total, id, flags, hopLimit - 1, protocol4(proto6), src4, dst4);
        counters.inc(Counter.XLAT_64_OK);
        boolean hairpin = hairpinSink != null && hairpins();
        if (hairpin) {
            counters.inc(Counter.XLAT_HAIRPIN);
            hairpinSink.emit(buf, at, total);
        } else {
            sink.emit(buf, at, total);
        }
        return Verdict.EMIT;
    }

    /**
     * RFC 7757 §4.2/§4.3: EAM hairpinning. "simple": every packet to an explicitly mapped IPv4 address goes back to
     * IPv6. "intrinsic" (as Jool decides): a packet whose destination was reached through pool6 but whose IPv4 form
     * is explicitly mapped; for an ICMP error, the same test on its inner packet's source.
     */
    private boolean hairpins() {
        return switch (hairpinMode) {
            case OFF -> false;
            case SIMPLE -> mapper.explicit4(dst4);
            case INTRINSIC -> icmpError
                    ? mapper.explicit4(innerSrc4) && !mapper.explicit6(innerSrcHi, innerSrcLo)
                    : mapper.explicit4(dst4) && !mapper.explicit6(dstHi, dstLo);
        };
    }

    /**
     * RFC 7915 §5.5: TCP/UDP checksums are updated for the pseudo-header change only (RFC 1624), so a wrong
     * checksum stays wrong; ICMP Echo (§5.2) drops the ICMPv6 pseudo-header and takes the type change.
     */
    /**
     * An ICMPv4 checksum from an RFC 1624 update. ICMPv4 has no pseudo-header, so its data can sum to zero (an
     * all-zero Echo Reply), and then only 0xffff verifies; eqn. 3 yields the other zero, 0x0000. Turning 0x0000 into
     * 0xffff never makes a wrong checksum right: 0x0000 verifies only where 0xffff does too.
     */
    private static int icmp4Checksum(int c) {
        return c == 0 ? 0xffff : c;
    }

    /**
     * RFC 4443 §2.4 (e.1): whether the chain that continues at {@code pos} with header type {@code nh} may end in an
     * ICMPv6 error message. Used where the walker stopped early (a misplaced Hop-by-Hop header); when it cannot tell
     * (truncated, a later fragment, too long) it says yes, so no error is sent about a possible error.
     */
    private static boolean mayEndInIcmp6Error(MemorySegment buf, long off, int len, int pos, int nh) {
        for (int i = 0; i <= ExtHeaderWalker.MAX_HEADERS; i++) {
            if (nh == IpProto.ICMPV6) return pos >= len || IcmpTypes.isError6(Bytes.u8(buf, off + pos));
            if (nh == IpProto.AH) return true; // its length is counted differently; do not guess
            if (!isExtensionHeader(nh)) return false;
            if (len - pos < 8) return true;
            if (nh == IpProto.IPV6_FRAG && (Bytes.u16(buf, off + pos + 2) >>> 3) != 0) return true;
            int headerLength = nh == IpProto.IPV6_FRAG ? 8 : (Bytes.u8(buf, off + pos + 1) + 1) << 3;
            nh = Bytes.u8(buf, off + pos);
            pos += headerLength;
        }
        return true;
    }

    private void updateTransport(MemorySegment buf, long l4) {
        switch (proto6) {
            case IpProto.TCP, IpProto.UDP -> {
                boolean udp = proto6 == IpProto.UDP;
                long csumAt = l4 + (udp ? 6 : 16);
                int oldSum = Checksum.add(Checksum.addresses6(srcHi, srcLo, dstHi, dstLo),
                        Checksum.add(srcPort, dstPort));
                int newSum = Checksum.add(Checksum.addresses4(src4, dst4), Checksum.add(newSrcPort, newDstPort));
                if (newSrcPort != srcPort) Bytes.put16(buf, l4, newSrcPort);
                if (newDstPort != dstPort) Bytes.put16(buf, l4 + 2, newDstPort);
                int c = Checksum.update(Bytes.u16(buf, csumAt), oldSum, newSum);
                // RFC 768: a computed zero is transmitted as all ones (zero would mean "no checksum").
                if (udp && c == 0) c = 0xffff;
                Bytes.put16(buf, csumAt, c);
            }
            case IpProto.ICMPV6 -> {
                int l4Length = len - upper;
                int oldSum = Checksum.add(Checksum.pseudo6(srcHi, srcLo, dstHi, dstLo, IpProto.ICMPV6, l4Length),
                        Checksum.add((icmpType << 8) | icmpCode, srcPort));
                int type4 = Icmp64.type4(icmpMapped), code4 = Icmp64.code4(icmpMapped);
                int newSum = Checksum.add((type4 << 8) | code4, newSrcPort);
                Bytes.put8(buf, l4, type4);
                Bytes.put8(buf, l4 + 1, code4);
                Bytes.put16(buf, l4 + 4, newSrcPort);
                Bytes.put16(buf, l4 + 2, icmp4Checksum(Checksum.update(Bytes.u16(buf, l4 + 2), oldSum, newSum)));
            }
            default -> { }
        }
    }

    /**
     * RFC 7915 §5.2/§5.3: the ICMPv4 error, built in place around the inner packet's transport bytes, which stay
     * where they are (copied to a scratch buffer only when an RFC 4884 extension has to move). Outer and inner
     * IPv6 headers become IPv4 headers (the inner Hop Limit is not decremented), the message is cut to 576 bytes,
     * and the ICMPv4 checksum is computed over the whole message.
     */
    private Verdict writeIcmpError(MemorySegment buf, long off, PacketSink sink) {
        long innerL4 = off + innerAt + innerUpper;
        updateInnerTransport(buf, innerL4);
        int rest = icmpRest(buf, off + upper);
        int innerTail = innerBytes - innerUpper;          // inner transport bytes present (before any extension)
        MemorySegment seg;
        long base;
        int total;
        if (extLength == 0) {
            seg = buf;
            base = innerL4 - (IPV4_HEADER + ICMP_HEADER + IPV4_HEADER);
            total = Math.min(ICMP4_ERROR_MAX, IPV4_HEADER + ICMP_HEADER + IPV4_HEADER + innerTail);
            writeErrorHeaders(seg, base, total, rest);
        } else {
            // RFC 7915 §5.2 ICMP Error Payload: "the ICMPv6 Extension length attribute MUST be adjusted
            // accordingly". As Jool: the translated original datagram is cut to a multiple of 4 bytes and padded
            // to at least 128 (RFC 4884 §4.1); when the extension cannot fit in 576 bytes it is removed.
            int innerOut = IPV4_HEADER + innerTail;            // translated original datagram, padding included
            int untrimmed = IPV4_HEADER + ICMP_HEADER + innerOut + extLength;
            int maxExt = ICMP4_ERROR_MAX - (IPV4_HEADER + ICMP_HEADER + RFC4884_MIN);
            int outInner, pad, ext, lengthWords;
            if (extLength > maxExt) {
                outInner = Math.min(untrimmed - extLength, ICMP4_ERROR_MAX) - IPV4_HEADER - ICMP_HEADER;
                pad = 0;
                ext = 0;
                lengthWords = 0;
            } else {
                outInner = (Math.min(untrimmed, ICMP4_ERROR_MAX) - extLength - IPV4_HEADER - ICMP_HEADER) & ~3;
                pad = outInner < RFC4884_MIN ? RFC4884_MIN - outInner : 0;
                ext = extLength;
                lengthWords = (outInner + pad) >>> 2;
            }
            seg = extScratch;
            base = Translator.HEADROOM;
            total = IPV4_HEADER + ICMP_HEADER + outInner + pad + ext;
            long innerBody = base + IPV4_HEADER + ICMP_HEADER + IPV4_HEADER;
            MemorySegment.copy(buf, innerL4, seg, innerBody, outInner - IPV4_HEADER);
            MemorySegment.copy(ZEROS, 0, seg, innerBody + outInner - IPV4_HEADER, pad);
            MemorySegment.copy(buf, off + innerAt + innerBytes, seg, innerBody + outInner - IPV4_HEADER + pad, ext);
            rest = (rest & 0xff00_ffff) | (lengthWords << 16); // ICMPv4 Length: byte 5, in 32-bit words
            writeErrorHeaders(seg, base, total, rest);
        }
        long icmp4 = base + IPV4_HEADER;
        Bytes.put16(seg, icmp4 + 2, Checksum.checksum(seg, icmp4, total - IPV4_HEADER));
        counters.inc(Counter.XLAT_64_OK);
        boolean hairpin = hairpinSink != null && hairpins();
        if (hairpin) {
            counters.inc(Counter.XLAT_HAIRPIN);
            hairpinSink.emit(seg, base, total);
        } else {
            sink.emit(seg, base, total);
        }
        return Verdict.EMIT;
    }

    /** The ICMPv4 rest-of-header word (RFC 7915 §5.2): MTU, pointer, or zero (an RFC 4884 length is added later). */
    private int icmpRest(MemorySegment buf, long l4) {
        int type4 = Icmp64.type4(icmpMapped);
        if (type4 == IcmpTypes.V4_PARAM_PROBLEM) return pointer4 << 24;
        if (icmpType == IcmpTypes.V6_PACKET_TOO_BIG) {
            return Icmp64.mtu(Bytes.u32(buf, l4 + 4), ipv4Mtu, ipv6Mtu, innerFragment);
        }
        return 0;
    }

    /** Outer IPv4, ICMPv4 and inner IPv4 headers of a translated error; the ICMPv4 checksum is left to the caller. */
    private void writeErrorHeaders(MemorySegment seg, long base, int total, int rest) {
        // Outer: TTL = Hop Limit - 1; the error is at most 576 bytes, so DF is clear (as Jool's are).
        writeIpv4(seg, base, tos(trafficClass), total, errors.identification(), 0, hopLimit - 1, IpProto.ICMP,
                src4, dst4);
        long icmp4 = base + IPV4_HEADER;
        Bytes.put8(seg, icmp4, Icmp64.type4(icmpMapped));
        Bytes.put8(seg, icmp4 + 1, Icmp64.code4(icmpMapped));
        Bytes.put16(seg, icmp4 + 2, 0);
        Bytes.put32(seg, icmp4 + 4, rest);
        // Inner (RFC 7915 §5.3: "except that the TTL/Hop Limit value of the inner IPv4/IPv6 packet are not
        // decremented"); its Total Length is what the quoted packet claimed, less the skipped extension headers.
        int innerTotal = (innerPayloadLength + IPV6_HEADER - innerUpper + IPV4_HEADER) & 0xffff;
        int id, flags;
        if (innerFragment) {
            id = innerFragId & 0xffff;
            flags = (innerMore ? MF : 0) | innerFragOffset;
        } else {
            id = errors.identification();
            flags = innerTotal > DF_THRESHOLD ? DF : 0;
        }
        writeIpv4(seg, icmp4 + ICMP_HEADER, tos(innerTc), innerTotal, id, flags, innerHop, protocol4(innerProto6),
                innerSrc4, innerDst4);
    }

    /** The inner packet's transport checksum follows its addresses (RFC 1624), like an outer packet's. */
    private void updateInnerTransport(MemorySegment buf, long l4) {
        switch (innerProto6) {
            case IpProto.TCP, IpProto.UDP -> {
                boolean udp = innerProto6 == IpProto.UDP;
                long csumAt = l4 + (udp ? 6 : 16);
                int c = Bytes.u16(buf, csumAt);
                if (innerNewSrcPort != innerSrcPort) Bytes.put16(buf, l4, innerNewSrcPort);
                if (innerNewDstPort != innerDstPort) Bytes.put16(buf, l4 + 2, innerNewDstPort);
                if (udp && c == 0) return; // no checksum to carry over: IPv4 UDP checksum 0 means "none"
                int oldSum = Checksum.add(Checksum.addresses6(innerSrcHi, innerSrcLo, innerDstHi, innerDstLo),
                        Checksum.add(innerSrcPort, innerDstPort));
                int newSum = Checksum.add(Checksum.addresses4(innerSrc4, innerDst4),
                        Checksum.add(innerNewSrcPort, innerNewDstPort));
                c = Checksum.update(c, oldSum, newSum);
                if (udp && c == 0) c = 0xffff;
                Bytes.put16(buf, csumAt, c);
            }
            case IpProto.ICMPV6 -> { // Echo Request/Reply only (parseInner refused the rest)
                int upperLength = innerPayloadLength + IPV6_HEADER - innerUpper;
                int oldSum = Checksum.add(
                        Checksum.pseudo6(innerSrcHi, innerSrcLo, innerDstHi, innerDstLo, IpProto.ICMPV6, upperLength),
                        Checksum.add((innerIcmpType << 8) | Bytes.u8(buf, l4 + 1), innerSrcPort));
                int type4 = innerIcmpType == IcmpTypes.V6_ECHO_REQUEST
                        ? IcmpTypes.V4_ECHO_REQUEST : IcmpTypes.V4_ECHO_REPLY;
                int newSum = Checksum.add(type4 << 8, innerNewSrcPort);
                Bytes.put8(buf, l4, type4);
                Bytes.put8(buf, l4 + 1, 0);
                Bytes.put16(buf, l4 + 4, innerNewSrcPort);
                Bytes.put16(buf, l4 + 2, icmp4Checksum(Checksum.update(Bytes.u16(buf, l4 + 2), oldSum, newSum)));
            }
            default -> { }
        }
    }

    // ================================================================================================ outcomes

    private Verdict drop(Counter reason) {
        counters.inc(reason);
        return Verdict.DROP;
    }

    /**
     * RFC 7915 §5.4: the packet is not translated and, when RFC 4443 §2.4 (e) allows (not about an ICMPv6 error,
     * not to a multicast/unspecified/link-local source), an ICMPv6 error quoting it goes back to its source.
     */
    /**
     * Answers a refused TCP segment (a stateful mapper's port filter) with a TCP RST back to its IPv6 source, built
     * over the refused packet in place (60 bytes: IPv6 header + 20-byte TCP header; the refused packet is at least
     * that long). RFC 9293 §3.5.2 (reset generation, connection CLOSED): "If the incoming segment has an ACK field,
     * the reset takes its sequence number from the ACK field of the segment, otherwise the reset has sequence number
     * zero and the ACK field is set to the sum of the sequence number and segment length of the incoming segment."
     *
     * <p>The window field (meaningless in a RST, RFC 9293 §3.10.7.1 ignores it) is chosen so that the TCP header's
     * one's-complement sum is zero: the checksum then equals the pseudo-header checksum, which stays right whether
     * the TUN worker sends it as is or, when the refused segment came with a partial checksum
     * ({@code VIRTIO_NET_HDR_F_NEEDS_CSUM}), turns it back into a partial sum for the kernel to complete.
     */
    private Verdict reset(Counter reason, MemorySegment buf, long off, PacketSink sink) {
        counters.inc(reason);
        if (!mayAnswer || proto6 != IpProto.TCP || fragmented || len - upper < 20) return Verdict.DROP;
        long l4 = off + upper;
        int flags = Bytes.u8(buf, l4 + 13);
        long seq = Bytes.u32(buf, l4 + 4), ackIn = Bytes.u32(buf, l4 + 8);
        int dataLength = len - upper - (Bytes.u8(buf, l4 + 12) >>> 4) * 4;
        // RFC 9293 §3.4: SYN and FIN occupy one sequence number each
        long segLen = Math.max(0, dataLength) + ((flags & 0x02) != 0 ? 1 : 0) + ((flags & 0x01) != 0 ? 1 : 0);
        boolean ack = (flags & 0x10) != 0;
        long sHi = dstHi, sLo = dstLo, dHi = srcHi, dLo = srcLo;
        int sPort = dstPort, dPort = srcPort;
        Bytes.put32(buf, off, 0x6000_0000);
        Bytes.put16(buf, off + 4, 20);
        Bytes.put8(buf, off + 6, IpProto.TCP);
        Bytes.put8(buf, off + 7, 64);
        Bytes.put64(buf, off + 8, sHi);
        Bytes.put64(buf, off + 16, sLo);
        Bytes.put64(buf, off + 24, dHi);
        Bytes.put64(buf, off + 32, dLo);
        long tcp = off + 40;
        Bytes.put16(buf, tcp, sPort);
        Bytes.put16(buf, tcp + 2, dPort);
        Bytes.put32(buf, tcp + 4, (int) (ack ? ackIn : 0));
        Bytes.put32(buf, tcp + 8, (int) (ack ? 0 : (seq + segLen) & 0xffff_ffffL));
        Bytes.put8(buf, tcp + 12, 5 << 4);
        Bytes.put8(buf, tcp + 13, ack ? 0x04 : 0x14); // RST, or RST+ACK
        Bytes.put16(buf, tcp + 14, 0);
        Bytes.put32(buf, tcp + 16, 0); // checksum, urgent pointer
        Bytes.put16(buf, tcp + 14, ~Checksum.sum(buf, tcp, 20) & 0xffff); // header sum becomes 0xffff (zero)
        Bytes.put16(buf, tcp + 16, Checksum.checksum(Checksum.pseudo6(sHi, sLo, dHi, dLo, IpProto.TCP, 20), buf, tcp, 20));
        sink.emit(buf, off, 60);
        counters.inc(Counter.NAT64_TCP_RESET_SENT);
        return Verdict.ICMP_ERROR;
    }

    private Verdict answer(Counter reason, MemorySegment buf, long off, int type, int code, int rest, PacketSink sink) {
        counters.inc(reason);
        if (!mayAnswer) return Verdict.DROP;
        if (!errors.send(type, code, rest, buf, off, len, sink)) {
            counters.inc(Counter.ICMP6_ERROR_NO_SOURCE);
            return Verdict.DROP;
        }
        counters.inc(Counter.ICMP6_ERROR_SENT);
        return Verdict.ICMP_ERROR;
    }
}
