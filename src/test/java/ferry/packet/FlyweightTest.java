package ferry.packet;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.assertj.core.api.Assertions.assertThat;

/** Byte-order tests: each setter writes the RFC field at its offset in network byte order, and the getter reads it back. */
class FlyweightTest {
    private final byte[] bytes = new byte[64];
    private final MemorySegment seg = MemorySegment.ofArray(bytes);

    @Test
    void ipv4HeaderWritesFieldsBigEndianAtTheirRfc791Offsets() {
        Ipv4Header h = new Ipv4Header().wrap(seg, 4);
        h.version(4).ihl(6).tos(0xb8).totalLength(0x1234).identification(0xabcd).ttl(0x40).protocol(17)
                .headerChecksum(0xbeef).src(0xc0000201).dst(0xc6336409);
        h.df(true).mf(true).fragmentOffset(0x1abc);
        assertThat(bytes[4]).isEqualTo((byte) 0x46);
        assertThat(bytes[5]).isEqualTo((byte) 0xb8);
        assertThat(bytes[6]).isEqualTo((byte) 0x12);
        assertThat(bytes[7]).isEqualTo((byte) 0x34);
        assertThat(bytes[8]).isEqualTo((byte) 0xab);
        assertThat(bytes[9]).isEqualTo((byte) 0xcd);
        assertThat(bytes[10]).isEqualTo((byte) 0x7a); // 0 1 1 | 1 1010 ...
        assertThat(bytes[11]).isEqualTo((byte) 0xbc);
        assertThat(bytes[12]).isEqualTo((byte) 0x40);
        assertThat(bytes[13]).isEqualTo((byte) 17);
        assertThat(bytes[14]).isEqualTo((byte) 0xbe);
        assertThat(bytes[15]).isEqualTo((byte) 0xef);
        assertThat(bytes[16]).isEqualTo((byte) 192);
        assertThat(bytes[19]).isEqualTo((byte) 1);
        assertThat(bytes[20]).isEqualTo((byte) 198);
        assertThat(bytes[23]).isEqualTo((byte) 9);

        assertThat(h.version()).isEqualTo(4);
        assertThat(h.ihl()).isEqualTo(6);
        assertThat(h.headerLength()).isEqualTo(24);
        assertThat(h.optionsLength()).isEqualTo(4);
        assertThat(h.tos()).isEqualTo(0xb8);
        assertThat(h.totalLength()).isEqualTo(0x1234);
        assertThat(h.identification()).isEqualTo(0xabcd);
        assertThat(h.df()).isTrue();
        assertThat(h.mf()).isTrue();
        assertThat(h.reservedFlag()).isFalse();
        assertThat(h.fragmentOffset()).isEqualTo(0x1abc);
        assertThat(h.isFragment()).isTrue();
        assertThat(h.ttl()).isEqualTo(0x40);
        assertThat(h.protocol()).isEqualTo(17);
        assertThat(h.headerChecksum()).isEqualTo(0xbeef);
        assertThat(h.src()).isEqualTo(0xc0000201);
        assertThat(h.dst()).isEqualTo(0xc6336409);
    }

    @Test
    void ipv4FlagSettersLeaveTheOtherBitsAlone() {
        Ipv4Header h = new Ipv4Header().wrap(seg, 0);
        h.flagsFragment(0x1fff);
        h.df(true);
        assertThat(h.flagsFragment()).isEqualTo(0x5fff);
        h.mf(true).df(false);
        assertThat(h.flagsFragment()).isEqualTo(0x3fff);
        h.fragmentOffset(0);
        assertThat(h.flagsFragment()).isEqualTo(0x2000);
        assertThat(h.isFragment()).isTrue();
        h.mf(false);
        assertThat(h.isFragment()).isFalse();
    }

    @Test
    void ipv4HeaderChecksumComputedByTheFlyweightVerifies() {
        Ipv4Header h = new Ipv4Header().wrap(seg, 0);
        h.version(4).ihl(5).totalLength(20).ttl(64).protocol(6).src(0xc0000201).dst(0xcb007105);
        h.updateHeaderChecksum();
        assertThat(h.headerChecksumValid()).isTrue();
        h.ttl(63);
        assertThat(h.headerChecksumValid()).isFalse();
    }

