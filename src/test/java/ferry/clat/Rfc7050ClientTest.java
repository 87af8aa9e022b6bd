package ferry.clat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ferry.addr.Rfc6052;
import ferry.metrics.Counter;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;

/** RFC 7050 over real DNS messages: dnsjava client against a fake resolver on the loopback. */
class Rfc7050ClientTest {
    static final Name WKN = Name.fromConstantString("ipv4only.arpa.");

    static Message reply(Message q, int rcode, long ttl, String... aaaa) {
        Message r = new Message();
        r.getHeader().setRcode(rcode);
        r.addRecord(q.getQuestion(), Section.QUESTION);
        for (String a : aaaa) {
            try {
                r.addRecord(new AAAARecord(WKN, DClass.IN, ttl, InetAddress.getByName(a)), Section.ANSWER);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
        return r;
    }

    /**
     * A client of {@code dns} with a 2 s budget per query: the fake resolver answers from a thread of this JVM, which a
     * loaded machine can delay past 500 ms (the silent-resolver test still ends well within its 5 s bound).
     */
    static Rfc7050Client client(FakeDns dns) {
        return new Rfc7050Client(List.of(dns.address()), Duration.ofSeconds(2));
    }

    @Test
    void aSynthesizedAnswerGivesTheAddressesAndTheSmallestTtl() throws Exception {
        try (FakeDns dns = new FakeDns(q -> {
            Message r = reply(q, Rcode.NOERROR, 600, "2001:db8:122:344:c0:0:aa00:0");
            try {
                r.addRecord(new AAAARecord(WKN, DClass.IN, 300, InetAddress.getByName("2001:db8:122:344:c0:0:ab00:0")),
                        Section.ANSWER);
                r.addRecord(new ARecord(WKN, DClass.IN, 5, InetAddress.getByName("192.0.0.170")), Section.ANSWER);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            return r;
        })) {
            Rfc7050Client.Answer a = client(dns).query();
            assertThat(a.ttlSeconds()).as("A records do not count").isEqualTo(300);
            assertThat(Rfc7050.prefixes(a.aaaa())).containsExactly(Rfc6052.parse("2001:db8:122:344::/64"));
        }
    }

    @Test
    void nxdomainAndNodataAreEmptyAnswersAndServfailIsAFailure() throws Exception {
        try (FakeDns nx = new FakeDns(q -> reply(q, Rcode.NXDOMAIN, 0));
             FakeDns nodata = new FakeDns(q -> reply(q, Rcode.NOERROR, 0));
             FakeDns fail = new FakeDns(q -> reply(q, Rcode.SERVFAIL, 0))) {
            assertThat(client(nx).query().aaaa()).isEmpty();
            assertThat(client(nodata).query().aaaa()).isEmpty();
            assertThatThrownBy(() -> client(fail).query()).isInstanceOf(IOException.class).hasMessageContaining("SERVFAIL");
        }
    }

    @Test
    void aSilentResolverIsAFailureAfterTheTimeout() throws Exception {
        try (FakeDns silent = new FakeDns(q -> null)) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> client(silent).query()).isInstanceOf(IOException.class);
            assertThat(System.nanoTime() - t0).isLessThan(5_000_000_000L);
        }
    }

    @Test
    void discoveryLearnsFromDnsReQueriesBeforeTheTtlAndIgnoresAnswersWithoutWka() throws Exception {
        String[] answer = {"2001:db8:dd::c000:aa"};
        try (FakeDns dns = new FakeDns(q -> reply(q, Rcode.NOERROR, 100, answer))) {
            AtomicLong now = new AtomicLong(1_000_000);
            List<String> log = new ArrayList<>();
            PlatPrefixHolder holder = PlatPrefixSelector.initialHolder(null);
            PlatPrefixSelector sel = new PlatPrefixSelector(null, holder, log::add);
            PlatDiscovery d = new PlatDiscovery(sel, client(dns), null, now::get, log::add);
            long delay = d.queryOnce();
            assertThat(holder.get()).isEqualTo(new PlatPrefix(Rfc6052.parse("2001:db8:dd::/96"), PlatSource.RFC7050_DNS,
                    1_100_000));
            assertThat(delay).as("80 % of the 100 s TTL").isEqualTo(80_000);
            // the DNS64 stops synthesizing a WKA: the answer is ignored, the prefix lives out its TTL
            answer[0] = "2001:db8::1";
            now.addAndGet(80_000);
            assertThat(d.queryOnce()).isEqualTo(PlatDiscovery.NO_PREFIX_REQUERY_MS);
            assertThat(holder.get().source()).isEqualTo(PlatSource.RFC7050_DNS);
            now.addAndGet(20_000);
            sel.tick(now.get());
            assertThat(holder.get()).isEqualTo(PlatPrefix.FALLBACK);
            assertThat(d.counters()).containsEntry(Counter.CLAT_RFC7050_QUERY, 2L)
                    .containsEntry(Counter.CLAT_RFC7050_FOUND, 1L).containsEntry(Counter.CLAT_RFC7050_NO_WKA, 1L)
                    .containsEntry(Counter.CLAT_PREFIX_CHANGED, 2L);
        }
    }

    @Test
    void aFailedQueryIsRetriedSoonAndCounted() throws Exception {
        try (FakeDns silent = new FakeDns(q -> null)) {
            PlatPrefixSelector sel = new PlatPrefixSelector(null, PlatPrefixSelector.initialHolder(null), s -> { });
            List<String> log = new ArrayList<>();
            PlatDiscovery d = new PlatDiscovery(sel, client(silent), null, () -> 0, log::add);
            assertThat(d.queryOnce()).isEqualTo(PlatDiscovery.MIN_REQUERY_MS);
            assertThat(d.queryOnce()).as("backing off").isEqualTo(2 * PlatDiscovery.MIN_REQUERY_MS);
            assertThat(d.counters()).containsEntry(Counter.CLAT_RFC7050_FAILED, 2L);
            assertThat(log).hasSize(1).first().asString().contains("ipv4only.arpa query", "failed (1 in a row)");
        }
    }

    @Test
    void retriesBackOffTo5Minutes() {
        assertThat(PlatDiscovery.retryDelay(1)).isEqualTo(10_000);
        assertThat(PlatDiscovery.retryDelay(2)).isEqualTo(20_000);
        assertThat(PlatDiscovery.retryDelay(5)).isEqualTo(160_000);
        assertThat(PlatDiscovery.retryDelay(6)).isEqualTo(300_000);
        assertThat(PlatDiscovery.retryDelay(1000)).isEqualTo(300_000);
    }

    @Test
    void requeryDelaysStayWithinBounds() {
        assertThat(PlatDiscovery.requeryDelay(false, 1)).isEqualTo(PlatDiscovery.MIN_REQUERY_MS);
        assertThat(PlatDiscovery.requeryDelay(false, 3600)).isEqualTo(2_880_000);
        assertThat(PlatDiscovery.requeryDelay(false, 10_000_000)).isEqualTo(PlatDiscovery.MAX_REQUERY_MS);
        assertThat(PlatDiscovery.requeryDelay(true, 3600)).isEqualTo(PlatDiscovery.NO_PREFIX_REQUERY_MS);
    }
}
