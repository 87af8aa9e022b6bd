package ferry.nat64;

import static ferry.nat64.Nat64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Prefix4;
import ferry.metrics.Counter;
import ferry.packet.IpProto;
import ferry.translate.Verdict;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RFC 6146 §3.5.1 (UDP and the BIB/session basics), §3.5.1.1 (pool4 exhaustion), §5.4 of issue 4. */
class Nat64UdpTest {
    private final Nat64Fixture f = new Nat64Fixture();

    @Test
    void outboundUdpCreatesABibEntryAndASessionAndIsTranslatedFromPool4() {
        assertThat(f.send(v6(X6, Y4).udp(40001, 53).payload(20).build())).isEqualTo(Verdict.EMIT);
        byte[] p = f.only();
        assertThat(src4(p)).isEqualTo(T4);
        assertThat(dst4(p)).isEqualTo(Y4);
        assertThat(dstPort(p)).isEqualTo(53);
        assertThat(f.mapper.bibCount(IpProto.UDP)).isEqualTo(1);
        assertThat(f.mapper.sessionCount(IpProto.UDP)).isEqualTo(1);
        Nat64Mapper.Session s = f.mapper.sessions(IpProto.UDP).get(0);
        assertThat(s.port4()).isEqualTo(srcPort(p));
        assertThat(s.port6()).isEqualTo(40001);
        assertThat(s.expires()).isEqualTo(f.now + 300 * SEC); // udp-timeout default 5 min (RFC 6146 §4)
    }

    @Test
    void mappingIsEndpointIndependentSameBibForEveryDestination() {
        f.send(v6(X6, Y4).udp(40001, 53).build());
        int t1 = srcPort(f.only());
        f.send(v6(X6, W4).udp(40001, 123).build());
        int t2 = srcPort(f.only());
        assertThat(t2).isEqualTo(t1);
        assertThat(f.mapper.bibCount(IpProto.UDP)).isEqualTo(1);
        assertThat(f.mapper.sessionCount(IpProto.UDP)).isEqualTo(2);
    }

    @Test
    void differentIpv6TransportAddressesGetDifferentPool4Ports() {
        f.send(v6(X6, Y4).udp(40001, 53).build());
        int a = srcPort(f.only());
        f.send(v6(Z6, Y4).udp(40001, 53).build());
        int b = srcPort(f.only());
        f.send(v6(X6, Y4).udp(40002, 53).build());
        int c = srcPort(f.only());
        assertThat(List.of(a, b, c)).doesNotHaveDuplicates();
    }

    @Test
    void replyFromTheIpv4ServerReachesTheIpv6HostWithItsPortRestored() {
        f.send(v6(X6, Y4).udp(40001, 53).build());
        int t = srcPort(f.only());
        assertThat(f.send(v4(Y4, T4).udp(53, t).payload(9).build())).isEqualTo(Verdict.EMIT);
        byte[] p = f.only();
        assertThat(src6(p)).isEqualTo(Y6);
        assertThat(dst6(p)).isEqualTo(X6);
        assertThat(srcPort(p)).isEqualTo(53);
        assertThat(dstPort(p)).isEqualTo(40001);
    }

    @Test
    void filteringIsEndpointIndependentByDefaultAnyIpv4HostMayAnswer() {
        f.send(v6(X6, Y4).udp(40001, 53).build());
        int t = srcPort(f.only());
        assertThat(f.send(v4(W4, T4).udp(7777, t).build())).isEqualTo(Verdict.EMIT);
        assertThat(dst6(f.only())).isEqualTo(X6);
        assertThat(f.mapper.sessionCount(IpProto.UDP)).isEqualTo(2);
    }

