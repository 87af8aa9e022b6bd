package ferry.nat64;

import static ferry.nat64.Nat64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Ipv6;
import ferry.metrics.Counter;
import ferry.packet.Checksum;
import ferry.packet.IpProto;
import ferry.translate.Verdict;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * ferry's {@code nat64-allow}: new IPv6-initiated flows only to the ports the operator opens; refused TCP gets a RST,
 * refused UDP/ICMP an ICMPv6 1/1, both rate-limited; established flows and IPv4-initiated traffic through static BIB
 * entries never see the filter.
 */
class Nat64PortFilterTest {
    static final int SYN = 0x02, ACK = 0x10, RST = 0x04;
    private final Nat64Fixture f = new Nat64Fixture();

    private static Nat64PortFilter tcp22and80AndIcmp() {
        return Nat64PortFilter.builder().allow(IpProto.TCP, 22, 22).allow(IpProto.TCP, 80, 80)
                .allow(IpProto.ICMP, 0, 0).build();
    }

    @Test
    void theFilterAnswersOneBitPerProtocolAndPort() {
        Nat64PortFilter p = Nat64PortFilter.builder().allow(IpProto.TCP, 8000, 8080).allow(IpProto.UDP, 53, 53).build();
        assertThat(p.allows(IpProto.TCP, 7999)).isFalse();
        assertThat(p.allows(IpProto.TCP, 8000)).isTrue();
        assertThat(p.allows(IpProto.TCP, 8080)).isTrue();
        assertThat(p.allows(IpProto.TCP, 8081)).isFalse();
        assertThat(p.allows(IpProto.TCP, 53)).isFalse();
        assertThat(p.allows(IpProto.UDP, 53)).isTrue();
        assertThat(p.allows(IpProto.ICMP, 0)).isFalse();
        assertThat(p.allows(IpProto.UDP, 65535)).isFalse();
    }

    @Test
    void aSynToAListedPortOpensASessionAsWithoutAFilter() {
        f.mapper.portFilter(tcp22and80AndIcmp());
        assertThat(f.send(v6(X6, Y4).tcp(50000, 22).tcpFlags(SYN).build())).isEqualTo(Verdict.EMIT);
        assertThat(dst4(f.only())).isEqualTo(Y4);
        assertThat(f.send(v6(X6, Y4).tcp(50001, 80).tcpFlags(SYN).build())).isEqualTo(Verdict.EMIT);
        assertThat(f.mapper.sessionCount(IpProto.TCP)).isEqualTo(2);
        assertThat(f.counters.get(Counter.DROP_NAT64_PORT_FILTERED)).isZero();
    }

    @Test
    void aSynToAnotherPortIsAnsweredWithARstAndCreatesNothing() {
        f.mapper.portFilter(tcp22and80AndIcmp());
        byte[] syn = v6(X6, Y4).tcp(50000, 8080).seq(1000).tcpFlags(SYN).payload(0).build();
        assertThat(f.send(syn)).isEqualTo(Verdict.ICMP_ERROR);
        byte[] rst = f.only(); // lengths and checksums valid
        assertThat(rst).hasSize(60);
        assertThat(u8(rst, 0) >>> 4).isEqualTo(6);
        assertThat(u8(rst, 6)).isEqualTo(IpProto.TCP);
        assertThat(src6(rst)).isEqualTo(Y6);
        assertThat(dst6(rst)).isEqualTo(X6);
        assertThat(srcPort(rst)).isEqualTo(8080);
        assertThat(dstPort(rst)).isEqualTo(50000);
        // RFC 9293 §3.5.2: no ACK in the SYN → seq 0, ACK = its sequence number + 1 (the SYN), flags RST+ACK
        assertThat(u16(rst, 44) << 16 | u16(rst, 46)).isZero();
        assertThat((long) (u16(rst, 48) << 16 | u16(rst, 50))).isEqualTo(1001);
        assertThat(u8(rst, 53)).isEqualTo(RST | ACK);
        assertThat(f.mapper.bibCount(IpProto.TCP)).isZero();
        assertThat(f.mapper.sessionCount(IpProto.TCP)).isZero();
        assertThat(f.counters.get(Counter.DROP_NAT64_PORT_FILTERED)).isEqualTo(1);
        assertThat(f.counters.get(Counter.NAT64_TCP_RESET_SENT)).isEqualTo(1);
    }

