package ferry.packet;

import java.lang.foreign.MemorySegment;

/**
 * Walks the IPv6 extension-header chain (RFC 8200 §4) of one packet and reports where the upper-layer header is.
 * Reusable: one instance per worker, {@link #walk} per packet, results read through the getters; allocates nothing.
 *
 * <p>Extension headers walked: Hop-by-Hop Options (0, only directly after the IPv6 header), Routing (43),
 * Fragment (44) and Destination Options (60). Everything else ends the chain and is the "upper-layer" protocol,
 * including AH (51), ESP (50) and No Next Header (59): RFC 7915 translates neither AH nor ESP, it passes them on
 * like any other payload. In a fragment with a non-zero offset the chain ends at the Fragment header: what follows
 * is payload data, whose protocol is the Fragment header's Next Header.
 *
 * <p>At most {@link #MAX_HEADERS} extension headers are walked; a longer chain is {@link #TOO_MANY_HEADERS}
 * (RFC 8200 only expects each header once, Destination Options twice; RFC 8504 §5.3 lets nodes bound the chain).
 *
 * <p>All offsets are relative to the start of the IPv6 header.
 */
public final class ExtHeaderWalker {
    /** The most extension headers a chain may hold. */
    public static final int MAX_HEADERS = 16;

    /** The chain is well formed. */
    public static final int OK = 0;
    /** An extension header (or its length field) runs past the end of the packet. */
    public static final int TRUNCATED = 1;
    /** More than {@link #MAX_HEADERS} extension headers. */
    public static final int TOO_MANY_HEADERS = 2;
    /** A Hop-by-Hop Options header not directly after the IPv6 header (RFC 8200 §4.3). */
    public static final int HOP_BY_HOP_NOT_FIRST = 3;
    /** A second Fragment header (only one is meaningful; RFC 8200 §4.5). */
    public static final int TWO_FRAGMENT_HEADERS = 4;

    private int error;
    private int errorOffset;
    private int upperProtocol;
    private int upperOffset;
    private int nextHeaderFieldOffset;
    private int headerCount;
    private int fragmentHeaderOffset;
    private int fragmentOffsetUnits;
    private boolean moreFragments;
    private int fragmentId;
    private boolean extAfterFragment;
    private int routingOffset;
    private int segmentsLeft;

    /**
     * Walks the chain of the IPv6 packet at {@code seg[ipv6Off, ipv6Off + end)} starting with the Next Header field
     * of the fixed header; {@code end} (≥ 40) bounds every read. Returns {@link #error()}.
     */
    public int walk(MemorySegment seg, long ipv6Off, int end) {
        error = OK;
        errorOffset = -1;
        headerCount = 0;
        fragmentHeaderOffset = -1;
        fragmentOffsetUnits = 0;
        moreFragments = false;
        fragmentId = 0;
        extAfterFragment = false;
        routingOffset = -1;
        segmentsLeft = 0;
        int nhField = Ipv6Header.NEXT_HEADER;
        int nh = Bytes.u8(seg, ipv6Off + nhField);
        int pos = Ipv6Header.LENGTH;
        while (true) {
            if (nh != IpProto.HOPOPT && nh != IpProto.IPV6_ROUTE && nh != IpProto.IPV6_FRAG && nh != IpProto.IPV6_OPTS) {
                return done(nh, pos, nhField);
            }
            if (headerCount == MAX_HEADERS) return fail(TOO_MANY_HEADERS, pos, nh, nhField);
            if (nh == IpProto.HOPOPT && pos != Ipv6Header.LENGTH) return fail(HOP_BY_HOP_NOT_FIRST, pos, nh, nhField);
            if (end - pos < 8) return fail(TRUNCATED, pos, nh, nhField);
            int len = nh == IpProto.IPV6_FRAG ? 8 : (Bytes.u8(seg, ipv6Off + pos + 1) + 1) << 3;
            if (end - pos < len) return fail(TRUNCATED, pos, nh, nhField);
            if (fragmentHeaderOffset >= 0) {
                if (nh == IpProto.IPV6_FRAG) return fail(TWO_FRAGMENT_HEADERS, pos, nh, nhField);
                extAfterFragment = true;
            }
            headerCount++;
            if (nh == IpProto.IPV6_ROUTE && routingOffset < 0) {
                routingOffset = pos;
                segmentsLeft = Bytes.u8(seg, ipv6Off + pos + 3);
            } else if (nh == IpProto.IPV6_FRAG) {
                fragmentHeaderOffset = pos;
                int w = Bytes.u16(seg, ipv6Off + pos + 2);
                fragmentOffsetUnits = w >>> 3;
                moreFragments = (w & 1) != 0;
                fragmentId = Bytes.i32(seg, ipv6Off + pos + 4);
                if (fragmentOffsetUnits != 0) {
                    // Not the first fragment: the rest is payload data of the fragment header's Next Header.
                    return done(Bytes.u8(seg, ipv6Off + pos), pos + 8, pos);
                }
            }
            nhField = pos;
            nh = Bytes.u8(seg, ipv6Off + pos);
            pos += len;
        }
    }