    @Test
    void addressDependentFilteringRefusesOtherHostsWithIcmp313() {
        Nat64Settings adf = new Nat64Settings(300, 7440, 240, 60, 10, true, false, false, false, 0b1011, 1024);
        Nat64Fixture g = new Nat64Fixture(List.of(new Pool4.Entry(IpProto.UDP, Prefix4.parse(T4 + "/32"), 1, 65535, 0)),
                List.of(), adf);
        g.send(v6(X6, Y4).udp(40001, 53).build());
        int t = srcPort(g.only());
        assertThat(g.send(v4(W4, T4).udp(7777, t).build())).isEqualTo(Verdict.ICMP_ERROR);
        byte[] e = g.only();
        assertThat(icmpType(e)).isEqualTo(3);
        assertThat(icmpCode(e)).isEqualTo(13);
        assertThat(g.counters.get(Counter.DROP_NAT64_FILTERED)).isEqualTo(1);
        // the same host, another port: allowed (address-dependent, not address-and-port-dependent)
        assertThat(g.send(v4(Y4, T4).udp(5353, t).build())).isEqualTo(Verdict.EMIT);
    }

    @Test
    void ipv4PacketToAnUnboundPool4PortIsDroppedWithHostUnreachable() {
        assertThat(f.send(v4(Y4, T4).udp(53, 40000).build())).isEqualTo(Verdict.ICMP_ERROR);
        byte[] e = f.only();
        assertThat(icmpType(e)).isEqualTo(3);
        assertThat(icmpCode(e)).isEqualTo(1);
        assertThat(f.counters.get(Counter.DROP_NAT64_NO_BIB)).isEqualTo(1);
        assertThat(f.mapper.bibCount(IpProto.UDP)).isZero(); // inbound traffic never creates a dynamic BIB entry
    }

    @Test
    void ipv4PacketToAnAddressOutsidePool4IsDropped() {
        assertThat(f.send(v4(Y4, "203.0.113.2").udp(53, 40000).build())).isEqualTo(Verdict.DROP);
        assertThat(f.counters.get(Counter.DROP_NAT64_NOT_POOL4)).isEqualTo(1);
    }

    @Test
    void ipv6SourceInsidePool6IsDropped() {
        assertThat(f.send(PacketBuilder6.from("64:ff9b::c633:6409", Y4).udp(1, 2).build())).isEqualTo(Verdict.DROP);
        assertThat(f.counters.get(Counter.DROP_NAT64_SRC_IN_POOL6)).isEqualTo(1);
        assertThat(f.mapper.bibCount(IpProto.UDP)).isZero();
    }

    @Test
    void ipv6DestinationOutsidePool6IsNotTranslated() {
        assertThat(f.send(ferry.packet.PacketBuilder.ipv6(X6, "2001:db8:1::9").udp(1, 2).build())).isEqualTo(Verdict.DROP);
        assertThat(f.counters.get(Counter.DROP_DST_UNTRANSLATABLE)).isEqualTo(1);
    }

    @Test
    void exhaustedPool4AnswersWithAddressUnreachableAndKeepsExistingBindings() {
        Nat64Fixture g = new Nat64Fixture(List.of(new Pool4.Entry(IpProto.UDP, Prefix4.parse(T4 + "/32"), 2000, 2001, 0)),
                List.of(), Nat64Settings.defaults().withMaxSessions(64));
        g.send(v6(X6, Y4).udp(40000, 53).build());
        g.only();
        g.send(v6(X6, Y4).udp(40001, 53).build());
        g.only();
        assertThat(g.send(v6(Z6, Y4).udp(40000, 53).build())).isEqualTo(Verdict.ICMP_ERROR);
        byte[] e = g.only();
        assertThat(icmpType(e)).isEqualTo(1); // RFC 6146 §3.5.1.1: ICMPv6 Destination Unreachable
        assertThat(icmpCode(e)).isEqualTo(3); // Address Unreachable
        assertThat(g.counters.get(Counter.DROP_NAT64_POOL4_EXHAUSTED)).isEqualTo(1);
        assertThat(g.mapper.bibCount(IpProto.UDP)).isEqualTo(2);
    }

