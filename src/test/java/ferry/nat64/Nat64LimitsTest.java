package ferry.nat64;

import static ferry.nat64.Nat64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Ipv6;
import ferry.addr.Prefix4;
import ferry.metrics.Counter;
import ferry.packet.IpProto;
import ferry.translate.Verdict;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** RFC 6888 protection: per-subscriber limits, the total cap, rate-limited errors, bounded memory under floods. */
class Nat64LimitsTest {
    private static Nat64Fixture withLimits(int sessions, int ports, int prefix, int max) {
        return new Nat64Fixture(List.of(new Pool4.Entry(IpProto.UDP, Prefix4.parse(T4 + "/32"), 1024, 65535, 0)),
                List.of(), Nat64Settings.defaults().withMaxSessions(max).withSubscriberLimits(sessions, ports, prefix));
    }

    @Test
    void subscriberOverItsPortLimitGetsNoNewBindingAndOthersAreUnaffected() {
        Nat64Fixture f = withLimits(0, 2, 128, 100);
        assertThat(f.send(v6(X6, Y4).udp(40000, 53).build())).isEqualTo(Verdict.EMIT);
        assertThat(f.send(v6(X6, Y4).udp(40001, 53).build())).isEqualTo(Verdict.EMIT);
        assertThat(f.send(v6(X6, Y4).udp(40002, 53).build())).isEqualTo(Verdict.ICMP_ERROR);
        byte[] e = f.only();
        assertThat(icmpType(e)).isEqualTo(1);
        assertThat(icmpCode(e)).isEqualTo(1); // administratively prohibited
        assertThat(f.counters.get(Counter.DROP_NAT64_SUBSCRIBER_LIMIT)).isEqualTo(1);
        assertThat(f.send(v6(Z6, Y4).udp(40002, 53).build())).isEqualTo(Verdict.EMIT);
        // existing bindings keep working, and new ones come back once old ones are gone
        assertThat(f.send(v6(X6, W4).udp(40001, 53).build())).isEqualTo(Verdict.EMIT);
        f.advance(301);
        f.mapper.expire(f.now);
        assertThat(f.send(v6(X6, Y4).udp(40002, 53).build())).isEqualTo(Verdict.EMIT);
    }

    @Test
    void subscriberOverItsSessionLimitIsRefusedInBothDirections() {
        Nat64Fixture f = withLimits(3, 0, 128, 100);
        for (int i = 0; i < 3; i++) assertThat(f.send(v6(X6, "198.51.100." + (10 + i)).udp(40000, 53).build())).isEqualTo(Verdict.EMIT);
        assertThat(f.send(v6(X6, "198.51.100.20").udp(40000, 53).build())).isEqualTo(Verdict.ICMP_ERROR);
        int t = f.mapper.sessions(IpProto.UDP).get(0).port4();
        // an IPv4 host would open a 4th session through the binding (endpoint-independent filtering): refused too
        assertThat(f.send(v4("198.51.100.30", T4).udp(53, t).build())).isEqualTo(Verdict.ICMP_ERROR);
        assertThat(icmpType(f.only())).isEqualTo(3);
        assertThat(icmpCode(f.only())).isEqualTo(13);
        assertThat(f.mapper.sessionCount(IpProto.UDP)).isEqualTo(3);
        assertThat(f.counters.get(Counter.DROP_NAT64_SUBSCRIBER_LIMIT)).isEqualTo(2);
    }

    @Test
    void a64SubscriberCountsAllItsAddressesTogether() {
        Nat64Fixture f = withLimits(0, 2, 64, 100);
        assertThat(f.send(v6("2001:db8::1", Y4).udp(40000, 53).build())).isEqualTo(Verdict.EMIT);
        assertThat(f.send(v6("2001:db8::2", Y4).udp(40000, 53).build())).isEqualTo(Verdict.EMIT);
        assertThat(f.send(v6("2001:db8::3", Y4).udp(40000, 53).build())).isEqualTo(Verdict.ICMP_ERROR);
        assertThat(f.send(v6("2001:db8:0:1::3", Y4).udp(40000, 53).build())).isEqualTo(Verdict.EMIT);
    }

    @Test
    void refusalErrorsAreRateLimited() {
        Nat64Fixture f = withLimits(0, 1, 128, 1000);
        f.send(v6(X6, Y4).udp(1, 53).build());
        int errors = 0;
        for (int i = 0; i < 300; i++) if (f.send(v6(X6, Y4).udp(1000 + i, 53).build()) == Verdict.ICMP_ERROR) errors++;
        assertThat(errors).isEqualTo(Nat64Mapper.ERRORS_PER_SECOND);
        assertThat(f.counters.get(Counter.DROP_NAT64_SUBSCRIBER_LIMIT)).isEqualTo(300);
        f.advance(1);
        assertThat(f.send(v6(X6, Y4).udp(5000, 53).build())).isEqualTo(Verdict.ICMP_ERROR);
    }

