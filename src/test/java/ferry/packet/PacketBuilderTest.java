package ferry.packet;

import ferry.addr.Ipv4;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.assertj.core.api.Assertions.assertThat;

class PacketBuilderTest {
    private static final int SRC4 = Ipv4.parse("192.0.2.1"), DST4 = Ipv4.parse("198.51.100.9");
    private static final long S_HI = 0x20010db8_00000000L, S_LO = 1, D_HI = 0x0064ff9b_00000000L, D_LO = 0xc0000201L;

    private static MemorySegment seg(byte[] p) {
        return MemorySegment.ofArray(p);
    }

    @Test
    void ipv4UdpHasCorrectLengthsAndValidChecksums() {
        byte[] p = PacketBuilder.ipv4("192.0.2.1", "198.51.100.9").ttl(17).tos(0x2e).identification(0x4321).df(true)
                .udp(1234, 53).payload(33).build();
        Ipv4Header h = new Ipv4Header().wrap(seg(p), 0);
        assertThat(p).hasSize(20 + 8 + 33);
        assertThat(h.version()).isEqualTo(4);
        assertThat(h.ihl()).isEqualTo(5);
        assertThat(h.totalLength()).isEqualTo(p.length);
        assertThat(h.ttl()).isEqualTo(17);
        assertThat(h.tos()).isEqualTo(0x2e);
        assertThat(h.identification()).isEqualTo(0x4321);
        assertThat(h.df()).isTrue();
        assertThat(h.mf()).isFalse();
        assertThat(h.protocol()).isEqualTo(IpProto.UDP);
        assertThat(h.src()).isEqualTo(SRC4);
        assertThat(h.dst()).isEqualTo(DST4);
        assertThat(h.headerChecksumValid()).isTrue();
        Udp u = new Udp().wrap(seg(p), 20);
        assertThat(u.srcPort()).isEqualTo(1234);
        assertThat(u.dstPort()).isEqualTo(53);
        assertThat(u.length()).isEqualTo(41);
        assertThat(Checksum.add(Checksum.pseudo4(SRC4, DST4, 17, 41), Checksum.sum(p, 20, 41))).isEqualTo(0xffff);
    }

    @Test
    void ipv4OptionsArePaddedAndCountedInTheIhl() {
        byte[] p = PacketBuilder.ipv4("192.0.2.1", "198.51.100.9").options((byte) 1, (byte) 1, (byte) 1)
                .tcp(80, 8080).payload(10).build();
        Ipv4Header h = new Ipv4Header().wrap(seg(p), 0);
        assertThat(h.ihl()).isEqualTo(6);
        assertThat(h.option(0)).isEqualTo(1);
        assertThat(h.option(3)).isZero();
        assertThat(h.headerChecksumValid()).isTrue();
        assertThat(Checksum.add(Checksum.pseudo4(SRC4, DST4, 6, 30), Checksum.sum(p, 24, 30))).isEqualTo(0xffff);
    }

    @Test
    void ipv4KnobsBreakTheFieldsTheyName() {
        byte[] p = PacketBuilder.ipv4("192.0.2.1", "198.51.100.9").ihl(4).totalLength(999).headerChecksum(0x1111)
                .mf(true).fragmentOffset(3).protocol(58).udp(1, 2).checksum(0).build();
        Ipv4Header h = new Ipv4Header().wrap(seg(p), 0);
        assertThat(h.ihl()).isEqualTo(4);
        assertThat(h.totalLength()).isEqualTo(999);
        assertThat(h.headerChecksum()).isEqualTo(0x1111);
        assertThat(h.mf()).isTrue();
        assertThat(h.fragmentOffset()).isEqualTo(3);
        assertThat(h.protocol()).isEqualTo(58);
        assertThat(new Udp().wrap(seg(p), 20).checksum()).isZero();
    }

    @Test
    void ipv4IcmpEchoChecksumHasNoPseudoHeader() {
        byte[] p = PacketBuilder.ipv4("192.0.2.1", "198.51.100.9").echoRequest(0x1234, 7).payload(56).build();
        Icmp4 i = new Icmp4().wrap(seg(p), 20);
        assertThat(i.type()).isEqualTo(8);
        assertThat(i.identifier()).isEqualTo(0x1234);
        assertThat(i.sequence()).isEqualTo(7);
        assertThat(Checksum.sum(p, 20, p.length - 20)).isEqualTo(0xffff);
    }

    @Test
    void ipv6UdpHasCorrectLengthsAndValidChecksum() {
        byte[] p = PacketBuilder.ipv6("2001:db8::1", "64:ff9b::192.0.2.1").trafficClass(0xb8).flowLabel(0x12345)
                .hopLimit(9).udp(5000, 53).payload(20).build();
        Ipv6Header h = new Ipv6Header().wrap(seg(p), 0);
        assertThat(p).hasSize(40 + 28);
        assertThat(h.version()).isEqualTo(6);
        assertThat(h.trafficClass()).isEqualTo(0xb8);
        assertThat(h.flowLabel()).isEqualTo(0x12345);
        assertThat(h.payloadLength()).isEqualTo(28);
        assertThat(h.nextHeader()).isEqualTo(17);
        assertThat(h.hopLimit()).isEqualTo(9);
        assertThat(h.srcHi()).isEqualTo(S_HI);
        assertThat(h.srcLo()).isEqualTo(S_LO);
        assertThat(h.dstHi()).isEqualTo(D_HI);
        assertThat(h.dstLo()).isEqualTo(D_LO);
        assertThat(Checksum.add(Checksum.pseudo6(S_HI, S_LO, D_HI, D_LO, 17, 28), Checksum.sum(p, 40, 28)))
                .isEqualTo(0xffff);
    }

