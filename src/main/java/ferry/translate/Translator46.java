package ferry.translate;

import ferry.addr.Special;
import ferry.metrics.Counter;
import ferry.metrics.Counters;
import ferry.packet.Bytes;
import ferry.packet.Checksum;
import ferry.packet.IpProto;
import java.lang.foreign.MemorySegment;

/**
 * RFC 7915 §4: IPv4 → IPv6 translation of one packet, in place.
 *
 * <p>The IPv6 header (40 bytes, 48 with a Fragment header) is written so that it ends exactly where the IPv4
 * payload starts, so the payload never moves; the caller leaves {@link Translator#HEADROOM} writable bytes before
 * {@code off}. An ICMPv4 error is rebuilt the same way around its inner packet (outer IPv6 + ICMPv6 + inner IPv6
 * headers end where the inner packet's transport header starts). A DF=0 packet too big for
 * {@code lowest-ipv6-mtu} goes out as IPv6 fragments, each written just before its chunk of payload and emitted
 * before the next is written. Errors the translator generates (Time Exceeded, Fragmentation Needed, ...) are built
 * in a scratch buffer owned by this instance.
 *
 * <p>One instance per worker thread: it holds a reusable {@link Tuple}, scratch memory and per-packet state in
 * fields. {@link #translate} allocates nothing, reads no clock, and never throws: every packet ends as
 * {@link Verdict#EMIT}, {@link Verdict#DROP} with one named counter, or {@link Verdict#ICMP_ERROR}.
 */
public final class Translator46 {
    private static final int IPV4_MIN = 20;
    private static final int IPV6_HEADER = 40;
    private static final int FRAGMENT_HEADER = 8;
    private static final int ICMP_HEADER = 8;
    private static final int ICMP6_ERROR_MAX = 1280;
    /** Source of RFC 4884 zero padding (read only). */
    private static final MemorySegment ZEROS = MemorySegment.ofArray(new byte[ICMP6_ERROR_MAX]);

    private static final int DF = 0x4000, MF = 0x2000, OFFSET_MASK = 0x1fff;
    private static final int OPT_END = 0, OPT_NOP = 1, OPT_LSRR = 131, OPT_SSRR = 137;

    private final AddressMapper mapper;
    private final Counters counters;
    private final Tuple tuple = new Tuple();
    /** Time of the packet being translated (nanoseconds, from the caller; see {@link Tuple#now}). */
    long now;
    private int tcpFlags;
    private final Icmp46Errors errors;

    private final boolean zeroizeTrafficClass;
    private final boolean amendUdpChecksumZero;
    private final int[] plateaus;
    private final int fragmentLimit;
    private final int ipv6Mtu;
    private final int ipv4Mtu;

    // ---- per-packet state of the outer header (fields, not objects: nothing is allocated per packet)
    private int ihl, totalLength, tos, identification, ttl, protocol, src4, dst4, fragOffset;
    private boolean mf, df;
    private long src6Hi, src6Lo, dst6Hi, dst6Lo;
    private int optionError; // -1: options fine; else the pointer (offset in the header) of the malformed option
    private boolean sourceRoute;
    private int srcPort, dstPort; // ports or ICMP identifier, as found in the packet (first fragment only)
    private int icmpType, icmpCode;

    // ---- per-packet state of an ICMP error's inner packet
    private int innerIhl, innerTotalLength, innerTos, innerIdentification, innerTtl, innerProtocol, innerSrc4,
            innerDst4, innerFragOffset;
    private boolean innerMf;
    private int innerSrcPort, innerDstPort;       // as found in the inner packet
    private int innerNewSrcPort, innerNewDstPort; // as the mapper left them (a stateful mapper may rewrite them)
    private long innerSrc6Hi, innerSrc6Lo, innerDst6Hi, innerDst6Lo;

    /**
     * @param settings the globals (only read here: nothing is looked up per packet)
     * @param mapper   the address strategy (SIIT, NAT64, CLAT)
     * @param counters this worker's counters
     */
    public Translator46(TranslatorSettings settings, AddressMapper mapper, Counters counters) {
        this(settings, mapper, counters, System.identityHashCode(counters) ^ 0x5bd1e995);
    }

    /** With a fixed PRNG seed (tests: which RFC 6791 pool address is picked). */
    Translator46(TranslatorSettings settings, AddressMapper mapper, Counters counters, int seed) {
        this.mapper = mapper;
        this.counters = counters;
        this.errors = new Icmp46Errors(settings, seed);
        this.zeroizeTrafficClass = settings.zeroizeTrafficClass();
        this.amendUdpChecksumZero = settings.amendUdpChecksumZero();
        this.plateaus = settings.mtuPlateaus(); // a private copy, read per Fragmentation Needed
        this.ipv6Mtu = settings.ipv6Mtu();
        this.ipv4Mtu = settings.ipv4Mtu();
        this.fragmentLimit = Math.min(settings.lowestIpv6Mtu(), settings.ipv6Mtu());
    }

    /**
     * Translates the IPv4 packet at {@code buf[off, off+len)} and hands every resulting packet to {@code sink}
     * before returning. May write up to {@link Translator#HEADROOM} bytes before {@code off} and, for an ICMP error
     * with an RFC 4884 extension that needs padding, a few bytes past {@code off+len} (when the segment has them).
     * Never throws.
     */
    public Verdict translate(MemorySegment buf, long off, int len, PacketSink sink) {
        try {
            tuple.now = now;
            return translate0(buf, off, len, sink);
        } catch (RuntimeException e) {
            counters.inc(Counter.DROP_INTERNAL_ERROR);
            return Verdict.DROP;
        }
    }

    private Verdict drop(Counter c) {
        counters.inc(c);
        return Verdict.DROP;
    }

