package ferry.translate;

import static ferry.translate.Translator64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.metrics.Counter;
import ferry.packet.Checksum;
import ferry.packet.IpProto;
import ferry.packet.PacketBuilder;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 7915 §5.5: transport-layer header translation (checksums updated for the pseudo-header change only). */
class Translator64TransportTest {
    private final Harness h = new Harness();

    @ParameterizedTest(name = "protocol {0}")
    @ValueSource(ints = {IpProto.UDP, IpProto.TCP})
    void validChecksumStaysValidForManyPayloads(int proto) {
        Random r = new Random(proto);
        for (int i = 0; i < 200; i++) {
            byte[] data = new byte[r.nextInt(300)];
            r.nextBytes(data);
            PacketBuilder b = PacketBuilder.ipv6("2001:db8:6::" + Integer.toHexString(1 + r.nextInt(250)),
                    "64:ff9b::203.0.113." + (1 + r.nextInt(250)));
            b = proto == IpProto.UDP ? b.udp(r.nextInt(65536), r.nextInt(65536)) : b.tcp(r.nextInt(65536), 443);
            byte[] p = h.run(b.payload(data).build()).translated();
            assertThat(l4ChecksumValid4(p)).as("packet %d", i).isTrue();
        }
    }

    @ParameterizedTest(name = "protocol {0}")
    @ValueSource(ints = {IpProto.UDP, IpProto.TCP})
    void wrongChecksumStaysWrongByTheSameAmount(int proto) {
        PacketBuilder good = proto == IpProto.UDP ? v6().udp(5, 6) : v6().tcp(5, 6);
        byte[] in = good.payload(40).build();
        int at = proto == IpProto.UDP ? 46 : 56;
        int c = u16(in, at);
        int bad = Checksum.add(c, 0x0100);
        in[at] = (byte) (bad >>> 8);
        in[at + 1] = (byte) bad;
        byte[] p = h.run(in).translated();
        assertThat(l4ChecksumValid4(p)).isFalse();
        byte[] pGood = h.run((proto == IpProto.UDP ? v6().udp(5, 6) : v6().tcp(5, 6)).payload(40).build())
                .translated();
        int out = at - 20;
        assertThat(u16(p, out)).isEqualTo(Checksum.add(u16(pGood, out), 0x0100));
    }

    /** A 2-byte payload that makes the IPv4 UDP/TCP checksum of the translation compute to 0x0000. */
    private static byte[] payloadForZeroChecksum(int proto) {
        int hdr = proto == IpProto.UDP ? 8 : 20;
        byte[] l4 = (proto == IpProto.UDP
                ? PacketBuilder.ipv4("192.0.2.5", "198.51.100.9").udp(1, 2)
                : PacketBuilder.ipv4("192.0.2.5", "198.51.100.9").tcp(1, 2))
                .payload(new byte[2]).checksum(0).build();
        int sum = Checksum.add(Checksum.pseudo4(H4, R4, proto, hdr + 2), Checksum.sum(l4, 20, hdr + 2));
        int w = ~sum & 0xffff; // the word that brings the sum to 0xffff, i.e. the checksum to 0
        return new byte[] {(byte) (w >>> 8), (byte) w};
    }

    @Test
    void udpChecksumThatComputesToZeroIsSentAsAllOnes() {
        // RFC 768: "If the computed checksum is zero, it is transmitted as all ones"
        byte[] in = v6().udp(1, 2).payload(payloadForZeroChecksum(IpProto.UDP)).build();
        byte[] p = h.run(in).translated();
        assertThat(u16(p, 26)).isEqualTo(0xffff);
        assertThat(l4ChecksumValid4(p)).isTrue();
    }

    @Test
    void tcpChecksumThatComputesToZeroStaysZero() {
        byte[] in = v6().tcp(1, 2).payload(payloadForZeroChecksum(IpProto.TCP)).build();
        byte[] p = h.run(in).translated();
        assertThat(u16(p, 36)).isZero();
        assertThat(l4ChecksumValid4(p)).isTrue();
    }

    @Test
    void ipv6UdpWithChecksumZeroIsDropped() {
        // RFC 8200 §8.1: "IPv6 receivers must discard UDP packets containing a zero checksum"
        h.run(v6().udp(1, 2).payload(8).checksum(0).build()).droppedWith(Counter.DROP_64_UDP_ZERO_CHECKSUM);
    }

    @Test
    void truncatedUdpAndTcpHeadersAreDropped() {
        h.run(v6().raw(IpProto.UDP, new byte[7]).build()).droppedWith(Counter.DROP_64_TRUNCATED_L4);
        h.run(v6().raw(IpProto.TCP, new byte[19]).build()).droppedWith(Counter.DROP_64_TRUNCATED_L4);
        // data offset 15 (60 bytes) with 20 present
        byte[] tcp = v6().tcp(1, 2).build();
        tcp[40 + 12] = (byte) 0xf0;
        h.run(tcp).droppedWith(Counter.DROP_64_TRUNCATED_L4);
    }

    @ParameterizedTest(name = "data offset {0}")
    @ValueSource(ints = {0, 1, 4})
    void tcpDataOffsetBelow5IsDropped(int words) {
        byte[] tcp = v6().tcp(1, 2).payload(20).build();
        tcp[40 + 12] = (byte) (words << 4);
        h.run(tcp).droppedWith(Counter.DROP_64_TCP_BAD_DATA_OFFSET);
    }

    @Test
    void tcpWithOptionsKeepsThemAndItsChecksumValid() {
        byte[] p = h.run(v6().tcp(1, 2).dataOffset(8).payload(5).build()).translated();
        assertThat(p).hasSize(20 + 32 + 5);
        assertThat(l4ChecksumValid4(p)).isTrue();
    }

    @Test
    void portsRewrittenByAStatefulMapperAreWrittenAndChecksummed() {
        AddressMapper base = h.mapper;
        h.mapper = new AddressMapper() {
            @Override
            public Counter map64(Tuple t) {
                Counter c = base.map64(t);
                t.srcPort = 61001;
                t.dstPort = 8443;
                return c;
            }

            @Override
            public Counter map46(Tuple t) {
                return base.map46(t);
            }
        };
        for (PacketBuilder b : new PacketBuilder[] {v6().udp(1000, 443), v6().tcp(1000, 443)}) {
            byte[] p = h.run(b.payload(17).build()).translated();
            assertThat(u16(p, 20)).isEqualTo(61001);
            assertThat(u16(p, 22)).isEqualTo(8443);
            assertThat(l4ChecksumValid4(p)).isTrue();
        }
    }
}
