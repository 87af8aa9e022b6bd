package ferry.nat64;

import static ferry.nat64.Nat64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ferry.addr.Ipv4;
import ferry.addr.Prefix4;
import ferry.metrics.Counter;
import ferry.packet.IpProto;
import ferry.translate.Verdict;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** pool4 (RFC 6146 §3.5.1.1), RFC 6056 Algorithm 3 port choice, RFC 4787 REQ-3/4, the 120 s port rest. */
class Pool4Test {
    private static Pool4.Entry udp(String prefix, int min, int max) {
        return new Pool4.Entry(IpProto.UDP, Prefix4.parse(prefix), min, max, 0);
    }

    private static final long[] X = ferry.addr.Ipv6.parse(X6);

    @Test
    void everySlotNamesTheAddressAndPortThatNameIt() {
        // blocks of 1, 1000 and 64512 ports: slot -> (address, port) -> slot is the identity, in port order
        Pool4 p = new Pool4(List.of(udp("203.0.113.7/32", 5000, 5000), udp("203.0.113.0/30", 1000, 1999),
                udp("198.51.100.0/30", 1024, 65535)), 11, 1);
        Pool4.ProtoPool pp = p.of(IpProto.UDP);
        Set<Long> seen = new HashSet<>();
        for (int slot = 0; slot < p.size(IpProto.UDP); slot++) {
            int a = pp.addrOf(slot), port = pp.portOf(slot);
            assertThat(pp.layout.slotOf(a, port)).as("slot " + slot).isEqualTo(slot);
            assertThat(seen.add((long) a << 16 | port)).as("slot " + slot + " unique").isTrue();
        }
        assertThat(pp.addrOf(0)).isEqualTo(Ipv4.parse("203.0.113.7"));
        assertThat(pp.portOf(0)).isEqualTo(5000);
        assertThat(pp.addrOf(1 + 1000 + 999)).isEqualTo(Ipv4.parse("203.0.113.1"));
        assertThat(pp.portOf(1 + 1000 + 999)).isEqualTo(1999);
        assertThat(pp.addrOf(p.size(IpProto.UDP) - 1)).isEqualTo(Ipv4.parse("198.51.100.3"));
        assertThat(pp.portOf(p.size(IpProto.UDP) - 1)).isEqualTo(65535);
    }

