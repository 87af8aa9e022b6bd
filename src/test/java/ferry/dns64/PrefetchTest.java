package ferry.dns64;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.util.ArrayList;
import java.util.List;

import static ferry.dns64.Dns.msg;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Prefetch (BIND's {@code prefetch 2 9}, unbound's {@code prefetch: yes}): a hit on an answer with at most TRIGGER
 * seconds of TTL left, cached with a TTL of at least ELIGIBILITY seconds, refreshes it in the background once, and is
 * itself answered from the cache. Real time, short TTLs (4 s answers, trigger 2 s, eligibility 3 s): each test runs
 * a client asking one name every 100 ms for a few seconds.
 */
class PrefetchTest {
    static final String SOA = "AUTH example. 3600 IN SOA ns.example. host.example. 1 3600 600 86400 300";
    static final String NAME = "p.example";
    static final String SYNTH = "p.example. 4 IN AAAA 64:ff9b::c000:201";

    final FakeUpstream up = new FakeUpstream();
    final List<Dns64Server> servers = new ArrayList<>();

    /** An upstream with NODATA for AAAA and one A record of {@code ttl} seconds: the answer is synthesized. */
    void upstreamWithTtl(int ttl) {
        up.on(NAME, Type.AAAA, msg(Rcode.NOERROR, SOA));
        up.on(NAME, Type.A, msg(Rcode.NOERROR, NAME + ". " + ttl + " IN A 192.0.2.1"));
    }

    Dns64Server server(int trigger, int minTtl) throws Exception {
        Dns64Server s = new Dns64Server(Dns.settings("64:ff9b::/96").withUdpThreads(1).withPrefetch(trigger, minTtl), up,
                new Dns64Counters());
        servers.add(s);
        return s;
    }

    @AfterEach
    void close() {
        servers.forEach(Dns64Server::close);
    }

    /** One answer the client got, {@code atMs} after the first query was sent. */
    record Got(long atMs, int rcode, int ttl, List<String> answers) {
    }

    /** Asks {@link #NAME} AAAA every 100 ms for {@code ms} milliseconds. */
    static List<Got> steady(Dns64Server s, long ms) throws InterruptedException {
        List<Got> got = new ArrayList<>();
        long start = System.nanoTime();
        for (int id = 1; ; id++) {
            long at = (System.nanoTime() - start) / 1_000_000;
            if (at >= ms) return got;
            byte[] q = Dns.query(NAME, Type.AAAA, id, 1232, false, false);
            Message m = Dns.parse(s.answer(q, q.length, true));
            List<Record> rs = m.getSection(Section.ANSWER);
            got.add(new Got(at, m.getRcode(), rs.isEmpty() ? -1 : (int) rs.get(0).getTTL(), Dns.answers(m)));
            long next = start + id * 100_000_000L;
            long sleep = next - System.nanoTime();
            if (sleep > 0) Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
        }
    }

    /** Waits up to 2 s for the background refreshes to have asked the upstream {@code n} A queries. */
    void awaitACalls(int n) throws InterruptedException {
        for (int i = 0; i < 200 && up.calls(NAME, Type.A) < n; i++) Thread.sleep(10);
    }

    @Test
    void aNameAskedSteadilyIsRefreshedBeforeItExpiresAndNeverMissesAgain() throws Exception {
        upstreamWithTtl(4);
        Dns64Server s = server(2, 3);
        List<Got> got = steady(s, 5_500);

        // one miss (the first query); the entry stored at 0 s is refreshed at ~2 s, that one at ~4 s
        assertThat(s.counters().get(Dns64Counter.CACHE_MISS)).isEqualTo(1);
        assertThat(s.counters().get(Dns64Counter.CACHE_PREFETCH)).isEqualTo(2);
        assertThat(s.counters().get(Dns64Counter.CACHE_PREFETCH_FAILED)).isZero();
        assertThat(s.counters().get(Dns64Counter.CACHE_HIT)).isEqualTo(got.size() - 1);
        assertThat(up.calls(NAME, Type.A)).isEqualTo(3);
        // every answer synthesized, from the cache within its TTL: never stale (TTL 0 or below), never above 4 s
        assertThat(got).allSatisfy(g -> {
            assertThat(g.rcode()).isEqualTo(Rcode.NOERROR);
            assertThat(g.answers()).hasSize(1).first().asString().contains("64:ff9b::c000:201");
            assertThat(g.ttl()).isBetween(1, 4);
        });
        // TTLs go down as the entry ages and back up to the full 4 s only when a refresh replaced it
        int refreshed = 0;
        for (int i = 1; i < got.size(); i++) {
            if (got.get(i).ttl() > got.get(i - 1).ttl()) {
                refreshed++;
                assertThat(got.get(i).ttl()).as("TTL after a refresh at %d ms", got.get(i).atMs()).isGreaterThanOrEqualTo(3);
            }
        }
        assertThat(refreshed).isEqualTo(2);
        assertThat(got).anySatisfy(g -> assertThat(g.ttl()).isEqualTo(2)); // the window was reached and hit
    }

