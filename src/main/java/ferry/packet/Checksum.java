package ferry.packet;

import java.lang.foreign.MemorySegment;

/**
 * The Internet checksum (RFC 1071): one's-complement sums over byte ranges, the IPv4 and IPv6 pseudo-header sums,
 * and the RFC 1624 incremental update.
 *
 * <p>A <em>sum</em> here is a folded 16-bit one's-complement sum (0..0xffff) of some data; a <em>checksum</em> is
 * the complement of the sum of everything it covers, as stored in a header. Sums of disjoint parts combine with
 * {@link #add(int, int)}.
 *
 * <p>Incremental updates use RFC 1624 eqn. 3, {@code HC' = ~(~HC + ~m + m')}: the update adds the difference of the
 * covered data to the checksum found in the packet, so a checksum that was wrong stays wrong by the same amount
 * (the receiver still detects the corruption), and a correct one stays correct.
 */
public final class Checksum {
    private Checksum() {}

    /** Folds a wide one's-complement accumulator into 16 bits (end-around carries). */
    public static int fold(long acc) {
        acc = (acc & 0xffff_ffffL) + (acc >>> 32);
        acc = (acc & 0xffff_ffffL) + (acc >>> 32);
        int s = (int) ((acc & 0xffff) + (acc >>> 16));
        s = (s & 0xffff) + (s >>> 16);
        return (s & 0xffff) + (s >>> 16);
    }

    /** One's-complement sum of {@code len} bytes at {@code off} (an odd last byte is padded with zero). */
    public static int sum(MemorySegment seg, long off, int len) {
        long acc = 0;
        long p = off;
        long end = off + len;
        while (end - p >= 8) {
            long v = Bytes.i64(seg, p);
            acc += (v >>> 32) + (v & 0xffff_ffffL);
            p += 8;
        }
        if (end - p >= 4) {
            acc += Bytes.u32(seg, p);
            p += 4;
        }
        if (end - p >= 2) {
            acc += Bytes.u16(seg, p);
            p += 2;
        }
        if (p < end) acc += (long) Bytes.u8(seg, p) << 8;
        return fold(acc);
    }

    /** One's-complement sum of a byte array range (tests, builders). */
    public static int sum(byte[] b, int off, int len) {
        return sum(MemorySegment.ofArray(b), off, len);
    }

    /** One's-complement addition of two folded sums. */
    public static int add(int a, int b) {
        int s = a + b;
        return (s & 0xffff) + (s >>> 16);
    }

    /** The checksum (complemented sum) of a byte range, as an IPv4 header or ICMPv4 message stores it. */
    public static int checksum(MemorySegment seg, long off, int len) {
        return ~sum(seg, off, len) & 0xffff;
    }

    /** The checksum of a range plus an extra (pseudo-header) sum: {@code ~(extra + sum(range))}. */
    public static int checksum(int extraSum, MemorySegment seg, long off, int len) {
        return ~add(extraSum, sum(seg, off, len)) & 0xffff;
    }

    /** Sum of a 32-bit value (an IPv4 address). */
    public static int sum32(int v) {
        return add(v >>> 16, v & 0xffff);
    }

    /** Sum of a 64-bit value (half an IPv6 address). */
    public static int sum64(long v) {
        return fold((v >>> 32) + (v & 0xffff_ffffL));
    }

    /** Sum of the IPv4 pseudo-header (RFC 768/793): source, destination, zero, protocol, upper-layer length. */
    public static int pseudo4(int src, int dst, int protocol, int length) {
        long acc = (src & 0xffff_ffffL) + (dst & 0xffff_ffffL) + (protocol & 0xff) + (length & 0xffff);
        return fold(acc);
    }

    /**
     * Sum of the IPv6 pseudo-header (RFC 8200 §8.1): source, destination, 32-bit upper-layer packet length,
     * three zero bytes and the Next Header value of the upper-layer protocol.
     */
    public static int pseudo6(long srcHi, long srcLo, long dstHi, long dstLo, int nextHeader, int length) {
        long acc = (srcHi >>> 32) + (srcHi & 0xffff_ffffL) + (srcLo >>> 32) + (srcLo & 0xffff_ffffL)
                + (dstHi >>> 32) + (dstHi & 0xffff_ffffL) + (dstLo >>> 32) + (dstLo & 0xffff_ffffL)
                + (length & 0xffff_ffffL) + (nextHeader & 0xff);
        return fold(acc);
    }

    /** Sum of the two IPv6 addresses only (the part of the pseudo-header that translation replaces). */
    public static int addresses6(long srcHi, long srcLo, long dstHi, long dstLo) {
        return fold((srcHi >>> 32) + (srcHi & 0xffff_ffffL) + (srcLo >>> 32) + (srcLo & 0xffff_ffffL)
                + (dstHi >>> 32) + (dstHi & 0xffff_ffffL) + (dstLo >>> 32) + (dstLo & 0xffff_ffffL));
    }

    /** Sum of the two IPv4 addresses only. */
    public static int addresses4(int src, int dst) {
        return fold((src & 0xffff_ffffL) + (dst & 0xffff_ffffL));
    }

    /**
     * RFC 1624 eqn. 3: the checksum after the covered data whose sum was {@code oldSum} became data whose sum is
     * {@code newSum}: {@code ~(~oldCsum + ~oldSum + newSum)}. A wrong {@code oldCsum} yields an equally wrong result.
     */
    public static int update(int oldCsum, int oldSum, int newSum) {
        int s = add(~oldCsum & 0xffff, ~oldSum & 0xffff);
        s = add(s, newSum & 0xffff);
        return ~s & 0xffff;
    }

    /** RFC 1624 update for one 16-bit field that changed from {@code oldWord} to {@code newWord}. */
    public static int update16(int oldCsum, int oldWord, int newWord) {
        return update(oldCsum, oldWord & 0xffff, newWord & 0xffff);
    }

    /** True when the data including its checksum field sums to 0xffff (RFC 1071 verification). */
    public static boolean verifies(int sumIncludingChecksum) {
        return sumIncludingChecksum == 0xffff;
    }
}