    private Verdict translate0(MemorySegment buf, long off, int len, PacketSink sink) {
        // ------------------------------------------------------------ IPv4 header validation (RFC 791, RFC 1812 §5.2.2)
        if (len < IPV4_MIN) return drop(Counter.DROP_TRUNCATED);
        int versionIhl = Bytes.u8(buf, off);
        if (versionIhl >>> 4 != 4) return drop(Counter.DROP_UNKNOWN_VERSION);
        ihl = (versionIhl & 0xf) * 4;
        if (ihl < IPV4_MIN || ihl > len) return drop(Counter.DROP_46_BAD_IHL);
        totalLength = Bytes.u16(buf, off + 2);
        // A buffer shorter than Total Length is a truncated packet: dropped. Bytes past Total Length are link-layer
        // padding (e.g. Ethernet's 60-byte minimum): trimmed, as Linux's ip_rcv does before Jool ever sees them.
        if (totalLength < ihl || totalLength > len) return drop(Counter.DROP_46_BAD_TOTAL_LENGTH);
        len = totalLength;
        if (Checksum.sum(buf, off, ihl) != 0xffff) return drop(Counter.DROP_46_BAD_HEADER_CHECKSUM);

        tos = Bytes.u8(buf, off + 1);
        identification = Bytes.u16(buf, off + 4);
        int flags = Bytes.u16(buf, off + 6);
        df = (flags & DF) != 0;
        mf = (flags & MF) != 0;
        fragOffset = (flags & OFFSET_MASK) * 8;
        ttl = Bytes.u8(buf, off + 8);
        protocol = Bytes.u8(buf, off + 9);
        src4 = Bytes.i32(buf, off + 12);
        dst4 = Bytes.i32(buf, off + 16);
        int payloadLength = totalLength - ihl;
        boolean fragmented = mf || fragOffset != 0;
        long l4 = off + ihl;

        // RFC 791: a datagram is at most 65535 bytes, so offset + length of a fragment may not exceed it.
        if (fragOffset + payloadLength > 65535) return drop(Counter.DROP_46_FRAGMENT_TOO_LONG);
        // RFC 791: every fragment but the last carries a multiple of 8 bytes. RFC 8200 §4.5: an IPv6 fragment with
        // M=1 and a length that is not a multiple of 8 "must be discarded", so it cannot be translated.
        if (mf && (payloadLength & 7) != 0) return drop(Counter.DROP_46_FRAGMENT_NOT_MULTIPLE_OF_8);

        // RFC 7915 §4.2: "all the "normal" IGMP messages are single-hop messages and SHOULD be silently dropped".
        if (protocol == IpProto.IGMP) return drop(Counter.DROP_46_IGMP);
        // RFC 7915 §4.1 says to copy the protocol into Next Header. A number that means an IPv6 extension header or
        // ICMPv6 would make the IPv6 receiver parse IPv4 payload as its own control headers (hop-by-hop, routing,
        // fragment, ND/MLD): refused, as TAYGA does (issue #70).
        if (ipv6OnlyProtocol(protocol)) return drop(Counter.DROP_46_IPV6_ONLY_PROTOCOL);

        // ------------------------------------------------------------ transport header (first fragment only)
        srcPort = dstPort = 0;
        tcpFlags = 0;
        icmpType = icmpCode = -1;
        boolean icmpError = false;
        int icmpMapping = 0;
        boolean amendUdp = false;
        Counter udpZero = null;
        if (protocol == IpProto.ICMP) {
            // RFC 7915 §1.2: "Fragmented ICMP/ICMPv6 packets will not be translated by IP/ICMP translators."
            // (The ICMPv6 checksum covers a pseudo-header with the whole message length, unknown to a fragment.)
            if (fragmented) return drop(Counter.DROP_46_FRAGMENTED_ICMP);
            if (payloadLength < ICMP_HEADER) return drop(Counter.DROP_46_TRUNCATED_L4);
            icmpType = Bytes.u8(buf, l4);
            icmpCode = Bytes.u8(buf, l4 + 1);
            icmpMapping = Icmp46Tables.translate(icmpType, icmpCode);
            if (icmpMapping == Icmp46Tables.DROP) return drop(Icmp46Tables.dropReason(icmpType, icmpCode));
            icmpError = Icmp46Tables.isTranslatedError(icmpType);
            if (icmpError) {
                Verdict v = parseIcmpError(buf, l4, payloadLength);
                if (v != null) return v;
            } else {
                srcPort = Bytes.u16(buf, l4 + 4); // echo identifier
            }
        } else if (protocol == IpProto.TCP && fragOffset == 0) {
            if (payloadLength < 20) return drop(Counter.DROP_46_TRUNCATED_L4);
            int dataOffset = Bytes.u8(buf, l4 + 12) >>> 4;
            if (dataOffset < 5) return drop(Counter.DROP_46_TCP_BAD_DATA_OFFSET);
            if (dataOffset * 4 > payloadLength) return drop(Counter.DROP_46_TRUNCATED_L4);
            srcPort = Bytes.u16(buf, l4);
            dstPort = Bytes.u16(buf, l4 + 2);
            tcpFlags = Bytes.u8(buf, l4 + 13);
        } else if (protocol == IpProto.UDP && fragOffset == 0) {
            if (payloadLength < 8) return drop(Counter.DROP_46_TRUNCATED_L4);
            srcPort = Bytes.u16(buf, l4);
            dstPort = Bytes.u16(buf, l4 + 2);
            if (Bytes.u16(buf, l4 + 6) == 0) {
                // RFC 7915 §4.5: "A stateless translator cannot compute the UDP checksum of fragmented packets, so
                // when a stateless translator receives the first fragment of a fragmented UDP IPv4 packet and the
                // checksum field is zero, the translator SHOULD drop the packet". Unfragmented: "the translator
                // SHOULD provide a configuration function to allow: 1. Dropping the packet ... 2. Calculating an
                // IPv6 checksum and forwarding the packet". Jool answers both drops with ICMPv4 3/13 (§4.4).
                if (fragmented) udpZero = Counter.DROP_46_UDP_ZERO_CHECKSUM_FRAGMENTED;
                else if (!amendUdpChecksumZero) udpZero = Counter.DROP_46_UDP_ZERO_CHECKSUM;
                else amendUdp = true;
            }
        }
        // RFC 1122 §3.2.2, RFC 1812 §4.3.2.7: no ICMP error about an ICMP error, a non-first fragment, or a
        // datagram whose source is not a single host / whose destination is multicast or broadcast.
        boolean mayAnswer = !(protocol == IpProto.ICMP && Icmp46Tables.isError(icmpType)) && fragOffset == 0
                && Icmp46Errors.sourceMayReceiveError(src4, dst4);

        // ------------------------------------------------------------ IPv4 options (RFC 791 §3.1)
        if (ihl > IPV4_MIN) {
            scanOptions(buf, off);
            if (optionError >= 0) {
                // RFC 1812 §5.2.2 / §4.3.2: a router discarding a datagram for a malformed header sends Parameter
                // Problem with the pointer on the offending octet (as Linux's ip_options_compile does).
                return answer(Counter.DROP_46_BAD_OPTIONS, mayAnswer, buf, off, len, 12, 0, optionError << 24, sink);
            }
        } else {
            sourceRoute = false;
        }

        // ------------------------------------------------------------ addresses (RFC 7915 §4.1)
        // "If the translator gets an illegal source address (e.g., 0.0.0.0, 127.0.0.1, etc.), the translator SHOULD
        // silently drop the packet ... Note when translating ICMPv4 Error Messages into ICMPv6, the "illegal" source
        // address will be translated for the purpose of trouble shooting."
        if (!icmpError && Special.neverTranslate4(src4)) return drop(Counter.DROP_46_SRC_NEVER_TRANSLATED);
        if (Special.neverTranslate4(dst4)) return drop(Counter.DROP_46_DST_NEVER_TRANSLATED);
        Tuple t = tuple;
        t.clear();
        t.src4 = src4;
        t.dst4 = dst4;
        t.proto = protocol;
        t.srcPort = srcPort;
        t.dstPort = dstPort;
        t.icmpError = icmpError;
        t.tcpFlags = tcpFlags;
        t.fragmented = fragmented;
        t.firstFragment = fragOffset == 0;
        t.fragmentId = identification;
        t.fragmentOffset = fragOffset;
        t.fragmentLength = payloadLength;
        t.packet = buf;
        t.packetOff = off;
        t.packetLen = len;
        Counter mapped = mapper.map46(t);
        t.packet = null;
        boolean fromInner = icmpError && t.outerFromInner;
        boolean rfc6791 = false;
        if (mapped == Counter.DROP_SRC_UNTRANSLATABLE && icmpError) {
            // AddressMapper convention: the destination is already mapped; only the source (a router on the IPv4
            // side) has no IPv6 form. RFC 6791 / Jool's rfc6791v6-prefix: the error is sourced from the pool, else
            // from the translator's own IPv6 address, so that it still reaches the IPv6 host.
            if (!errors.rfc6791v6(ttl)) return drop(Counter.DROP_46_NO_RFC6791_SOURCE);
            rfc6791 = true;
        } else if (mapped != null) {
            // a stateful mapper may ask for the refusal to be answered (e.g. RFC 6146 §3.5.1: no BIB entry)
            if (t.errorType >= 0 && !icmpError) {
                return answer(mapped, mayAnswer, buf, off, len, t.errorType, t.errorCode, 0, sink);
            }
            return drop(mapped);
        }
        if (!rfc6791 && Special.neverTranslate6(t.srcHi, t.srcLo)) return drop(Counter.DROP_46_SRC6_NEVER_TRANSLATED);
        if (!fromInner && Special.neverTranslate6(t.dstHi, t.dstLo)) return drop(Counter.DROP_46_DST6_NEVER_TRANSLATED);
        src6Hi = rfc6791 ? errors.rfc6791Hi : t.srcHi;
        src6Lo = rfc6791 ? errors.rfc6791Lo : t.srcLo;
        dst6Hi = t.dstHi;
        dst6Lo = t.dstLo;
        int newSrcPort = t.srcPort, newDstPort = t.dstPort;
        if (icmpError) {
            Verdict v = mapInner();
            if (v != null) return v;
            if (fromInner) { // the error goes to the IPv6 host the inner packet came from (stateful NAT64)
                dst6Hi = innerSrc6Hi;
                dst6Lo = innerSrc6Lo;
            }
        }

        // ------------------------------------------------------------ router duties
        // RFC 7915 §4.1 Hop Limit: "As part of decrementing the TTL or Hop Limit, the translator (as any router)
        // MUST check for zero and send the ICMPv4 "TTL Exceeded" or ICMPv6 "Hop Limit Exceeded" error."
        if (ttl <= 1) return answer(Counter.DROP_46_TTL_EXPIRED, mayAnswer, buf, off, len, 11, 0, 0, sink);
        // RFC 7915 §4.1: "if an unexpired source route option is present then the packet MUST instead be discarded,
        // and an ICMPv4 "Destination Unreachable, Source Route Failed" (Type 3, Code 5) error message SHOULD be
        // returned to the sender."
        if (sourceRoute) return answer(Counter.DROP_46_SOURCE_ROUTE, mayAnswer, buf, off, len, 3, 5, 0, sink);
        if (udpZero != null) return answer(udpZero, mayAnswer, buf, off, len, 3, 13, 0, sink);

        if (icmpError) return translateIcmpError(buf, off, icmpMapping, sink);

        int fragmentHeader = fragmented ? FRAGMENT_HEADER : 0;
        int outLength = IPV6_HEADER + fragmentHeader + payloadLength;
        boolean split = false;
        if (df) {
            // RFC 7915 §4.1: "If the DF bit is set and the MTU of the next-hop interface is less than the total
            // length value of the IPv4 packet plus 20, the translator MUST send an ICMPv4 "Fragmentation Needed"
            // error message to the IPv4 source address." The MTU it reports is the IPv6 MTU less the header growth
            // (20, or 28 when the packet is a fragment and gets a Fragment header), so a resent packet fits.
            if (outLength > ipv6Mtu) {
                int mtu4 = Math.min(0xffff, Math.max(68, ipv6Mtu - 20 - fragmentHeader));
                return answer(Counter.DROP_46_PACKET_TOO_BIG, mayAnswer, buf, off, len, 3, 4, mtu4, sink);
            }
        } else if (outLength > fragmentLimit) {
            // RFC 7915 §4.1: "If the DF flag is not set and the IPv4 packet will result in an IPv6 packet larger than
            // ... lowest-ipv6-mtu ..., the packet SHOULD be fragmented so that the resulting IPv6 packet (with
            // Fragment Header added to each fragment) will be less than or equal to lowest-ipv6-mtu"
            split = true;
        }

        // ------------------------------------------------------------ transport checksums (RFC 7915 §4.5)
        if (fragOffset == 0) {
            if (protocol == IpProto.TCP) {
                updateTransport(buf, l4, 16, newSrcPort, newDstPort, false);
            } else if (protocol == IpProto.UDP) {
                if (amendUdp) amendUdpChecksum(buf, l4, payloadLength, newSrcPort, newDstPort);
                else updateTransport(buf, l4, 6, newSrcPort, newDstPort, true);
            } else if (protocol == IpProto.ICMP) {
                translateIcmpInfo(buf, l4, payloadLength, icmpMapping, newSrcPort);
            }
        }
        int nextHeader = protocol == IpProto.ICMP ? IpProto.ICMPV6 : protocol;

        if (split) return emitFragments(buf, l4, payloadLength, nextHeader, sink);

        // ------------------------------------------------------------ IPv6 header, in place (RFC 7915 §4.1)
        long h = l4 - IPV6_HEADER - fragmentHeader;
        writeIpv6(buf, h, trafficClass(tos), fragmentHeader + payloadLength,
                fragmented ? IpProto.IPV6_FRAG : nextHeader, ttl - 1, src6Hi, src6Lo, dst6Hi, dst6Lo);
        if (fragmented) writeFragmentHeader(buf, h + IPV6_HEADER, nextHeader, fragOffset, mf, identification);
        sink.emit(buf, h, outLength);
        counters.inc(Counter.XLAT_46_OK);
        return Verdict.EMIT;
    }