    @Test
    void aSlowRefreshIsStartedOnceHowEverManyHitsComeWhileItRuns() throws Exception {
        upstreamWithTtl(4);
        up.delay(NAME, Type.A, 700);
        Dns64Server s = server(2, 3);
        // the first miss takes 0.7 s; the refresh starts at ~2 s and takes 0.7 s, hit ~7 times meanwhile
        List<Got> got = steady(s, 3_000);
        awaitACalls(2);
        assertThat(s.counters().get(Dns64Counter.CACHE_PREFETCH)).isEqualTo(1);
        assertThat(up.calls(NAME, Type.A)).isEqualTo(2);
        assertThat(s.counters().get(Dns64Counter.CACHE_MISS)).isEqualTo(1);
        // the hits during the refresh were answered from the cache at once, not after the upstream's 0.7 s
        assertThat(got.stream().filter(g -> g.atMs() >= 2_000 && g.atMs() < 2_700)).hasSizeGreaterThanOrEqualTo(5);
    }

    @Test
    void hitsBeforeTheTriggerWindowStartNoRefresh() throws Exception {
        upstreamWithTtl(4);
        Dns64Server s = server(2, 3);
        List<Got> got = steady(s, 1_800);
        Thread.sleep(300); // a refresh started by the last hit would have asked by now
        assertThat(got).hasSizeGreaterThan(10);
        assertThat(s.counters().get(Dns64Counter.CACHE_PREFETCH)).isZero();
        assertThat(up.calls(NAME, Type.A)).isEqualTo(1);
    }

    @Test
    void answersWithATtlBelowTheEligibilityAreNotPrefetchedAndExpire() throws Exception {
        upstreamWithTtl(2); // 2 s < eligibility 3 s: in its trigger window from the start, yet never prefetched
        Dns64Server s = server(2, 3);
        List<Got> got = steady(s, 2_600);
        assertThat(s.counters().get(Dns64Counter.CACHE_PREFETCH)).isZero();
        assertThat(s.counters().get(Dns64Counter.CACHE_MISS)).isEqualTo(2); // the first query and the one at expiry
        assertThat(up.calls(NAME, Type.A)).isEqualTo(2);
        assertThat(got).allSatisfy(g -> assertThat(g.rcode()).isEqualTo(Rcode.NOERROR));
    }

    @Test
    void withPrefetchOffAnAnswerExpiresAndTheNextQueryMisses() throws Exception {
        upstreamWithTtl(4);
        Dns64Server s = server(0, 0);
        List<Got> got = steady(s, 4_500);
        assertThat(s.settings().prefetch()).isFalse();
        assertThat(s.counters().get(Dns64Counter.CACHE_PREFETCH)).isZero();
        assertThat(s.counters().get(Dns64Counter.CACHE_MISS)).isEqualTo(2);
        assertThat(up.calls(NAME, Type.A)).isEqualTo(2);
        // the entry aged to TTL 1 before it expired (no refresh put it back up to 4 early)
        assertThat(got).anySatisfy(g -> assertThat(g.ttl()).isEqualTo(1));
    }

    @Test
    void anUpstreamFailureDuringThePrefetchLeavesTheCachedAnswerToExpireNormally() throws Exception {
        upstreamWithTtl(4);
        Dns64Server s = server(2, 3);
        List<Got> before = steady(s, 1_500);
        // from now on the upstream fails: the refresh at ~2 s gets SERVFAIL for both questions, nothing is cached
        up.on(NAME, Type.AAAA, msg(Rcode.SERVFAIL));
        up.on(NAME, Type.A, msg(Rcode.SERVFAIL));
        List<Got> after = steady(s, 3_000); // until ~4.5 s after the answer was cached: past its expiry at 4 s
        assertThat(s.counters().get(Dns64Counter.CACHE_PREFETCH)).isEqualTo(1);
        assertThat(s.counters().get(Dns64Counter.CACHE_PREFETCH_FAILED)).isEqualTo(1);
        // the cached answer served on, its TTL running down to 1; then it expired and the next query missed
        assertThat(before).allSatisfy(g -> assertThat(g.rcode()).isEqualTo(Rcode.NOERROR));
        List<Got> cached = after.stream().filter(g -> g.rcode() == Rcode.NOERROR).toList();
        List<Got> failed = after.stream().filter(g -> g.rcode() == Rcode.SERVFAIL).toList();
        assertThat(cached).isNotEmpty().allSatisfy(g -> assertThat(g.answers()).hasSize(1));
        assertThat(cached).anySatisfy(g -> assertThat(g.ttl()).isEqualTo(1));
        assertThat(failed).isNotEmpty();
        assertThat(cached.getLast().atMs()).isLessThan(failed.getFirst().atMs()); // no answer after the failures began
        assertThat(s.counters().get(Dns64Counter.CACHE_MISS)).isEqualTo(1 + failed.size());
    }

    @Test
    void prefetchSettingsAreParsedAndCheckedWithTheOptionAndValueNamed() {
        assertThat(Dns64Settings.parsePrefetch("--prefetch", "2:9")).containsExactly(2, 9);
        assertThat(Dns64Settings.parsePrefetch("--prefetch", "off")).containsExactly(0, 0);
        assertThat(Dns64Settings.parsePrefetch("--prefetch", "0")).containsExactly(0, 0);
        for (String bad : new String[] {"2", "x:9", "2:2", "3:1", "-1:9", "5000:9000", "2:100000", ""}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Dns64Settings.parsePrefetch("--prefetch", bad))
                    .as(bad).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--prefetch")
                    .hasMessageContaining("'" + bad + "'");
        }
        Dns64Settings d = Dns.settings("64:ff9b::/96");
        assertThat(d.prefetchTrigger()).isEqualTo(2);
        assertThat(d.prefetchMinTtl()).isEqualTo(9);
        assertThat(d.prefetch()).isTrue();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> d.withPrefetch(5, 5))
                .hasMessageContaining("dns64.prefetch").hasMessageContaining("5");
    }
}
