package ferry.nat64;

import static ferry.nat64.Nat64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Prefix4;
import ferry.metrics.Counter;
import ferry.packet.IpProto;
import ferry.translate.Verdict;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RFC 6146 §3.5.2: TCP through the NAT64, the state machine applied to real packets, and its lifetimes. */
class Nat64TcpTest {
    static final int SYN = 0x02, ACK = 0x10, FIN = 0x01, RST = 0x04;
    private final Nat64Fixture f = new Nat64Fixture();

    private Nat64Mapper.Session session() {
        assertThat(f.mapper.sessions(IpProto.TCP)).hasSize(1);
        return f.mapper.sessions(IpProto.TCP).get(0);
    }

    private int open() {
        assertThat(f.send(v6(X6, Y4).tcp(50000, 80).tcpFlags(SYN).build())).isEqualTo(Verdict.EMIT);
        int t = srcPort(f.only());
        assertThat(f.send(v4(Y4, T4).tcp(80, t).tcpFlags(SYN | ACK).build())).isEqualTo(Verdict.EMIT);
        assertThat(dst6(f.only())).isEqualTo(X6);
        return t;
    }

    @Test
    void ipv6SynOpensASessionInV6InitWithTheTransitoryLifetime() {
        f.send(v6(X6, Y4).tcp(50000, 80).tcpFlags(SYN).build());
        byte[] p = f.only();
        assertThat(src4(p)).isEqualTo(T4);
        assertThat(session().state()).isEqualTo("V6_INIT");
        assertThat(session().expires()).isEqualTo(f.now + 240 * SEC);
    }

    @Test
    void synAckFromIpv4EstablishesTheSessionWithTheEstablishedLifetime() {
        open();
        assertThat(session().state()).isEqualTo("ESTABLISHED");
        assertThat(session().expires()).isEqualTo(f.now + 7440 * SEC);
    }

    @Test
    void ipv6SegmentOtherThanSynWithoutASessionIsDropped() {
        assertThat(f.send(v6(X6, Y4).tcp(50000, 80).tcpFlags(ACK).build())).isEqualTo(Verdict.DROP);
        assertThat(f.counters.get(Counter.DROP_NAT64_TCP_NO_SESSION)).isEqualTo(1);
        assertThat(f.mapper.bibCount(IpProto.TCP)).isZero();
    }

    @Test
    void ipv4SynWithoutABibEntryIsHeld6SecondsThenAnsweredWithPortUnreachable() {
        // RFC 5382 REQ-4: no ICMP answer to an unsolicited SYN for at least 6 s; then 3/3 (issue 4)
        assertThat(f.send(v4(Y4, T4).tcp(80, 3333).tcpFlags(SYN).build())).isEqualTo(Verdict.DROP);
        assertThat(f.out).isEmpty();
        assertThat(f.counters.get(Counter.NAT64_TCP_SYN4_HELD)).isEqualTo(1);
        assertThat(f.mapper.bibCount(IpProto.TCP)).isZero();
        f.advance(5);
        f.send(v6(X6, Y4).udp(1, 2).build());
        assertThat(f.out).hasSize(1); // just the UDP packet
        f.advance(1);
        f.send(v6(X6, Y4).udp(1, 2).build());
        assertThat(f.out).hasSize(2);
        assertThat(icmpType(f.out.get(0))).isEqualTo(3);
        assertThat(icmpCode(f.out.get(0))).isEqualTo(3);
        assertThat(f.counters.get(Counter.ICMP4_ERROR_SENT)).isEqualTo(1);
    }

