package ferry.dns64;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

import static ferry.dns64.Dns.msg;
import static org.assertj.core.api.Assertions.assertThat;

/** The server around the resolver: EDNS0 and sizes (issue point 5), the cache (point 7), TCP (RFC 7766). */
class ServerTest {
    static final String SOA = "AUTH example. 3600 IN SOA ns.example. host.example. 1 3600 600 86400 300";
    final FakeUpstream up = new FakeUpstream();
    final List<Dns64Server> servers = new ArrayList<>();

    Dns64Server server(Dns64Settings s) throws Exception {
        Dns64Server srv = new Dns64Server(s.withUdpThreads(1), up, new Dns64Counters());
        servers.add(srv);
        return srv;
    }

    Dns64Server server() throws Exception {
        return server(Dns.settings("64:ff9b::/96"));
    }

    @AfterEach
    void close() {
        servers.forEach(Dns64Server::close);
    }

    static Message ask(Dns64Server s, byte[] q, boolean udp) {
        return Dns.parse(s.answer(q, q.length, udp));
    }

    FakeUpstream forty() {
        String[] as = new String[40];
        for (int i = 0; i < 40; i++) as[i] = "many.example. 300 IN A 203.0.113." + (i + 1);
        return up.on("many.example", Type.AAAA, msg(0, SOA)).on("many.example", Type.A, msg(0, as));
    }

    @Nested
    class Edns {
        @Test
        void noOptInTheAnswerWhenTheQueryHadNone() throws Exception {
            up.on("x.example", Type.A, msg(0, "x.example. 60 IN A 192.0.2.1"));
            Message r = ask(server(), Dns.query("x.example", Type.A, 7, null, false, false), true);
            assertThat(r.getOPT()).isNull();
            assertThat(r.getHeader().getCount(Section.ADDITIONAL)).isZero();
            assertThat(r.getHeader().getID()).isEqualTo(7);
            assertThat(r.getHeader().getFlag(Flags.RD)).isTrue();
            assertThat(r.getHeader().getFlag(Flags.RA)).isTrue();
        }

        @Test
        void anOptWithVersion0AndTheDoBitCopiedWhenTheQueryHadOne() throws Exception {
            up.on("x.example", Type.A, msg(0, "x.example. 60 IN A 192.0.2.1"));
            Message r = ask(server(), Dns.query("x.example", Type.A, 7, 4096, true, false), true);
            OPTRecord opt = r.getOPT();
            assertThat(opt).isNotNull();
            assertThat(opt.getVersion()).isZero();
            assertThat(opt.getPayloadSize()).isEqualTo(1232);
            assertThat(opt.getFlags() & ExtendedFlags.DO).isNotZero();
        }

        @Test
        void withoutEdnsAnAnswerOver512BytesIsTruncatedOverUdp() throws Exception {
            forty();
            byte[] raw = server().answer(Dns.query("many.example", Type.AAAA, 1, null, false, false), 
                    Dns.query("many.example", Type.AAAA, 1, null, false, false).length, true);
            assertThat(raw.length).isLessThanOrEqualTo(512);
            Message r = Dns.parse(raw);
            assertThat(r.getHeader().getFlag(Flags.TC)).isTrue();
            assertThat(r.getQuestion().getName()).isEqualTo(Dns.n("many.example"));
        }

        @Test
        void theClientsBufferSizeIsHonoured() throws Exception {
            forty();
            Dns64Server s = server();
            Message big = ask(s, Dns.query("many.example", Type.AAAA, 1, 4096, false, false), true);
            assertThat(big.getHeader().getFlag(Flags.TC)).isFalse();
            assertThat(big.getSection(Section.ANSWER)).hasSize(40);
            byte[] q = Dns.query("many.example", Type.AAAA, 2, 1000, false, false);
            byte[] small = s.answer(q, q.length, true);
            assertThat(small.length).isLessThanOrEqualTo(1000);
            assertThat(Dns.parse(small).getHeader().getFlag(Flags.TC)).isTrue();
            assertThat(Dns.parse(small).getOPT()).as("OPT kept in a truncated answer").isNotNull();
            byte[] q2 = Dns.query("many.example", Type.AAAA, 3, 100, false, false); // below 512 counts as 512
            assertThat(Dns.parse(s.answer(q2, q2.length, true)).getHeader().getFlag(Flags.TC)).isTrue();
            assertThat(s.counters().get(Dns64Counter.TRUNCATED)).isEqualTo(2);
        }

        @Test
        void overTcpTheFullAnswerIsSentWithoutEdns() throws Exception {
            forty();
            Message r = ask(server(), Dns.query("many.example", Type.AAAA, 1, null, false, false), false);
            assertThat(r.getHeader().getFlag(Flags.TC)).isFalse();
            assertThat(r.getSection(Section.ANSWER)).hasSize(40);
        }

