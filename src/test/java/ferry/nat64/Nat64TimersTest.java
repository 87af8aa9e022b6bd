package ferry.nat64;

import static ferry.nat64.Nat64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Prefix4;
import ferry.metrics.Counter;
import ferry.packet.IpProto;
import ferry.translate.Verdict;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Timers that fire with no further traffic ({@link ferry.translate.Translator#idle}, called by an idle TUN worker):
 * a held IPv4 SYN is answered 6 s after it came, expired fragments are freed and counted, and counts kept off the
 * packet path reach the worker's counters. The clock is stepped by the test.
 */
class Nat64TimersTest {
    static final int SYN = 0x02;
    private final Nat64Fixture f = new Nat64Fixture();

    private void idle() {
        f.out.clear();
        f.translator.idle(f.now, (b, o, l) -> f.out.add(b.asSlice(o, l).toArray(ValueLayout.JAVA_BYTE)));
    }

    private void idleAt(long nanosAfterStart, long start) {
        f.now = start + nanosAfterStart;
        idle();
    }

    @Test
    void aHeldIpv4SynIsAnsweredWithPortUnreachableBy6SecondsWithNoOtherPacket() {
        long start = f.now;
        assertThat(f.send(v4(Y4, T4).tcp(80, 3333).tcpFlags(SYN).build())).isEqualTo(Verdict.DROP);
        assertThat(f.out).isEmpty();
        // idle calls every 200 ms: nothing before 6 s (RFC 5382 REQ-4), one answer at 6 s
        for (long ms = 200; ms < 6000; ms += 200) {
            idleAt(ms * 1_000_000L, start);
            assertThat(f.out).as("at %d ms", ms).isEmpty();
        }
        idleAt(6000 * 1_000_000L, start);
        byte[] p = f.only();
        assertThat(icmpType(p)).isEqualTo(3);
        assertThat(icmpCode(p)).isEqualTo(3);
        assertThat(dst4(p)).isEqualTo(Y4);
        // the quoted packet is the SYN: its ports follow the ICMP header (8) and the quoted IPv4 header (20)
        assertThat(u16(p, 20 + 8 + 20)).isEqualTo(80);
        assertThat(u16(p, 20 + 8 + 22)).isEqualTo(3333);
        assertThat(f.counters.get(Counter.NAT64_TCP_SYN4_EXPIRED)).isEqualTo(1);
        assertThat(f.counters.get(Counter.ICMP4_ERROR_SENT)).isEqualTo(1);
        // handed out once
        idleAt(6200 * 1_000_000L, start);
        assertThat(f.out).isEmpty();
    }

    @Test
    void aHeldSynSupersededByTheIpv6SideGetsNoAnswerAndIsCounted() {
        Nat64Fixture g = new Nat64Fixture(List.of(new Pool4.Entry(IpProto.TCP, Prefix4.parse(T4 + "/32"), 5000, 5000, 0)),
                List.of(), Nat64Settings.defaults().withMaxSessions(16));
        g.send(v4(Y4, T4).tcp(7000, 5000).tcpFlags(SYN).build());
        g.advance(1);
        assertThat(g.send(v6(X6, Y4).tcp(6000, 7000).tcpFlags(SYN).build())).isEqualTo(Verdict.EMIT);
        g.advance(10);
        g.out.clear();
        g.translator.idle(g.now, (b, o, l) -> g.out.add(b.asSlice(o, l).toArray(ValueLayout.JAVA_BYTE)));
        assertThat(g.out).isEmpty();
        assertThat(g.counters.get(Counter.NAT64_TCP_SYN4_SUPERSEDED)).isEqualTo(1);
        assertThat(g.counters.get(Counter.NAT64_TCP_SYN4_EXPIRED)).isZero();
    }

    @Test
    void aFragmentWhoseFirstFragmentNeverComesIsFreedAndCountedWithNoOtherPacket() {
        assertThat(f.send(v6(X6, Y4).fragment(13, false, 0x55).raw(17, new byte[40]).build())).isEqualTo(Verdict.DROP);
        assertThat(f.counters.get(Counter.NAT64_FRAGMENT_HELD)).isEqualTo(1);
        assertThat(f.mapper.heldFragments()).isEqualTo(1);
        f.advance(1);
        idle();
        assertThat(f.mapper.heldFragments()).isEqualTo(1); // fragment-timeout is 2 s
        f.advance(1);
        idle();
        assertThat(f.mapper.heldFragments()).isZero();
        assertThat(f.counters.get(Counter.DROP_NAT64_FRAGMENT_TIMEOUT)).isEqualTo(1);
        // RFC 8200 §4.5: Time Exceeded only when the first fragment came; it did not, so nothing is sent
        assertThat(f.out).isEmpty();
    }

    @Test
    void sessionsExpireOnIdleWithoutTraffic() {
        f.send(v6(X6, Y4).udp(40000, 53).build());
        assertThat(f.mapper.sessionCount(IpProto.UDP)).isEqualTo(1);
        f.advance(299);
        idle();
        assertThat(f.mapper.sessionCount(IpProto.UDP)).isEqualTo(1);
        f.advance(2);
        idle();
        assertThat(f.mapper.sessionCount(IpProto.UDP)).isZero();
    }

    @Test
    void answersWithheldByTheRateLimitAreCounted() {
        // UDP to a pool4 address without a BIB entry: ICMPv4 3/1, at most 100 per second (bursts of as many)
        for (int i = 0; i < 150; i++) f.send(v4(Y4, T4).udp(53, 10000 + i).build());
        assertThat(f.counters.get(Counter.DROP_NAT64_NO_BIB)).isEqualTo(150);
        assertThat(f.counters.get(Counter.ICMP4_ERROR_SENT)).isEqualTo(Nat64Mapper.ERRORS_PER_SECOND);
        f.advance(1);
        idle();
        assertThat(f.counters.get(Counter.NAT64_ANSWER_RATE_LIMITED)).isEqualTo(50);
    }

    @Test
    void logRecordsDroppedBecauseTheQueueWasFullAreCounted() {
        Nat64Log log = new Nat64Log(true, false, 4); // 4 slots, nobody drains
        f.mapper.log(log);
        for (int i = 0; i < 7; i++) f.send(v6(X6, Y4).udp(40000 + i, 53).build());
        assertThat(log.dropped()).isEqualTo(3);
        f.advance(1);
        idle();
        assertThat(f.counters.get(Counter.DROP_NAT64_LOG_QUEUE_FULL)).isEqualTo(3);
        f.advance(1);
        idle();
        assertThat(f.counters.get(Counter.DROP_NAT64_LOG_QUEUE_FULL)).isEqualTo(3); // counted once
    }
}