    @Test
    void sessionLimitRefusesNewFlowsAndNeverEvictsExistingOnes() {
        Nat64Fixture g = new Nat64Fixture(List.of(new Pool4.Entry(IpProto.UDP, Prefix4.parse(T4 + "/32"), 1, 65535, 0)),
                List.of(), Nat64Settings.defaults().withMaxSessions(3));
        for (int i = 0; i < 3; i++) assertThat(g.send(v6(X6, Y4).udp(40000 + i, 53).build())).isEqualTo(Verdict.EMIT);
        assertThat(g.send(v6(X6, Y4).udp(40009, 53).build())).isEqualTo(Verdict.ICMP_ERROR);
        assertThat(g.counters.get(Counter.DROP_NAT64_SESSION_LIMIT)).isEqualTo(1);
        assertThat(g.mapper.sessionCount(IpProto.UDP)).isEqualTo(3);
        // the existing flows still pass
        assertThat(g.send(v6(X6, Y4).udp(40001, 53).build())).isEqualTo(Verdict.EMIT);
    }

    @Test
    void ipv6FragmentsFollowTheirFirstFragmentsBindingAndTheDatagramChecksumStaysValid() {
        byte[] whole = v6(X6, Y4).udp(40001, 53).payload(200).build();
        byte[] l4 = java.util.Arrays.copyOfRange(whole, 40, whole.length);
        byte[] first = v6(X6, Y4).fragment(0, true, 0x1234).raw(17, java.util.Arrays.copyOfRange(l4, 0, 104)).build();
        byte[] second = v6(X6, Y4).fragment(13, false, 0x1234).raw(17, java.util.Arrays.copyOfRange(l4, 104, l4.length)).build();
        assertThat(f.send(first)).isEqualTo(Verdict.EMIT);
        byte[] a = f.out.get(0);
        assertThat(f.send(second)).isEqualTo(Verdict.EMIT);
        byte[] b = f.out.get(0);
        assertThat(src4(a)).isEqualTo(T4);
        assertThat(src4(b)).isEqualTo(T4);
        assertThat(dst4(b)).isEqualTo(Y4);
        assertThat(u16(a, 4)).isEqualTo(0x1234); // Identification from the Fragment header
        assertThat(u16(b, 4)).isEqualTo(0x1234);
        int t = srcPort(a);
        assertThat(f.mapper.sessions(IpProto.UDP)).singleElement().satisfies(s -> assertThat(s.port4()).isEqualTo(t));
        // reassembled, the IPv4 datagram has a valid UDP checksum over the rewritten port
        byte[] dgram = new byte[20 + l4.length];
        System.arraycopy(a, 0, dgram, 0, a.length);
        System.arraycopy(b, 20, dgram, a.length, b.length - 20);
        dgram[2] = (byte) (dgram.length >> 8);
        dgram[3] = (byte) dgram.length;
        dgram[6] = dgram[7] = 0;
        assertThat(ferry.testkit.PacketCheck.l4(dgram)).isEqualTo(ferry.testkit.PacketCheck.L4.VALID);
    }

    @Test
    void ipv4FragmentsOfAReplyReachTheIpv6Host() {
        f.send(v6(X6, Y4).udp(40001, 53).build());
        int t = srcPort(f.only());
        byte[] whole = v4(Y4, T4).udp(53, t).payload(300).build();
        byte[] l4 = java.util.Arrays.copyOfRange(whole, 20, whole.length);
        byte[] first = v4(Y4, T4).identification(77).mf(true).raw(17, java.util.Arrays.copyOfRange(l4, 0, 160)).build();
        byte[] second = v4(Y4, T4).identification(77).fragmentOffset(20).raw(17, java.util.Arrays.copyOfRange(l4, 160, l4.length)).build();
        assertThat(f.send(first)).isEqualTo(Verdict.EMIT);
        assertThat(u16(f.out.get(0), 48 + 2)).isEqualTo(40001); // past the Fragment header
        assertThat(f.send(second)).isEqualTo(Verdict.EMIT);
        byte[] b = f.out.get(0);
        assertThat(dst6(b)).isEqualTo(X6);
        assertThat(src6(b)).isEqualTo(Y6);
    }

