package ferry.translate;

import static ferry.translate.Translator64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.packet.IpProto;
import ferry.packet.PacketBuilder;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** RFC 7915 §5.1: translating IPv6 headers into IPv4 headers (packets without a Fragment header). */
class Translator64HeaderTest {
    private final Harness h = new Harness();

    @Test
    void udpPacketBecomesAnIpv4PacketWithEveryFieldPerSection51() {
        byte[] in = v6().trafficClass(0xb8).flowLabel(0x12345).hopLimit(64).udp(5000, 53).payload(20).build();
        byte[] p = h.run(in).translated();
        assertIpv4(p);
        assertThat(p).hasSize(20 + 8 + 20);
        assertThat(u8(p, 1)).as("TOS = Traffic Class").isEqualTo(0xb8);
        assertThat(u16(p, 6)).as("flags/offset: DF=0 (<= 1260 bytes), MF=0, offset 0").isZero();
        assertThat(u8(p, 8)).as("TTL = Hop Limit - 1").isEqualTo(63);
        assertThat(u8(p, 9)).as("protocol").isEqualTo(IpProto.UDP);
        assertThat(i32(p, 12)).as("source (EAMT)").isEqualTo(H4);
        assertThat(i32(p, 16)).as("destination (pool6)").isEqualTo(R4);
        assertThat(l4ChecksumValid4(p)).isTrue();
        // the UDP header (but its checksum) and the payload are untouched
        assertThat(slice(p, 20, 26)).isEqualTo(slice(in, 40, 46));
        assertThat(slice(p, 28, p.length)).isEqualTo(slice(in, 48, in.length));
    }

    @Test
    void overrideTosReplacesTheTrafficClass() {
        h.config.overrideTos = true;
        h.config.tos = 0x20;
        byte[] p = h.run(v6().trafficClass(0xb8).udp(1, 2).build()).translated();
        assertThat(u8(p, 1)).isEqualTo(0x20);
    }

    @Test
    void dfIsClearUpTo1260BytesAndSetAbove() {
        // RFC 7915 §5: "When the resulting IPv4 packet is smaller than or equal to 1260 bytes, the translator MUST
        // send the packet with a cleared Don't Fragment bit. Otherwise, the packet MUST be sent with the Don't
        // Fragment bit set." (Jool tests ci/ch)
        byte[] p1260 = h.run(v6().tcp(1, 2).payload(1220).build()).translated();
        assertThat(p1260).hasSize(1260);
        assertThat(u16(p1260, 6)).isZero();
        byte[] p1261 = h.run(v6().tcp(1, 2).payload(1221).build()).translated();
        assertThat(p1261).hasSize(1261);
        assertThat(u16(p1261, 6)).isEqualTo(0x4000);
        assertIpv4(p1261);
        assertThat(l4ChecksumValid4(p1261)).isTrue();
    }

    @Test
    void identificationComesFromTheTranslatorsGeneratorAndVaries() {
        byte[] in = v6().udp(1, 2).build();
        Translator64 t = new Translator64(h.config.build(), h.mapper, new ferry.metrics.Counters(), 99);
        int a = u16(Harness.run(t, new ferry.metrics.Counters(), in, in.length).only(), 4);
        int b = u16(Harness.run(t, new ferry.metrics.Counters(), in, in.length).only(), 4);
        int c = u16(Harness.run(t, new ferry.metrics.Counters(), in, in.length).only(), 4);
        assertThat(a == b && b == c).as("identifications %d %d %d", a, b, c).isFalse();
    }

    @Test
    void hopLimit2GivesTtl1AndHopLimit255GivesTtl254() {
        assertThat(u8(h.run(v6().hopLimit(2).udp(1, 2).build()).translated(), 8)).isEqualTo(1);
        assertThat(u8(h.run(v6().hopLimit(255).udp(1, 2).build()).translated(), 8)).isEqualTo(254);
    }

