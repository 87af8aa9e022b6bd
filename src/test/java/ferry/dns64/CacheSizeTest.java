package ferry.dns64;

import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;

import static ferry.dns64.Dns.msg;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The cache is bounded in bytes (issue 5 point 7): accounting, eviction, and the cache-size setting. */
class CacheSizeTest {
    @Test
    void theCacheNeverCostsMoreBytesThanItsSizeWhileManyNamesPassThrough() throws Exception {
        FakeUpstream up = new FakeUpstream();
        int size = 8 << 10;
        try (Dns64Server s = new Dns64Server(Dns.settings("64:ff9b::/96").withUdpThreads(1).withCacheSize(size), up, new Dns64Counters())) {
            for (int i = 0; i < 300; i++) {
                String n = "host-" + i + ".example";
                up.on(n, Type.A, msg(0, n + ". 300 IN A 192.0.2." + (i % 250 + 1)));
                byte[] q = Dns.query(n, Type.A, i, 1232, false, false);
                s.answer(q, q.length, true);
                assertThat(s.cacheBytes()).isLessThanOrEqualTo(size);
            }
            // each answer costs ~250 bytes with the overhead: the cache keeps some dozens, never all 300
            assertThat(s.cacheEntries()).isBetween(10, 40);
            assertThat(s.counters().get(Dns64Counter.CACHE_EVICTED)).isGreaterThan(250);
            // what is kept is served from the cache
            byte[] q = Dns.query("host-299.example", Type.A, 1, null, false, false);
            long hits = s.counters().get(Dns64Counter.CACHE_HIT);
            s.answer(q, q.length, true);
            assertThat(s.counters().get(Dns64Counter.CACHE_HIT)).isEqualTo(hits + 1);
        }
    }

    @Test
    void anEntryCostsItsAnswerItsNameItsTtlOffsetsAndAFixedOverhead() {
        Dns64Counters c = new Dns64Counters();
        AnswerCache cache = new AnswerCache(1 << 20, c);
        byte[] name = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
        AnswerCache.Key k = new AnswerCache.Key(name, Type.A, 1, 0);
        cache.put(k, new byte[100], new int[] {30, 60}, 60, 0);
        long one = 100 + 2 * 4 + name.length + AnswerCache.ENTRY_OVERHEAD;
        assertThat(cache.bytes()).isEqualTo(one);
        cache.put(new AnswerCache.Key(name.clone(), Type.A, 1, 0), new byte[100], new int[] {30, 60}, 60, 0);
        assertThat(cache.size()).isEqualTo(1);
        assertThat(cache.bytes()).as("a replaced entry is not counted twice").isEqualTo(one);
        assertThat(cache.get(k, 61_000_000_000L)).as("expired").isNull();
        assertThat(cache.bytes()).isZero();
    }

    @Test
    void aProbeKeyFindsTheEntryWhateverTheSpellingOfTheName() {
        AnswerCache cache = new AnswerCache(1 << 20, new Dns64Counters());
        byte[] q = Dns.query("Www.EXAMPLE", Type.AAAA, 1, null, false, false);
        byte[] lower = Dns.query("www.example", Type.AAAA, 1, null, false, false);
        int nameEnd = Wire.parseQuery(lower, lower.length).qnameEnd;
        cache.put(AnswerCache.Key.ofRaw(lower, nameEnd, Type.AAAA, 1, false, false), new byte[40], new int[0], 60, 0);
        AnswerCache.Key probe = AnswerCache.Key.probe();
        assertThat(cache.get(probe.setRaw(q, nameEnd, Type.AAAA, 1, false, false), 0)).isNotNull();
        assertThat(cache.get(probe.setRaw(q, nameEnd, Type.AAAA, 1, true, false), 0)).as("DO is part of the key").isNull();
        assertThat(cache.get(probe.setRaw(q, nameEnd, Type.A, 1, false, false), 0)).as("so is the type").isNull();
    }

    @Test
    void anAnswerLargerThanTheWholeCacheIsNotKept() {
        Dns64Counters c = new Dns64Counters();
        AnswerCache cache = new AnswerCache(300, c);
        cache.put(new AnswerCache.Key(new byte[] {1, 'x', 0}, 1, 1, 0), new byte[200], new int[0], 60, 0);
        assertThat(cache.size()).isZero();
        assertThat(cache.bytes()).isZero();
        assertThat(c.get(Dns64Counter.CACHE_EVICTED)).isEqualTo(1);
    }

    @Test
    void sizesTakeKMAndGSuffixes() {
        assertThat(Dns64Settings.parseSize("--cache-size", "16m")).isEqualTo(16 << 20);
        assertThat(Dns64Settings.parseSize("--cache-size", "64K")).isEqualTo(64 << 10);
        assertThat(Dns64Settings.parseSize("--cache-size", "1g")).isEqualTo(1 << 30);
        assertThat(Dns64Settings.parseSize("--cache-size", "4MB")).isEqualTo(4 << 20);
        assertThat(Dns64Settings.parseSize("--cache-size", "12345")).isEqualTo(12345);
        assertThat(Dns64Settings.parseSize("--cache-size", "0")).isZero();
        assertThatThrownBy(() -> Dns64Settings.parseSize("--cache-size", "2g")).hasMessageContaining("--cache-size").hasMessageContaining("'2g'");
        assertThatThrownBy(() -> Dns64Settings.parseSize("--cache-size", "lots")).hasMessageContaining("--cache-size").hasMessageContaining("'lots'");
        assertThatThrownBy(() -> Dns64Settings.parseSize("--cache-size", "-1m")).hasMessageContaining("'-1m'");
    }

    @Test
    void aBadCacheSizeOrMetricsAddressOnTheCommandLineExitsWith2AndNamesIt() {
        StringBuilder e1 = new StringBuilder(), e2 = new StringBuilder();
        assertThat(Dns64CommandTest.runCapturingErr(e1, "dns64", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:53",
                "--cache-size", "12x")).isEqualTo(2);
        assertThat(e1).contains("--cache-size").contains("12x");
        assertThat(Dns64CommandTest.runCapturingErr(e2, "dns64", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:53",
                "--metrics", "192.0.2.1:9464")).isEqualTo(2);
        assertThat(e2).contains("--metrics").contains("192.0.2.1:9464").contains("loopback");
    }

    @Test
    void theConfigFilesCacheSizeIsBytesAndTakesASuffix() throws Exception {
        var c = ferry.config.ConfigParser.parse("{\"dns64\": {\"upstream\": [\"192.0.2.53\"], \"cache-size\": \"32m\"}}", "t.json");
        assertThat(Dns64Settings.fromConfig(c.dns64(), true).cacheSize()).isEqualTo(32 << 20);
        var d = ferry.config.ConfigParser.parse("{\"dns64\": {\"upstream\": [\"192.0.2.53\"]}}", "t.json");
        assertThat(Dns64Settings.fromConfig(d.dns64(), true).cacheSize()).isEqualTo(Dns64Settings.DEFAULT_CACHE_BYTES);
        assertThatThrownBy(() -> ferry.config.ConfigParser.parse("{\"dns64\": {\"upstream\": [\"192.0.2.53\"], \"cache-size\": \"big\"}}", "t.json"))
                .hasMessageContaining("dns64.cache-size").hasMessageContaining("big");
    }
}