    @Test
    void aLaterFragmentBeforeItsFirstIsKeptAndTranslatedRightAfterIt() {
        byte[] whole = v6(X6, Y4).udp(40001, 53).payload(200).build();
        byte[] l4 = java.util.Arrays.copyOfRange(whole, 40, whole.length);
        byte[] first = v6(X6, Y4).fragment(0, true, 0x77).raw(17, java.util.Arrays.copyOfRange(l4, 0, 104)).build();
        byte[] second = v6(X6, Y4).fragment(13, false, 0x77).raw(17, java.util.Arrays.copyOfRange(l4, 104, l4.length)).build();
        assertThat(f.send(second)).isEqualTo(Verdict.DROP);
        assertThat(f.out).isEmpty();
        assertThat(f.counters.get(Counter.NAT64_FRAGMENT_HELD)).isEqualTo(1);
        assertThat(f.send(first)).isEqualTo(Verdict.EMIT);
        assertThat(f.out).hasSize(2); // the first fragment, then the kept one
        byte[] a = f.out.get(0), b = f.out.get(1);
        assertThat(u16(a, 6) & 0x1fff).isZero();
        assertThat((u16(b, 6) & 0x1fff) * 8).isEqualTo(104);
        assertThat(src4(b)).isEqualTo(T4);
        assertThat(dst4(b)).isEqualTo(Y4);
        assertThat(u16(b, 4)).isEqualTo(0x77);
    }

    @Test
    void keptFragmentsAreBoundedPerSourceAndDroppedAfterTheFragmentTimeout() {
        int kept = 0;
        for (int i = 0; i < 100; i++) {
            if (f.send(v6(X6, Y4).fragment(13, false, 1000 + i).raw(17, new byte[40]).build()) == Verdict.DROP
                    && f.counters.get(Counter.NAT64_FRAGMENT_HELD) > kept) kept++;
        }
        assertThat(kept).isEqualTo(Nat64Mapper.HELD_FRAGMENTS / 4); // one source: a quarter of the slots
        assertThat(f.counters.get(Counter.DROP_NAT64_FRAGMENT)).isEqualTo(100 - kept);
        // another source still gets slots
        assertThat(f.send(v6(Z6, Y4).fragment(13, false, 5).raw(17, new byte[40]).build())).isEqualTo(Verdict.DROP);
        assertThat(f.counters.get(Counter.NAT64_FRAGMENT_HELD)).isEqualTo(kept + 1);
        // after fragment-timeout a kept fragment is gone: its first fragment alone goes out
        f.advance(2);
        assertThat(f.send(v6(Z6, Y4).fragment(0, true, 5).udp(40001, 53).payload(96).build())).isEqualTo(Verdict.EMIT);
        assertThat(f.out).hasSize(1);
    }

    @Test
    void aLaterFragmentsMappingIsForgottenAfterTheFragmentTimeout() {
        f.send(v6(X6, Y4).fragment(0, true, 0x98).udp(40001, 53).payload(64).build());
        f.advance(1);
        assertThat(f.send(v6(X6, Y4).fragment(10, false, 0x98).raw(17, new byte[40]).build())).isEqualTo(Verdict.EMIT);
        f.advance(1);
        // 2 s after the first fragment: not mapped any more (kept instead, waiting for a first fragment)
        assertThat(f.send(v6(X6, Y4).fragment(15, false, 0x98).raw(17, new byte[40]).build())).isEqualTo(Verdict.DROP);
        assertThat(f.counters.get(Counter.NAT64_FRAGMENT_HELD)).isEqualTo(1);
    }

