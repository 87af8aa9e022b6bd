package ferry.dns64;

import ferry.sys.ThreadNice;

import org.junit.jupiter.api.Test;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static ferry.dns64.Dns.msg;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * worker-nice: misses (and the A queries sent beside them) run on platform threads at the configured nice value, as
 * the kernel reports it for the thread that asks the upstream; 0 leaves them on virtual threads.
 */
class WorkerNiceTest {
    static final String SOA = "AUTH example. 3600 IN SOA ns.example. host.example. 1 3600 600 86400 300";

    /** What the upstream saw of the thread that asked it. */
    record Caller(String query, boolean virtual, String thread, int nice) {
    }

    /** A {@link FakeUpstream} that records each calling thread and its nice value (/proc, field 19). */
    static final class Recording implements Upstream {
        final FakeUpstream answers = new FakeUpstream().on("a-only.example", Type.AAAA, msg(0, SOA))
                .on("a-only.example", Type.A, msg(0, "a-only.example. 300 IN A 192.0.2.1"));
        final List<Caller> callers = new CopyOnWriteArrayList<>();

        @Override
        public Message query(Name name, int type, int dclass, boolean dnssecOk, boolean cd, long deadline) {
            int nice;
            try {
                nice = ThreadNice.of(ThreadNice.tid());
            } catch (java.io.IOException e) {
                nice = Integer.MIN_VALUE;
            }
            callers.add(new Caller(Type.string(type), Thread.currentThread().isVirtual(), Thread.currentThread().getName(), nice));
            return answers.query(name, type, dclass, dnssecOk, cd, deadline);
        }
    }

    static int baseNice() throws Exception {
        int tid = ThreadNice.tid();
        assumeTrue(tid > 0, "no gettid in libc (not Linux): nothing to test");
        return ThreadNice.of(tid);
    }

    /** One query over UDP to {@code s}: a miss, resolved on a worker. */
    static void askOverUdp(Dns64Server s) throws Exception {
        try (DatagramChannel ch = DatagramChannel.open()) {
            ch.connect(s.addresses().get(0));
            ch.write(ByteBuffer.wrap(Dns.query("a-only.example", Type.AAAA, 9, 1232, false, false)));
            ByteBuffer in = ByteBuffer.allocate(4096);
            ch.read(in);
            Message m = Dns.parse(java.util.Arrays.copyOf(in.array(), in.position()));
            assertThat(Dns.answers(m)).containsExactly("a-only.example. 300 AAAA 64:ff9b::c000:201");
        }
    }

    @Test
    void aMissAndItsParallelAQueryRunOnPlatformThreadsAtTheConfiguredNice() throws Exception {
        int base = baseNice();
        assumeTrue(base < 19, "this JVM runs at nice " + base + ": no higher value to set");
        int want = Math.min(19, base + 4);
        Recording up = new Recording();
        try (Dns64Server s = new Dns64Server(Dns.settings("64:ff9b::/96").withUdpThreads(1).withParallelQueries(true)
                .withWorkerNice(want), up, new Dns64Counters())) {
            askOverUdp(s);
        }
        assertThat(up.callers).extracting(Caller::query).containsExactlyInAnyOrder("AAAA", "A");
        for (Caller c : up.callers) {
            assertThat(c.virtual()).as(c.toString()).isFalse();
            assertThat(c.nice()).as(c.toString()).isEqualTo(want);
            assertThat(c.thread()).as(c.toString()).startsWith("dns64-");
        }
        assertThat(ThreadNice.of(ThreadNice.tid())).as("the test thread keeps its nice value").isEqualTo(base);
    }

    @Test
    void workerNiceZeroLeavesMissesOnVirtualThreads() throws Exception {
        baseNice();
        Recording up = new Recording();
        try (Dns64Server s = new Dns64Server(Dns.settings("64:ff9b::/96").withUdpThreads(1).withWorkerNice(0), up,
                new Dns64Counters())) {
            askOverUdp(s);
        }
        assertThat(up.callers).hasSize(2).allSatisfy(c -> assertThat(c.virtual()).as(c.toString()).isTrue());
    }

    @Test
    void aNiceTheSystemRefusesIsReportedOnceAndTheWorkStillRuns() throws Exception {
        List<String> warnings = new CopyOnWriteArrayList<>();
        Consumer<String> was = Workers.warn;
        Workers.warn = warnings::add;
        Workers.resetWarnedForTests();
        // 25 is no nice value Linux has: ThreadNice refuses it as setpriority would refuse a forbidden one
        ExecutorService e = Workers.executor("test-worker", 25);
        try {
            CountDownLatch ran = new CountDownLatch(3);
            for (int i = 0; i < 3; i++) {
                e.execute(() -> {
                    ran.countDown();
                });
            }
            assertThat(ran.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(warnings).hasSize(1);
            assertThat(warnings.get(0)).contains("worker-nice 25");
        } finally {
            e.shutdownNow();
            Workers.warn = was;
        }
    }
}