        @Test
        void anEdnsVersionOtherThan0IsAnsweredBadvers() throws Exception {
            Message q = Dns.parse(Dns.query("x.example", Type.A, 9, null, false, false));
            q.addRecord(new OPTRecord(1232, 0, 1, 0), Section.ADDITIONAL);
            Dns64Server s = server();
            Message r = ask(s, q.toWire(), true);
            assertThat(r.getRcode()).isEqualTo(Rcode.BADVERS);
            assertThat(r.getOPT().getVersion()).isZero();
            assertThat(up.calls).isEmpty();
            assertThat(s.counters().get(Dns64Counter.BADVERS)).isEqualTo(1);
        }
    }

    @Nested
    class Cache {
        @Test
        void aPositiveAnswerIsServedFromTheCacheWithTheNewIdAndTheClientsSpelling() throws Exception {
            up.on("x.example", Type.A, msg(0, "x.example. 60 IN A 192.0.2.1"));
            Dns64Server s = server();
            ask(s, Dns.query("x.example", Type.A, 1, null, false, false), true);
            Message r = ask(s, Dns.query("X.ExAmple", Type.A, 2, 1232, false, false), true);
            assertThat(up.calls("x.example", Type.A)).isEqualTo(1);
            assertThat(r.getHeader().getID()).isEqualTo(2);
            assertThat(r.getQuestion().getName().toString()).isEqualTo("X.ExAmple.");
            assertThat(r.getOPT()).isNotNull();
            assertThat(s.counters().get(Dns64Counter.CACHE_HIT)).isEqualTo(1);
        }

        @Test
        void synthesizedAndNegativeAnswersAreCachedToo() throws Exception {
            up.on("s.example", Type.AAAA, msg(0, SOA)).on("s.example", Type.A, msg(0, "s.example. 60 IN A 192.0.2.1"))
              .on("nx.example", Type.AAAA, msg(Rcode.NXDOMAIN, SOA));
            Dns64Server s = server();
            for (int i = 0; i < 3; i++) {
                assertThat(Dns.answers(ask(s, Dns.query("s.example", Type.AAAA, i, null, false, false), true)))
                        .containsExactly("s.example. 60 AAAA 64:ff9b::c000:201");
                assertThat(ask(s, Dns.query("nx.example", Type.AAAA, i, null, false, false), true).getRcode()).isEqualTo(Rcode.NXDOMAIN);
            }
            assertThat(up.calls("s.example", Type.AAAA)).isEqualTo(1);
            assertThat(up.calls("s.example", Type.A)).isEqualTo(1);
            assertThat(up.calls("nx.example", Type.AAAA)).isEqualTo(1);
        }

        @Test
        void servfailIsNotCached() throws Exception {
            Dns64Server s = server(Dns.settings("64:ff9b::/96").withClientBudget(200));
            ask(s, Dns.query("dead.example", Type.A, 1, null, false, false), true);
            Message r = ask(s, Dns.query("dead.example", Type.A, 2, null, false, false), true);
            assertThat(r.getRcode()).isEqualTo(Rcode.SERVFAIL);
            assertThat(up.calls("dead.example", Type.A)).isEqualTo(2);
        }

        @Test
        void ttlsShrinkWithTheTimeSpentInTheCache() throws Exception {
            up.on("x.example", Type.A, msg(0, "x.example. 60 IN A 192.0.2.1"));
            Dns64Server s = server();
            // The cache ages an entry in whole seconds since it was stored. On a loaded machine the second question can
            // come well after the 1.1 s pause, so the expected age is bounded by the time measured around both questions.
            long t0 = System.nanoTime();
            ask(s, Dns.query("x.example", Type.A, 1, null, false, false), true);
            long stored = System.nanoTime();
            Thread.sleep(1100); // time must pass for the TTL to shrink
            long asked = System.nanoTime();
            Message r = ask(s, Dns.query("x.example", Type.A, 2, null, false, false), true);
            long t1 = System.nanoTime();
            long minAge = (asked - stored) / 1_000_000_000L, maxAge = (t1 - t0) / 1_000_000_000L;
            assertThat(minAge).isPositive();
            assertThat(r.getSection(Section.ANSWER).get(0).getTTL()).isBetween(60 - maxAge, 60 - minAge);
        }

        @Test
        void theCacheStaysWithinItsSize() throws Exception {
            Dns64Server s = server(Dns.settings("64:ff9b::/96").withCacheSize(5));
            for (int i = 0; i < 30; i++) {
                up.on("h" + i + ".example", Type.A, msg(0, "h" + i + ".example. 60 IN A 192.0.2.1"));
                ask(s, Dns.query("h" + i + ".example", Type.A, i, null, false, false), true);
                assertThat(s.cachedAnswers()).isLessThanOrEqualTo(5);
            }
            assertThat(s.counters().get(Dns64Counter.CACHE_EVICTED)).isGreaterThan(0);
        }

