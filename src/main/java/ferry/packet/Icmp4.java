package ferry.packet;

import java.lang.foreign.MemorySegment;

/**
 * Flyweight over an ICMPv4 header (RFC 792; RFC 1191 next-hop MTU; RFC 4884 length). The four bytes after the
 * checksum ("rest of header") mean different things per type; each accessor names its RFC field.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |  0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Identifier          |        Sequence Number        |  4  echo request/reply
 * |    unused     |    Length     |          Next-Hop MTU         |  4  destination unreachable
 * |    Pointer    |    Length     |            unused             |  4  parameter problem
 * |    unused     |    Length     |            unused             |  4  time exceeded
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Internet Header + leading octets of original datagram     |  8  (errors)
 * </pre>
 */
public final class Icmp4 {
    public static final int HEADER_LENGTH = 8;
    public static final int TYPE = 0, CODE = 1, CHECKSUM = 2, REST = 4, IDENTIFIER = 4, SEQUENCE = 6, POINTER = 4,
            LENGTH = 5, MTU = 6;

    private MemorySegment seg;
    private long off;

    public Icmp4 wrap(MemorySegment seg, long off) {
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

    public Icmp4 type(int v) {
        Bytes.put8(seg, off, v);
        return this;
    }

    public int code() {
        return Bytes.u8(seg, off + CODE);
    }

    public Icmp4 code(int v) {
        Bytes.put8(seg, off + CODE, v);
        return this;
    }

    public int checksum() {
        return Bytes.u16(seg, off + CHECKSUM);
    }

    public Icmp4 checksum(int v) {
        Bytes.put16(seg, off + CHECKSUM, v);
        return this;
    }

    /** The 32-bit "rest of header" word (bytes 4..7). */
    public int rest() {
        return Bytes.i32(seg, off + REST);
    }

    public Icmp4 rest(int v) {
        Bytes.put32(seg, off + REST, v);
        return this;
    }

    public int identifier() {
        return Bytes.u16(seg, off + IDENTIFIER);
    }

    public Icmp4 identifier(int v) {
        Bytes.put16(seg, off + IDENTIFIER, v);
        return this;
    }

    public int sequence() {
        return Bytes.u16(seg, off + SEQUENCE);
    }

    public Icmp4 sequence(int v) {
        Bytes.put16(seg, off + SEQUENCE, v);
        return this;
    }

    /** Parameter Problem pointer (byte 4). */
    public int pointer() {
        return Bytes.u8(seg, off + POINTER);
    }

    public Icmp4 pointer(int v) {
        Bytes.put8(seg, off + POINTER, v);
        return this;
    }

    /** RFC 4884 length of the original datagram, in 32-bit words (byte 5). */
    public int length() {
        return Bytes.u8(seg, off + LENGTH);
    }

    public Icmp4 length(int v) {
        Bytes.put8(seg, off + LENGTH, v);
        return this;
    }

    /** RFC 1191 Next-Hop MTU of a Fragmentation Needed message (bytes 6..7). */
    public int mtu() {
        return Bytes.u16(seg, off + MTU);
    }

    public Icmp4 mtu(int v) {
        Bytes.put16(seg, off + MTU, v);
        return this;
    }
}