    /**
     * Sends an ICMPv4 error of {@code type}/{@code code} about the IPv4 packet at {@code buf[off, off+len)} (one the
     * mapper held and gave up on, RFC 6146 §3.5.2.2), from the translator's own or RFC 6791 address; counts it.
     */
    void sendError(MemorySegment buf, long off, int len, int type, int code, PacketSink sink) {
        if (errors.send(buf, off, len, type, code, 0, sink)) counters.inc(Counter.ICMP4_ERROR_SENT);
        else counters.inc(Counter.ICMP4_ERROR_NO_SOURCE);
    }

    /** IPv4 protocol numbers that are IPv6 extension headers or ICMPv6 (IANA; RFC 7045 §2). */
    private static boolean ipv6OnlyProtocol(int p) {
        return p == IpProto.HOPOPT || p == IpProto.IPV6_ROUTE || p == IpProto.IPV6_FRAG || p == IpProto.ICMPV6
                || p == IpProto.IPV6_OPTS || p == IpProto.MOBILITY || p == 139 || p == 140;
    }

    /** RFC 7915 §4.1 Traffic Class: "By default, copied from the IP Type of Service (TOS) octet", or 0. */
    private int trafficClass(int tosOctet) {
        return zeroizeTrafficClass ? 0 : tosOctet;
    }

