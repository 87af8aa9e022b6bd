package ferry.dns64;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

import static ferry.dns64.Dns.n;
import static org.assertj.core.api.Assertions.assertThat;

/** Issue point 6 against real sockets: IDs, answer checks (RFC 5452), failover, retries, TCP on TC, in-flight bound. */
class UpstreamClientTest {
    final Dns64Counters counters = new Dns64Counters();
    final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open) c.close();
    }

    /**
     * A deadline {@code ms} from now. The tests that expect an answer give the in-process servers seconds, not a few
     * hundred milliseconds, to send it: their threads can be delayed that long on a loaded machine. A silent
     * server's timeout is 1 s where the test waits one out.
     */
    static long in(long ms) {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    }

    /** A UDP "server" on 127.0.0.1 that hands each query to {@code reply} and sends back what it returns (0..n datagrams). */
    InetSocketAddress scripted(BiFunction<Message, Integer, List<byte[]>> reply) throws Exception {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), 0));
        open.add(s);
        Thread.ofVirtual().start(() -> {
            int n = 0;
            byte[] buf = new byte[4096];
            while (!s.isClosed()) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    s.receive(p);
                    Message q = Dns.parse(java.util.Arrays.copyOf(buf, p.getLength()));
                    for (byte[] r : reply.apply(q, n++)) s.send(new DatagramPacket(r, r.length, p.getSocketAddress()));
                } catch (Exception e) {
                    return;
                }
            }
        });
        return (InetSocketAddress) s.getLocalSocketAddress();
    }

    static byte[] answer(Message q, int id, String qname, String... records) {
        Message r = Dns.msg(0, records);
        r.getHeader().setID(id);
        r.getHeader().setFlag(org.xbill.DNS.Flags.QR);
        r.addRecord(org.xbill.DNS.Record.newRecord(n(qname), q.getQuestion().getType(), DClass.IN), Section.QUESTION);
        return r.toWire();
    }

    TestAuthority authority() throws Exception {
        TestAuthority t = TestAuthority.startDefault();
        open.add(t);
        return t;
    }

    @Test
    void aUdpAnswerLargerThanThePayloadWeAdvertisedIsAskedAgainOverTcp() throws Exception {
        String[] many = new String[100]; // ~1.7 KB: more than our 1232 bytes
        for (int i = 0; i < many.length; i++) many[i] = "big.example. 60 IN A 198.51.100." + (i + 1);
        InetSocketAddress s = scripted((q, n) -> List.of(answer(q, q.getHeader().getID(), "big.example.", many)));
        assertThat(answer(Dns.parse(Dns.query("big.example", Type.A, 0, null, false, false)), 0, "big.example.", many).length)
                .isGreaterThan(Wire.OUR_PAYLOAD);
        java.net.ServerSocket tcp = new java.net.ServerSocket();
        open.add(tcp);
        tcp.bind(s); // the same address and port, over TCP
        Thread.ofVirtual().start(() -> {
            try (java.net.Socket c = tcp.accept()) {
                var in = new java.io.DataInputStream(c.getInputStream());
                byte[] qb = new byte[in.readUnsignedShort()];
                in.readFully(qb);
                Message q = Dns.parse(qb);
                byte[] r = answer(q, q.getHeader().getID(), "big.example.", many);
                var out = new java.io.DataOutputStream(c.getOutputStream());
                out.writeShort(r.length);
                out.write(r);
                out.flush();
            } catch (Exception e) {
                // the test fails on the missing answer
            }
        });
        UpstreamClient c = new UpstreamClient(List.of(s), 1000, 0, 16, counters);
        Message m = c.query(n("big.example"), Type.A, DClass.IN, false, false, in(2000));
        assertThat(Dns.answers(m)).hasSize(100);
        assertThat(counters.get(Dns64Counter.UPSTREAM_TCP_RETRY)).isEqualTo(1);
        assertThat(counters.get(Dns64Counter.UPSTREAM_BAD_REPLY)).isZero();
    }

    @Test
    void queryIdsAreRandom() throws Exception {
        List<Integer> ids = new ArrayList<>();
        InetSocketAddress s = scripted((q, n) -> {
            synchronized (ids) { ids.add(q.getHeader().getID()); }
            return List.of(answer(q, q.getHeader().getID(), q.getQuestion().getName().toString(), "x.example. 60 IN A 192.0.2.1"));
        });
        UpstreamClient c = new UpstreamClient(List.of(s), 3000, 0, 16, counters);
        for (int i = 0; i < 32; i++) assertThat(c.query(n("x.example"), Type.A, DClass.IN, false, false, in(5000))).isNotNull();
        Set<Integer> distinct = new HashSet<>(ids);
        assertThat(distinct.size()).as("32 draws from 65536 rarely collide").isGreaterThanOrEqualTo(30);
        int sequential = 0;
        for (int i = 1; i < ids.size(); i++) if (ids.get(i) == ids.get(i - 1) + 1) sequential++;
        assertThat(sequential).isLessThan(3);
    }

    @Test
    void answersWithTheWrongIdOrQuestionAreIgnoredAndTheRightOneIsTaken() throws Exception {
        InetSocketAddress s = scripted((q, n) -> {
            int id = q.getHeader().getID();
            return List.of(answer(q, (id + 1) & 0xffff, "x.example.", "x.example. 60 IN A 192.0.2.66"),     // wrong ID
                    answer(q, id, "other.example.", "other.example. 60 IN A 192.0.2.77"),                   // wrong question
                    answer(q, id, "x.example.", "x.example. 60 IN A 192.0.2.1"));
        });
        UpstreamClient c = new UpstreamClient(List.of(s), 3000, 0, 16, counters);
        Message m = c.query(n("x.example"), Type.A, DClass.IN, false, false, in(5000));
        assertThat(Dns.answers(m)).containsExactly("x.example. 60 A 192.0.2.1");
        assertThat(counters.get(Dns64Counter.UPSTREAM_BAD_REPLY)).isEqualTo(2);
    }

    @Test
    void aSilentUpstreamTimesOutAndTheNextOneAnswers() throws Exception {
        InetSocketAddress silent = scripted((q, n) -> List.of());
        TestAuthority t = authority();
        UpstreamClient c = new UpstreamClient(List.of(silent, t.addresses().get(1)), 1000, 0, 16, counters);
        Message m = c.query(n("a-only.dns64.example"), Type.A, DClass.IN, false, false, in(5000));
        assertThat(Dns.answers(m)).containsExactly("a-only.dns64.example. 3600 A 192.0.2.1");
        assertThat(counters.get(Dns64Counter.UPSTREAM_TIMEOUT)).isEqualTo(1);
    }

    @Test
    void aRetryRoundAsksAgainAfterATimeout() throws Exception {
        InetSocketAddress flaky = scripted((q, n) -> n == 0 ? List.of()
                : List.of(answer(q, q.getHeader().getID(), "x.example.", "x.example. 60 IN A 192.0.2.1")));
        UpstreamClient c = new UpstreamClient(List.of(flaky), 1000, 1, 16, counters);
        assertThat(Dns.answers(c.query(n("x.example"), Type.A, DClass.IN, false, false, in(5000)))).hasSize(1);
        assertThat(counters.get(Dns64Counter.UPSTREAM_QUERIES)).isEqualTo(2);
    }

    @Test
    void servfailFromOneUpstreamFailsOverToTheNext() throws Exception {
        InetSocketAddress broken = scripted((q, n) -> {
            Message r = Dns.msg(Rcode.SERVFAIL);
            r.getHeader().setID(q.getHeader().getID());
            r.getHeader().setFlag(org.xbill.DNS.Flags.QR);
            r.addRecord(q.getQuestion(), Section.QUESTION);
            return List.of(r.toWire());
        });
        TestAuthority t = authority();
        UpstreamClient c = new UpstreamClient(List.of(broken, t.addresses().get(0)), 3000, 2, 16, counters);
        Message m = c.query(n("a-only.dns64.example"), Type.A, DClass.IN, false, false, in(5000));
        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(counters.get(Dns64Counter.UPSTREAM_ERROR_RCODE)).isEqualTo(1);
    }

    @Test
    void aTruncatedAnswerIsAskedAgainOverTcp() throws Exception {
        TestAuthority t = authority();
        UpstreamClient c = new UpstreamClient(List.of(t.addresses().get(0)), 3000, 0, 16, counters);
        Message m = c.query(n("many100.dns64.example"), Type.A, DClass.IN, false, false, in(5000));
        assertThat(m.getSection(Section.ANSWER)).hasSize(100);
        assertThat(counters.get(Dns64Counter.UPSTREAM_TCP_RETRY)).isEqualTo(1);
    }

    @Test
    void whenEveryUpstreamFailsTheAnswerIsNullWithinTheDeadline() throws Exception {
        InetSocketAddress a = scripted((q, n) -> List.of()), b = scripted((q, n) -> List.of());
        // 50 retries over two silent servers would take 15 s without the deadline: an upper bound of 3 s still catches a
        // client that ignores it, and leaves a loaded machine room (800 ms, with 5 retries, was within 300 ms of the end)
        UpstreamClient c = new UpstreamClient(List.of(a, b), 150, 50, 16, counters);
        long t0 = System.nanoTime();
        assertThat(c.query(n("x.example"), Type.A, DClass.IN, false, false, in(500))).isNull();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isBetween(400L, 3000L);
        assertThat(counters.get(Dns64Counter.UPSTREAM_FAILURE)).isEqualTo(1);
    }

    @Test
    void theNumberOfQueriesInFlightIsBounded() throws Exception {
        InetSocketAddress silent = scripted((q, n) -> List.of());
        // The first query holds the only slot for 2 s. Wait until it has really sent its query (it counts it while
        // holding the slot) instead of sleeping 100 ms and hoping the other thread got there first.
        UpstreamClient c = new UpstreamClient(List.of(silent), 2000, 0, 1, counters);
        CompletableFuture<Message> first = CompletableFuture.supplyAsync(() -> c.query(n("x.example"), Type.A, DClass.IN, false, false, in(2000)));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (counters.get(Dns64Counter.UPSTREAM_QUERIES) == 0 && System.nanoTime() < deadline) Thread.sleep(1);
        assertThat(counters.get(Dns64Counter.UPSTREAM_QUERIES)).as("the first query is in flight").isEqualTo(1);
        assertThat(c.query(n("y.example"), Type.A, DClass.IN, false, false, in(100))).isNull();
        assertThat(counters.get(Dns64Counter.UPSTREAM_INFLIGHT_LIMIT)).isEqualTo(1);
        assertThat(first.get()).isNull();
        assertThat(counters.get(Dns64Counter.UPSTREAM_QUERIES)).isEqualTo(1);
    }
}
