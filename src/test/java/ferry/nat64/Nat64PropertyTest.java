package ferry.nat64;

import static ferry.nat64.Nat64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Prefix4;
import ferry.packet.IpProto;
import ferry.packet.PacketBuilder;
import ferry.testkit.PacketCheck;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Properties of the NAT64 tables over random traffic (IPv6 hosts opening UDP/TCP/ICMP flows, fragments in any order
 * from both sides, IPv4 hosts answering
 * or probing pool4, ICMP errors from routers on both sides, the clock jumping forward):
 * <ul>
 *   <li>the BIB is a bijection per protocol (no IPv6 or IPv4 transport address bound twice);</li>
 *   <li>inbound (IPv4) traffic never creates a dynamic BIB entry;</li>
 *   <li>ICMP errors never create, refresh or delete sessions;</li>
 *   <li>after the longest timeout with no traffic, only the static BIB entries remain;</li>
 *   <li>memory stays bounded (sessions ≤ max-sessions, BIB ≤ pool4) whatever is sent;</li>
 *   <li>every emitted packet is well formed with valid checksums.</li>
 * </ul>
 */
class Nat64PropertyTest {
    /** One step: kind, host/remote selectors, ports, TCP flags, time step. */
    record Step(int kind, int host, int remote, int port, int flags, int dt) {
    }