    /**
     * Counts {@code reason}, then sends the ICMPv4 error when allowed and possible (RFC 7915 §4.4: "If the IPv4
     * packet is discarded, then the translator SHOULD be able to send back an ICMPv4 error message to the original
     * sender of the packet, unless the discarded packet is itself an ICMPv4 error message.").
     */
    private Verdict answer(Counter reason, boolean mayAnswer, MemorySegment buf, long off, int len, int type,
                           int code, int rest, PacketSink sink) {
        counters.inc(reason);
        if (!mayAnswer) return Verdict.DROP;
        if (!errors.send(buf, off, len, type, code, rest, sink)) {
            counters.inc(Counter.ICMP4_ERROR_NO_SOURCE);
            return Verdict.DROP;
        }
        counters.inc(Counter.ICMP4_ERROR_SENT);
        return Verdict.ICMP_ERROR;
    }

    /**
     * Walks the options (RFC 791 §3.1): End of Option List and No Operation are one octet; every other option has a
     * length octet of at least 2 that must fit in the header. Sets {@link #optionError} to the offset of a
     * malformed option (or -1), and {@link #sourceRoute} when an LSRR/SSRR has addresses left (pointer ≤ length).
     */
    private void scanOptions(MemorySegment buf, long off) {
        optionError = -1;
        sourceRoute = false;
        int p = IPV4_MIN;
        while (p < ihl) {
            int type = Bytes.u8(buf, off + p);
            if (type == OPT_END) return;
            if (type == OPT_NOP) {
                p++;
                continue;
            }
            if (p + 1 >= ihl) {
                optionError = p;
                return;
            }
            int optLen = Bytes.u8(buf, off + p + 1);
            if (optLen < 2 || p + optLen > ihl) {
                optionError = p;
                return;
            }
            if (type == OPT_LSRR || type == OPT_SSRR) {
                if (optLen < 3) {
                    optionError = p + 1;
                    return;
                }
                int pointer = Bytes.u8(buf, off + p + 2);
                if (pointer < 4) { // RFC 791: "The smallest legal value for the pointer is 4."
                    optionError = p + 2;
                    return;
                }
                // RFC 791: "If the pointer is greater than the length, the source route is empty".
                if (pointer <= optLen) sourceRoute = true;
            }
            p += optLen;
        }
    }

