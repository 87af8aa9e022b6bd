package ferry.nat64;

import static ferry.nat64.Nat64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Ipv4;
import ferry.addr.Ipv6;
import ferry.addr.Prefix4;
import ferry.packet.IpProto;
import java.util.ArrayList;
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
 * Random traffic mixed with random reconfigurations (pool4 entries added and removed, static entries added and
 * removed, timeouts changed): after every step the BIB stays a bijection per protocol, every BIB entry's IPv4
 * transport address lies in the configured pool4, the configured static entries are there, and an entry that
 * survived a reconfiguration kept its IPv4 transport address. A refused reconfiguration changes nothing.
 */
class Nat64ReconfigurationPropertyTest {
    record Step(int kind, int a, int b, int c) {
    }

    static final String T4B = "203.0.113.2";
    /** Candidate pool4 entries (no two of one protocol overlap). */
    static final List<Pool4.Entry> MENU = List.of(
            new Pool4.Entry(IpProto.UDP, Prefix4.parse(T4 + "/32"), 2000, 2015, 0),
            new Pool4.Entry(IpProto.UDP, Prefix4.parse(T4B + "/32"), 2000, 2015, 0),
            new Pool4.Entry(IpProto.UDP, Prefix4.parse(T4 + "/32"), 2016, 2031, 0),
            new Pool4.Entry(IpProto.UDP, Prefix4.parse("203.0.113.4/31"), 2000, 2003, 0),
            new Pool4.Entry(IpProto.ICMP, Prefix4.parse(T4 + "/32"), 0, 15, 0),
            new Pool4.Entry(IpProto.ICMP, Prefix4.parse(T4B + "/32"), 0, 15, 0));
    static final List<StaticBib> STATICS = List.of(
            staticBib(IpProto.UDP, Z6, 8080, T4, 2001),
            staticBib(IpProto.UDP, Z6, 8081, T4B, 2002),
            staticBib(IpProto.ICMP, Z6, 5, T4, 3));
    static final String[] V4S = {T4, T4B, "203.0.113.4", "203.0.113.5"};

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Step> step = Combinators.combine(Arbitraries.integers().between(0, 5),
                Arbitraries.integers().between(0, 63), Arbitraries.integers().between(0, 63),
                Arbitraries.integers().between(0, 40)).as(Step::new);
        return step.list().ofMinSize(1).ofMaxSize(80);
    }

    @Property(tries = 150)
    void theBibStaysABijectionInsidePool4AcrossRandomReconfigurations(@ForAll("steps") List<Step> steps) {
        List<Pool4.Entry> pool4 = List.of(MENU.get(0), MENU.get(4));
        List<StaticBib> statics = List.of();
        Nat64Settings settings = Nat64Settings.defaults().withMaxSessions(64);
        Nat64ReconfigurationTest.Live f = new Nat64ReconfigurationTest.Live(pool4, statics, settings);
        for (Step s : steps) {
            switch (s.kind()) {
                case 0 -> f.send(v6(host(s.a()), Y4).udp(30000 + (s.b() & 3), 53).build());
                case 1 -> f.send(v6(host(s.a()), Y4).echoRequest(s.b() & 3, 1).build());
                case 2 -> f.send(v4(Y4, V4S[s.a() & 3]).udp(53, 2000 + (s.b() & 31)).build()); // replies and probes
                case 3 -> {
                    f.now += s.c() * 10 * SEC;
                    f.mapper.expire(f.now);
                }
                default -> {
                    List<Pool4.Entry> p = new ArrayList<>();
                    for (int i = 0; i < MENU.size(); i++) if ((s.a() >> i & 1) != 0) p.add(MENU.get(i));
                    if (p.isEmpty()) p.add(MENU.get(s.b() % MENU.size()));
                    List<StaticBib> st = new ArrayList<>();
                    for (int i = 0; i < STATICS.size(); i++) {
                        StaticBib e = STATICS.get(i);
                        if ((s.b() >> i & 1) != 0 && p.stream().anyMatch(x -> x.proto() == e.proto()
                                && x.prefix().contains(e.v4()) && e.port4() >= x.portMin() && e.port4() <= x.portMax()))
                            st.add(e);
                    }
                    Nat64Settings ns = new Nat64Settings(120 + s.c() * 10, 7440, 240, 1 + s.c(), 10, false, false,
                            false, false, 0b1011, 64);
                    Set<String> before = survivors(f.mapper, p, st);
                    Set<String> all = bib(f.mapper);
                    try {
                        f.reconfigure(p, st, ns);
                        pool4 = p;
                        statics = st;
                        Statistics.label("reconfiguration").collect("applied");
                        assertThat(bib(f.mapper)).as("entries still in pool4 keep their IPv4 side").containsAll(before);
                    } catch (IllegalArgumentException e) {
                        // a static entry over a live dynamic binding of another host: refused whole
                        Statistics.label("reconfiguration").collect("refused");
                        assertThat(e.getMessage()).contains("bib entry");
                        assertThat(bib(f.mapper)).isEqualTo(all);
                    }
                }
            }
            check(f.mapper, pool4, statics);
        }
    }

    static String host(int i) {
        return "2001:db8::" + Integer.toHexString(0x100 + i);
    }

    static String key(Nat64Mapper.Bib b) {
        return b.proto() + " " + Ipv6.format(b.v6Hi(), b.v6Lo()) + "#" + b.port6() + " " + Ipv4.format(b.v4()) + "#" + b.port4();
    }

    static Set<String> bib(Nat64Mapper m) {
        Set<String> s = new HashSet<>();
        for (int proto : new int[] {IpProto.UDP, IpProto.ICMP}) for (Nat64Mapper.Bib b : m.bib(proto)) s.add(key(b));
        return s;
    }

    /** The dynamic entries (and kept statics) that a reconfiguration to (pool4, statics) must keep as they are. */
    static Set<String> survivors(Nat64Mapper m, List<Pool4.Entry> pool4, List<StaticBib> statics) {
        Set<String> s = new HashSet<>();
        for (int proto : new int[] {IpProto.UDP, IpProto.ICMP}) {
            for (Nat64Mapper.Bib b : m.bib(proto)) {
                boolean in = inPool(pool4, proto, b.v4(), b.port4());
                boolean keptStatic = !b.staticEntry() || statics.contains(
                        new StaticBib(proto, b.v6Hi(), b.v6Lo(), b.port6(), b.v4(), b.port4()));
                if (in && keptStatic) s.add(key(b));
            }
        }
        return s;
    }

    static boolean inPool(List<Pool4.Entry> pool4, int proto, int v4, int port) {
        return pool4.stream().anyMatch(e -> e.proto() == proto && e.prefix().contains(v4) && port >= e.portMin()
                && port <= e.portMax());
    }

    static void check(Nat64Mapper m, List<Pool4.Entry> pool4, List<StaticBib> statics) {
        for (int proto : new int[] {IpProto.UDP, IpProto.ICMP}) {
            List<Nat64Mapper.Bib> bib = m.bib(proto);
            Set<String> v6 = new HashSet<>(), v4 = new HashSet<>();
            for (Nat64Mapper.Bib b : bib) {
                assertThat(v6.add(b.v6Hi() + "/" + b.v6Lo() + "#" + b.port6())).as("IPv6 side bound once: %s", key(b)).isTrue();
                assertThat(v4.add(b.v4() + "#" + b.port4())).as("IPv4 side bound once: %s", key(b)).isTrue();
                assertThat(inPool(pool4, proto, b.v4(), b.port4())).as("in pool4: %s", key(b)).isTrue();
            }
            assertThat(bib).hasSize(m.bibCount(proto));
            assertThat(m.sessions(proto)).hasSize(m.sessionCount(proto));
            for (Nat64Mapper.Session s : m.sessions(proto))
                assertThat(v4).as("a session's BIB entry exists").contains(s.v4() + "#" + s.port4());
        }
        for (StaticBib e : statics) {
            assertThat(m.bib(e.proto())).anyMatch(b -> b.staticEntry() && b.v4() == e.v4() && b.port4() == e.port4()
                    && b.v6Hi() == e.v6Hi() && b.v6Lo() == e.v6Lo() && b.port6() == e.port6());
        }
    }
}
