package ferry.nat64;

import static ferry.nat64.Nat64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ferry.addr.Ipv4;
import ferry.addr.Prefix4;
import ferry.addr.Rfc6052;
import ferry.metrics.Counter;
import ferry.metrics.Counters;
import ferry.packet.IpProto;
import ferry.translate.IpTranslator;
import ferry.translate.Translator;
import ferry.translate.TranslatorSettings;
import ferry.translate.Verdict;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Issue 7 item 3: "sessions whose pool4 entry survives keep working" across a reconfiguration
 * ({@link Nat64Mapper#reconfigured}): the new mapper works on the same tables; only the sessions of removed pool4
 * or static entries end, counted; surviving ports stay reserved; new timeouts apply from the next refresh.
 */
class Nat64ReconfigurationTest {
    static final String T4B = "203.0.113.2";

    /** A NAT64 whose configuration the test changes; each mapper gets its own translator (as a worker would). */
    static final class Live {
        final Counters counters = new Counters();
        final List<byte[]> out = new ArrayList<>();
        Nat64Mapper mapper;
        IpTranslator translator;
        long now = 1000 * SEC;

        Live(List<Pool4.Entry> pool4, List<StaticBib> statics, Nat64Settings s) {
            use(Nat64Mapper.reconfigured(null, POOL6, true, pool4, statics, s, 42, now));
        }

        /** Applies a new configuration; returns the previous mapper (still usable, as a worker that has not switched). */
        Nat64Mapper reconfigure(List<Pool4.Entry> pool4, List<StaticBib> statics, Nat64Settings s) {
            return reconfigure(POOL6, pool4, statics, s);
        }

        Nat64Mapper reconfigure(Rfc6052 pool6, List<Pool4.Entry> pool4, List<StaticBib> statics, Nat64Settings s) {
            Nat64Mapper old = mapper;
            use(Nat64Mapper.reconfigured(mapper, pool6, true, pool4, statics, s, 43, now));
            return old;
        }

        void use(Nat64Mapper m) {
            mapper = m;
            translator = translator(m, counters);
        }

        Verdict send(byte[] packet) {
            return send(translator, packet);
        }

        Verdict send(Translator t, byte[] packet) {
            out.clear();
            MemorySegment buf = MemorySegment.ofArray(new byte[Translator.HEADROOM + packet.length + 2048]);
            MemorySegment.copy(MemorySegment.ofArray(packet), 0, buf, Translator.HEADROOM, packet.length);
            return t.translate(buf, Translator.HEADROOM, packet.length, now,
                    (b, o, l) -> out.add(b.asSlice(o, l).toArray(ValueLayout.JAVA_BYTE)));
        }

        byte[] only() {
            assertThat(out).hasSize(1);
            return out.get(0);
        }
    }

    static IpTranslator translator(Nat64Mapper m, Counters c) {
        TranslatorSettings ts = new TranslatorSettings(false, false, 0, TranslatorSettings.DEFAULT_PLATEAUS, false,
                1280, null, null, false, Prefix4.parse("192.0.2.1/32"),
                ferry.addr.Prefix6.parse("2001:db8:ffff::1/128"), 1500, 1500, ferry.translate.EamHairpinMode.INTRINSIC);
        return new IpTranslator(ts, m, c);
    }

    static Pool4.Entry udp(String prefix, int min, int max) {
        return new Pool4.Entry(IpProto.UDP, Prefix4.parse(prefix), min, max, 0);
    }

    static Pool4.Entry icmp(String prefix) {
        return new Pool4.Entry(IpProto.ICMP, Prefix4.parse(prefix), 0, 65535, 0);
    }

    static final Nat64Settings S = Nat64Settings.defaults().withMaxSessions(1024);

    static String host(int i) {
        return "2001:db8::" + Integer.toHexString(0x100 + i);
    }

    /** (IPv6 host, port6) -> "v4#port4" of every UDP BIB entry. */
    static Set<String> bibs(Nat64Mapper m, int proto) {
        Set<String> s = new HashSet<>();
        for (Nat64Mapper.Bib b : m.bib(proto)) {
            s.add(ferry.addr.Ipv6.format(b.v6Hi(), b.v6Lo()) + "#" + b.port6() + "=" + Ipv4.format(b.v4()) + "#" + b.port4());
        }
        return s;
    }

    @Test
    void addingAPool4EntryKeepsEverySessionItsPortAndItsReplies() {
        Live f = new Live(List.of(udp(T4 + "/32", 1024, 65535)), List.of(), S);
        int[] ports = new int[10];
        for (int i = 0; i < 10; i++) {
            assertThat(f.send(v6(host(i), Y4).udp(40000 + i, 53).build())).isEqualTo(Verdict.EMIT);
            ports[i] = srcPort(f.only());
        }
        List<Nat64Mapper.Session> before = f.mapper.sessions(IpProto.UDP);
        // the new entry comes first: every slot of the old one is renumbered
        Nat64Mapper old = f.reconfigure(List.of(udp(T4B + "/32", 1024, 65535), udp(T4 + "/32", 1024, 65535)), List.of(), S);
        assertThat(f.mapper).isNotSameAs(old);
        assertThat(f.mapper.sharesTablesWith(old)).isTrue();
        assertThat(f.mapper.sessionsEndedWhenBuilt()).isZero();
        assertThat(f.mapper.sessions(IpProto.UDP)).containsExactlyInAnyOrderElementsOf(before);
        for (int i = 0; i < 10; i++) {
            assertThat(f.send(v4(Y4, T4).udp(53, ports[i]).build())).isEqualTo(Verdict.EMIT); // reply: same port
            assertThat(dst6(f.only())).isEqualTo(host(i));
            assertThat(dstPort(f.only())).isEqualTo(40000 + i);
            assertThat(f.send(v6(host(i), Y4).udp(40000 + i, 53).build())).isEqualTo(Verdict.EMIT);
            assertThat(srcPort(f.only())).isEqualTo(ports[i]);
            assertThat(src4(f.only())).isEqualTo(T4);
        }
        assertThat(f.mapper.explicit4(Ipv4.parse(T4B))).isTrue(); // the new address is pool4 now
        assertThat(f.mapper.sessionCount(IpProto.UDP)).isEqualTo(10);
    }

    @Test
    void removingAPool4EntryEndsExactlyTheSessionsInItAndCountsThem() {
        Live f = new Live(List.of(udp(T4 + "/32", 2000, 2999), udp(T4B + "/32", 2000, 2999), icmp(T4 + "/32")), List.of(), S);
        for (int i = 0; i < 60; i++) assertThat(f.send(v6(host(i), Y4).udp(40000, 53).build())).isEqualTo(Verdict.EMIT);
        assertThat(f.send(v6(X6, Y4).echoRequest(7, 1).build())).isEqualTo(Verdict.EMIT);
        List<Nat64Mapper.Session> all = f.mapper.sessions(IpProto.UDP);
        List<Nat64Mapper.Session> onB = all.stream().filter(s -> s.v4() == Ipv4.parse(T4B)).toList();
        List<Nat64Mapper.Session> onA = all.stream().filter(s -> s.v4() == Ipv4.parse(T4)).toList();
        assertThat(onB).isNotEmpty(); // F spreads the 60 sources over both addresses
        assertThat(onA).isNotEmpty();
        f.reconfigure(List.of(udp(T4 + "/32", 2000, 2999), icmp(T4 + "/32")), List.of(), S);
        assertThat(f.mapper.sessionsEndedWhenBuilt()).isEqualTo(onB.size());
        assertThat(f.mapper.sessionsEndedByReconfiguration()).isEqualTo(onB.size());
        assertThat(f.mapper.sessions(IpProto.UDP)).containsExactlyInAnyOrderElementsOf(onA);
        assertThat(f.mapper.sessionCount(IpProto.ICMP)).isEqualTo(1); // another protocol: untouched
        assertThat(f.mapper.bibCount(IpProto.UDP)).isEqualTo(onA.size());
        Nat64Mapper.Session gone = onB.get(0), kept = onA.get(0);
        assertThat(f.send(v4(Y4, T4B).udp(53, gone.port4()).build())).isEqualTo(Verdict.DROP);
        assertThat(f.counters.get(Counter.DROP_NAT64_NOT_POOL4)).isEqualTo(1);
        assertThat(f.send(v4(Y4, T4).udp(53, kept.port4()).build())).isEqualTo(Verdict.EMIT);
    }

    @Test
    void narrowingAPortRangeEndsTheSessionsOutsideItOnly() {
        Live f = new Live(List.of(udp(T4 + "/32", 2000, 2999)), List.of(), S);
        for (int i = 0; i < 80; i++) f.send(v6(host(i), Y4).udp(40000 + 2 * i, 53).build());
        List<Nat64Mapper.Session> all = f.mapper.sessions(IpProto.UDP);
        long outside = all.stream().filter(s -> s.port4() > 2499).count();
        assertThat(outside).isPositive();
        f.reconfigure(List.of(udp(T4 + "/32", 2000, 2499)), List.of(), S);
        assertThat(f.mapper.sessionsEndedWhenBuilt()).isEqualTo((int) outside);
        assertThat(f.mapper.sessions(IpProto.UDP))
                .containsExactlyInAnyOrderElementsOf(all.stream().filter(s -> s.port4() <= 2499).toList());
    }

    @Test
    void removingEveryEntryOfAProtocolEndsItsSessionsAndAddingItBackWorksAgain() {
        Live f = new Live(List.of(udp(T4 + "/32", 2000, 2999), icmp(T4 + "/32")), List.of(), S);
        f.send(v6(X6, Y4).echoRequest(7, 1).build());
        f.send(v6(X6, Y4).udp(40000, 53).build());
        f.reconfigure(List.of(udp(T4 + "/32", 2000, 2999)), List.of(), S);
        assertThat(f.mapper.sessionsEndedWhenBuilt()).isEqualTo(1);
        assertThat(f.mapper.sessionCount(IpProto.ICMP)).isZero();
        assertThat(f.send(v6(X6, Y4).echoRequest(8, 1).build())).isEqualTo(Verdict.ICMP_ERROR); // no ICMP pool4
        assertThat(f.counters.get(Counter.DROP_NAT64_POOL4_EXHAUSTED)).isEqualTo(1);
        f.reconfigure(List.of(udp(T4 + "/32", 2000, 2999), icmp(T4 + "/32")), List.of(), S);
        assertThat(f.send(v6(X6, Y4).echoRequest(9, 1).build())).isEqualTo(Verdict.EMIT);
        assertThat(f.mapper.sessionCount(IpProto.UDP)).isEqualTo(1);
    }

    @Test
    void aNewProtocolGetsATableAndTheOthersCarryOver() {
        Live f = new Live(List.of(udp(T4 + "/32", 2000, 2999)), List.of(), S);
        f.send(v6(X6, Y4).udp(40000, 53).build());
        f.reconfigure(List.of(udp(T4 + "/32", 2000, 2999), icmp(T4 + "/32")), List.of(), S);
        assertThat(f.mapper.sessionCount(IpProto.UDP)).isEqualTo(1);
        assertThat(f.send(v6(X6, Y4).echoRequest(9, 1).build())).isEqualTo(Verdict.EMIT);
        assertThat(f.mapper.sessionCount(IpProto.ICMP)).isEqualTo(1);
    }

    @Test
    void newTimeoutsApplyToExistingSessionsFromTheirNextRefresh() {
        Live f = new Live(List.of(udp(T4 + "/32", 2000, 2999)), List.of(), S);
        f.send(v6(X6, Y4).udp(40000, 53).build());
        long created = f.now;
        Nat64Settings longer = new Nat64Settings(600, 7440, 240, 60, 10, false, false, false, false, 0b1011, 1024);
        f.now += 10 * SEC;
        f.reconfigure(List.of(udp(T4 + "/32", 2000, 2999)), List.of(), longer);
        assertThat(f.mapper.sessions(IpProto.UDP).get(0).expires()).isEqualTo(created + 300 * SEC); // as promised
        f.now += 10 * SEC;
        f.send(v6(X6, Y4).udp(40000, 53).build());
        assertThat(f.mapper.sessions(IpProto.UDP).get(0).expires()).isEqualTo(f.now + 600 * SEC); // refreshed: new
        f.send(v6(Z6, Y4).udp(40000, 53).build()); // a new session: the new timeout
        assertThat(f.mapper.sessions(IpProto.UDP)).allMatch(s -> s.expires() == f.now + 600 * SEC);
        f.now += 599 * SEC;
        assertThat(f.mapper.expire(f.now)).isZero();
        f.now += SEC;
        assertThat(f.mapper.expire(f.now)).isEqualTo(2);
    }

    @Test
    void removingAStaticEntryEndsItsSessionsAndCountsThem() {
        StaticBib fwd = staticBib(IpProto.UDP, Z6, 8080, T4, 2080);
        Live f = new Live(List.of(udp(T4 + "/32", 2000, 2999)), List.of(fwd), S);
        assertThat(f.send(v4(Y4, T4).udp(5000, 2080).build())).isEqualTo(Verdict.EMIT); // published service
        assertThat(dst6(f.only())).isEqualTo(Z6);
        f.send(v6(X6, Y4).udp(40000, 53).build()); // a dynamic session, untouched
        f.reconfigure(List.of(udp(T4 + "/32", 2000, 2999)), List.of(fwd), S); // same statics: nothing ends
        assertThat(f.mapper.sessionsEndedWhenBuilt()).isZero();
        f.reconfigure(List.of(udp(T4 + "/32", 2000, 2999)), List.of(), S);
        assertThat(f.mapper.sessionsEndedWhenBuilt()).isEqualTo(1);
        assertThat(f.mapper.bib(IpProto.UDP)).noneMatch(Nat64Mapper.Bib::staticEntry);
        assertThat(f.mapper.sessionCount(IpProto.UDP)).isEqualTo(1);
        assertThat(f.send(v4(Y4, T4).udp(5000, 2080).build())).isEqualTo(Verdict.ICMP_ERROR);
        assertThat(f.counters.get(Counter.DROP_NAT64_NO_BIB)).isEqualTo(1);
        f.reconfigure(List.of(udp(T4 + "/32", 2000, 2999)), List.of(fwd), S); // back at once: no 120 s rest for it
        assertThat(f.send(v4(Y4, T4).udp(5000, 2080).build())).isEqualTo(Verdict.EMIT);
    }

    @Test
    void aStaticEntryForALiveDynamicMappingMakesItStaticAndAClashChangesNothing() {
        Live f = new Live(List.of(udp(T4 + "/32", 2000, 2999)), List.of(), S);
        f.send(v6(X6, Y4).udp(40000, 53).build());
        int port = srcPort(f.only());
        f.send(v6(Z6, Y4).udp(40000, 53).build());
        int zPort = srcPort(f.only());
        Set<String> before = bibs(f.mapper, IpProto.UDP);
        Nat64Mapper running = f.mapper;
        StaticBib clash = staticBib(IpProto.UDP, "2001:db8::99", 1, T4, port); // X's port for another host
        assertThatThrownBy(() -> Nat64Mapper.reconfigured(running, POOL6, true, List.of(udp(T4 + "/32", 2000, 2999)),
                List.of(clash), S, 1, f.now)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("in use by the dynamic BIB entry of " + X6 + "#40000");
        int free = port == 2000 || zPort == 2000 ? (port == 2001 || zPort == 2001 ? 2002 : 2001) : 2000;
        assertThatThrownBy(() -> Nat64Mapper.reconfigured(running, POOL6, true, List.of(udp("203.0.113.0/30", 2000, 2999)),
                List.of(staticBib(IpProto.UDP, X6, 40000, T4, free)), S, 1, f.now))
                .hasMessageContaining("IPv6 transport address is bound to " + T4 + "#" + port);
        assertThat(bibs(running, IpProto.UDP)).isEqualTo(before); // nothing changed, not even the pool4 numbering
        assertThat(running.explicit4(Ipv4.parse("203.0.113.3"))).isFalse();
        f.reconfigure(List.of(udp(T4 + "/32", 2000, 2999)), List.of(staticBib(IpProto.UDP, X6, 40000, T4, port)), S);
        assertThat(f.mapper.sessionsEndedWhenBuilt()).isZero();
        assertThat(f.mapper.bib(IpProto.UDP)).filteredOn(b -> b.port4() == port).singleElement()
                .matches(Nat64Mapper.Bib::staticEntry);
        f.now += 301 * SEC;
        f.mapper.expire(f.now); // the sessions time out; the entry, static now, stays
        assertThat(f.mapper.bib(IpProto.UDP)).extracting(Nat64Mapper.Bib::port4).containsExactly(port);
    }

    @Test
    void noPortIsHandedOutTwiceAfterASwapWhetherTheOldOrTheNewMapperAllocates() {
        Live f = new Live(List.of(udp(T4 + "/32", 2000, 2063)), List.of(), S);
        for (int i = 0; i < 40; i++) assertThat(f.send(v6(host(i), Y4).udp(40000, 53).build())).isEqualTo(Verdict.EMIT);
        Set<String> first = bibs(f.mapper, IpProto.UDP);
        Nat64Mapper old = f.reconfigure(List.of(udp(T4 + "/32", 2000, 2063), udp(T4B + "/32", 2000, 2063)), List.of(), S);
        IpTranslator oldWorker = translator(old, new Counters()); // a worker that has not switched yet
        int emitted = 0;
        for (int i = 40; i < 200; i++) {
            Translator t = (i & 1) == 0 ? oldWorker : f.translator;
            if (f.send(t, v6(host(i), Y4).udp(40000, 53).build()) == Verdict.EMIT) emitted++;
        }
        assertThat(emitted).isEqualTo(128 - 40); // exactly the free pairs: none reused
        List<Nat64Mapper.Bib> bib = f.mapper.bib(IpProto.UDP);
        assertThat(bib).hasSize(128);
        assertThat(bib.stream().map(b -> b.v4() + "#" + b.port4()).distinct().count()).isEqualTo(128);
        assertThat(bibs(f.mapper, IpProto.UDP)).containsAll(first);
    }

    @Test
    void aPool6ChangeStartsEmptyTablesAndSaysWhy() {
        Live f = new Live(List.of(udp(T4 + "/32", 2000, 2999)), List.of(), S);
        f.send(v6(X6, Y4).udp(40000, 53).build());
        Nat64Mapper old = f.reconfigure(Rfc6052.parse("64:ff9b:1::/96"), List.of(udp(T4 + "/32", 2000, 2999)), List.of(), S);
        assertThat(f.mapper.sharesTablesWith(old)).isFalse();
        assertThat(f.mapper.rebuildReason()).contains("pool6");
        assertThat(f.mapper.sessionsEndedWhenBuilt()).isEqualTo(1);
        assertThat(f.mapper.sessionsEndedByReconfiguration()).isEqualTo(1);
        assertThat(f.mapper.sessionCount(IpProto.UDP)).isZero();
        Nat64Mapper again = f.reconfigure(Rfc6052.parse("64:ff9b:1::/96"), List.of(udp(T4 + "/32", 2000, 2999)), List.of(),
                S.withMaxSessions(2048));
        assertThat(f.mapper.sharesTablesWith(again)).isFalse();
        assertThat(f.mapper.rebuildReason()).contains("max-sessions");
    }

    @Test
    void anInvalidPool4ChangesNothing() {
        Live f = new Live(List.of(udp(T4 + "/32", 2000, 2999)), List.of(), S);
        f.send(v6(X6, Y4).udp(40000, 53).build());
        Nat64Mapper running = f.mapper;
        assertThatThrownBy(() -> Nat64Mapper.reconfigured(running, POOL6, true,
                List.of(udp(T4 + "/32", 2000, 2999), udp("203.0.113.0/30", 2500, 2600)), List.of(), S, 1, f.now))
                .hasMessageContaining("overlap");
        assertThat(running.sessionCount(IpProto.UDP)).isEqualTo(1);
        assertThat(f.send(v6(X6, Y4).udp(40000, 53).build())).isEqualTo(Verdict.EMIT);
    }
}
