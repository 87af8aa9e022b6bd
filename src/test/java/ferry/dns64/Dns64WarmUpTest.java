package ferry.dns64;

import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The start-up warm-up of the miss path ({@link Dns64WarmUp}). */
class Dns64WarmUpTest {
    /** Settings on a loopback port whose upstream is a port nobody answers: the real server must never need it. */
    private static Dns64Settings settings(DatagramSocket deadUpstream, String prefix, int warmUp) {
        return Dns64Settings.of(List.of(new InetSocketAddress("127.0.0.1", 0)),
                        List.of((InetSocketAddress) deadUpstream.getLocalSocketAddress()),
                        List.of(Dns64Settings.PrefixRule.parse(prefix)))
                .withUdpThreads(1).withWarmUp(warmUp);
    }

    @Test
    void theWarmUpResolvesEveryNameTwiceThroughAThrowawayServerAndLeavesTheRealOneUntouched() throws Exception {
        try (DatagramSocket dead = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
             Dns64Server server = Dns64Server.start(settings(dead, "64:ff9b::/96", 400))) {
            Dns64WarmUp.Result r = server.warmUp().get(2, TimeUnit.MINUTES);
            assertThat(r.skipped()).isNull();
            assertThat(r.names()).isEqualTo(400);
            assertThat(r.answered()).isEqualTo(800); // each name: a miss, then a hit
            assertThat(r.cacheHits()).as("the second query of each name is a hit").isGreaterThanOrEqualTo(400);
            // kinds s and c (half the names) with AAAA questions get synthesized answers: 192.0.2.x is global
            assertThat(r.synthesized()).as("synthesized answers").isGreaterThan(100);
            // the real server's counters and cache saw none of it, and it never asked its upstream
            assertThat(server.counters().get(Dns64Counter.QUERIES_UDP)).isZero();
            assertThat(server.counters().get(Dns64Counter.UPSTREAM_QUERIES)).isZero();
            assertThat(server.cacheEntries()).isZero();
        }
    }

    @Test
    void theWarmUpSynthesizesWithinTheFirstPrefixsIpv4Range() throws Exception {
        try (DatagramSocket dead = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
             Dns64Server server = Dns64Server.start(settings(dead, "2001:db8:64::/96=198.51.100.0/30", 40))) {
            Dns64WarmUp.Result r = server.warmUp().get(2, TimeUnit.MINUTES);
            assertThat(r.names()).isEqualTo(40);
            assertThat(r.synthesized()).as("answers synthesized under a prefix limited to 198.51.100.0/30").isPositive();
        }
        Dns64Settings s;
        try (DatagramSocket d = new DatagramSocket(0)) {
            s = settings(d, "2001:db8:64::/96=198.51.100.0/30", 1);
        }
        for (int k = 0; k < 10; k++)
            assertThat(s.prefixes().get(0).ipv4().get(0).contains(Dns64WarmUp.sampleAddress(s, k))).as("address %d", k).isTrue();
    }

    @Test
    void closingTheServerStopsALongWarmUp() throws Exception {
        try (DatagramSocket dead = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            Dns64Server server = Dns64Server.start(settings(dead, "64:ff9b::/96", 1_000_000));
            Thread.sleep(300);
            long t0 = System.nanoTime();
            server.close();
            Dns64WarmUp.Result r = server.warmUp().get(10, TimeUnit.SECONDS);
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0)).as("seconds to close").isLessThan(8);
            assertThat(r.names()).isLessThan(1_000_000);
            assertThat(r.skipped()).isIn("the server closed", "not run");
        }
    }

    @Test
    void aWarmUpOfZeroIsOff() throws Exception {
        try (DatagramSocket dead = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
             Dns64Server server = Dns64Server.start(settings(dead, "64:ff9b::/96", 0))) {
            assertThat(server.warmUp()).isDone();
            assertThat(server.warmUp().get().skipped()).isEqualTo("off");
            assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName).doesNotContain("dns64-warm-up");
        }
    }

    @Test
    void theWarmUpAuthorityAnswersEachKindOfName() {
        Dns64Settings s;
        try (DatagramSocket d = new DatagramSocket(0)) {
            s = settings(d, "64:ff9b::/96", 1);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        // s<n>: A only (AAAA: NODATA with the SOA)
        Message sA = ask(s, "s4", Type.A), sAaaa = ask(s, "s4", Type.AAAA);
        assertThat(sA.getSection(Section.ANSWER)).singleElement().isInstanceOf(ARecord.class)
                .extracting(r -> ((ARecord) r).getAddress().getHostAddress()).isEqualTo("192.0.2.4");
        assertThat(sAaaa.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(sAaaa.getSection(Section.ANSWER)).isEmpty();
        assertThat(sAaaa.getSection(Section.AUTHORITY)).singleElement().isInstanceOf(SOARecord.class);
        // r<n>: a real AAAA in 2001:db8::/32
        assertThat(ask(s, "r1", Type.AAAA).getSection(Section.ANSWER)).singleElement()
                .extracting(r -> ((org.xbill.DNS.AAAARecord) r).getAddress().getHostAddress()).isEqualTo("2001:db8:0:0:0:0:0:1");
        // n<n>: NXDOMAIN
        assertThat(ask(s, "n2", Type.AAAA).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        // c<n>: a CNAME to s<n>, with its A for an A question
        List<Record> cA = ask(s, "c3", Type.A).getSection(Section.ANSWER);
        assertThat(cA).hasSize(2);
        assertThat(cA.get(0)).isInstanceOf(CNAMERecord.class);
        assertThat(((CNAMERecord) cA.get(0)).getTarget().toString()).isEqualTo("s3.warm-up.invalid.");
        assertThat(cA.get(1).getName().toString()).isEqualTo("s3.warm-up.invalid.");
        // and every name the warm-up asks is in its zone
        for (int i = 0; i < 8; i++) assertThat(Dns64WarmUp.nameOf(i).subdomain(Dns64WarmUp.ZONE)).isTrue();
    }

    private static Message ask(Dns64Settings s, String label, int type) {
        Message q = Message.newQuery(Record.newRecord(Dns64Resolver.name(label + ".warm-up.invalid."), type, DClass.IN));
        return Dns64WarmUp.answer(q, s);
    }

    @Test
    void warmUpQueriesAreWellFormedAndAlternateKindsTypesAndEdns() throws Exception {
        int aaaa = 0, edns = 0;
        for (int i = 0; i < 60; i++) {
            Message m = new Message(Dns64WarmUp.query(i));
            assertThat(m.getQuestion().getName()).isEqualTo(Dns64WarmUp.nameOf(i));
            if (m.getQuestion().getType() == Type.AAAA) aaaa++;
            if (m.getOPT() != null) edns++;
        }
        assertThat(aaaa).isBetween(40, 55);
        assertThat(edns).isBetween(30, 50);
    }
}