    @Test
    void overlappingFragmentsAbandonTheirDatagramAndDuplicatesAreDroppedAlone() {
        f.send(v6(X6, Y4).fragment(0, true, 0x55).udp(40001, 53).payload(96).build()); // data [0, 104)
        f.only();
        byte[] second = v6(X6, Y4).fragment(13, true, 0x55).raw(17, new byte[48]).build(); // [104, 152)
        assertThat(f.send(second)).isEqualTo(Verdict.EMIT);
        assertThat(f.send(second)).isEqualTo(Verdict.DROP); // exact duplicate
        assertThat(f.send(v6(X6, Y4).fragment(20, true, 0x55).raw(17, new byte[48]).build())).as("%s", f.counters.snapshot()).isEqualTo(Verdict.EMIT); // [160, 208): a gap
        // [144, 168) overlaps what was sent: the datagram is abandoned, its next fragments with it
        assertThat(f.send(v6(X6, Y4).fragment(18, true, 0x55).raw(17, new byte[24]).build())).isEqualTo(Verdict.DROP);
        assertThat(f.send(v6(X6, Y4).fragment(26, false, 0x55).raw(17, new byte[8]).build())).isEqualTo(Verdict.DROP);
        assertThat(f.counters.get(Counter.DROP_NAT64_FRAGMENT_OVERLAP)).isEqualTo(3);
        assertThat(f.counters.get(Counter.XLAT_64_OK)).isEqualTo(3);
    }

    @Test
    void aFragmentRewritingTheTransportHeaderIsAnOverlap() {
        // RFC 1858 / RFC 3128: a later fragment whose data overlaps the first fragment's (here bytes 8-23 of the UDP
        // datagram) could rewrite what the NAT64 looked at; it abandons the datagram
        f.send(v6(X6, Y4).fragment(0, true, 0x66).udp(40001, 53).payload(16).build()); // data [0, 24)
        f.only();
        assertThat(f.send(v6(X6, Y4).fragment(1, false, 0x66).raw(17, new byte[24]).build())).isEqualTo(Verdict.DROP);
        assertThat(f.counters.get(Counter.DROP_NAT64_FRAGMENT_OVERLAP)).isEqualTo(1);
    }

    @Test
    void fragmentTimeoutIsConfigurable() {
        Nat64Fixture g = new Nat64Fixture(List.of(new Pool4.Entry(IpProto.UDP, Prefix4.parse(T4 + "/32"), 1, 65535, 0)),
                List.of(), Nat64Settings.defaults().withMaxSessions(16).withFragmentTimeout(10));
        g.send(v6(X6, Y4).fragment(0, true, 0x98).udp(40001, 53).payload(64).build());
        g.advance(9);
        assertThat(g.send(v6(X6, Y4).fragment(10, false, 0x98).raw(17, new byte[40]).build())).isEqualTo(Verdict.EMIT);
        g.advance(1);
        assertThat(g.send(v6(X6, Y4).fragment(15, false, 0x98).raw(17, new byte[40]).build())).isEqualTo(Verdict.DROP);
        assertThat(g.counters.get(Counter.NAT64_FRAGMENT_HELD)).isEqualTo(1);
    }

    @Test
    void otherTransportProtocolsHaveNoBinding() {
        assertThat(f.send(v6(X6, Y4).raw(132, new byte[16]).build())).isEqualTo(Verdict.DROP);
        assertThat(f.counters.get(Counter.DROP_NAT64_UNSUPPORTED_PROTOCOL)).isEqualTo(1);
    }

    /** IPv6 packets with an arbitrary source. */
    static final class PacketBuilder6 {
        static ferry.packet.PacketBuilder from(String src6, String dst4) {
            return ferry.packet.PacketBuilder.ipv6(src6, "64:ff9b::" + dst4);
        }
    }
}