    @Test
    void aFloodFromSpoofedSourcesFillsTheTableButNeverEvictsOrGrowsIt() {
        Nat64Fixture f = withLimits(0, 0, 128, 200);
        f.send(v6(X6, Y4).udp(40000, 53).build());
        int t = srcPort(f.only());
        Random r = new Random(7);
        for (int i = 0; i < 20_000; i++) {
            long lo = r.nextLong();
            f.send(ferry.packet.PacketBuilder.ipv6(0x20010db8_00090000L, lo, 0x0064ff9b_00000000L, 0xc6336407L)
                    .udp(r.nextInt(65536), 53).build());
            assertThat(f.mapper.sessionCount(IpProto.UDP)).isLessThanOrEqualTo(200);
        }
        assertThat(f.counters.get(Counter.DROP_NAT64_SESSION_LIMIT)).isGreaterThan(19_000);
        // the established flow still passes both ways
        assertThat(f.send(v6(X6, Y4).udp(40000, 53).build())).isEqualTo(Verdict.EMIT);
        assertThat(f.send(v4(Y4, T4).udp(53, t).build())).isEqualTo(Verdict.EMIT);
    }

    /** 100 UDP ports on one pool4 address. */
    private static Nat64Fixture smallPool(int sessionsPerSubscriber, int max) {
        return new Nat64Fixture(List.of(new Pool4.Entry(IpProto.UDP, Prefix4.parse(T4 + "/32"), 1024, 1123, 0)),
                List.of(), Nat64Settings.defaults().withMaxSessions(max).withSubscriberLimits(sessionsPerSubscriber, 0, 128));
    }

    @Test
    void newFlowsRefusedByTheSessionCapTakeNoPool4Port() {
        // a refused flow must not claim a port and free it into the 120 s rest (RFC 6888 REQ-8 style reuse delay):
        // under a flood that would leave every free port resting, so the refusals would turn into pool4 exhaustion
        Nat64Fixture f = smallPool(0, 10);
        for (int i = 0; i < 10; i++) assertThat(f.send(v6(X6, Y4).udp(40000 + i, 53).build())).isEqualTo(Verdict.EMIT);
        Random r = new Random(3);
        for (int i = 0; i < 300; i++)
            f.send(ferry.packet.PacketBuilder.ipv6(0x20010db8_00090000L, r.nextLong(), 0x0064ff9b_00000000L, 0xc6336407L)
                    .udp(1024 + r.nextInt(60000), 53).build());
        assertThat(f.counters.get(Counter.DROP_NAT64_SESSION_LIMIT)).isEqualTo(300);
        assertThat(f.counters.get(Counter.DROP_NAT64_POOL4_EXHAUSTED)).isZero();
        assertThat(f.mapper.bibCount(IpProto.UDP)).isEqualTo(10);
    }

    @Test
    void aSubscriberAtItsSessionLimitCannotUseUpThePortsOfOthers() {
        // X6 may hold 3 sessions; its further new flows (new source ports: each would be a new BIB entry) are refused
        // without taking a port, so other subscribers (3 sessions each, too) still find the other 97 of the 100
        Nat64Fixture f = smallPool(3, 1000);
        for (int i = 0; i < 3; i++) assertThat(f.send(v6(X6, Y4).udp(40000 + i, 53).build())).isEqualTo(Verdict.EMIT);
        for (int i = 0; i < 500; i++) f.send(v6(X6, Y4).udp(41000 + i, 53).build());
        assertThat(f.counters.get(Counter.DROP_NAT64_SUBSCRIBER_LIMIT)).isEqualTo(500);
        assertThat(f.counters.get(Counter.DROP_NAT64_POOL4_EXHAUSTED)).isZero();
        for (int i = 0; i < 97; i++)
            assertThat(f.send(v6("2001:db8::" + Integer.toHexString(0x100 + i / 3), Y4).udp(40000 + i, 53).build()))
                    .as("flow %d", i).isEqualTo(Verdict.EMIT);
        // the 101st port: there is none (the error itself is within the rate limit the 500 refusals spent)
        assertThat(f.send(v6(Z6, Y4).udp(40000, 53).build())).isNotEqualTo(Verdict.EMIT);
        assertThat(f.counters.get(Counter.DROP_NAT64_POOL4_EXHAUSTED)).isEqualTo(1);
    }

    @Test
    void subscriberCountsMatchAModelUnderRandomAcquireAndRelease() {
        SubscriberLimits l = new SubscriberLimits(5, 3, 128, 64);
        Map<Long, int[]> model = new HashMap<>();
        Random r = new Random(11);
        long[] subs = new long[300];
        for (int i = 0; i < subs.length; i++) subs[i] = r.nextLong();
        for (int step = 0; step < 200_000; step++) {
            long lo = subs[r.nextInt(subs.length)];
            boolean bib = r.nextBoolean();
            int[] m = model.computeIfAbsent(lo, k -> new int[2]);
            int k = bib ? 1 : 0;
            if (r.nextInt(3) > 0) {
                boolean ok = l.acquire(0x20010db8L << 32, lo, bib);
                boolean expect = m[k] < (bib ? 3 : 5);
                if (!ok && expect) {
                    // only a full region may refuse below the limit; never with this capacity
                    throw new AssertionError("refused below the limit at step " + step);
                }
                assertThat(ok).isEqualTo(expect);
                if (ok) m[k]++;
            } else if (m[k] > 0) {
                l.release(0x20010db8L << 32, lo, bib);
                m[k]--;
            }
            if (step % 997 == 0) {
                for (long s : subs) {
                    int[] mm = model.getOrDefault(s, new int[2]);
                    assertThat(l.count(0x20010db8L << 32, s, false)).isEqualTo(mm[0]);
                    assertThat(l.count(0x20010db8L << 32, s, true)).isEqualTo(mm[1]);
                }
            }
        }
        assertThat(Ipv6.format(0x20010db8L << 32, 0)).isEqualTo("2001:db8::");
    }
}
