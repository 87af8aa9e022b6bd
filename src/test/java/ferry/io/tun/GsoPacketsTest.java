package ferry.io.tun;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.packet.Bytes;
import ferry.packet.Checksum;
import ferry.packet.PacketBuilder;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** {@link GsoPackets#firstSegment}: a super-packet shortened to its first segment, headers consistent. */
class GsoPacketsTest {
    @Test
    void ipv4TotalLengthAndHeaderChecksumDescribeTheFirstSegment() {
        byte[] p = PacketBuilder.ipv4("198.51.100.2", "192.0.2.2").df(true).tcp(1, 2).payload(9000).build();
        MemorySegment s = MemorySegment.ofArray(p);
        assertThat(GsoPackets.firstSegment(s, 0, p.length, 1500)).isEqualTo(1500);
        assertThat(Bytes.u16(s, 2)).isEqualTo(1500);
        assertThat(Checksum.sum(s, 0, 20)).as("header checksum verifies").isEqualTo(0xffff);
    }

    @Test
    void ipv6PayloadLengthDescribesTheFirstSegment() {
        byte[] p = PacketBuilder.ipv6("2001:db8:6::2", "2001:db8:1c6:3364:2::").tcp(1, 2).payload(9000).build();
        MemorySegment s = MemorySegment.ofArray(p);
        assertThat(GsoPackets.firstSegment(s, 0, p.length, 1500)).isEqualTo(1500);
        assertThat(Bytes.u16(s, 4)).isEqualTo(1460);
    }

    @Test
    void aPacketShorterThanOneSegmentIsLeftAsItIs() {
        byte[] p = PacketBuilder.ipv4("198.51.100.2", "192.0.2.2").df(true).tcp(1, 2).payload(100).build();
        byte[] copy = p.clone();
        assertThat(GsoPackets.firstSegment(MemorySegment.ofArray(p), 0, p.length, 1500)).isEqualTo(p.length);
        assertThat(p).isEqualTo(copy);
    }
}