    @Test
    void ipv6HeaderPacksVersionTrafficClassAndFlowLabelIntoTheFirstWord() {
        Ipv6Header h = new Ipv6Header().wrap(seg, 8);
        h.versionTrafficClassFlowLabel(0xab, 0xcdef1);
        assertThat(bytes[8]).isEqualTo((byte) 0x6a);
        assertThat(bytes[9]).isEqualTo((byte) 0xbc);
        assertThat(bytes[10]).isEqualTo((byte) 0xde);
        assertThat(bytes[11]).isEqualTo((byte) 0xf1);
        assertThat(h.version()).isEqualTo(6);
        assertThat(h.trafficClass()).isEqualTo(0xab);
        assertThat(h.flowLabel()).isEqualTo(0xcdef1);
        h.trafficClass(0x12);
        assertThat(h.flowLabel()).isEqualTo(0xcdef1);
        assertThat(h.version()).isEqualTo(6);
        h.flowLabel(0x54321);
        assertThat(h.trafficClass()).isEqualTo(0x12);
        h.version(4);
        assertThat(h.trafficClass()).isEqualTo(0x12);
        assertThat(bytes[8]).isEqualTo((byte) 0x41);
    }

    @Test
    void ipv6HeaderWritesLengthsAndAddressesBigEndian() {
        Ipv6Header h = new Ipv6Header().wrap(seg, 0);
        h.payloadLength(0x0102).nextHeader(44).hopLimit(255)
                .src(0x20010db800000000L, 0x0000000000000001L).dst(0x0064ff9b00000000L, 0x00000000c0000201L);
        assertThat(bytes[4]).isEqualTo((byte) 1);
        assertThat(bytes[5]).isEqualTo((byte) 2);
        assertThat(bytes[6]).isEqualTo((byte) 44);
        assertThat(bytes[7]).isEqualTo((byte) 255);
        assertThat(bytes[8]).isEqualTo((byte) 0x20);
        assertThat(bytes[9]).isEqualTo((byte) 0x01);
        assertThat(bytes[10]).isEqualTo((byte) 0x0d);
        assertThat(bytes[23]).isEqualTo((byte) 1);
        assertThat(bytes[24]).isEqualTo((byte) 0x00);
        assertThat(bytes[25]).isEqualTo((byte) 0x64);
        assertThat(bytes[36]).isEqualTo((byte) 0xc0);
        assertThat(bytes[39]).isEqualTo((byte) 0x01);
        assertThat(h.payloadLength()).isEqualTo(0x0102);
        assertThat(h.nextHeader()).isEqualTo(44);
        assertThat(h.hopLimit()).isEqualTo(255);
        assertThat(h.srcHi()).isEqualTo(0x20010db800000000L);
        assertThat(h.srcLo()).isEqualTo(1L);
        assertThat(h.dstHi()).isEqualTo(0x0064ff9b00000000L);
        assertThat(h.dstLo()).isEqualTo(0xc0000201L);
        h.dstLo(0xcb007105L);
        assertThat(bytes[36]).isEqualTo((byte) 0xcb);
    }

    @Test
    void udpFieldsAreBigEndian() {
        Udp u = new Udp().wrap(seg, 2);
        u.srcPort(0xfedc).dstPort(53).length(0x0109).checksum(0xffff);
        assertThat(bytes[2]).isEqualTo((byte) 0xfe);
        assertThat(bytes[3]).isEqualTo((byte) 0xdc);
        assertThat(bytes[5]).isEqualTo((byte) 53);
        assertThat(bytes[6]).isEqualTo((byte) 1);
        assertThat(bytes[7]).isEqualTo((byte) 9);
        assertThat(u.srcPort()).isEqualTo(0xfedc);
        assertThat(u.dstPort()).isEqualTo(53);
        assertThat(u.length()).isEqualTo(0x0109);
        assertThat(u.checksum()).isEqualTo(0xffff);
    }

