package ferry.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.WritableByteChannel;

/**
 * Classic pcap, little-endian, nanosecond timestamps (magic a1b23c4d; Wireshark, tshark and tcpdump read it),
 * version 2.4, snap length 262144, link type RAW (101): each record is one IPv4 or IPv6 packet.
 */
final class PcapWriter extends BufferedPacketWriter {
    private static final ValueLayout.OfInt I32 = ByteInput.U32_LE;
    private static final ValueLayout.OfShort I16 = ByteInput.U16_LE;

    PcapWriter(WritableByteChannel ch) throws IOException {
        super(ch, 1 << 20);
        MemorySegment s = out.segment();
        int at = out.reserve(24);
        s.set(I32, at, PcapReader.MAGIC_NS);
        s.set(I16, at + 4, (short) 2);
        s.set(I16, at + 6, (short) 4);
        s.set(I32, at + 8, 0);   // thiszone
        s.set(I32, at + 12, 0);  // sigfigs
        s.set(I32, at + 16, PacketReader.MAX_PACKET); // snaplen
        s.set(I32, at + 20, LinkType.RAW);
    }

    @Override
    public void write(MemorySegment seg, long off, int len, long timestampNanos) throws IOException {
        if (len < 0 || len > PacketReader.MAX_PACKET) {
            throw new IllegalArgumentException("packet length " + len + " outside 0.." + PacketReader.MAX_PACKET);
        }
        int at = out.reserve(16 + len);
        MemorySegment s = out.segment();
        s.set(I32, at, (int) Math.floorDiv(timestampNanos, 1_000_000_000L));
        s.set(I32, at + 4, (int) Math.floorMod(timestampNanos, 1_000_000_000L));
        s.set(I32, at + 8, len);
        s.set(I32, at + 12, len);
        MemorySegment.copy(seg, off, s, at + 16, len);
        packets++;
    }
}