    @Test
    void simultaneousOpenTheHeldIpv4SynIsDiscardedWhenTheIpv6HostOpensTheSameConnection() {
        Nat64Fixture g = new Nat64Fixture(List.of(new Pool4.Entry(IpProto.TCP, Prefix4.parse(T4 + "/32"), 5000, 5000, 0)),
                List.of(), Nat64Settings.defaults().withMaxSessions(16));
        assertThat(g.send(v4(Y4, T4).tcp(7000, 5000).tcpFlags(SYN).build())).isEqualTo(Verdict.DROP);
        g.advance(2);
        assertThat(g.send(v6(X6, Y4).tcp(6000, 7000).tcpFlags(SYN).build())).isEqualTo(Verdict.EMIT);
        assertThat(srcPort(g.only())).isEqualTo(5000);
        g.advance(10);
        // no Port Unreachable for the discarded SYN; the IPv4 side's SYN+ACK establishes the session
        assertThat(g.send(v4(Y4, T4).tcp(7000, 5000).tcpFlags(SYN | ACK).build())).isEqualTo(Verdict.EMIT);
        assertThat(g.out).hasSize(1);
        assertThat(g.mapper.sessions(IpProto.TCP).get(0).state()).isEqualTo("ESTABLISHED");
    }

    @Test
    void atMostMaximumSimultaneousOpensSynsAreHeldAndRetransmissionsTakeNoSecondSlot() {
        Nat64Settings s = new Nat64Settings(300, 7440, 240, 60, 2, false, false, false, false, 0b1011, 16);
        Nat64Fixture g = new Nat64Fixture(List.of(new Pool4.Entry(IpProto.TCP, Prefix4.parse(T4 + "/32"), 1, 65535, 0)),
                List.of(), s);
        g.send(v4(Y4, T4).tcp(7000, 5000).tcpFlags(SYN).build());
        g.send(v4(Y4, T4).tcp(7000, 5000).tcpFlags(SYN).build()); // retransmission
        g.send(v4(Y4, T4).tcp(7001, 5000).tcpFlags(SYN).build());
        assertThat(g.counters.get(Counter.NAT64_TCP_SYN4_HELD)).isEqualTo(3);
        g.send(v4(Y4, T4).tcp(7002, 5000).tcpFlags(SYN).build());
        assertThat(g.counters.get(Counter.DROP_NAT64_TCP_SYN4_NO_BIB)).isEqualTo(1);
        g.advance(6);
        g.send(v6(X6, Y4).udp(1, 2).build());
        assertThat(g.out).hasSize(3); // two Port Unreachables (one per held connection), then the UDP packet's answer
    }

    @Test
    void finFromBothSidesGivesTheTransitoryLifetimeAndThenTheSessionGoes() {
        int t = open();
        f.send(v4(Y4, T4).tcp(80, t).tcpFlags(FIN | ACK).build());
        assertThat(session().state()).isEqualTo("V4_FIN_RCV");
        f.send(v6(X6, Y4).tcp(50000, 80).tcpFlags(FIN | ACK).build());
        assertThat(session().state()).isEqualTo("V4_FIN_V6_FIN_RCV");
        assertThat(session().expires()).isEqualTo(f.now + 240 * SEC);
        f.advance(239);
        f.mapper.expire(f.now);
        assertThat(f.mapper.sessionCount(IpProto.TCP)).isEqualTo(1);
        f.advance(1);
        f.mapper.expire(f.now);
        assertThat(f.mapper.sessionCount(IpProto.TCP)).isZero();
        assertThat(f.mapper.bibCount(IpProto.TCP)).isZero();
    }

    @Test
    void rstKeepsTheSessionForTheTransitoryTimeAndLaterTrafficRevivesIt() {
        int t = open();
        f.send(v4(Y4, T4).tcp(80, t).tcpFlags(RST).build());
        assertThat(f.only()).isNotNull();
        assertThat(session().state()).isEqualTo("TRANS"); // RFC 7857 §3.1: not deleted at once
        f.advance(100);
        assertThat(f.send(v6(X6, Y4).tcp(50000, 80).tcpFlags(ACK).build())).isEqualTo(Verdict.EMIT);
        assertThat(session().state()).isEqualTo("ESTABLISHED");
    }

    @Test
    void establishedSessionThatTimesOutMovesToTransThenExpires() {
        open();
        f.advance(7440);
        f.mapper.expire(f.now);
        assertThat(session().state()).isEqualTo("TRANS");
        f.advance(240);
        f.mapper.expire(f.now);
        assertThat(f.mapper.sessionCount(IpProto.TCP)).isZero();
    }