    // ================================================================ transport (RFC 7915 §4.5)

    /**
     * RFC 1624 update of a TCP/UDP checksum for the pseudo-header change (IPv4 addresses → IPv6 addresses; the
     * length and protocol words are the same in both pseudo-headers) and, when a stateful mapper rewrote them, the
     * ports. A wrong checksum stays exactly as wrong.
     */
    private void updateTransport(MemorySegment buf, long l4, int checksumAt, int newSrcPort, int newDstPort,
                                 boolean udp) {
        int oldSum = Checksum.addresses4(src4, dst4);
        int newSum = Checksum.addresses6(src6Hi, src6Lo, dst6Hi, dst6Lo);
        if (newSrcPort != srcPort || newDstPort != dstPort) {
            oldSum = Checksum.add(oldSum, Checksum.add(srcPort, dstPort));
            newSum = Checksum.add(newSum, Checksum.add(newSrcPort, newDstPort));
            Bytes.put16(buf, l4, newSrcPort);
            Bytes.put16(buf, l4 + 2, newDstPort);
        }
        int csum = Checksum.update(Bytes.u16(buf, l4 + checksumAt), oldSum, newSum);
        // RFC 768: a computed UDP checksum of zero is transmitted as all ones (zero means "none", illegal in IPv6).
        if (udp && csum == 0) csum = 0xffff;
        Bytes.put16(buf, l4 + checksumAt, csum);
    }

    /** RFC 7915 §4.5 option 2: "Calculating an IPv6 checksum and forwarding the packet". */
    private void amendUdpChecksum(MemorySegment buf, long l4, int length, int newSrcPort, int newDstPort) {
        Bytes.put16(buf, l4, newSrcPort);
        Bytes.put16(buf, l4 + 2, newDstPort);
        Bytes.put16(buf, l4 + 6, 0);
        int csum = Checksum.checksum(Checksum.pseudo6(src6Hi, src6Lo, dst6Hi, dst6Lo, IpProto.UDP, length),
                buf, l4, length);
        Bytes.put16(buf, l4 + 6, csum == 0 ? 0xffff : csum);
        counters.inc(Counter.XLAT_46_UDP_CHECKSUM_AMENDED);
    }

    /**
     * RFC 7915 §4.2 Echo/Echo Reply: "Adjust the Type values to 128 and 129, respectively, and adjust the ICMP
     * checksum both to take the type change into account and to include the ICMPv6 pseudo-header." Incremental, so
     * a wrong ICMPv4 checksum gives an equally wrong ICMPv6 one.
     */
    private void translateIcmpInfo(MemorySegment buf, long l4, int length, int mapping, int newIdentifier) {
        int oldWord = (icmpType << 8) | icmpCode;
        int newWord = (Icmp46Tables.type6(mapping) << 8) | Icmp46Tables.code6(mapping);
        int oldSum = oldWord;
        int newSum = Checksum.add(newWord, Checksum.pseudo6(src6Hi, src6Lo, dst6Hi, dst6Lo, IpProto.ICMPV6, length));
        if (newIdentifier != srcPort) {
            oldSum = Checksum.add(oldSum, srcPort);
            newSum = Checksum.add(newSum, newIdentifier);
            Bytes.put16(buf, l4 + 4, newIdentifier);
        }
        Bytes.put16(buf, l4, newWord);
        Bytes.put16(buf, l4 + 2, Checksum.update(Bytes.u16(buf, l4 + 2), oldSum, newSum));
    }

    // ================================================================ fragments (RFC 7915 §4.1)

    /**
     * Emits the payload at {@code l4} as IPv6 fragments of at most lowest-ipv6-mtu bytes each: every fragment's
     * IPv6 and Fragment headers are written just before its chunk (over the tail of the previous chunk, already
     * emitted), so nothing is copied. Chunks are multiples of 8 bytes except the last. Offsets continue the IPv4
     * fragment offset, M is set on all but the last (which keeps the IPv4 MF), and the Identification is the IPv4
     * one: the packet is treated as if fragmented in IPv4 and each fragment translated (RFC 7915 §4.1 "The resulting
     * fragments are then translated independently").
     */
    private Verdict emitFragments(MemorySegment buf, long l4, int payloadLength, int nextHeader, PacketSink sink) {
        int chunk = (fragmentLimit - IPV6_HEADER - FRAGMENT_HEADER) & ~7;
        if (chunk < 8) chunk = 8;
        int tc = trafficClass(tos);
        long p = l4;
        int remaining = payloadLength;
        int offset = fragOffset;
        while (remaining > 0) {
            int n = Math.min(remaining, chunk);
            boolean last = n == remaining;
            long h = p - IPV6_HEADER - FRAGMENT_HEADER;
            writeIpv6(buf, h, tc, FRAGMENT_HEADER + n, IpProto.IPV6_FRAG, ttl - 1, src6Hi, src6Lo, dst6Hi, dst6Lo);
            writeFragmentHeader(buf, h + IPV6_HEADER, nextHeader, offset, last ? mf : true, identification);
            sink.emit(buf, h, IPV6_HEADER + FRAGMENT_HEADER + n);
            p += n;
            offset += n;
            remaining -= n;
        }
        counters.inc(Counter.XLAT_46_FRAGMENTED);
        counters.inc(Counter.XLAT_46_OK);
        return Verdict.EMIT;
    }

