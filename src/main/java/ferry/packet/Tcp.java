package ferry.packet;

import java.lang.foreign.MemorySegment;

/**
 * Flyweight over a TCP header (RFC 9293 §3.1).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |  0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Sequence Number                        |  4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Acknowledgment Number                      |  8
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data |       |C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             | 12
 * |       |       |R|E|G|K|H|T|N|N|                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Checksum            |         Urgent Pointer        | 16
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           [Options]                           | 20
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class Tcp {
    public static final int MIN_LENGTH = 20;
    public static final int SOURCE_PORT = 0, DESTINATION_PORT = 2, SEQUENCE = 4, ACKNOWLEDGMENT = 8,
            DATA_OFFSET = 12, FLAGS = 13, WINDOW = 14, CHECKSUM = 16, URGENT_POINTER = 18;
    public static final int FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20, ECE = 0x40,
            CWR = 0x80;

    private MemorySegment seg;
    private long off;

    public Tcp wrap(MemorySegment seg, long off) {
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

    public Tcp srcPort(int v) {
        Bytes.put16(seg, off, v);
        return this;
    }

    public int dstPort() {
        return Bytes.u16(seg, off + DESTINATION_PORT);
    }

    public Tcp dstPort(int v) {
        Bytes.put16(seg, off + DESTINATION_PORT, v);
        return this;
    }

    public int sequence() {
        return Bytes.i32(seg, off + SEQUENCE);
    }

    public Tcp sequence(int v) {
        Bytes.put32(seg, off + SEQUENCE, v);
        return this;
    }

    public int acknowledgment() {
        return Bytes.i32(seg, off + ACKNOWLEDGMENT);
    }

    public Tcp acknowledgment(int v) {
        Bytes.put32(seg, off + ACKNOWLEDGMENT, v);
        return this;
    }

    /** Data Offset in 32-bit words. */
    public int dataOffset() {
        return Bytes.u8(seg, off + DATA_OFFSET) >>> 4;
    }

    public Tcp dataOffset(int words) {
        Bytes.put8(seg, off + DATA_OFFSET, (words << 4) | (Bytes.u8(seg, off + DATA_OFFSET) & 0x0f));
        return this;
    }

    /** Header length in bytes (Data Offset × 4). */
    public int headerLength() {
        return dataOffset() << 2;
    }

    /** The eight flag bits CWR..FIN. */
    public int flags() {
        return Bytes.u8(seg, off + FLAGS);
    }

    public Tcp flags(int v) {
        Bytes.put8(seg, off + FLAGS, v);
        return this;
    }

    public boolean syn() {
        return (flags() & SYN) != 0;
    }

    public boolean ack() {
        return (flags() & ACK) != 0;
    }

    public boolean fin() {
        return (flags() & FIN) != 0;
    }

    public boolean rst() {
        return (flags() & RST) != 0;
    }

    public int window() {
        return Bytes.u16(seg, off + WINDOW);
    }

    public Tcp window(int v) {
        Bytes.put16(seg, off + WINDOW, v);
        return this;
    }

    public int checksum() {
        return Bytes.u16(seg, off + CHECKSUM);
    }

    public Tcp checksum(int v) {
        Bytes.put16(seg, off + CHECKSUM, v);
        return this;
    }

    public int urgentPointer() {
        return Bytes.u16(seg, off + URGENT_POINTER);
    }

    public Tcp urgentPointer(int v) {
        Bytes.put16(seg, off + URGENT_POINTER, v);
        return this;
    }
}
