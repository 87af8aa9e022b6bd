package ferry.nat64;

import static ferry.nat64.Nat64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Prefix4;
import ferry.metrics.Counter;
import ferry.packet.IpProto;
import ferry.packet.PacketBuilder;
import ferry.testkit.PacketCheck;
import ferry.translate.Verdict;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RFC 6146 §3.5.3 (ICMP queries) and ICMP errors (RFC 6146 §3.5, RFC 5508): sessions found, never touched. */
class Nat64IcmpTest {
    private final Nat64Fixture f = new Nat64Fixture();

    @Test
    void echoRequestIdentifierIsBoundAndTheReplyGetsItBack() {
        assertThat(f.send(v6(X6, Y4).echoRequest(0x1234, 1).payload(32).build())).isEqualTo(Verdict.EMIT);
        byte[] p = f.only();
        assertThat(icmpType(p)).isEqualTo(8);
        int id4 = icmpId(p);
        assertThat(PacketCheck.l4(p)).isEqualTo(PacketCheck.L4.VALID);
        assertThat(f.mapper.sessions(IpProto.ICMP).get(0).expires()).isEqualTo(f.now + 60 * SEC);
        assertThat(f.send(v4(Y4, T4).echoReply(id4, 1).payload(32).build())).isEqualTo(Verdict.EMIT);
        byte[] r = f.only();
        assertThat(icmpType(r)).isEqualTo(129);
        assertThat(icmpId(r)).isEqualTo(0x1234);
        assertThat(dst6(r)).isEqualTo(X6);
        assertThat(PacketCheck.l4(r)).isEqualTo(PacketCheck.L4.VALID);
    }

    @Test
    void dropIcmpv6InfoRefusesOutgoingPings() {
        Nat64Settings s = new Nat64Settings(300, 7440, 240, 60, 10, false, false, true, false, 0b1011, 16);
        Nat64Fixture g = new Nat64Fixture(List.of(new Pool4.Entry(IpProto.ICMP, Prefix4.parse(T4 + "/32"), 0, 65535, 0)),
                List.of(), s);
        assertThat(g.send(v6(X6, Y4).echoRequest(1, 1).build())).isEqualTo(Verdict.DROP);
        assertThat(g.counters.get(Counter.DROP_NAT64_ICMPV6_INFO)).isEqualTo(1);
    }

    /** The UDP packet X' sent, as it left the NAT64 (the inner packet of an IPv4 router's error). */
    private byte[] outboundUdp() {
        f.send(v6(X6, Y4).udp(40001, 53).payload(12).build());
        return f.only();
    }

    @Test
    void icmpv4ErrorAboutATranslatedPacketReachesTheIpv6HostWithItsInnerPacketRestored() {
        byte[] sent = outboundUdp();
        long expires = f.mapper.sessions(IpProto.UDP).get(0).expires();
        f.advance(10);
        byte[] err = v4(R4, T4).icmpError(3, 3, 0, sent).build(); // port unreachable from a router
        assertThat(f.send(err)).isEqualTo(Verdict.EMIT);
        byte[] e = f.only();
        assertThat(icmpType(e)).isEqualTo(1);
        assertThat(icmpCode(e)).isEqualTo(4);
        assertThat(src6(e)).isEqualTo("64:ff9b::c000:2fe"); // the router, through pool6
        assertThat(dst6(e)).isEqualTo(X6);                  // the host the inner packet came from
        byte[] inner = Arrays.copyOfRange(e, 48, e.length);
        assertThat(src6(inner)).isEqualTo(X6);
        assertThat(dst6(inner)).isEqualTo(Y6);
        assertThat(u16(inner, 40)).isEqualTo(40001);
        assertThat(u16(inner, 42)).isEqualTo(53);
        // RFC 5508 / issue 4: errors never refresh a session
        assertThat(f.mapper.sessions(IpProto.UDP).get(0).expires()).isEqualTo(expires);
        assertThat(f.mapper.sessionCount(IpProto.UDP)).isEqualTo(1);
    }

    @Test
    void icmpv4ErrorWithoutASessionIsDroppedAndCreatesNothing() {
        byte[] inner = v4(T4, Y4).udp(4444, 53).build();
        assertThat(f.send(v4(R4, T4).icmpError(3, 3, 0, inner).build())).isEqualTo(Verdict.DROP);
        assertThat(f.counters.get(Counter.DROP_NAT64_ICMP_NO_SESSION)).isEqualTo(1);
        assertThat(f.mapper.bibCount(IpProto.UDP)).isZero();
        assertThat(f.mapper.sessionCount(IpProto.UDP)).isZero();
    }

    @Test
    void icmpv6ErrorAboutAnInboundPacketReachesTheIpv4HostFromThePool4Address() {
        byte[] sent = outboundUdp();
        int t = srcPort(sent);
        f.send(v4(Y4, T4).udp(53, t).payload(12).build());
        byte[] delivered = f.only(); // Y -> X' as the IPv6 host received it
        long expires = f.mapper.sessions(IpProto.UDP).get(0).expires();
        f.advance(5);
        byte[] err = PacketBuilder.ipv6(X6, Y6).icmpError(1, 4, 0, delivered).build(); // X': port unreachable
        assertThat(f.send(err)).isEqualTo(Verdict.EMIT);
        byte[] e = f.only();
        assertThat(icmpType(e)).isEqualTo(3);
        assertThat(icmpCode(e)).isEqualTo(3);
        assertThat(src4(e)).isEqualTo(T4);
        assertThat(dst4(e)).isEqualTo(Y4);
        byte[] inner = Arrays.copyOfRange(e, 28, e.length);
        assertThat(src4(inner)).isEqualTo(Y4);
        assertThat(dst4(inner)).isEqualTo(T4);
        assertThat(u16(inner, 20)).isEqualTo(53);
        assertThat(u16(inner, 22)).isEqualTo(t);
        assertThat(f.mapper.sessions(IpProto.UDP).get(0).expires()).isEqualTo(expires);
    }

    @Test
    void icmpv6ErrorWithoutASessionIsDropped() {
        byte[] inner = PacketBuilder.ipv6(Y6, X6).udp(53, 40001).build();
        assertThat(f.send(PacketBuilder.ipv6(X6, Y6).icmpError(1, 4, 0, inner).build())).isEqualTo(Verdict.DROP);
        assertThat(f.counters.get(Counter.DROP_NAT64_ICMP_NO_SESSION)).isEqualTo(1);
    }

    @Test
    void icmpv4ErrorAboutAPingCarriesTheOriginalIdentifier() {
        f.send(v6(X6, Y4).echoRequest(0x77, 1).build());
        byte[] sent = f.only();
        assertThat(f.send(v4(R4, T4).icmpError(11, 0, 0, sent).build())).isEqualTo(Verdict.EMIT);
        byte[] e = f.only();
        assertThat(icmpType(e)).isEqualTo(3); // Time Exceeded
        byte[] inner = Arrays.copyOfRange(e, 48, e.length);
        assertThat(u8(inner, 40)).isEqualTo(128);
        assertThat(u16(inner, 44)).isEqualTo(0x77);
    }
}