    @Test
    void ipv6ExtensionHeadersAreChainedAndCountedInThePayloadLength() {
        byte[] p = PacketBuilder.ipv6("2001:db8::1", "64:ff9b::192.0.2.1").hopByHop().routing(2)
                .fragment(0, true, 99).echoRequest(1, 2).payload(8).build();
        Ipv6Header h = new Ipv6Header().wrap(seg(p), 0);
        assertThat(h.nextHeader()).isEqualTo(0);
        assertThat(h.payloadLength()).isEqualTo(p.length - 40);
        ExtHeaderWalker w = new ExtHeaderWalker();
        assertThat(w.walk(seg(p), 0, p.length)).isEqualTo(ExtHeaderWalker.OK);
        assertThat(w.segmentsLeft()).isEqualTo(2);
        assertThat(w.fragmentId()).isEqualTo(99);
        assertThat(w.upperProtocol()).isEqualTo(58);
        int l4 = w.upperOffset();
        assertThat(l4).isEqualTo(40 + 8 + 40 + 8);
        Icmp6 i = new Icmp6().wrap(seg(p), l4);
        assertThat(i.type()).isEqualTo(128);
        int len = p.length - l4;
        assertThat(Checksum.add(Checksum.pseudo6(S_HI, S_LO, D_HI, D_LO, 58, len), Checksum.sum(p, l4, len)))
                .isEqualTo(0xffff);
    }

    @Test
    void tcpDataOffsetAndChecksum() {
        byte[] p = PacketBuilder.ipv6("2001:db8::1", "64:ff9b::192.0.2.1").tcp(443, 5555).seq(1).ack(2)
                .tcpFlags(Tcp.SYN).dataOffset(6).payload(3).build();
        Tcp t = new Tcp().wrap(seg(p), 40);
        assertThat(t.dataOffset()).isEqualTo(6);
        assertThat(t.syn()).isTrue();
        assertThat(p.length).isEqualTo(40 + 24 + 3);
        assertThat(Checksum.add(Checksum.pseudo6(S_HI, S_LO, D_HI, D_LO, 6, 27), Checksum.sum(p, 40, 27)))
                .isEqualTo(0xffff);
        byte[] shortOffset = PacketBuilder.ipv4("192.0.2.1", "198.51.100.9").tcp(1, 2).dataOffset(3).build();
        assertThat(new Tcp().wrap(seg(shortOffset), 20).dataOffset()).isEqualTo(3);
        assertThat(shortOffset.length).isEqualTo(40);
    }

    @Test
    void icmpErrorCarriesTheInnerPacketAndTheRestWord() {
        byte[] inner = PacketBuilder.ipv4("198.51.100.9", "192.0.2.1").udp(53, 1234).payload(4).build();
        byte[] p = PacketBuilder.ipv4("203.0.113.1", "198.51.100.9").icmpError(3, 4, 1400, inner).build();
        Icmp4 i = new Icmp4().wrap(seg(p), 20);
        assertThat(i.type()).isEqualTo(3);
        assertThat(i.code()).isEqualTo(4);
        assertThat(i.mtu()).isEqualTo(1400);
        assertThat(p.length).isEqualTo(20 + 8 + inner.length);
        assertThat(p[28]).isEqualTo((byte) 0x45);
        assertThat(Checksum.sum(p, 20, p.length - 20)).isEqualTo(0xffff);

        byte[] inner6 = PacketBuilder.ipv6("64:ff9b::192.0.2.1", "2001:db8::1").udp(53, 1).build();
        byte[] p6 = PacketBuilder.ipv6("2001:db8::ff", "2001:db8::1").icmpError(2, 0, 1280, inner6).build();
        Icmp6 i6 = new Icmp6().wrap(seg(p6), 40);
        assertThat(i6.mtu()).isEqualTo(1280);
        int len = p6.length - 40;
        assertThat(Checksum.add(Checksum.pseudo6(S_HI, 0xff, S_HI, 1, 58, len), Checksum.sum(p6, 40, len)))
                .isEqualTo(0xffff);
    }

    @Test
    void rawPayloadKeepsItsProtocolNumber() {
        byte[] p = PacketBuilder.ipv6("2001:db8::1", "64:ff9b::192.0.2.1").raw(132, new byte[] {1, 2, 3}).build();
        assertThat(new Ipv6Header().wrap(seg(p), 0).nextHeader()).isEqualTo(132);
        assertThat(p).endsWith(1, 2, 3);
    }

    @Test
    void udpComputedZeroChecksumIsSentAsAllOnes() {
        // Find a payload word that makes the checksum compute to 0: choose payload so the sum is 0xffff.
        byte[] base = PacketBuilder.ipv4("192.0.2.1", "198.51.100.9").udp(1, 2).payload(new byte[2]).checksum(0)
                .build();
        int sum = Checksum.add(Checksum.pseudo4(SRC4, DST4, 17, 10), Checksum.sum(base, 20, 10));
        int need = ~sum & 0xffff; // payload word that brings the total to 0xffff
        byte[] p = PacketBuilder.ipv4("192.0.2.1", "198.51.100.9").udp(1, 2)
                .payload(new byte[] {(byte) (need >>> 8), (byte) need}).build();
        assertThat(new Udp().wrap(seg(p), 20).checksum()).isEqualTo(0xffff);
    }

    @Test
    void truncateCutsTheBytesButNotTheLengthFields() {
        byte[] p = PacketBuilder.ipv6("2001:db8::1", "64:ff9b::192.0.2.1").udp(1, 2).payload(100).truncate(50).build();
        assertThat(p).hasSize(50);
        assertThat(new Ipv6Header().wrap(seg(p), 0).payloadLength()).isEqualTo(108);
    }
}
