package ferry.packet;

import java.lang.foreign.MemorySegment;

/**
 * Flyweight over an IPv4 header (RFC 791 §3.1), re-{@link #wrap wrapped} per packet; reads and writes go straight
 * to the segment in network byte order. The flyweight checks nothing: the caller checks lengths first (an access
 * past the segment throws {@link IndexOutOfBoundsException}).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |Type of Service|          Total Length         |  0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Identification        |0|D|M|      Fragment Offset    |  4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Time to Live |    Protocol   |         Header Checksum       |  8
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Source Address                          | 12
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination Address                        | 16
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options                    |    Padding    | 20
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class Ipv4Header {
    /** Length of a header without options. */
    public static final int MIN_LENGTH = 20;
    public static final int VERSION_IHL = 0, TOS = 1, TOTAL_LENGTH = 2, IDENTIFICATION = 4, FLAGS_FRAGMENT = 6,
            TTL = 8, PROTOCOL = 9, HEADER_CHECKSUM = 10, SOURCE = 12, DESTINATION = 16, OPTIONS = 20;
    /** Bits of the 16-bit flags/fragment-offset word. */
    public static final int FLAG_RESERVED = 0x8000, FLAG_DF = 0x4000, FLAG_MF = 0x2000, OFFSET_MASK = 0x1fff;

    private MemorySegment seg;
    private long off;

    public Ipv4Header wrap(MemorySegment seg, long off) {
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

    public int version() {
        return Bytes.u8(seg, off) >>> 4;
    }

    public Ipv4Header version(int v) {
        Bytes.put8(seg, off, (v << 4) | (Bytes.u8(seg, off) & 0x0f));
        return this;
    }

    /** Internet Header Length in 32-bit words. */
    public int ihl() {
        return Bytes.u8(seg, off) & 0x0f;
    }

    public Ipv4Header ihl(int words) {
        Bytes.put8(seg, off, (Bytes.u8(seg, off) & 0xf0) | (words & 0x0f));
        return this;
    }

    /** Header length in bytes (IHL × 4). */
    public int headerLength() {
        return ihl() << 2;
    }

    /** Type of Service (DSCP + ECN, RFC 2474/3168). */
    public int tos() {
        return Bytes.u8(seg, off + TOS);
    }

    public Ipv4Header tos(int v) {
        Bytes.put8(seg, off + TOS, v);
        return this;
    }

    public int totalLength() {
        return Bytes.u16(seg, off + TOTAL_LENGTH);
    }

    public Ipv4Header totalLength(int v) {
        Bytes.put16(seg, off + TOTAL_LENGTH, v);
        return this;
    }

    public int identification() {
        return Bytes.u16(seg, off + IDENTIFICATION);
    }

    public Ipv4Header identification(int v) {
        Bytes.put16(seg, off + IDENTIFICATION, v);
        return this;
    }

    /** The whole 16-bit flags + fragment offset word. */
    public int flagsFragment() {
        return Bytes.u16(seg, off + FLAGS_FRAGMENT);
    }

    public Ipv4Header flagsFragment(int v) {
        Bytes.put16(seg, off + FLAGS_FRAGMENT, v);
        return this;
    }

    /** Reserved flag (bit 0, must be zero). */
    public boolean reservedFlag() {
        return (flagsFragment() & FLAG_RESERVED) != 0;
    }

    /** Don't Fragment. */
    public boolean df() {
        return (flagsFragment() & FLAG_DF) != 0;
    }

    public Ipv4Header df(boolean v) {
        int w = flagsFragment();
        return flagsFragment(v ? w | FLAG_DF : w & ~FLAG_DF);
    }

    /** More Fragments. */
    public boolean mf() {
        return (flagsFragment() & FLAG_MF) != 0;
    }

    public Ipv4Header mf(boolean v) {
        int w = flagsFragment();
        return flagsFragment(v ? w | FLAG_MF : w & ~FLAG_MF);
    }

    /** Fragment Offset in 8-octet units. */
    public int fragmentOffset() {
        return flagsFragment() & OFFSET_MASK;
    }

    public Ipv4Header fragmentOffset(int units) {
        return flagsFragment((flagsFragment() & ~OFFSET_MASK) | (units & OFFSET_MASK));
    }

    /** True when this is a fragment of a larger datagram (MF set or offset non-zero). */
    public boolean isFragment() {
        return (flagsFragment() & (FLAG_MF | OFFSET_MASK)) != 0;
    }

    public int ttl() {
        return Bytes.u8(seg, off + TTL);
    }

    public Ipv4Header ttl(int v) {
        Bytes.put8(seg, off + TTL, v);
        return this;
    }

    public int protocol() {
        return Bytes.u8(seg, off + PROTOCOL);
    }

    public Ipv4Header protocol(int v) {
        Bytes.put8(seg, off + PROTOCOL, v);
        return this;
    }

    public int headerChecksum() {
        return Bytes.u16(seg, off + HEADER_CHECKSUM);
    }

    public Ipv4Header headerChecksum(int v) {
        Bytes.put16(seg, off + HEADER_CHECKSUM, v);
        return this;
    }

    /** Computes and stores the header checksum over {@link #headerLength()} bytes. */
    public Ipv4Header updateHeaderChecksum() {
        headerChecksum(0);
        return headerChecksum(Checksum.checksum(seg, off, headerLength()));
    }

    /** True when the header (of {@link #headerLength()} bytes) sums to 0xffff including its checksum. */
    public boolean headerChecksumValid() {
        return Checksum.sum(seg, off, headerLength()) == 0xffff;
    }

    public int src() {
        return Bytes.i32(seg, off + SOURCE);
    }

    public Ipv4Header src(int v) {
        Bytes.put32(seg, off + SOURCE, v);
        return this;
    }

    public int dst() {
        return Bytes.i32(seg, off + DESTINATION);
    }

    public Ipv4Header dst(int v) {
        Bytes.put32(seg, off + DESTINATION, v);
        return this;
    }

    /** Offset (in the segment) of the first option byte; the options run to {@link #headerLength()}. */
    public long optionsOffset() {
        return off + OPTIONS;
    }

    /** Length of the options (and padding) in bytes: IHL × 4 − 20, never negative. */
    public int optionsLength() {
        return Math.max(0, headerLength() - MIN_LENGTH);
    }

    /** The byte at {@code index} within the options. */
    public int option(int index) {
        return Bytes.u8(seg, off + OPTIONS + index);
    }
}