    @Test
    void tcpDataOffsetAndFlagsShareTheirBytesCorrectly() {
        Tcp t = new Tcp().wrap(seg, 0);
        t.srcPort(443).dstPort(0x8001).sequence(0x89abcdef).acknowledgment(0x01020304).dataOffset(15)
                .flags(Tcp.SYN | Tcp.ACK).window(0xfaf0).checksum(0x1234).urgentPointer(7);
        assertThat(bytes[4]).isEqualTo((byte) 0x89);
        assertThat(bytes[7]).isEqualTo((byte) 0xef);
        assertThat(bytes[11]).isEqualTo((byte) 4);
        assertThat(bytes[12]).isEqualTo((byte) 0xf0);
        assertThat(bytes[13]).isEqualTo((byte) 0x12);
        assertThat(bytes[16]).isEqualTo((byte) 0x12);
        assertThat(t.dataOffset()).isEqualTo(15);
        assertThat(t.headerLength()).isEqualTo(60);
        assertThat(t.syn()).isTrue();
        assertThat(t.ack()).isTrue();
        assertThat(t.fin()).isFalse();
        assertThat(t.rst()).isFalse();
        assertThat(t.sequence()).isEqualTo(0x89abcdef);
        assertThat(t.acknowledgment()).isEqualTo(0x01020304);
        assertThat(t.window()).isEqualTo(0xfaf0);
        assertThat(t.checksum()).isEqualTo(0x1234);
        assertThat(t.urgentPointer()).isEqualTo(7);
        t.dataOffset(5);
        assertThat(t.flags()).isEqualTo(Tcp.SYN | Tcp.ACK);
    }

    @Test
    void icmp4RestOfHeaderViewsOverlapAsRfc792And4884Say() {
        Icmp4 i = new Icmp4().wrap(seg, 0);
        i.type(3).code(4).checksum(0xabcd).rest(0).length(17).mtu(1480);
        assertThat(bytes[0]).isEqualTo((byte) 3);
        assertThat(bytes[1]).isEqualTo((byte) 4);
        assertThat(bytes[5]).isEqualTo((byte) 17);
        assertThat(bytes[6]).isEqualTo((byte) 0x05);
        assertThat(bytes[7]).isEqualTo((byte) 0xc8);
        assertThat(i.rest()).isEqualTo(0x001105c8);
        i.rest(0).pointer(9);
        assertThat(bytes[4]).isEqualTo((byte) 9);
        i.identifier(0x1234).sequence(0x5678);
        assertThat(i.rest()).isEqualTo(0x12345678);
        assertThat(i.identifier()).isEqualTo(0x1234);
        assertThat(i.sequence()).isEqualTo(0x5678);
        assertThat(i.type()).isEqualTo(3);
        assertThat(i.code()).isEqualTo(4);
        assertThat(i.checksum()).isEqualTo(0xabcd);
    }

    @Test
    void icmp6MtuAndPointerAreUnsigned32BitFields() {
        Icmp6 i = new Icmp6().wrap(seg, 0);
        i.type(2).code(0).mtu(0xfffffffeL);
        assertThat(i.mtu()).isEqualTo(0xfffffffeL);
        assertThat(bytes[4]).isEqualTo((byte) 0xff);
        assertThat(bytes[7]).isEqualTo((byte) 0xfe);
        i.pointer(40);
        assertThat(bytes[7]).isEqualTo((byte) 40);
        assertThat(i.pointer()).isEqualTo(40);
        i.rest(0).length(12);
        assertThat(bytes[4]).isEqualTo((byte) 12);
        assertThat(i.length()).isEqualTo(12);
        i.identifier(7).sequence(9);
        assertThat(i.rest()).isEqualTo(0x00070009);
    }

    @Test
    void rewrappingMovesTheFlyweightToTheNextPacket() {
        byte[] other = new byte[20];
        other[8] = 99;
        Ipv4Header h = new Ipv4Header().wrap(seg, 0);
        h.ttl(1);
        h.wrap(MemorySegment.ofArray(other), 0);
        assertThat(h.ttl()).isEqualTo(99);
        assertThat(h.offset()).isZero();
    }

    @Test
    void unknownProtocolAndIcmpTypesDecodeToNamesWithoutThrowing() {
        assertThat(IpProto.name(17)).isEqualTo("UDP");
        assertThat(IpProto.name(253)).isEqualTo("PROTO_253");
        assertThat(IpProto.name(-1)).isEqualTo("PROTO_255");
        assertThat(IcmpTypes.name6(200)).isEqualTo("ICMPv6 type 200");
        assertThat(IcmpTypes.name4(42)).isEqualTo("ICMPv4 type 42");
        assertThat(IcmpTypes.name6(135)).isEqualTo("Neighbor Solicitation");
        assertThat(IcmpTypes.isError6(4)).isTrue();
        assertThat(IcmpTypes.isError6(128)).isFalse();
        assertThat(IcmpTypes.isError4(11)).isTrue();
        assertThat(IcmpTypes.isError4(8)).isFalse();
    }
}
