package ferry.dns64;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static ferry.dns64.Dns.msg;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cache-hit fast path (raw bytes, no dnsjava) against the slow path (dnsjava, resolver): for every name, type
 * and client flag combination the answer served from the cache is byte for byte the answer the slow path gives the
 * same query, although the cache was filled by a different query (other ID, spelling, RD, EDNS and buffer size).
 */
class FastPathTest {
    static final String SOA = "AUTH example. 3600 IN SOA ns.example. host.example. 1 3600 600 86400 300";
    static final List<String> NAMES = List.of("a-only.example", "real.example", "both.example", "mapped.example",
            "mixed.example", "nx.example", "nodata.example", "cname.example", "many.example", "ipv4only.arpa",
            "ptr");
    static final String PTR_NAME = // 64:ff9b::c000:201 (192.0.2.1) under the WKP
            "1.0.2.0.0.0.0.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.b.9.f.f.4.6.0.0.ip6.arpa";

    static FakeUpstream up;
    static Dns64Server slow;
    static Dns64Settings settings;

    @BeforeContainer
    static void start() throws Exception {
        up = new FakeUpstream();
        for (String n : List.of("a-only", "real", "both", "mapped", "mixed", "nx", "nodata", "cname", "target", "many"))
            up.on(n + ".example", Type.TXT, msg(0, n + ".example. 300 IN TXT \"" + n + "\""));
        up.on("a-only.example", Type.AAAA, msg(0, SOA)).on("a-only.example", Type.A,
                msg(0, "a-only.example. 300 IN A 192.0.2.1", "a-only.example. 300 IN A 198.51.100.7"));
        up.on("real.example", Type.AAAA, msg(0, "real.example. 120 IN AAAA 2001:db8::1", "ADD ns.example. 3600 IN A 192.0.2.53"))
                .on("real.example", Type.A, msg(0, SOA));
        up.on("both.example", Type.AAAA, msg(0, "both.example. 200 IN AAAA 2001:db8::2"))
                .on("both.example", Type.A, msg(0, "both.example. 200 IN A 203.0.113.2"));
        up.on("mapped.example", Type.AAAA, msg(0, "mapped.example. 200 IN AAAA ::ffff:192.0.2.9"))
                .on("mapped.example", Type.A, msg(0, "mapped.example. 100 IN A 192.0.2.9"));
        up.on("mixed.example", Type.AAAA, msg(0, "mixed.example. 200 IN AAAA ::ffff:192.0.2.9", "mixed.example. 200 IN AAAA 2001:db8::9"))
                .on("mixed.example", Type.A, msg(0, "mixed.example. 100 IN A 192.0.2.9"));
        up.on("nx.example", Type.AAAA, msg(3, SOA)).on("nx.example", Type.A, msg(3, SOA));
        up.on("nodata.example", Type.AAAA, msg(0, SOA)).on("nodata.example", Type.A, msg(0, SOA));
        up.on("cname.example", Type.AAAA, msg(0, "cname.example. 300 IN CNAME target.example.", SOA))
                .on("cname.example", Type.A, msg(0, "cname.example. 300 IN CNAME target.example.", "target.example. 60 IN A 192.0.2.33"));
        String[] as = new String[40];
        for (int i = 0; i < 40; i++) as[i] = "many.example. 300 IN A 203.0.113." + (i + 1);
        up.on("many.example", Type.AAAA, msg(0, SOA)).on("many.example", Type.A, msg(0, as));
        up.on(PTR_NAME, Type.PTR, msg(0, SOA));
        up.on("1.2.0.192.in-addr.arpa", Type.PTR, msg(0, "1.2.0.192.in-addr.arpa. 300 IN PTR host.example."));
        settings = Dns.settings("64:ff9b::/96").withUdpThreads(1);
        slow = new Dns64Server(settings.withCacheSize(0), up, new Dns64Counters()); // no cache: always the slow path
    }

    @AfterContainer
    static void stop() {
        slow.close();
    }

    /** A server with an empty cache (each try starts fresh, so no TTL has aged when the answers are compared). */
    static Dns64Server fresh() throws Exception {
        return new Dns64Server(settings, up, new Dns64Counters());
    }

    /** One client's query: everything the answer may depend on. */
    record Variant(int id, boolean rd, Integer payload, long caseSeed) {}

    @Provide
    Arbitrary<Variant> variants() {
        Arbitrary<Integer> payload = Arbitraries.of(0, 511, 512, 1232, 4096, 65535).injectNull(0.3);
        return net.jqwik.api.Combinators.combine(Arbitraries.integers().between(0, 65535), Arbitraries.of(true, false),
                payload, Arbitraries.longs()).as(Variant::new);
    }

    @Provide
    Arbitrary<String> names() {
        return Arbitraries.of(NAMES);
    }

    @Provide
    Arbitrary<Integer> types() {
        return Arbitraries.of(Type.AAAA, Type.A, Type.TXT);
    }

    static byte[] query(String name, int type, boolean dnssecOk, boolean cd, Variant v) {
        String n = name.equals("ptr") ? PTR_NAME : name;
        int t = name.equals("ptr") ? Type.PTR : type;
        byte[] b = Dns.query(n, t, v.id(), v.payload(), dnssecOk && v.payload() != null, cd);
        if (!v.rd()) b[2] &= (byte) ~0x01;
        Random r = new Random(v.caseSeed());
        for (int i = Wire.HEADER; b[i] != 0; i += (b[i] & 0xff) + 1) // random upper case in the name (0x20 style)
            for (int j = i + 1; j <= i + (b[i] & 0xff); j++)
                if (b[j] >= 'a' && b[j] <= 'z' && r.nextBoolean()) b[j] -= 32;
        return b;
    }

