package ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.dns64.Dns64Server;
import ferry.dns64.Dns64Settings;
import ferry.dns64.TestAuthority;
import ferry.metrics.MetricsEndpoint;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * The DNS64 series of {@code ferry run}'s metrics endpoint for an instance with a "dns64" section (issue 5): the
 * same names as {@code ferry dns64 --metrics}, queries by type and answers by rcode included, each labelled with
 * the instance, read from the server in use at scrape time.
 */
class MetricsDns64Test {
    static int ask(DatagramSocket c, InetSocketAddress to, String name, int type, int id) throws Exception {
        Message q = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
        q.getHeader().setID(id);
        byte[] b = q.toWire();
        c.send(new DatagramPacket(b, b.length, to));
        DatagramPacket p = new DatagramPacket(new byte[4096], 4096);
        c.receive(p);
        return new Message(java.util.Arrays.copyOf(p.getData(), p.getLength())).getRcode();
    }

    static double sample(String text, String series) {
        return text.lines().filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(l.split(" ")[1]))
                .findFirst().orElseThrow(() -> new AssertionError("no sample " + series + " in\n" + text));
    }

    @Test
    void queriesByTypeAndAnswersByRcodeAreExportedPerInstanceLikeFerryDns64Does() throws Exception {
        AtomicReference<Dns64Server> current = new AtomicReference<>();
        MetricsEndpoint.Builder b = MetricsEndpoint.builder().instance("edge").counters(java.util.Map::of);
        Metrics.dns64(b, current::get, l -> { });
        try (TestAuthority auth = TestAuthority.startDefault();
             Dns64Server s = Dns64Server.start(Dns64Settings.of(List.of(new InetSocketAddress("127.0.0.1", 0)),
                     auth.addresses(), List.of(Dns64Settings.PrefixRule.parse("64:ff9b::/96"))).withUdpThreads(1));
             MetricsEndpoint e = b.start(MetricsEndpoint.loopback("127.0.0.1:0"));
             DatagramSocket c = new DatagramSocket()) {
            c.setSoTimeout(5000);
            String text = ferry.testkit.Prometheus.scrape(e.port());
            assertThat(sample(text, "ferry_dns64_queries_total{instance=\"edge\",type=\"AAAA\"}"))
                    .as("no server yet").isZero();
            current.set(s);
            InetSocketAddress to = s.addresses().get(0);
            assertThat(ask(c, to, "a-only.dns64.example.", Type.AAAA, 1)).isEqualTo(Rcode.NOERROR);
            assertThat(ask(c, to, "a-only.dns64.example.", Type.AAAA, 2)).isEqualTo(Rcode.NOERROR);
            assertThat(ask(c, to, "both.dns64.example.", Type.A, 3)).isEqualTo(Rcode.NOERROR);
            assertThat(ask(c, to, "nothing-here.dns64.example.", Type.A, 4)).isEqualTo(Rcode.NXDOMAIN);
            assertThat(ask(c, to, "1.2.0.192.in-addr.arpa.", Type.PTR, 5)).isEqualTo(Rcode.NOERROR);
            // the answer is counted just after it is sent: wait for the last one (bounded)
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (s.counters().answersByRcode().values().stream().mapToLong(Long::longValue).sum() < 5
                    && System.nanoTime() < deadline) Thread.sleep(1);
            text = ferry.testkit.Prometheus.scrape(e.port());
            assertThat(sample(text, "ferry_dns64_queries_total{instance=\"edge\",type=\"AAAA\"}")).isEqualTo(2);
            assertThat(sample(text, "ferry_dns64_queries_total{instance=\"edge\",type=\"A\"}")).isEqualTo(2);
            assertThat(sample(text, "ferry_dns64_queries_total{instance=\"edge\",type=\"PTR\"}")).isEqualTo(1);
            assertThat(sample(text, "ferry_dns64_queries_total{instance=\"edge\",type=\"other\"}")).isZero();
            assertThat(sample(text, "ferry_dns64_answers_total{instance=\"edge\",rcode=\"NOERROR\"}")).isEqualTo(4);
            assertThat(sample(text, "ferry_dns64_answers_total{instance=\"edge\",rcode=\"NXDOMAIN\"}")).isEqualTo(1);
            assertThat(sample(text, "ferry_dns64_answers_total{instance=\"edge\",rcode=\"SERVFAIL\"}")).isZero();
            assertThat(sample(text, "ferry_dns64_answers_total{instance=\"edge\",rcode=\"BADVERS\"}")).isZero();
            // the unlabelled counters are still there, and agree
            assertThat(sample(text, "ferry_dns64_queries_udp_total{instance=\"edge\"}")).isEqualTo(5);
            current.set(null); // the instance's DNS64 stopped (reconfigured away): 0, not the old server's values
            text = ferry.testkit.Prometheus.scrape(e.port());
            assertThat(sample(text, "ferry_dns64_queries_total{instance=\"edge\",type=\"AAAA\"}")).isZero();
        }
    }
}