    // ================================================================ ICMP errors (RFC 7915 §4.2, §4.3, RFC 4884)

    // Layout of the ICMP error being translated, set by parseIcmpError.
    private long innerAt;      // inner IPv4 header
    private int innerRegion;   // bytes of the original datagram field (RFC 4884 length, else all of the payload)
    private int extensionLength; // bytes of the RFC 4884 extension structure after it (0: none)

    /**
     * RFC 7915 §4.3 prerequisites of an ICMPv4 error: valid checksum (Jool: "we should not translate a corrupted
     * ICMPv4 error into an OK-csum ICMPv6 one"), a consistent RFC 4884 length, an inner IPv4 header, and no second
     * level of ICMP error. Returns null when the error can be translated.
     */
    private Verdict parseIcmpError(MemorySegment buf, long l4, int icmpLength) {
        if (Checksum.sum(buf, l4, icmpLength) != 0xffff) return drop(Counter.DROP_46_ICMP_CHECKSUM);
        if (icmpType == Icmp46Tables.V4_PARAM_PROBLEM
                && Icmp46Tables.pointer(Bytes.u8(buf, l4 + 4)) == Icmp46Tables.DROP) {
            return drop(Counter.DROP_46_ICMP_PARAM_POINTER);
        }
        int payload = icmpLength - ICMP_HEADER;
        // RFC 4884 §4.1: octet 5 of Destination Unreachable, Time Exceeded and Parameter Problem is the length of
        // the original datagram field in 32-bit words; 0 means no extension.
        int originalLength = Icmp46Tables.hasRfc4884Length4(icmpType) ? Bytes.u8(buf, l4 + 5) * 4 : 0;
        if (originalLength > payload) return drop(Counter.DROP_46_ICMP_EXTENSION_LENGTH);
        if (originalLength == 0 || originalLength == payload) { // no extension (or an empty one): as Jool
            innerRegion = payload;
            extensionLength = 0;
        } else {
            innerRegion = originalLength;
            extensionLength = payload - originalLength;
        }
        innerAt = l4 + ICMP_HEADER;
        if (innerRegion < IPV4_MIN) return drop(Counter.DROP_46_ICMP_BAD_INNER);
        int versionIhl = Bytes.u8(buf, innerAt);
        innerIhl = (versionIhl & 0xf) * 4;
        if (versionIhl >>> 4 != 4 || innerIhl < IPV4_MIN || innerIhl > innerRegion) {
            return drop(Counter.DROP_46_ICMP_BAD_INNER);
        }
        // The inner Total Length describes the original packet, not the bytes present (inner packets are truncated
        // by design): it is only used for the inner IPv6 Payload Length and pseudo-header, never to read.
        innerTotalLength = Bytes.u16(buf, innerAt + 2);
        if (innerTotalLength < innerIhl) return drop(Counter.DROP_46_ICMP_BAD_INNER);
        innerTos = Bytes.u8(buf, innerAt + 1);
        innerIdentification = Bytes.u16(buf, innerAt + 4);
        int flags = Bytes.u16(buf, innerAt + 6);
        innerMf = (flags & MF) != 0;
        innerFragOffset = (flags & OFFSET_MASK) * 8;
        innerTtl = Bytes.u8(buf, innerAt + 8);
        innerProtocol = Bytes.u8(buf, innerAt + 9);
        innerSrc4 = Bytes.i32(buf, innerAt + 12);
        innerDst4 = Bytes.i32(buf, innerAt + 16);
        long innerL4 = innerAt + innerIhl;
        int innerL4Length = innerRegion - innerIhl;
        innerSrcPort = innerDstPort = 0;
        if (innerFragOffset == 0) {
            if (innerProtocol == IpProto.ICMP && innerL4Length >= 1) {
                // RFC 7915 §4.3: "This process MUST stop at the first embedded header and drop the packet if it
                // contains more embedded headers."
                if (Icmp46Tables.isError(Bytes.u8(buf, innerL4))) return drop(Counter.DROP_46_ICMP_ERROR_IN_ERROR);
                if (innerL4Length >= 6) innerSrcPort = Bytes.u16(buf, innerL4 + 4);
            } else if ((innerProtocol == IpProto.TCP || innerProtocol == IpProto.UDP) && innerL4Length >= 4) {
                innerSrcPort = Bytes.u16(buf, innerL4);
                innerDstPort = Bytes.u16(buf, innerL4 + 2);
            }
        }
        return null;
    }

    /** The inner packet's addresses, through the same mapper, flagged as inner (RFC 7915 §4.3). */
    private Verdict mapInner() {
        Tuple t = tuple;
        t.clear();
        t.src4 = innerSrc4;
        t.dst4 = innerDst4;
        t.proto = innerProtocol;
        t.srcPort = innerSrcPort;
        t.dstPort = innerDstPort;
        t.inner = true;
        t.icmpError = true;
        Counter mapped = mapper.map46(t);
        if (mapped != null) return drop(mapped);
        innerSrc6Hi = t.srcHi;
        innerSrc6Lo = t.srcLo;
        innerDst6Hi = t.dstHi;
        innerDst6Lo = t.dstLo;
        // a stateful mapper may rewrite the inner ports: kept in these fields, applied in translateInnerTransport
        innerNewSrcPort = t.srcPort;
        innerNewDstPort = t.dstPort;
        return null;
    }

