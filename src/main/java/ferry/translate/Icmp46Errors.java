package ferry.translate;

import ferry.addr.Ipv6;
import ferry.addr.Prefix4;
import ferry.addr.Prefix6;
import ferry.addr.Special;
import ferry.packet.Bytes;
import ferry.packet.Checksum;
import java.lang.foreign.MemorySegment;

/**
 * The ICMPv4 errors the 4→6 translator generates itself (RFC 7915 §4.1, §4.4: Time Exceeded, Source Route
 * Failed, Fragmentation Needed, Parameter Problem, Communication Administratively Prohibited). One instance per
 * translator: it owns a 576-byte scratch segment, allocated once, and a small xorshift PRNG for RFC 6791 source
 * selection and the IPv4 Identification. Nothing is allocated per error.
 */
final class Icmp46Errors {
    /** RFC 1812 §4.3.2.3: an ICMP error should not exceed 576 bytes. */
    static final int MAX_ERROR = 576;
    private static final int HEADERS = 20 + 8;
    /** RFC 1812 §4.3.2.5: precedence 6 (Internetwork Control) for ICMP errors; 0xc0 in the TOS octet. */
    private static final int TOS_INTERNETWORK_CONTROL = 0xc0;
    private static final int TTL = 64;

    private final MemorySegment scratch = MemorySegment.ofArray(new byte[MAX_ERROR]);
    private final boolean hasPool;
    private final int poolAddr;
    private final long poolSize;
    private final boolean randomize;
    private final boolean hasOwn;
    private final int ownAddr;
    private final boolean hasPool6, hasOwn6;
    private final long pool6Hi, pool6Lo, pool6HostHi, pool6HostLo, own6Hi, own6Lo;
    private int rng;

    /** The address chosen by the last successful {@link #rfc6791v6(int)}. */
    long rfc6791Hi, rfc6791Lo;

    Icmp46Errors(TranslatorSettings s, int seed) {
        Prefix4 pool = s.rfc6791v4();
        hasPool = pool != null;
        poolAddr = hasPool ? pool.addr() & pool.mask() : 0;
        poolSize = hasPool ? pool.size() : 0;
        randomize = s.randomizeRfc6791();
        Prefix4 own = s.ipv4Address();
        hasOwn = own != null;
        ownAddr = hasOwn ? own.addr() : 0;
        Prefix6 pool6 = s.rfc6791v6();
        hasPool6 = pool6 != null;
        pool6Hi = hasPool6 ? pool6.hi() : 0;
        pool6Lo = hasPool6 ? pool6.lo() : 0;
        pool6HostHi = hasPool6 ? ~Ipv6.maskHi(pool6.len()) : 0;
        pool6HostLo = hasPool6 ? ~Ipv6.maskLo(pool6.len()) : 0;
        Prefix6 own6 = s.ipv6Address();
        hasOwn6 = own6 != null;
        own6Hi = hasOwn6 ? own6.hi() : 0;
        own6Lo = hasOwn6 ? own6.lo() : 0;
        rng = seed == 0 ? 0x2545f491 : seed;
    }

    /**
     * RFC 6791 §3 (as Jool's rfc6791v6-prefix): the IPv6 source of a translated ICMPv4 error whose IPv4 source has
     * no IPv6 mapping (a router on the IPv4 side): an address of the rfc6791v6 pool (random when
     * randomize-rfc6791-addresses is on, else the one whose host part is the error's TTL, as Jool does for IPv4),
     * else the translator's own IPv6 address. Sets {@link #rfc6791Hi}/{@link #rfc6791Lo}.
     *
     * @return false when neither is configured
     */
    boolean rfc6791v6(int ttl) {
        if (hasPool6) {
            if (randomize) {
                rfc6791Hi = pool6Hi | (random64() & pool6HostHi);
                rfc6791Lo = pool6Lo | (random64() & pool6HostLo);
            } else {
                rfc6791Hi = pool6Hi;
                rfc6791Lo = pool6Lo | (ttl & pool6HostLo);
            }
            return true;
        }
        if (hasOwn6) {
            rfc6791Hi = own6Hi;
            rfc6791Lo = own6Lo;
            return true;
        }
        return false;
    }

    private long random64() {
        return ((long) next() << 32) | (next() & 0xffffffffL);
    }

    /** True when an error could be sourced (a pool or an own address is configured). */
    boolean hasSource() {
        return hasPool || hasOwn;
    }

    /**
     * RFC 1812 §4.3.2.7: an ICMP error is never sent about a datagram whose source does not define a single host
     * (zero, loopback, broadcast, multicast, class E), nor about one sent to a multicast or broadcast address.
     */
    static boolean sourceMayReceiveError(int src, int dst) {
        if (Special.neverTranslate4(src) || (src >>> 28) == 0xf) return false;
        return !((dst >>> 28) == 0xe || dst == -1);
    }

    /**
     * Builds ICMPv4 {@code type}/{@code code} with the 32-bit rest-of-header word {@code rest} about the IPv4 packet
     * at {@code buf[off, off+len)} (unchanged, as received), and emits it. The caller has checked that an error is
     * allowed at all (not about an ICMP error, a non-first fragment, or a non-unicast source).
     *
     * @return false when no source address is configured (nothing emitted)
     */
    boolean send(MemorySegment buf, long off, int len, int type, int code, int rest, PacketSink sink) {
        if (!hasSource()) return false;
        int src = source();
        int dst = Bytes.i32(buf, off + 12);
        int inner = Math.min(len, MAX_ERROR - HEADERS);
        int total = HEADERS + inner;
        MemorySegment s = scratch;
        // IPv4 header (RFC 791), no options, DF clear (Jool's errors leave DF clear too).
        Bytes.put8(s, 0, 0x45);
        Bytes.put8(s, 1, TOS_INTERNETWORK_CONTROL);
        Bytes.put16(s, 2, total);
        Bytes.put16(s, 4, next() & 0xffff);
        Bytes.put16(s, 6, 0);
        Bytes.put8(s, 8, TTL);
        Bytes.put8(s, 9, 1);
        Bytes.put16(s, 10, 0);
        Bytes.put32(s, 12, src);
        Bytes.put32(s, 16, dst);
        Bytes.put16(s, 10, Checksum.checksum(s, 0, 20));
        // ICMPv4 header and as much of the offending packet as fits in 576 bytes (RFC 1812 §4.3.2.3).
        Bytes.put8(s, 20, type);
        Bytes.put8(s, 21, code);
        Bytes.put16(s, 22, 0);
        Bytes.put32(s, 24, rest);
        MemorySegment.copy(buf, off, s, HEADERS, inner);
        Bytes.put16(s, 22, Checksum.checksum(s, 20, 8 + inner));
        sink.emit(s, 0, total);
        return true;
    }

    /**
     * RFC 6791 §3.3: the source is taken from the rfc6791v4 pool (a random address of it when
     * randomize-rfc6791-addresses is on, else its first), else the translator's own IPv4 address.
     */
    private int source() {
        if (!hasPool) return ownAddr;
        if (!randomize || poolSize <= 1) return poolAddr;
        return poolAddr + (int) Long.remainderUnsigned(next() & 0xffffffffL, poolSize);
    }

    /** The next value of this translator's {@link Xorshift32} (no allocation, no clock, never 0). */
    private int next() {
        return rng = Xorshift32.step(rng);
    }
}
