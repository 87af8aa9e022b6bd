package ferry.nat64;

import static ferry.nat64.Nat64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.packet.IpProto;
import ferry.translate.Verdict;
import org.junit.jupiter.api.Test;

/** RFC 6146 §3.5.1/§4: lifetimes driven by the packets' time (a stepped clock), the BIB following its sessions. */
class Nat64ExpiryTest {
    private final Nat64Fixture f = new Nat64Fixture();

    @Test
    void udpSessionExpiresAfterUdpTimeoutWithItsBibAndANewOneFollows() {
        f.send(v6(X6, Y4).udp(40001, 53).build());
        f.only();
        f.advance(299);
        f.mapper.expire(f.now);
        assertThat(f.mapper.sessionCount(IpProto.UDP)).isEqualTo(1);
        f.advance(1);
        f.mapper.expire(f.now);
        assertThat(f.mapper.sessionCount(IpProto.UDP)).isZero();
        assertThat(f.mapper.bibCount(IpProto.UDP)).isZero();
        assertThat(f.send(v6(X6, Y4).udp(40001, 53).build())).isEqualTo(Verdict.EMIT);
        assertThat(f.mapper.sessionCount(IpProto.UDP)).isEqualTo(1);
    }

    @Test
    void trafficInEitherDirectionRefreshesTheSession() {
        f.send(v6(X6, Y4).udp(40001, 53).build());
        int t = srcPort(f.only());
        f.advance(200);
        f.send(v4(Y4, T4).udp(53, t).build());
        f.advance(200);
        f.mapper.expire(f.now);
        assertThat(f.mapper.sessionCount(IpProto.UDP)).isEqualTo(1);
        assertThat(f.mapper.sessions(IpProto.UDP).get(0).expires()).isEqualTo(f.now - 200 * SEC + 300 * SEC);
    }

    @Test
    void translatingAPacketExpiresOldSessionsFromThePacketTimeAlone() {
        f.send(v6(X6, Y4).udp(40001, 53).build());
        f.advance(301);
        // no explicit expire(): the facade ticks the mapper with each packet's time
        f.send(v6(Z6, Y4).udp(40001, 53).build());
        assertThat(f.mapper.sessions(IpProto.UDP)).hasSize(1).allMatch(s -> s.port6() == 40001 && s.v6Lo() == 2);
    }

    @Test
    void bibStaysWhileAnyOfItsSessionsLives() {
        f.send(v6(X6, Y4).udp(40001, 53).build());
        f.advance(200);
        f.send(v6(X6, W4).udp(40001, 53).build());
        f.advance(100);
        f.mapper.expire(f.now);
        assertThat(f.mapper.sessionCount(IpProto.UDP)).isEqualTo(1);
        assertThat(f.mapper.bibCount(IpProto.UDP)).isEqualTo(1);
        f.advance(200);
        f.mapper.expire(f.now);
        assertThat(f.mapper.bibCount(IpProto.UDP)).isZero();
    }

    @Test
    void icmpSessionLastsIcmpTimeout() {
        f.send(v6(X6, Y4).echoRequest(5, 1).build());
        f.advance(59);
        f.mapper.expire(f.now);
        assertThat(f.mapper.sessionCount(IpProto.ICMP)).isEqualTo(1);
        f.advance(1);
        f.mapper.expire(f.now);
        assertThat(f.mapper.sessionCount(IpProto.ICMP)).isZero();
    }

    @Test
    void expiryCostDoesNotDependOnLiveSessions() {
        // 500 live sessions, none expired: expire() visits list heads only and expires nothing
        for (int i = 0; i < 500; i++) f.send(v6(X6, Y4).udp(10000 + i, 53).build());
        f.advance(10);
        assertThat(f.mapper.expire(f.now)).isZero();
        f.advance(290);
        assertThat(f.mapper.expire(f.now)).isEqualTo(500);
    }
}
