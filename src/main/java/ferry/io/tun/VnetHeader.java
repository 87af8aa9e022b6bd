package ferry.io.tun;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The {@code struct virtio_net_hdr} that precedes every packet on a TUN fd opened with {@code IFF_VNET_HDR}
 * ({@code linux/virtio_net.h}); legacy layout, host byte order (the TUN default on little-endian hosts):
 *
 * <pre>
 *  0      1          2          4          6            8             10
 *  +------+----------+----------+----------+------------+-------------+
 *  |flags | gso_type | hdr_len  | gso_size | csum_start | csum_offset |
 *  +------+----------+----------+----------+------------+-------------+
 * </pre>
 *
 * {@code csum_start} counts from the start of the IP packet (the byte after this header); with
 * {@link #F_NEEDS_CSUM} the checksum field at {@code csum_start + csum_offset} holds the non-inverted sum of the
 * pseudo-header only, and whoever finishes the packet (kernel, NIC) adds the bytes from {@code csum_start} on.
 */
public final class VnetHeader {
    private VnetHeader() {
    }

    /** Bytes of the header ferry asks for with {@code TUNSETVNETHDRSZ} (no {@code num_buffers}). */
    public static final int SIZE = 10;

    /** {@code VIRTIO_NET_HDR_F_NEEDS_CSUM}: the L4 checksum is partial. */
    public static final int F_NEEDS_CSUM = 1;
    /** {@code VIRTIO_NET_HDR_F_DATA_VALID}: the checksum was verified. */
    public static final int F_DATA_VALID = 2;

    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    public static final int GSO_UDP_L4 = 5;
    public static final int GSO_ECN = 0x80;

    private static final ValueLayout.OfShort U16 =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.nativeOrder());

    public static int flags(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at) & 0xff;
    }

    public static int gsoType(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at + 1) & 0xff;
    }

    public static int hdrLen(MemorySegment s, long at) {
        return s.get(U16, at + 2) & 0xffff;
    }

    public static int gsoSize(MemorySegment s, long at) {
        return s.get(U16, at + 4) & 0xffff;
    }

    public static int csumStart(MemorySegment s, long at) {
        return s.get(U16, at + 6) & 0xffff;
    }

    public static int csumOffset(MemorySegment s, long at) {
        return s.get(U16, at + 8) & 0xffff;
    }

    /** Writes a whole header. */
    public static void put(MemorySegment s, long at, int flags, int gsoType, int hdrLen, int gsoSize, int csumStart,
                           int csumOffset) {
        s.set(ValueLayout.JAVA_BYTE, at, (byte) flags);
        s.set(ValueLayout.JAVA_BYTE, at + 1, (byte) gsoType);
        s.set(U16, at + 2, (short) hdrLen);
        s.set(U16, at + 4, (short) gsoSize);
        s.set(U16, at + 6, (short) csumStart);
        s.set(U16, at + 8, (short) csumOffset);
    }

    /** Writes an all-zero header: a complete packet, no GSO, checksum already final. */
    public static void putNone(MemorySegment s, long at) {
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, at, 0L);
        s.set(ValueLayout.JAVA_SHORT_UNALIGNED, at + 8, (short) 0);
    }
}