    @Test
    void theRstChecksumIsRightAlsoWhenTheWorkerTurnsItIntoAPartialChecksum() {
        // the TCP header's own sum is zero, so checksum = ~pseudo-header sum: what the kernel computes from a partial
        // checksum field holding the pseudo-header sum (VIRTIO_NET_HDR_F_NEEDS_CSUM)
        f.mapper.portFilter(tcp22and80AndIcmp());
        f.send(v6(X6, Y4).tcp(50000, 8080).tcpFlags(SYN).build());
        byte[] rst = f.only();
        MemorySegment s = MemorySegment.ofArray(rst);
        long[] src = Ipv6.parse(Y6), dst = Ipv6.parse(X6);
        int pseudo = Checksum.pseudo6(src[0], src[1], dst[0], dst[1], IpProto.TCP, 20);
        assertThat(u16(rst, 56)).isEqualTo(~pseudo & 0xffff);
        byte[] withoutChecksum = rst.clone();
        withoutChecksum[56] = withoutChecksum[57] = 0;
        int headerSum = Checksum.sum(MemorySegment.ofArray(withoutChecksum), 40, 20);
        assertThat(headerSum == 0xffff || headerSum == 0).as("header sum %x", headerSum).isTrue();
        assertThat(s.byteSize()).isEqualTo(60);
    }

    @Test
    void aRefusedSegmentWithAckTakesItsSequenceNumberFromTheAckField() {
        // a SYN+ACK from the IPv6 side (simultaneous open) to a filtered port
        f.mapper.portFilter(tcp22and80AndIcmp());
        f.send(v6(X6, Y4).tcp(50000, 8080).seq(5).ack(777).tcpFlags(SYN | ACK).build());
        byte[] rst = f.only();
        assertThat((long) (u16(rst, 44) << 16 | u16(rst, 46))).isEqualTo(777);
        assertThat(u8(rst, 53)).isEqualTo(RST);
    }

    @Test
    void udpAndIcmpToUnlistedDestinationsGetAdministrativelyProhibited() {
        f.mapper.portFilter(Nat64PortFilter.builder().allow(IpProto.UDP, 53, 53).build());
        assertThat(f.send(v6(X6, Y4).udp(40000, 53).build())).isEqualTo(Verdict.EMIT);
        assertThat(f.send(v6(X6, Y4).udp(40000, 123).build())).isEqualTo(Verdict.ICMP_ERROR);
        byte[] e = f.only();
        assertThat(icmpType(e)).isEqualTo(1);
        assertThat(icmpCode(e)).isEqualTo(1); // RFC 4443: administratively prohibited
        assertThat(dst6(e)).isEqualTo(X6);
        // no ICMP rule: pings are refused too
        assertThat(f.send(PacketBuilder6.echo())).isEqualTo(Verdict.ICMP_ERROR);
        assertThat(icmpCode(f.only())).isEqualTo(1);
        assertThat(f.counters.get(Counter.DROP_NAT64_PORT_FILTERED)).isEqualTo(2);
        assertThat(f.mapper.sessionCount(IpProto.ICMP)).isZero();
        // with an ICMP rule they pass
        f.mapper.portFilter(tcp22and80AndIcmp());
        assertThat(f.send(PacketBuilder6.echo())).isEqualTo(Verdict.EMIT);
    }

    /** An echo request from X' to Y through pool6. */
    static final class PacketBuilder6 {
        static byte[] echo() {
            return v6(X6, Y4).echoRequest(7, 1).payload(8).build();
        }
    }