    /**
     * RFC 7915 §4.2/§4.3: the ICMPv6 error, built in place around the inner packet's transport bytes, which stay
     * where they are. Outer and inner IPv4 headers become IPv6 headers (the inner TTL is not decremented), the
     * RFC 4884 length is converted from 32-bit to 64-bit words with zero padding, the whole message is cut to 1280
     * bytes, and the ICMPv6 checksum is computed over it and the pseudo-header.
     */
    private Verdict translateIcmpError(MemorySegment buf, long off, int mapping, PacketSink sink) {
        int type6 = Icmp46Tables.type6(mapping);
        int code6 = Icmp46Tables.code6(mapping);
        long l4 = off + ihl;
        int rest4 = Bytes.i32(buf, l4 + 4);
        boolean innerFragmented = innerMf || innerFragOffset != 0;
        int innerHeader6 = IPV6_HEADER + (innerFragmented ? FRAGMENT_HEADER : 0);
        long innerL4 = innerAt + innerIhl;               // stays put
        int innerL4Length = innerRegion - innerIhl;       // bytes of it present
        long inner6 = innerL4 - innerHeader6;             // the translated inner packet starts here
        long icmp6 = inner6 - ICMP_HEADER;
        long out = icmp6 - IPV6_HEADER;
        int translatedInner = innerHeader6 + innerL4Length;
        int maxBody = ICMP6_ERROR_MAX - IPV6_HEADER - ICMP_HEADER;

        // ---- RFC 4884 §4.1 and RFC 7915 §4.2 "ICMP Error Payload"
        int keep = Math.min(translatedInner, maxBody); // bytes of the translated inner packet kept
        int body = keep;     // original datagram field of the ICMPv6 error (kept bytes + zero padding)
        int extension = 0;   // bytes of RFC 4884 extension structure carried over
        int length6 = 0;     // ICMPv6 length field, 64-bit words
        long extensionFrom = innerAt + innerRegion;
        if (extensionLength > 0 && Icmp46Tables.hasRfc4884Length6(type6) && extensionLength <= maxBody - 128) {
            int room = (maxBody - extensionLength) & ~7;
            int padded = Math.min((translatedInner + 7) & ~7, room);
            // RFC 4884 §4.1: with an extension, the original datagram field holds at least 128 octets, zero padded
            // (ICMPv6: to a multiple of 8 octets). Jool pads short ones to 128 too (its issue #396).
            if (padded < 128) padded = 128;
            if (inner6 + padded + extensionLength <= buf.byteSize()) {
                keep = Math.min(translatedInner, padded);
                body = padded;
                extension = extensionLength;
                length6 = padded / 8;
            }
            // else: no tail room to pad in place; the extension is left out and the error still goes out
        }
        // Otherwise (no extension, one the ICMPv6 type cannot carry -- Packet Too Big, Parameter Problem -- or one too
        // large to fit with the 128-octet minimum) the extension is removed whole, as Jool does: RFC 7915 §4.2 "If
        // the ICMPv4 Extension exceeds the maximum size of an ICMPv6 message on the outgoing interface, the ICMPv4
        // extension SHOULD be simply truncated", and a cut extension structure would be malformed.
        int icmp6Length = ICMP_HEADER + body + extension;

        // ---- inner transport header: checksums updated as far as the bytes are present (RFC 7915 §4.3)
        translateInnerTransport(buf, innerL4, innerL4Length);

        // ---- move the extension behind the (padded or cut) inner packet, zero the padding
        if (extension > 0) {
            MemorySegment.copy(buf, extensionFrom, buf, inner6 + body, extension);
            if (body > keep) MemorySegment.copy(ZEROS, 0, buf, inner6 + keep, body - keep);
        }

        // ---- headers, written after every IPv4 field was read (they overlap the IPv4 headers)
        writeIpv6(buf, inner6, trafficClass(innerTos),
                Math.min(0xffff, innerTotalLength - innerIhl + (innerFragmented ? FRAGMENT_HEADER : 0)),
                innerFragmented ? IpProto.IPV6_FRAG : innerNextHeader(),
                innerTtl, // RFC 7915 §4.3: "(except the TTL value of the inner IPv4/IPv6 packet)"
                innerSrc6Hi, innerSrc6Lo, innerDst6Hi, innerDst6Lo);
        if (innerFragmented) {
            writeFragmentHeader(buf, inner6 + IPV6_HEADER, innerNextHeader(), innerFragOffset, innerMf,
                    innerIdentification);
        }
        Bytes.put8(buf, icmp6, type6);
        Bytes.put8(buf, icmp6 + 1, code6);
        Bytes.put16(buf, icmp6 + 2, 0);
        Bytes.put32(buf, icmp6 + 4, icmp6Rest(type6, rest4, length6));
        writeIpv6(buf, out, trafficClass(tos), icmp6Length, IpProto.ICMPV6, ttl - 1,
                src6Hi, src6Lo, dst6Hi, dst6Lo);
        // RFC 7915 §4.2: "All ICMPv4 messages that are to be translated require that the ICMPv6 checksum field be
        // calculated as part of the translation since ICMPv6, unlike ICMPv4, has a pseudo-header checksum"
        int pseudo = Checksum.pseudo6(src6Hi, src6Lo, dst6Hi, dst6Lo, IpProto.ICMPV6, icmp6Length);
        Bytes.put16(buf, icmp6 + 2, Checksum.checksum(pseudo, buf, icmp6, icmp6Length));
        sink.emit(buf, out, IPV6_HEADER + icmp6Length);
        counters.inc(Counter.XLAT_46_OK);
        return Verdict.EMIT;
    }

    private int innerNextHeader() {
        return innerProtocol == IpProto.ICMP ? IpProto.ICMPV6 : innerProtocol;
    }

