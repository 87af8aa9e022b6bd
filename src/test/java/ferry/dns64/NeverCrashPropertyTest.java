package ferry.dns64;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * "Nothing crashes the server": random bytes and randomly damaged real queries always give either no answer or a
 * well-formed DNS response with the query's ID, and never an internal error.
 */
class NeverCrashPropertyTest {
    static Dns64Server server;

    @BeforeContainer
    static void start() throws Exception {
        Upstream instant = (name, type, dclass, dnssecOk, cd, deadline) -> Dns.msg(Rcode.NOERROR,
                "AUTH example. 60 IN SOA ns.example. h.example. 1 1 1 1 60");
        server = new Dns64Server(Dns.settings("64:ff9b::/96").withUdpThreads(1), instant, new Dns64Counters());
    }

    @AfterContainer
    static void stop() {
        server.close();
        assertThat(server.counters().get(Dns64Counter.INTERNAL_ERROR)).isZero();
    }

    static void check(byte[] q) {
        byte[] r = server.answer(q, q.length, true);
        if (r.length == 0) return;
        assertThat(r.length).isGreaterThanOrEqualTo(12);
        assertThat(r[0]).isEqualTo(q[0]);
        assertThat(r[1]).isEqualTo(q[1]);
        assertThat(r[2] & 0x80).as("QR").isNotZero();
    }

    @Property(tries = 2000)
    void randomBytesNeverCrash(@ForAll("bytes") byte[] q) {
        check(q);
    }

    @Property(tries = 2000)
    void damagedQueriesNeverCrash(@ForAll("queries") byte[] base, @ForAll("edits") List<int[]> edits) {
        byte[] q = base.clone();
        for (int[] e : edits) q[Math.floorMod(e[0], q.length)] = (byte) e[1];
        check(q);
    }

    @Provide
    Arbitrary<byte[]> bytes() {
        return Arbitraries.bytes().array(byte[].class).ofMinSize(0).ofMaxSize(600);
    }

    @Provide
    Arbitrary<byte[]> queries() {
        return Arbitraries.of(
                Dns.query("a.example", Type.AAAA, 1, null, false, false),
                Dns.query("b.example", Type.A, 2, 1232, true, false),
                Dns.query("1.0.2.0.0.0.0.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.b.9.f.f.4.6.0.0.ip6.arpa", Type.PTR, 3, 4096, false, true),
                Dns.query("ipv4only.arpa", Type.AAAA, 4, 1232, false, false));
    }

    @Provide
    Arbitrary<List<int[]>> edits() {
        return Arbitraries.integers().between(0, 10_000).array(int[].class).ofSize(2).list().ofMinSize(1).ofMaxSize(6);
    }
}
