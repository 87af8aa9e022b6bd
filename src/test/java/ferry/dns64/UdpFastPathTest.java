package ferry.dns64;

import org.junit.jupiter.api.Test;
import org.xbill.DNS.Message;
import org.xbill.DNS.Type;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static ferry.dns64.Dns.msg;
import static org.assertj.core.api.Assertions.assertThat;

/** The UDP receive loop's cache-hit path, over a real socket: answers, allocation, latency reports. */
class UdpFastPathTest {
    static final String SOA = "AUTH example. 3600 IN SOA ns.example. host.example. 1 3600 600 86400 300";

    static Dns64Server server(FakeUpstream up) throws Exception {
        return new Dns64Server(Dns.settings("64:ff9b::/96").withUdpThreads(1), up, new Dns64Counters());
    }

    static FakeUpstream upstream() {
        return new FakeUpstream().on("a-only.example", Type.AAAA, msg(0, SOA))
                .on("a-only.example", Type.A, msg(0, "a-only.example. 300 IN A 192.0.2.1"));
    }

    /** Sends {@code q} and waits for the answer. */
    static int exchange(DatagramChannel ch, ByteBuffer q, ByteBuffer in) throws Exception {
        q.rewind();
        ch.write(q);
        in.clear();
        ch.read(in);
        return in.position();
    }

    static long allocated(Thread t) {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getThreadAllocatedBytes(t.threadId());
    }

    /**
     * The one receive thread of {@code s} (named after the address it serves): any DNS64 server still alive in this
     * JVM, another test's included, has receive threads of its own, so the name must match this server's address.
     */
    static Thread receiveThread(Dns64Server s) {
        String name = "dns64-udp-" + s.addresses().get(0) + "-";
        List<Thread> ts = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) if (t.getName().startsWith(name)) ts.add(t);
        assertThat(ts).as("threads named %s*", name).hasSize(1);
        return ts.get(0);
    }

    @Test
    void aCacheHitOverUdpAllocatesNothingOnTheReceiveThread() throws Exception {
        try (Dns64Server s = server(upstream()); DatagramChannel ch = DatagramChannel.open()) {
            ch.connect(s.addresses().get(0));
            ByteBuffer q = ByteBuffer.wrap(Dns.query("a-only.example", Type.AAAA, 7, 1232, false, false));
            ByteBuffer in = ByteBuffer.allocate(4096);
            long cached = System.nanoTime();
            exchange(ch, q, in); // a miss: fills the cache
            for (int i = 0; i < 20_000; i++) exchange(ch, q, in); // warm-up (JIT)
            Thread rx = receiveThread(s);
            long before = allocated(rx);
            int n = 20_000;
            for (int i = 0; i < n; i++) exchange(ch, q, in);
            long perQuery = (allocated(rx) - before) / n;
            System.out.println("receive thread: " + perQuery + " bytes allocated per cache hit");
            assertThat(perQuery).as("bytes allocated per cache hit on the receive thread").isLessThan(8);
            long aged = (System.nanoTime() - cached) / 1_000_000_000L; // whole seconds the entry has been cached
            Message m = Dns.parse(java.util.Arrays.copyOf(in.array(), in.position()));
            // the TTL counts down while cached (300 s in the upstream's answer); a slow machine takes seconds here
            assertThat(Dns.answers(m)).hasSize(1).first().satisfies(a -> {
                assertThat(a).startsWith("a-only.example. ").endsWith(" AAAA 64:ff9b::c000:201");
                long ttl = Long.parseLong(a.split(" ")[1]);
                assertThat(ttl).isBetween(300 - aged - 1, 300L);
            });
            assertThat(s.counters().get(Dns64Counter.CACHE_HIT)).isEqualTo(40_000);
        }
    }

    @Test
    void everyAnswerIsCountedByRcodeAndItsLatencyReported() throws Exception {
        FakeUpstream up = upstream().on("nx.example", Type.A, msg(3, SOA));
        try (Dns64Server s = server(up); DatagramChannel ch = DatagramChannel.open()) {
            AtomicLong count = new AtomicLong(), total = new AtomicLong();
            s.setLatencyObserver(ns -> { count.incrementAndGet(); total.addAndGet(ns); });
            ch.connect(s.addresses().get(0));
            ByteBuffer in = ByteBuffer.allocate(4096);
            ByteBuffer hit = ByteBuffer.wrap(Dns.query("a-only.example", Type.AAAA, 7, null, false, false));
            for (int i = 0; i < 5; i++) exchange(ch, hit, in);
            exchange(ch, ByteBuffer.wrap(Dns.query("nx.example", Type.A, 8, null, false, false)), in);
            exchange(ch, ByteBuffer.wrap(Dns.query("x.example", Type.A, 9, 1232, false, false)).put(Wire.HEADER + 11 + 4 + 6, (byte) 1), in); // EDNS version 1 (OPT: root, type, class, ext-rcode, VERSION)
            // The answer is counted and its latency reported just after it is sent (receive to sent): the client can
            // read the last answer before the server thread gets there, so wait for it (bounded).
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (count.get() < 7 && System.nanoTime() < deadline) Thread.sleep(1);
            assertThat(count.get()).isEqualTo(7);
            assertThat(total.get()).isPositive();
            assertThat(s.counters().answersByRcode()).containsEntry("NOERROR", 5L).containsEntry("NXDOMAIN", 1L)
                    .containsEntry("BADVERS", 1L);
            assertThat(s.counters().queriesByType()).containsEntry("AAAA", 5L).containsEntry("A", 2L);
        }
    }
}