    @Test
    void emptyPool4IsRefused() {
        assertThatThrownBy(() -> new Pool4(List.of(), 11, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pool4 is empty");
    }

    @Test
    void overlappingEntriesOfOneProtocolAreRefusedNamingBoth() {
        assertThatThrownBy(() -> new Pool4(List.of(udp("203.0.113.0/30", 1000, 2000), udp("203.0.113.2/32", 2000, 3000)), 11, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("overlap").hasMessageContaining("203.0.113.0/30").hasMessageContaining("203.0.113.2/32");
    }

    @Test
    void sameAddressesWithDisjointPortsOrOtherProtocolsAreFine() {
        Pool4 p = new Pool4(List.of(udp("203.0.113.0/30", 1000, 1999), udp("203.0.113.2/32", 2000, 3000),
                new Pool4.Entry(IpProto.TCP, Prefix4.parse("203.0.113.0/30"), 1000, 1999, 0)), 11, 1);
        assertThat(p.size(IpProto.UDP)).isEqualTo(4 * 1000 + 1001);
        assertThat(p.size(IpProto.TCP)).isEqualTo(4000);
        assertThat(p.size(IpProto.ICMP)).isZero();
    }

    @Test
    void emptyPortRangeIsRefused() {
        assertThatThrownBy(() -> udp("203.0.113.1/32", 2000, 1000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2000-1000");
    }

    @Test
    void portKeepsParityAndItsSideOf1024() {
        Pool4 p = new Pool4(List.of(udp("203.0.113.0/29", 1, 65535)), 11, 7);
        Pool4.ProtoPool pp = p.of(IpProto.UDP);
        int id = 0;
        for (int src : new int[]{53, 54, 1023, 1024, 40001, 40002, 65535}) {
            for (int i = 0; i < 20; i++) {
                int slot = p.allocate(IpProto.UDP, X[0], X[1] + i, src, 0x01020304 + i, 53, id++, 0);
                int port = pp.portOf(slot);
                assertThat(port & 1).as("parity of %d", src).isEqualTo(src & 1);
                assertThat(port < 1024).as("side of 1024 of %d", src).isEqualTo(src < 1024);
            }
        }
    }

    @Test
    void whenTheMatchingPartIsFullAnyFreePortIsUsed() {
        Pool4 p = new Pool4(List.of(udp("203.0.113.1/32", 2000, 2000)), 11, 7); // one even port
        int slot = p.allocate(IpProto.UDP, X[0], X[1], 40001, 1, 53, 0, 0);   // odd source
        assertThat(slot).isNotNegative();
        assertThat(p.of(IpProto.UDP).portOf(slot)).isEqualTo(2000);
    }

    @Test
    void algorithm3SpreadsDestinationsOverThePoolAndNeverHandsAPortOutTwice() {
        Pool4 p = new Pool4(List.of(udp("203.0.113.0/28", 1024, 65535)), 11, 99);
        Set<Integer> slots = new HashSet<>();
        Set<Integer> addrs = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            int slot = p.allocate(IpProto.UDP, X[0], X[1] + i, 40000 + (i & 1), 0xc6336400 + i, 53, i, 0);
            assertThat(slots.add(slot)).isTrue();
            addrs.add(p.of(IpProto.UDP).addrOf(slot));
        }
        assertThat(addrs).hasSizeGreaterThan(8); // F(destination) puts flows on many of the 16 addresses
    }

    @Test
    void secretKeyChangesTheChoice() {
        Pool4 a = new Pool4(List.of(udp("203.0.113.0/28", 1024, 65535)), 11, 1);
        Pool4 b = new Pool4(List.of(udp("203.0.113.0/28", 1024, 65535)), 11, 2);
        int same = 0;
        for (int i = 0; i < 50; i++) {
            if (a.allocate(IpProto.UDP, X[0], X[1], 40000, 0xc6336400 + i, 53, i, 0)
                    == b.allocate(IpProto.UDP, X[0], X[1], 40000, 0xc6336400 + i, 53, i, 0)) same++;
        }
        assertThat(same).isLessThan(5);
    }

    @Test
    void maxIterationsBoundsTheSearchInAFullPool() {
        Pool4 p = new Pool4(List.of(new Pool4.Entry(IpProto.UDP, Prefix4.parse("203.0.113.1/32"), 1024, 65535, 16)), 11, 3);
        Pool4.ProtoPool pp = p.of(IpProto.UDP);
        // take every port but one
        int free = pp.slotOf(Ipv4.parse("203.0.113.1"), 50000);
        for (int s = 0; s < pp.size; s++) if (s != free) assertThat(Pool4.claim(pp, s, s, 0)).isTrue();
        int found = 0;
        for (int i = 0; i < 50; i++) {
            if (p.allocate(IpProto.UDP, X[0], X[1], 40000, 0xc6336400 + i, 53, 99999, 0) >= 0) found++;
        }
        // 16 candidates in the matching part, 16 in the whole pool: the one free port of 64512 is not reached
        // (deterministic: fixed secret), so an exhausted pool costs at most 32 compare-and-sets per new flow
        assertThat(found).isZero();
        Pool4 unbounded = new Pool4(List.of(new Pool4.Entry(IpProto.UDP, Prefix4.parse("203.0.113.1/32"), 1024, 65535, -1)), 11, 3);
        Pool4.ProtoPool up = unbounded.of(IpProto.UDP);
        for (int s = 0; s < up.size; s++) if (s != free) Pool4.claim(up, s, s, 0);
        assertThat(unbounded.allocate(IpProto.UDP, X[0], X[1], 40000, 1, 53, 99999, 0)).isEqualTo(free);
    }

    @Test
    void aFreedPortRestsFor120SecondsBeforeReuse() {
        Nat64Fixture g = new Nat64Fixture(List.of(udp(T4 + "/32", 3000, 3000)), List.of(),
                Nat64Settings.defaults().withMaxSessions(8));
        assertThat(g.send(v6(X6, Y4).udp(40000, 53).build())).isEqualTo(Verdict.EMIT);
        g.advance(300);
        g.mapper.expire(g.now);
        assertThat(g.mapper.bibCount(IpProto.UDP)).isZero();
        g.advance(119);
        assertThat(g.send(v6(Z6, Y4).udp(40000, 53).build())).isEqualTo(Verdict.ICMP_ERROR);
        assertThat(g.counters.get(Counter.DROP_NAT64_POOL4_EXHAUSTED)).isEqualTo(1);
        g.advance(1);
        assertThat(g.send(v6(Z6, Y4).udp(40000, 53).build())).isEqualTo(Verdict.EMIT);
        assertThat(srcPort(g.only())).isEqualTo(3000);
    }

    @Test
    void divisionByMultiplicationEqualsHardwareDivisionOverCandidateRange() {
        // every divisor kind a pool can have (1, small, odd, powers of two, pool-sized, the largest allowed) against
        // numerators at the edges of the range (0, d - 1, d, multiples, 2^33 - 1) and random ones below 2^33
        int[] ds = {1, 2, 3, 7, 64, 1000, 32256, 64511, 64512, 2_064_384, 4_128_768, (1 << 30) + 1, Integer.MAX_VALUE};
        java.util.SplittableRandom r = new java.util.SplittableRandom(11);
        for (int d : ds) {
            long m = Pool4.magic(d);
            long[] xs = {0, d - 1L, d, 2L * d - 1, 2L * d, (1L << 33) - 1, (1L << 33) - 1 - ((1L << 33) - 1) % d,
                    (1L << 32) + 5};
            for (long x : xs) {
                assertThat(Pool4.div(x, d, m)).as("%d / %d", x, d).isEqualTo(Long.divideUnsigned(x, d));
                assertThat(Pool4.mod(x, d, m)).as("%d mod %d", x, d).isEqualTo((int) Long.remainderUnsigned(x, d));
            }
            for (int i = 0; i < 100_000; i++) {
                long x = r.nextLong(1L << 33);
                assertThat(Pool4.mod(x, d, m)).as("%d mod %d", x, d).isEqualTo((int) Long.remainderUnsigned(x, d));
            }
        }
        for (int i = 0; i < 100_000; i++) { // random divisors too
            int d = 1 + r.nextInt(Integer.MAX_VALUE - 1);
            long x = r.nextLong(1L << 33);
            assertThat(Pool4.div(x, d, Pool4.magic(d))).as("%d / %d", x, d).isEqualTo(Long.divideUnsigned(x, d));
        }
    }

    // the read-ahead tests: a /30 of UDP ports and one flow, 2001:db8::1234 (port varies) -> 198.51.100.7#53
    private static final long HI = 0x20010db800000000L, LO = 0x1234L;
    private static final int DST4 = Ipv4.parse("198.51.100.7");

    private static Pool4 quarter() {
        return new Pool4(List.of(udp("203.0.113.0/30", 1024, 65535)), 11, 99);
    }

    private static int offset(Pool4 p, int port) {
        return p.offset(HI, LO, port, DST4, 53);
    }

    @Test
    void ownerWordReadAheadPicksTheSamePortAsAllocateAlone() {
        for (int port = 40000; port < 40016; port++) {
            Pool4 plain = quarter(), ahead = quarter();
            int offset = offset(ahead, port);
            long peeked = ahead.peek(IpProto.UDP, offset, port);
            assertThat((int) peeked).as("the candidate read ahead is free").isZero();
            int a = plain.allocate(IpProto.UDP, HI, LO, port, DST4, 53, 5, 1000);
            int b = ahead.allocate(IpProto.UDP, offset, port, 5, 1000, peeked);
            assertThat(b).isEqualTo(a).isEqualTo((int) (peeked >>> 32));
            assertThat(Pool4.owner(ahead.of(IpProto.UDP), b)).isEqualTo(5);
        }
    }

    @Test
    void staleReadAheadShowingAFreeSlotNeverClaimsItTwice() {
        Pool4 p = quarter();
        int offset = offset(p, 40000);
        long peeked = p.peek(IpProto.UDP, offset, 40000);
        int slot = (int) (peeked >>> 32);
        // another flow takes the candidate between the read ahead and the claim
        assertThat(Pool4.claim(p.of(IpProto.UDP), slot, 7, 1000)).isTrue();
        int got = p.allocate(IpProto.UDP, offset, 40000, 9, 1000, peeked);
        assertThat(got).isNotEqualTo(slot).isNotNegative();
        assertThat(Pool4.owner(p.of(IpProto.UDP), slot)).as("the first owner keeps its port").isEqualTo(7);
        assertThat(Pool4.owner(p.of(IpProto.UDP), got)).isEqualTo(9);
    }

    @Test
    void staleReadAheadShowingATakenSlotDoesNotRefuseItOnceFree() {
        Pool4 p = quarter();
        int offset = offset(p, 40000);
        long first = p.peek(IpProto.UDP, offset, 40000);
        int slot = (int) (first >>> 32);
        assertThat(Pool4.claim(p.of(IpProto.UDP), slot, 7, 0)).isTrue();
        long peeked = p.peek(IpProto.UDP, offset, 40000); // reads "taken by 7"
        assertThat((int) peeked).isEqualTo(8);
        Pool4.release(p.of(IpProto.UDP), slot, 0); // rests until 120 s
        int got = p.allocate(IpProto.UDP, offset, 40000, 9, 1000, peeked); // at 1000 s it has rested
        assertThat(got).isEqualTo(slot);
        assertThat(Pool4.owner(p.of(IpProto.UDP), slot)).isEqualTo(9);
    }
}