    private int done(int proto, int offset, int nhFieldOffset) {
        upperProtocol = proto;
        upperOffset = offset;
        nextHeaderFieldOffset = nhFieldOffset;
        return OK;
    }

    private int fail(int code, int offset, int nh, int nhFieldOffset) {
        error = code;
        errorOffset = offset;
        upperProtocol = nh;
        upperOffset = offset;
        nextHeaderFieldOffset = nhFieldOffset;
        return code;
    }

    /** {@link #OK} or the first problem found. */
    public int error() {
        return error;
    }

    /** Offset of the header where the problem was found, or -1. */
    public int errorOffset() {
        return errorOffset;
    }

    /** The protocol after the last extension header (the Fragment header's Next Header in non-first fragments). */
    public int upperProtocol() {
        return upperProtocol;
    }

    /** Offset of the upper-layer header (or of the fragment data of a non-first fragment). */
    public int upperOffset() {
        return upperOffset;
    }

    /** Offset of the Next Header field that holds {@link #upperProtocol()} (6 when there is no extension header). */
    public int nextHeaderFieldOffset() {
        return nextHeaderFieldOffset;
    }

    /** Number of extension headers walked. */
    public int headerCount() {
        return headerCount;
    }

    /** True when the packet has a Fragment header. */
    public boolean hasFragmentHeader() {
        return fragmentHeaderOffset >= 0;
    }

    /** Offset of the Fragment header, or -1. */
    public int fragmentHeaderOffset() {
        return fragmentHeaderOffset;
    }

    /** The Fragment header's Fragment Offset field, in 8-octet units (0 without one). */
    public int fragmentOffset() {
        return fragmentOffsetUnits;
    }

    /** The Fragment header's M flag. */
    public boolean moreFragments() {
        return moreFragments;
    }

    /** The Fragment header's 32-bit Identification. */
    public int fragmentId() {
        return fragmentId;
    }

    /** True when a Fragment header has offset 0 and M = 0 (an "atomic fragment", RFC 6946). */
    public boolean atomicFragment() {
        return fragmentHeaderOffset >= 0 && fragmentOffsetUnits == 0 && !moreFragments;
    }

    /** True when an extension header follows the Fragment header (legal only in the fragmentable part). */
    public boolean extAfterFragment() {
        return extAfterFragment;
    }

    /** Offset of the first Routing header, or -1. */
    public int routingOffset() {
        return routingOffset;
    }

    /** The first Routing header's Segments Left (0 without one). */
    public int segmentsLeft() {
        return segmentsLeft;
    }

    /** Offset of the Routing header's Segments Left field (routingOffset + 3), or -1. */
    public int segmentsLeftFieldOffset() {
        return routingOffset < 0 ? -1 : routingOffset + 3;
    }
}