    @Property(tries = 300)
    void aCacheHitIsByteForByteWhatTheSlowPathAnswers(@ForAll("names") String name, @ForAll("types") int type,
                                                        @ForAll boolean dnssecOk, @ForAll boolean cd,
                                                        @ForAll("variants") Variant filler, @ForAll("variants") Variant asker)
            throws Exception {
        byte[] fill = query(name, type, dnssecOk, cd, filler);
        byte[] ask = query(name, type, dnssecOk, cd, asker);
        // DO travels in the OPT record: without EDNS both queries have DO clear, so make them agree on it
        boolean doFill = dnssecOk && filler.payload() != null, doAsk = dnssecOk && asker.payload() != null;
        if (doFill != doAsk) fill = query(name, type, doAsk, cd, new Variant(filler.id(), filler.rd(), doAsk ? 1232 : null, filler.caseSeed()));
        try (Dns64Server fast = fresh()) {
            fast.answer(fill, fill.length, true); // a miss: the slow path fills the cache
            assertThat(fast.counters().get(Dns64Counter.CACHE_HIT)).isZero();
            byte[] fromCache = fast.answer(ask, ask.length, true);
            assertThat(fast.counters().get(Dns64Counter.CACHE_HIT)).as("served from the cache").isEqualTo(1);
            byte[] fromSlowPath = slow.answer(ask, ask.length, true);
            assertThat(fromCache).as("%s %s DO=%s CD=%s %s", name, Type.string(type), dnssecOk, cd, asker)
                    .isEqualTo(fromSlowPath);
        }
    }

    @Property(tries = 50)
    void overTcpACacheHitIsWhatTheSlowPathAnswers(@ForAll("names") String name, @ForAll("types") int type,
                                                  @ForAll("variants") Variant asker) throws Exception {
        byte[] ask = query(name, type, false, false, asker);
        try (Dns64Server fast = fresh()) {
            fast.answer(ask, ask.length, false);
            byte[] fromCache = fast.answer(ask, ask.length, false);
            assertThat(fast.counters().get(Dns64Counter.CACHE_HIT)).isEqualTo(1);
            assertThat(fromCache).isEqualTo(slow.answer(ask, ask.length, false));
        }
    }

    @net.jqwik.api.Example
    void everyTtlIsLoweredByTheSecondsSpentInTheCacheAndNoneGoesBelowZero() throws Exception {
        FakeUpstream u = new FakeUpstream();
        u.on("t.example", Type.AAAA, msg(0, "AUTH example. 5 IN SOA ns.example. host.example. 1 3600 600 86400 300"))
                .on("t.example", Type.A, msg(0, "t.example. 60 IN CNAME u.example.", "u.example. 40 IN A 192.0.2.1",
                        "AUTH example. 3600 IN NS ns.example.", "ADD ns.example. 1 IN A 192.0.2.53"));
        try (Dns64Server s = new Dns64Server(Dns.settings("64:ff9b::/96").withUdpThreads(1), u, new Dns64Counters())) {
            byte[] q = Dns.query("t.example", Type.AAAA, 1, 1232, false, false);
            long t0 = System.nanoTime();
            Message first = Dns.parse(s.answer(q, q.length, true));
            long stored = System.nanoTime();
            Thread.sleep(2100); // time must pass for the TTLs to shrink
            long asked = System.nanoTime();
            Message later = Dns.parse(s.answer(q, q.length, true));
            long t1 = System.nanoTime();
            // the cache ages in whole seconds since it stored the entry; on a loaded machine the second question can come
            // well after the pause, so the age is bounded by the time measured around both questions, not fixed at 2-3 s
            long minAge = (asked - stored) / 1_000_000_000L, maxAge = (t1 - t0) / 1_000_000_000L;
            assertThat(maxAge).as("the 5 s entry was still alive (%d s passed)", maxAge).isLessThan(5);
            assertThat(s.counters().get(Dns64Counter.CACHE_HIT)).isEqualTo(1);
            List<Long> before = ttls(first), after = ttls(later);
            // SOA of the AAAA answer caps the synthesized TTL at 5 (RFC 6147 §5.1.7): the entry lives 5 s
            assertThat(before).containsExactly(60L, 5L, 3600L, 1L);
            long age = before.get(0) - after.get(0);
            assertThat(age).isBetween(minAge, maxAge).isGreaterThanOrEqualTo(2);
            List<Long> expected = new ArrayList<>();
            for (long t : before) expected.add(Math.max(0, t - age));
            assertThat(after).containsExactlyElementsOf(expected);
            assertThat(after.get(3)).isZero(); // the 1 s additional record: 0, not a wrapped-around huge TTL
        }
    }

    static List<Long> ttls(Message m) {
        List<Long> out = new ArrayList<>();
        for (int s : new int[] {Section.ANSWER, Section.AUTHORITY, Section.ADDITIONAL})
            for (Record r : m.getSection(s)) if (r.getType() != Type.OPT) out.add(r.getTTL());
        return out;
    }
}
