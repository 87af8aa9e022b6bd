package ferry.io.tun;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Helpers for TCP GSO super-packets (raw IP, no vnet header) that the handlers of {@link PacketHandler} need. */
public final class GsoPackets {
    private GsoPackets() {
    }

    private static final ValueLayout.OfShort BE16 =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /**
     * Shortens the super-packet {@code buf[off, off+len)} in place to its first segment of {@code segmentLength}
     * bytes: IPv4 Total Length (and the header checksum) or IPv6 Payload Length, and for UDP right after the IP
     * header its Length. The transport checksum is left as it is (the shortened packet is only ever quoted in an
     * ICMP error).
     *
     * @return the new length, {@code min(len, segmentLength)}
     */
    public static int firstSegment(MemorySegment buf, long off, int len, int segmentLength) {
        int n = Math.min(len, segmentLength);
        int version = (buf.get(ValueLayout.JAVA_BYTE, off) & 0xff) >>> 4;
        if (version == 4 && n >= 20) {
            int ihl = (buf.get(ValueLayout.JAVA_BYTE, off) & 0x0f) * 4;
            buf.set(BE16, off + 2, (short) n);
            buf.set(BE16, off + 10, (short) 0);
            long sum = 0;
            for (int i = 0; i + 1 < ihl && i + 1 < n; i += 2) sum += buf.get(BE16, off + i) & 0xffff;
            while ((sum >>> 16) != 0) sum = (sum & 0xffff) + (sum >>> 16);
            buf.set(BE16, off + 10, (short) ~sum);
            if ((buf.get(ValueLayout.JAVA_BYTE, off + 9) & 0xff) == 17 && n >= ihl + 8)
                buf.set(BE16, off + ihl + 4, (short) (n - ihl));
        } else if (version == 6 && n >= 40) {
            buf.set(BE16, off + 4, (short) (n - 40));
            if ((buf.get(ValueLayout.JAVA_BYTE, off + 6) & 0xff) == 17 && n >= 48)
                buf.set(BE16, off + 44, (short) (n - 40));
        }
        return n;
    }
}