    @Test
    void unansweredIpv6SynExpiresAfterTheTransitoryLifetime() {
        f.send(v6(X6, Y4).tcp(50000, 80).tcpFlags(SYN).build());
        f.advance(240);
        f.mapper.expire(f.now);
        assertThat(f.mapper.sessionCount(IpProto.TCP)).isZero();
    }

    @Test
    void simultaneousOpenThroughAStaticBibIpv4SynThenIpv6Syn() {
        Nat64Fixture g = new Nat64Fixture(List.of(new Pool4.Entry(IpProto.TCP, Prefix4.parse(T4 + "/32"), 1, 65535, 0)),
                List.of(staticBib(IpProto.TCP, X6, 22, T4, 2222)), Nat64Settings.defaults().withMaxSessions(16));
        assertThat(g.send(v4(Y4, T4).tcp(40000, 2222).tcpFlags(SYN).build())).isEqualTo(Verdict.EMIT);
        byte[] p = g.only();
        assertThat(dst6(p)).isEqualTo(X6);
        assertThat(dstPort(p)).isEqualTo(22);
        Nat64Mapper.Session s = g.mapper.sessions(IpProto.TCP).get(0);
        assertThat(s.state()).isEqualTo("V4_INIT");
        assertThat(s.expires()).isEqualTo(g.now + 6 * SEC); // TCP_INCOMING_SYN
        assertThat(g.send(v6(X6, Y4).tcp(22, 40000).tcpFlags(SYN | ACK).build())).isEqualTo(Verdict.EMIT);
        assertThat(srcPort(g.only())).isEqualTo(2222);
        assertThat(g.mapper.sessions(IpProto.TCP).get(0).state()).isEqualTo("ESTABLISHED");
    }

    @Test
    void ipv4InitiatedSessionThatIsNeverAnsweredGoesAfter6Seconds() {
        Nat64Fixture g = new Nat64Fixture(List.of(new Pool4.Entry(IpProto.TCP, Prefix4.parse(T4 + "/32"), 1, 65535, 0)),
                List.of(staticBib(IpProto.TCP, X6, 22, T4, 2222)), Nat64Settings.defaults().withMaxSessions(16));
        g.send(v4(Y4, T4).tcp(40000, 2222).tcpFlags(SYN).build());
        g.advance(6);
        g.mapper.expire(g.now);
        assertThat(g.mapper.sessionCount(IpProto.TCP)).isZero();
        assertThat(g.mapper.bibCount(IpProto.TCP)).isEqualTo(1); // static entries stay
    }

    @Test
    void dropExternallyInitiatedTcpRefusesIpv4SynsEvenThroughAStaticBib() {
        Nat64Settings s = new Nat64Settings(300, 7440, 240, 60, 10, false, true, false, false, 0b1011, 16);
        Nat64Fixture g = new Nat64Fixture(List.of(new Pool4.Entry(IpProto.TCP, Prefix4.parse(T4 + "/32"), 1, 65535, 0)),
                List.of(staticBib(IpProto.TCP, X6, 22, T4, 2222)), s);
        assertThat(g.send(v4(Y4, T4).tcp(40000, 2222).tcpFlags(SYN).build())).isEqualTo(Verdict.DROP);
        assertThat(g.counters.get(Counter.DROP_NAT64_TCP_EXTERNAL)).isEqualTo(1);
        // connections the IPv6 side opens still work
        g.send(v6(X6, Y4).tcp(50000, 80).tcpFlags(SYN).build());
        int t = srcPort(g.only());
        assertThat(g.send(v4(Y4, T4).tcp(80, t).tcpFlags(SYN | ACK).build())).isEqualTo(Verdict.EMIT);
    }

    @Test
    void tcpChecksumsStayValidWithRewrittenPortsAndPayload() {
        f.send(v6(X6, Y4).tcp(50000, 80).tcpFlags(SYN).payload(100).build());
        byte[] p = f.only();
        assertThat(ferry.testkit.PacketCheck.l4(p)).isEqualTo(ferry.testkit.PacketCheck.L4.VALID);
    }
}
