package ferry.packet;

import java.lang.foreign.MemorySegment;

/**
 * Flyweight over the fixed IPv6 header (RFC 8200 §3), re-{@link #wrap wrapped} per packet. Addresses are two
 * {@code long}s each (bytes 0..7 and 8..15, network order; see {@link ferry.addr.Ipv6}). No bounds checks beyond
 * the segment's own.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version| Traffic Class |           Flow Label                  |  0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Payload Length        |  Next Header  |   Hop Limit   |  4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * +                         Source Address                        +  8
 * |                          (128 bits)                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * +                      Destination Address                      + 24
 * |                          (128 bits)                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class Ipv6Header {
    public static final int LENGTH = 40;
    public static final int VERSION_TC_FLOW = 0, PAYLOAD_LENGTH = 4, NEXT_HEADER = 6, HOP_LIMIT = 7, SOURCE = 8,
            DESTINATION = 24;

    private MemorySegment seg;
    private long off;

    public Ipv6Header wrap(MemorySegment seg, long off) {
        this.seg = seg;
        this.off = off;
        return this;
    }

    public MemorySegment segment() {
        return seg;
    }

    public long offset() {
        return off;
    }

    private int word0() {
        return Bytes.i32(seg, off);
    }

    public int version() {
        return word0() >>> 28;
    }

    public Ipv6Header version(int v) {
        Bytes.put32(seg, off, (word0() & 0x0fff_ffff) | (v << 28));
        return this;
    }

    public int trafficClass() {
        return (word0() >>> 20) & 0xff;
    }

    public Ipv6Header trafficClass(int v) {
        Bytes.put32(seg, off, (word0() & 0xf00f_ffff) | ((v & 0xff) << 20));
        return this;
    }

    public int flowLabel() {
        return word0() & 0x000f_ffff;
    }

    public Ipv6Header flowLabel(int v) {
        Bytes.put32(seg, off, (word0() & 0xfff0_0000) | (v & 0x000f_ffff));
        return this;
    }

    /** Writes version 6, the traffic class and the flow label in one go. */
    public Ipv6Header versionTrafficClassFlowLabel(int trafficClass, int flowLabel) {
        Bytes.put32(seg, off, (6 << 28) | ((trafficClass & 0xff) << 20) | (flowLabel & 0x000f_ffff));
        return this;
    }

    public int payloadLength() {
        return Bytes.u16(seg, off + PAYLOAD_LENGTH);
    }

    public Ipv6Header payloadLength(int v) {
        Bytes.put16(seg, off + PAYLOAD_LENGTH, v);
        return this;
    }

    public int nextHeader() {
        return Bytes.u8(seg, off + NEXT_HEADER);
    }

    public Ipv6Header nextHeader(int v) {
        Bytes.put8(seg, off + NEXT_HEADER, v);
        return this;
    }

    public int hopLimit() {
        return Bytes.u8(seg, off + HOP_LIMIT);
    }

    public Ipv6Header hopLimit(int v) {
        Bytes.put8(seg, off + HOP_LIMIT, v);
        return this;
    }

    public long srcHi() {
        return Bytes.i64(seg, off + SOURCE);
    }

    public long srcLo() {
        return Bytes.i64(seg, off + SOURCE + 8);
    }

    public long dstHi() {
        return Bytes.i64(seg, off + DESTINATION);
    }

    public long dstLo() {
        return Bytes.i64(seg, off + DESTINATION + 8);
    }

    public Ipv6Header src(long hi, long lo) {
        Bytes.put64(seg, off + SOURCE, hi);
        Bytes.put64(seg, off + SOURCE + 8, lo);
        return this;
    }

    public Ipv6Header dst(long hi, long lo) {
        Bytes.put64(seg, off + DESTINATION, hi);
        Bytes.put64(seg, off + DESTINATION + 8, lo);
        return this;
    }

    public Ipv6Header srcHi(long v) {
        Bytes.put64(seg, off + SOURCE, v);
        return this;
    }

    public Ipv6Header srcLo(long v) {
        Bytes.put64(seg, off + SOURCE + 8, v);
        return this;
    }

    public Ipv6Header dstHi(long v) {
        Bytes.put64(seg, off + DESTINATION, v);
        return this;
    }

    public Ipv6Header dstLo(long v) {
        Bytes.put64(seg, off + DESTINATION + 8, v);
        return this;
    }
}