        @Test
        void identicalQueriesThatMissWhileOneIsResolvedShareItsLookupAndEachGetsItsOwnIdAndSpelling() throws Exception {
            up.on("slow.example", Type.AAAA, msg(0, SOA)).on("slow.example", Type.A, msg(0, "slow.example. 60 IN A 192.0.2.1"))
              .delay("slow.example", Type.A, 300);
            Dns64Server s = server();
            int n = 8;
            List<java.util.concurrent.Future<Message>> answers = new ArrayList<>();
            try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < n; i++) {
                    int id = 100 + i;
                    String spelling = i % 2 == 0 ? "slow.example" : "SLOW.example";
                    answers.add(pool.submit(() -> ask(s, Dns.query(spelling, Type.AAAA, id, i(id) ? 1232 : null, false, false), true)));
                }
                for (int i = 0; i < n; i++) {
                    Message r = answers.get(i).get();
                    assertThat(r.getHeader().getID()).isEqualTo(100 + i);
                    assertThat(r.getQuestion().getName().toString()).isEqualTo(i % 2 == 0 ? "slow.example." : "SLOW.example.");
                    assertThat(r.getOPT() != null).as("an OPT only for the queries that had one").isEqualTo(i(100 + i));
                    // the owner name is a pointer to the question, so it reads in the client's spelling, as on a cache hit
                    assertThat(Dns.answers(r)).containsExactly(r.getQuestion().getName() + " 60 AAAA 64:ff9b::c000:201");
                }
            }
            // the eight arrive within the 300 ms the upstream takes for the A record: one lookup for all of them
            assertThat(up.calls("slow.example", Type.A)).isEqualTo(1);
            assertThat(up.calls("slow.example", Type.AAAA)).isEqualTo(1);
            assertThat(s.counters().get(Dns64Counter.CACHE_MISS)).isEqualTo(n);
            assertThat(s.counters().get(Dns64Counter.CACHE_MISS_SHARED)).isEqualTo(n - 1);
            assertThat(s.counters().get(Dns64Counter.SYNTHESIZED)).isEqualTo(1);
        }

        static boolean i(int id) {
            return id % 3 == 0; // which queries carry EDNS
        }

        @Test
        void theDoAndCdBitsAreDifferentCacheEntries() throws Exception {
            up.on("x.example", Type.AAAA, msg(0, SOA)).on("x.example", Type.A, msg(0, "x.example. 60 IN A 192.0.2.1"));
            Dns64Server s = server();
            assertThat(ask(s, Dns.query("x.example", Type.AAAA, 1, 1232, false, false), true).getSection(Section.ANSWER)).hasSize(1);
            assertThat(ask(s, Dns.query("x.example", Type.AAAA, 2, 1232, true, true), true).getSection(Section.ANSWER)).isEmpty();
        }
    }

    @Nested
    class Tcp {
        @Test
        void pipelinedQueriesAreAnsweredOutOfOrderOnOneConnection() throws Exception {
            up.on("slow.example", Type.A, msg(0, "slow.example. 60 IN A 192.0.2.1")).delay("slow.example", Type.A, 400)
              .on("fast.example", Type.A, msg(0, "fast.example. 60 IN A 192.0.2.2"));
            Dns64Server s = server();
            try (Socket c = new Socket(s.addresses().get(0).getAddress(), s.addresses().get(0).getPort())) {
                c.setSoTimeout(3000);
                OutputStream out = c.getOutputStream();
                byte[] q1 = Dns.query("slow.example", Type.A, 1, null, false, false), q2 = Dns.query("fast.example", Type.A, 2, null, false, false);
                byte[] both = new byte[q1.length + q2.length + 4];
                Wire.put16(both, 0, q1.length);
                System.arraycopy(q1, 0, both, 2, q1.length);
                Wire.put16(both, 2 + q1.length, q2.length);
                System.arraycopy(q2, 0, both, 4 + q1.length, q2.length);
                out.write(both); // both queries in one segment
                DataInputStream in = new DataInputStream(c.getInputStream());
                List<Integer> ids = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    byte[] r = new byte[in.readUnsignedShort()];
                    in.readFully(r);
                    ids.add(Dns.parse(r).getHeader().getID());
                }
                assertThat(ids).containsExactly(2, 1);
            }
            assertThat(s.counters().get(Dns64Counter.QUERIES_TCP)).isEqualTo(2);
        }
    }
}