    @Provide
    Arbitrary<List<Step>> traffic() {
        Arbitrary<Step> step = Combinators.combine(
                Arbitraries.integers().between(0, 11),
                Arbitraries.integers().between(0, 300), // host: many spoofed sources too
                Arbitraries.integers().between(0, 3),
                Arbitraries.integers().between(0, 20),
                Arbitraries.of(0x02, 0x12, 0x10, 0x11, 0x04, 0x01),
                Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(8, Arbitraries.just(0)),
                        net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(1, 400)))
        ).as(Step::new);
        return step.list().ofMinSize(1).ofMaxSize(120);
    }

    static final int MAX_SESSIONS = 40;
    static final String[] REMOTES = {"198.51.100.7", "198.51.100.8", "203.0.113.77", "192.0.2.9"};

    static String host6(int h) {
        return "2001:db8::" + Integer.toHexString(h + 1);
    }

    @Property(tries = 300)
    void tablesKeepTheirInvariantsUnderRandomTraffic(@ForAll("traffic") List<Step> steps) {
        Nat64Fixture f = new Nat64Fixture(List.of(
                new Pool4.Entry(IpProto.TCP, Prefix4.parse("203.0.113.0/31"), 1000, 1031, 0),
                new Pool4.Entry(IpProto.UDP, Prefix4.parse("203.0.113.0/31"), 1000, 1031, 0),
                new Pool4.Entry(IpProto.ICMP, Prefix4.parse("203.0.113.0/31"), 0, 31, 0)),
                List.of(staticBib(IpProto.TCP, "2001:db8:8011::22", 22, "203.0.113.1", 1022)),
                Nat64Settings.defaults().withMaxSessions(MAX_SESSIONS));
        byte[] lastOut4 = null, lastOut6 = null;
        for (Step s : steps) {
            f.advance(s.dt());
            f.mapper.expire(f.now); // what the packet's time expires is not the packet's doing
            String remote = REMOTES[s.remote()];
            int before = dynamicBibs(f);
            List<Nat64Mapper.Session> sessionsBefore = snapshot(f);
            byte[] p;
            boolean inbound = false, error = false;
            switch (s.kind()) {
                case 0 -> p = v6(host6(s.host()), remote).udp(30000 + s.port(), 53).payload(8).build();
                case 1 -> p = v6(host6(s.host()), remote).tcp(30000 + s.port(), 80).tcpFlags(s.flags()).build();
                case 2 -> p = v6(host6(s.host()), remote).echoRequest(s.port(), 1).build();
                case 3 -> { inbound = true; p = v4(remote, "203.0.113." + (s.host() & 1)).udp(53, 1000 + s.port()).build(); }
                case 4 -> { inbound = true; p = v4(remote, "203.0.113." + (s.host() & 1)).tcp(80, 1000 + s.port()).tcpFlags(s.flags()).build(); }
                case 5 -> { inbound = true; p = v4(remote, "203.0.113." + (s.host() & 1)).echoReply(s.port(), 1).build(); }
                case 6 -> {
                    error = true;
                    byte[] inner = lastOut4 != null ? lastOut4 : v4("203.0.113.0", remote).udp(1000 + s.port(), 53).build();
                    p = v4(R4, "203.0.113." + (s.host() & 1)).icmpError(3, 3, 0, inner).build();
                }
                case 7 -> {
                    error = true;
                    byte[] inner = lastOut6 != null ? lastOut6 : PacketBuilder.ipv6("64:ff9b::" + remote, host6(s.host())).udp(53, 30000).build();
                    p = PacketBuilder.ipv6(host6(s.host()), "64:ff9b::" + remote).icmpError(1, 4, 0, inner).build();
                }
                case 9 -> p = v6(host6(s.host()), remote).fragment(0, true, s.port()).udp(30000 + s.port(), 53).payload(40).build();
                case 10 -> p = v6(host6(s.host()), remote).fragment(6 + s.flags() % 3, s.dt() == 0, s.port()).raw(17, new byte[16]).build();
                case 11 -> { inbound = true; p = v4(remote, "203.0.113." + (s.host() & 1)).identification(s.port()).fragmentOffset(6).raw(17, new byte[16]).build(); }
                default -> { inbound = true; p = v4(remote, "203.0.113.1").tcp(5000 + s.port(), 1022).tcpFlags(s.flags()).build(); }
            }
            var verdict = f.send(p);
            Statistics.label("verdict").collect(verdict);
            if (error) Statistics.label("ICMP error").collect(verdict); // EMIT: the inner packet found its session
            for (byte[] o : f.out) {
                assertThat(PacketCheck.problems(o, 1500)).isEmpty();
                assertThat(PacketCheck.l4(o)).isNotEqualTo(PacketCheck.L4.INVALID);
                if ((o[0] >> 4 & 0xf) == 4 && o[9] != 1) lastOut4 = o;
                if ((o[0] >> 4 & 0xf) == 6 && o[6] != 58) lastOut6 = o;
            }
            checkBijection(f);
            if (inbound) assertThat(dynamicBibs(f)).as("inbound creates no dynamic BIB entry").isLessThanOrEqualTo(before);
            if (error) assertThat(snapshot(f)).as("ICMP errors touch no session").isEqualTo(sessionsBefore);
            for (int proto : new int[] {IpProto.TCP, IpProto.UDP, IpProto.ICMP}) {
                assertThat(f.mapper.sessionCount(proto)).isLessThanOrEqualTo(MAX_SESSIONS);
                assertThat(f.mapper.bibCount(proto)).isLessThanOrEqualTo(64);
                assertThat(f.mapper.sessions(proto)).hasSize(f.mapper.sessionCount(proto));
                assertThat(f.mapper.bib(proto)).hasSize(f.mapper.bibCount(proto));
            }
        }
        // the longest lifetime: tcp-est-timeout, then tcp-trans-timeout after the established session times out
        f.advance(7440 + 1);
        f.mapper.expire(f.now);
        f.advance(240 + 1);
        f.mapper.expire(f.now);
        for (int proto : new int[] {IpProto.TCP, IpProto.UDP, IpProto.ICMP}) {
            assertThat(f.mapper.sessionCount(proto)).isZero();
            assertThat(f.mapper.bib(proto)).allMatch(Nat64Mapper.Bib::staticEntry);
        }
        assertThat(f.mapper.bibCount(IpProto.TCP)).isEqualTo(1);
    }

    private static int dynamicBibs(Nat64Fixture f) {
        int n = 0;
        for (int proto : new int[] {IpProto.TCP, IpProto.UDP, IpProto.ICMP})
            n += (int) f.mapper.bib(proto).stream().filter(b -> !b.staticEntry()).count();
        return n;
    }

    private static List<Nat64Mapper.Session> snapshot(Nat64Fixture f) {
        List<Nat64Mapper.Session> all = new java.util.ArrayList<>();
        for (int proto : new int[] {IpProto.TCP, IpProto.UDP, IpProto.ICMP}) all.addAll(f.mapper.sessions(proto));
        return all;
    }

    private static void checkBijection(Nat64Fixture f) {
        for (int proto : new int[] {IpProto.TCP, IpProto.UDP, IpProto.ICMP}) {
            Set<String> six = new HashSet<>(), four = new HashSet<>();
            for (Nat64Mapper.Bib b : f.mapper.bib(proto)) {
                assertThat(six.add(b.v6Hi() + "/" + b.v6Lo() + "#" + b.port6())).as("IPv6 side bound once").isTrue();
                assertThat(four.add(b.v4() + "#" + b.port4())).as("IPv4 side bound once").isTrue();
            }
        }
    }
}
