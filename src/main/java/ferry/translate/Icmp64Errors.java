package ferry.translate;

import ferry.addr.Prefix4;
import ferry.addr.Prefix6;
import ferry.packet.Bytes;
import ferry.packet.Checksum;
import ferry.packet.IpProto;

import java.lang.foreign.MemorySegment;

/**
 * The ICMPv6 errors the 6→4 translator generates itself (Time Exceeded, Parameter Problem, Packet Too Big,
 * Destination Unreachable) and the RFC 6791 IPv4 sources of translated ICMPv6 errors. One per translator: it owns a
 * 1280-byte scratch segment, allocated once, and a xorshift PRNG; nothing is allocated per packet.
 */
final class Icmp64Errors {
    /** RFC 4443 §2.4 (c): "as much of invoking packet as possible without the ICMPv6 packet exceeding the minimum IPv6 MTU". */
    static final int MAX_ERROR = 1280;
    private static final int HEADERS = 48;
    /** Hop limit of generated errors (Linux's default, which is what Jool's errors carry). */
    static final int HOP_LIMIT = 64;

    private final MemorySegment scratch = MemorySegment.ofArray(new byte[MAX_ERROR]);
    private final boolean haveSource6;
    private final long src6Hi, src6Lo;
    private final long pool6Hi, pool6Lo, pool6HostMaskLo, pool6HostMaskHi;
    private final boolean usePool6;
    private final Prefix4 pool4;
    private final int own4;
    private final boolean haveOwn4;
    private final boolean randomize;
    private int rng;

    Icmp64Errors(TranslatorSettings s, int seed) {
        Prefix6 own = s.ipv6Address();
        Prefix6 pool = s.rfc6791v6();
        randomize = s.randomizeRfc6791();
        rng = seed == 0 ? 0x6d2b79f5 : seed;
        // The rule, the same in both directions: an rfc6791v6 pool address first (RFC 6791), else the
        // translator's own ipv6-address.
        if (pool != null) {
            haveSource6 = true;
            usePool6 = true;
            src6Hi = pool.hi();
            src6Lo = pool.lo();
        } else if (own != null) {
            haveSource6 = true;
            usePool6 = false;
            src6Hi = own.hi();
            src6Lo = own.lo();
        } else {
            haveSource6 = false;
            usePool6 = false;
            src6Hi = src6Lo = 0;
        }
        if (pool != null) {
            pool6Hi = pool.hi();
            pool6Lo = pool.lo();
            pool6HostMaskHi = ~ferry.addr.Ipv6.maskHi(pool.len());
            pool6HostMaskLo = ~ferry.addr.Ipv6.maskLo(pool.len());
        } else {
            pool6Hi = pool6Lo = pool6HostMaskHi = pool6HostMaskLo = 0;
        }
        pool4 = s.rfc6791v4();
        Prefix4 own4p = s.ipv4Address();
        haveOwn4 = own4p != null;
        own4 = haveOwn4 ? own4p.addr() : 0;
    }

    /** True when an IPv4 source for a translated ICMPv6 error from an untranslatable address exists. */
    boolean haveRfc6791v4() {
        return pool4 != null || haveOwn4;
    }

    /**
     * RFC 7915 §5.1 / RFC 6791 §3.3: the IPv4 source of a translated ICMPv6 error whose source has no IPv4 mapping:
     * an address of the rfc6791v4 pool (random when randomize-rfc6791-addresses is on, else, as Jool does, the one
     * whose host part is the error's Hop Limit), else the translator's own IPv4 address. Call only when
     * {@link #haveRfc6791v4()}.
     */
    int rfc6791v4(int hopLimit) {
        if (pool4 == null) return own4;
        int n = randomize ? next() : hopLimit;
        return pool4.addr() | (n & ~pool4.mask());
    }

    /**
     * Builds the ICMPv6 error {@code type/code/rest} about the packet at {@code buf[off, off+len)} in the scratch
     * segment and emits it: source = an rfc6791v6 pool address (else the translator's ipv6-address), destination = the
     * offending packet's source, payload = as much of the packet as fits in 1280 bytes, checksum valid. Returns
     * false (nothing sent) when no source address is configured.
     */
    boolean send(int type, int code, int rest, MemorySegment buf, long off, int len, PacketSink sink) {
        if (!haveSource6) return false;
        long sHi = src6Hi, sLo = src6Lo;
        if (usePool6) {
            // An address of the rfc6791v6 pool: random, or (as for IPv4) the one whose host part is the Hop Limit.
            if (randomize) {
                sHi = pool6Hi | (random64() & pool6HostMaskHi);
                sLo = pool6Lo | (random64() & pool6HostMaskLo);
            } else {
                sLo = pool6Lo | (Bytes.u8(buf, off + 7) & pool6HostMaskLo);
            }
        }
        long dHi = Bytes.i64(buf, off + 8), dLo = Bytes.i64(buf, off + 16);
        int inner = Math.min(len, MAX_ERROR - HEADERS);
        int icmpLen = 8 + inner;
        MemorySegment s = scratch;
        Bytes.put32(s, 0, 6 << 28);
        Bytes.put16(s, 4, icmpLen);
        Bytes.put8(s, 6, IpProto.ICMPV6);
        Bytes.put8(s, 7, HOP_LIMIT);
        Bytes.put64(s, 8, sHi);
        Bytes.put64(s, 16, sLo);
        Bytes.put64(s, 24, dHi);
        Bytes.put64(s, 32, dLo);
        Bytes.put8(s, 40, type);
        Bytes.put8(s, 41, code);
        Bytes.put16(s, 42, 0);
        Bytes.put32(s, 44, rest);
        MemorySegment.copy(buf, off, s, HEADERS, inner);
        int pseudo = Checksum.pseudo6(sHi, sLo, dHi, dLo, IpProto.ICMPV6, icmpLen);
        Bytes.put16(s, 42, Checksum.checksum(pseudo, s, 40, icmpLen));
        sink.emit(s, 0, HEADERS + inner);
        return true;
    }

    /** A fresh 16-bit IPv4 Identification. */
    int identification() {
        return next() & 0xffff;
    }

    private long random64() {
        return ((long) next() << 32) | (next() & 0xffff_ffffL);
    }

    /** The next value of this translator's {@link Xorshift32} (no allocation, no clock, never 0). */
    private int next() {
        return rng = Xorshift32.step(rng);
    }
}