    @Test
    void establishedSessionsAreUntouchedWhenTheFilterComesLater() {
        assertThat(f.send(v6(X6, Y4).tcp(50000, 8080).tcpFlags(SYN).build())).isEqualTo(Verdict.EMIT);
        int t = srcPort(f.only());
        assertThat(f.send(v4(Y4, T4).tcp(8080, t).tcpFlags(SYN | ACK).build())).isEqualTo(Verdict.EMIT);
        f.mapper.portFilter(tcp22and80AndIcmp()); // a SIGHUP adds the filter
        assertThat(f.send(v6(X6, Y4).tcp(50000, 8080).tcpFlags(ACK).build())).isEqualTo(Verdict.EMIT);
        assertThat(f.send(v4(Y4, T4).tcp(8080, t).tcpFlags(ACK).build())).isEqualTo(Verdict.EMIT);
        // but a new connection from the same BIB entry to that port is refused
        assertThat(f.send(v6(X6, W4).tcp(50000, 8080).tcpFlags(SYN).build())).isEqualTo(Verdict.ICMP_ERROR);
        assertThat(f.mapper.sessionCount(IpProto.TCP)).isEqualTo(1);
    }

    @Test
    void ipv4InitiatedTrafficThroughAStaticBibEntryIsNotFiltered() {
        Nat64Fixture g = new Nat64Fixture(List.of(new Pool4.Entry(IpProto.TCP, ferry.addr.Prefix4.parse(T4 + "/32"), 1, 65535, 0)),
                List.of(staticBib(IpProto.TCP, X6, 8080, T4, 80)), Nat64Settings.defaults().withMaxSessions(64));
        g.mapper.portFilter(Nat64PortFilter.builder().build()); // nothing allowed for IPv6-initiated flows
        assertThat(g.send(v4(Y4, T4).tcp(40000, 80).tcpFlags(SYN).build())).isEqualTo(Verdict.EMIT);
        assertThat(dst6(g.only())).isEqualTo(X6);
        // the published server's answer belongs to that session
        assertThat(g.send(v6(X6, Y4).tcp(8080, 40000).tcpFlags(SYN | ACK).build())).isEqualTo(Verdict.EMIT);
        assertThat(g.counters.get(Counter.DROP_NAT64_PORT_FILTERED)).isZero();
        // while the same host opening a connection of its own is refused
        assertThat(g.send(v6(X6, Y4).tcp(8080, 443).tcpFlags(SYN).build())).isEqualTo(Verdict.ICMP_ERROR);
    }

    @Test
    void answersAreRateLimitedLikeTheOtherRefusals() {
        f.mapper.portFilter(tcp22and80AndIcmp());
        for (int i = 0; i < 150; i++) f.send(v6(X6, Y4).tcp(10000 + i, 8080).tcpFlags(SYN).build());
        assertThat(f.counters.get(Counter.DROP_NAT64_PORT_FILTERED)).isEqualTo(150);
        assertThat(f.counters.get(Counter.NAT64_TCP_RESET_SENT)).isEqualTo(Nat64Mapper.ERRORS_PER_SECOND);
        f.advance(1);
        f.translator.idle(f.now, (b, o, l) -> { });
        assertThat(f.counters.get(Counter.NAT64_ANSWER_RATE_LIMITED)).isEqualTo(50);
    }

    @Test
    void removingTheFilterLetsNewFlowsThroughAgain() {
        f.mapper.portFilter(tcp22and80AndIcmp());
        assertThat(f.send(v6(X6, Y4).tcp(50000, 8080).tcpFlags(SYN).build())).isEqualTo(Verdict.ICMP_ERROR);
        f.mapper.portFilter(null);
        assertThat(f.send(v6(X6, Y4).tcp(50000, 8080).tcpFlags(SYN).build())).isEqualTo(Verdict.EMIT);
    }
}
