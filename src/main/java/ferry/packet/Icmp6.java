package ferry.packet;

import java.lang.foreign.MemorySegment;

/**
 * Flyweight over an ICMPv6 header (RFC 4443; RFC 4884 length). The checksum covers the IPv6 pseudo-header
 * (Next Header 58).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |  0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Identifier          |        Sequence Number        |  4  echo request/reply
 * |                              MTU                              |  4  packet too big
 * |                            Pointer                            |  4  parameter problem
 * |    Length     |                    Unused                     |  4  dest. unreachable, time exceeded
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |       As much of invoking packet as possible (≤ 1280 total)   |  8  (errors)
 * </pre>
 */
public final class Icmp6 {
    public static final int HEADER_LENGTH = 8;
    public static final int TYPE = 0, CODE = 1, CHECKSUM = 2, REST = 4, IDENTIFIER = 4, SEQUENCE = 6, MTU = 4,
            POINTER = 4, LENGTH = 4;

    private MemorySegment seg;
    private long off;

    public Icmp6 wrap(MemorySegment seg, long off) {
        this.seg = seg;
        this.off = off;
        return this;
    }

    public long offset() {
        return off;
    }

    public int type() {
        return Bytes.u8(seg, off);
    }

    public Icmp6 type(int v) {
        Bytes.put8(seg, off, v);
        return this;
    }

    public int code() {
        return Bytes.u8(seg, off + CODE);
    }

    public Icmp6 code(int v) {
        Bytes.put8(seg, off + CODE, v);
        return this;
    }

    public int checksum() {
        return Bytes.u16(seg, off + CHECKSUM);
    }

    public Icmp6 checksum(int v) {
        Bytes.put16(seg, off + CHECKSUM, v);
        return this;
    }

    /** The 32-bit word at bytes 4..7. */
    public int rest() {
        return Bytes.i32(seg, off + REST);
    }

    public Icmp6 rest(int v) {
        Bytes.put32(seg, off + REST, v);
        return this;
    }

    public int identifier() {
        return Bytes.u16(seg, off + IDENTIFIER);
    }

    public Icmp6 identifier(int v) {
        Bytes.put16(seg, off + IDENTIFIER, v);
        return this;
    }

    public int sequence() {
        return Bytes.u16(seg, off + SEQUENCE);
    }

    public Icmp6 sequence(int v) {
        Bytes.put16(seg, off + SEQUENCE, v);
        return this;
    }

    /** Packet Too Big MTU (32 bits, unsigned). */
    public long mtu() {
        return Bytes.u32(seg, off + MTU);
    }

    public Icmp6 mtu(long v) {
        Bytes.put32(seg, off + MTU, (int) v);
        return this;
    }

    /** Parameter Problem pointer (32 bits, unsigned). */
    public long pointer() {
        return Bytes.u32(seg, off + POINTER);
    }

    public Icmp6 pointer(long v) {
        Bytes.put32(seg, off + POINTER, (int) v);
        return this;
    }

    /** RFC 4884 length of the original datagram, in 64-bit words (byte 4). */
    public int length() {
        return Bytes.u8(seg, off + LENGTH);
    }

    public Icmp6 length(int v) {
        Bytes.put8(seg, off + LENGTH, v);
        return this;
    }
}
