package ferry.packet;

import java.lang.foreign.MemorySegment;

/**
 * Flyweight over a UDP header (RFC 768).
 *
 * <pre>
 *  0      7 8     15 16    23 24    31
 * +--------+--------+--------+--------+
 * |   Source Port   |  Destination    |  0
 * |                 |     Port        |
 * +--------+--------+--------+--------+
 * |     Length      |    Checksum     |  4
 * +--------+--------+--------+--------+
 * </pre>
 */
public final class Udp {
    public static final int LENGTH = 8;
    public static final int SOURCE_PORT = 0, DESTINATION_PORT = 2, UDP_LENGTH = 4, CHECKSUM = 6;

    private MemorySegment seg;
    private long off;

    public Udp wrap(MemorySegment seg, long off) {
        this.seg = seg;
        this.off = off;
        return this;
    }

    public long offset() {
        return off;
    }

    public int srcPort() {
        return Bytes.u16(seg, off);
    }

    public Udp srcPort(int v) {
        Bytes.put16(seg, off, v);
        return this;
    }

    public int dstPort() {
        return Bytes.u16(seg, off + DESTINATION_PORT);
    }

    public Udp dstPort(int v) {
        Bytes.put16(seg, off + DESTINATION_PORT, v);
        return this;
    }

    public int length() {
        return Bytes.u16(seg, off + UDP_LENGTH);
    }

    public Udp length(int v) {
        Bytes.put16(seg, off + UDP_LENGTH, v);
        return this;
    }

    public int checksum() {
        return Bytes.u16(seg, off + CHECKSUM);
    }

    public Udp checksum(int v) {
        Bytes.put16(seg, off + CHECKSUM, v);
        return this;
    }
}