    /** The ICMPv6 rest-of-header word: MTU (Packet Too Big), pointer (Parameter Problem), else the RFC 4884 length. */
    private int icmp6Rest(int type6, int rest4, int length6) {
        if (type6 == Icmp46Tables.V6_PACKET_TOO_BIG) {
            int innerSeen = innerTotalLength;
            return (int) Icmp46Mtu.packetTooBigMtu(rest4 & 0xffff, innerSeen, ipv6Mtu, ipv4Mtu, plateaus);
        }
        if (type6 == Icmp46Tables.V6_PARAM_PROBLEM) {
            if (icmpType == Icmp46Tables.V4_DEST_UNREACH) return Icmp46Tables.V6_NEXT_HEADER_OFFSET; // 3/2 -> 4/1
            return Icmp46Tables.pointer(rest4 >>> 24);
        }
        return length6 << 24; // RFC 4884 §4.1: octet 4 of Destination Unreachable and Time Exceeded
    }

    /**
     * The inner packet's transport header, first fragment only: TCP/UDP checksums get the inner pseudo-header delta
     * (UDP checksum 0 stays 0: there is nothing to update); an inner ICMP echo gets types 128/129 and, when the inner
     * packet is whole, its pseudo-header. Fields past the bytes present are left alone.
     */
    private void translateInnerTransport(MemorySegment buf, long l4, int present) {
        if (innerFragOffset != 0) return;
        boolean innerFragmented = innerMf;
        if (innerProtocol == IpProto.TCP || innerProtocol == IpProto.UDP) {
            int oldSum = Checksum.addresses4(innerSrc4, innerDst4);
            int newSum = Checksum.addresses6(innerSrc6Hi, innerSrc6Lo, innerDst6Hi, innerDst6Lo);
            if (present >= 4 && (innerNewSrcPort != innerSrcPort || innerNewDstPort != innerDstPort)) {
                oldSum = Checksum.add(oldSum, Checksum.add(innerSrcPort, innerDstPort));
                newSum = Checksum.add(newSum, Checksum.add(innerNewSrcPort, innerNewDstPort));
                Bytes.put16(buf, l4, innerNewSrcPort);
                Bytes.put16(buf, l4 + 2, innerNewDstPort);
            }
            int at = innerProtocol == IpProto.TCP ? 16 : 6;
            if (present < at + 2) return;
            int old = Bytes.u16(buf, l4 + at);
            if (innerProtocol == IpProto.UDP && old == 0) return;
            int csum = Checksum.update(old, oldSum, newSum);
            if (innerProtocol == IpProto.UDP && csum == 0) csum = 0xffff;
            Bytes.put16(buf, l4 + at, csum);
        } else if (innerProtocol == IpProto.ICMP && present >= 1) {
            int type4 = Bytes.u8(buf, l4);
            int type6 = type4 == Icmp46Tables.V4_ECHO_REQUEST ? Icmp46Tables.V6_ECHO_REQUEST
                    : type4 == Icmp46Tables.V4_ECHO_REPLY ? Icmp46Tables.V6_ECHO_REPLY : type4;
            Bytes.put8(buf, l4, type6);
            if (present < 4) return;
            int code = Bytes.u8(buf, l4 + 1);
            int oldSum = (type4 << 8) | code;
            int newSum = (type6 << 8) | code;
            if (!innerFragmented) {
                newSum = Checksum.add(newSum, Checksum.pseudo6(innerSrc6Hi, innerSrc6Lo, innerDst6Hi, innerDst6Lo,
                        IpProto.ICMPV6, innerTotalLength - innerIhl));
            }
            if (present >= 6 && innerNewSrcPort != innerSrcPort) {
                oldSum = Checksum.add(oldSum, innerSrcPort);
                newSum = Checksum.add(newSum, innerNewSrcPort);
                Bytes.put16(buf, l4 + 4, innerNewSrcPort);
            }
            Bytes.put16(buf, l4 + 2, Checksum.update(Bytes.u16(buf, l4 + 2), oldSum, newSum));
        }
    }

    // ================================================================ header writers

    /**
     * RFC 7915 §4.1: Version 6; Traffic Class; "Flow Label: 0 (all zero bits)"; Payload Length; Next Header; Hop
     * Limit; addresses.
     */
    private static void writeIpv6(MemorySegment buf, long h, int trafficClass, int payloadLength, int nextHeader,
                                  int hopLimit, long srcHi, long srcLo, long dstHi, long dstLo) {
        Bytes.put32(buf, h, (6 << 28) | ((trafficClass & 0xff) << 20));
        Bytes.put16(buf, h + 4, payloadLength);
        Bytes.put8(buf, h + 6, nextHeader);
        Bytes.put8(buf, h + 7, hopLimit);
        Bytes.put64(buf, h + 8, srcHi);
        Bytes.put64(buf, h + 16, srcLo);
        Bytes.put64(buf, h + 24, dstHi);
        Bytes.put64(buf, h + 32, dstLo);
    }

    /**
     * RFC 7915 §4.1 Fragment header: "Next Header: For ICMPv4 (1), it is changed to ICMPv6 (58); otherwise, the
     * protocol field MUST be copied from the IPv4 header. Fragment Offset: Copied from the Fragment Offset field of
     * the IPv4 header. M flag: Copied from the More Fragments (MF) flag of the IPv4 header. Identification: The
     * low-order 16 bits copied from the Identification field in the IPv4 header. The high-order 16 bits set to
     * zero."
     */
    private static void writeFragmentHeader(MemorySegment buf, long f, int nextHeader, int offsetBytes, boolean more,
                                            int identification) {
        Bytes.put8(buf, f, nextHeader);
        Bytes.put8(buf, f + 1, 0);
        Bytes.put16(buf, f + 2, (offsetBytes & 0xfff8) | (more ? 1 : 0));
        Bytes.put32(buf, f + 4, identification & 0xffff);
    }
}