    @Test
    void hopByHopDestinationAndRoutingWithSegmentsLeft0AreSkipped() {
        // RFC 7915 §5.1: "If any of an IPv6 Hop-by-Hop Options header, Destination Options header, or Routing
        // header with the Segments Left field equal to zero are present in the IPv6 packet, those IPv6 extension
        // headers MUST be ignored ... However, the Total Length field and the Protocol field MUST be adjusted"
        byte[] plain = h.run(v6().tcp(80, 8080).seq(7).payload(33).build()).translated();
        byte[] in = v6().hopByHop().destinationOptions().routing(0).options6(IpProto.IPV6_OPTS, 24)
                .tcp(80, 8080).seq(7).payload(33).build();
        byte[] p = h.run(in).translated();
        assertIpv4(p);
        assertThat(p).hasSize(20 + 20 + 33);
        assertThat(u8(p, 9)).isEqualTo(IpProto.TCP);
        assertThat(l4ChecksumValid4(p)).isTrue();
        // identical to the translation of the same packet without extension headers, but the Identification
        assertThat(slice(p, 20, p.length)).isEqualTo(slice(plain, 20, plain.length));
        assertThat(slice(p, 6, 10)).isEqualTo(slice(plain, 6, 10));
    }

    @Test
    void unknownProtocolIsPassedThroughUnchanged() {
        // RFC 7915 §5.5: "translators MUST forward all transport protocols as described in the "Protocol" step"
        byte[] data = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        byte[] p = h.run(v6().raw(IpProto.SCTP, data).build()).translated();
        assertIpv4(p);
        assertThat(u8(p, 9)).isEqualTo(IpProto.SCTP);
        assertThat(slice(p, 20, p.length)).isEqualTo(data);
    }

    @Test
    void noNextHeaderBecomesProtocol59WithAnEmptyPayload() {
        byte[] p = h.run(v6().raw(IpProto.IPV6_NONXT, new byte[0]).build()).translated();
        assertIpv4(p);
        assertThat(p).hasSize(20);
        assertThat(u8(p, 9)).isEqualTo(59);
    }

    @Test
    void espAndAhArePassedThroughAsPayload() {
        byte[] esp = h.run(v6().raw(IpProto.ESP, new byte[16]).build()).translated();
        assertThat(u8(esp, 9)).isEqualTo(IpProto.ESP);
        byte[] ah = h.run(v6().hopByHop().raw(IpProto.AH, new byte[24]).build()).translated();
        assertThat(u8(ah, 9)).isEqualTo(IpProto.AH);
        assertThat(ah).hasSize(20 + 24);
    }

    @Test
    void icmpv6BecomesProtocol1() {
        byte[] p = h.run(v6().echoRequest(1, 1).build()).translated();
        assertThat(u8(p, 9)).isEqualTo(IpProto.ICMP);
    }

    @Test
    void bytesPastThePayloadLengthAreTrimmedLikeLinkPadding() {
        byte[] in = v6().udp(1, 2).payload(10).build();
        byte[] padded = Arrays.copyOf(in, in.length + 6);
        byte[] p = h.run(padded).translated();
        assertThat(p).hasSize(20 + 18);
        assertIpv4(p);
        assertThat(l4ChecksumValid4(p)).isTrue();
    }

    @Test
    void mapperSeesTheIpv6AddressesProtocolAndPorts() {
        Tuple[] seen = new Tuple[1];
        AddressMapper base = h.mapper;
        h.mapper = new AddressMapper() {
            @Override
            public ferry.metrics.Counter map64(Tuple t) {
                Tuple copy = new Tuple();
                copy.srcHi = t.srcHi;
                copy.srcLo = t.srcLo;
                copy.dstHi = t.dstHi;
                copy.dstLo = t.dstLo;
                copy.proto = t.proto;
                copy.srcPort = t.srcPort;
                copy.dstPort = t.dstPort;
                copy.inner = t.inner;
                copy.icmpError = t.icmpError;
                seen[0] = copy;
                return base.map64(t);
            }

            @Override
            public ferry.metrics.Counter map46(Tuple t) {
                return base.map46(t);
            }
        };
        h.run(v6().tcp(4321, 443).build()).translated();
        assertThat(seen[0].srcHi).isEqualTo(a6(H6)[0]);
        assertThat(seen[0].srcLo).isEqualTo(a6(H6)[1]);
        assertThat(seen[0].dstLo).isEqualTo(a6(R6)[1]);
        assertThat(seen[0].proto).isEqualTo(6);
        assertThat(seen[0].srcPort).isEqualTo(4321);
        assertThat(seen[0].dstPort).isEqualTo(443);
        assertThat(seen[0].inner).isFalse();
        assertThat(seen[0].icmpError).isFalse();
    }

    @Test
    void aPacketFromAnotherEamHostTranslatesBothAddressesThroughTheEamt() {
        byte[] p = h.run(PacketBuilder.ipv6("2001:db8:6::ff", R6).udp(1, 2).build()).translated();
        assertThat(i32(p, 12)).isEqualTo(ferry.addr.Ipv4.parse("192.0.2.255"));
    }
}
