package ferry.nat64;

import static ferry.nat64.Nat64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Prefix4;
import ferry.addr.Rfc6052;
import ferry.metrics.Counter;
import ferry.metrics.Counters;
import ferry.packet.IpProto;
import ferry.packet.PacketBuilder;
import ferry.translate.IpTranslator;
import ferry.translate.Translator;
import ferry.translate.TranslatorSettings;
import ferry.translate.Verdict;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Workers on several queues share one {@link Nat64Mapper} (issue 4 item 9): each has its own translator, a flow's
 * two directions arrive on different workers, and expiry runs concurrently. Nothing is lost or bound twice.
 */
class Nat64ConcurrencyTest {
    static final int WORKERS = 4, HOSTS_PER_WORKER = 500;

    @Test
    void flowsOpenedOnOneWorkerAreAnsweredOnAnotherWhileExpiryRuns() throws Exception {
        Nat64Mapper mapper = new Nat64Mapper(Rfc6052.parse("64:ff9b::/96"), true,
                new Pool4(List.of(new Pool4.Entry(IpProto.UDP, Prefix4.parse("203.0.113.0/30"), 1024, 65535, 0)), 11, 5),
                List.of(), Nat64Settings.defaults().withMaxSessions(WORKERS * HOSTS_PER_WORKER * 2));
        TranslatorSettings ts = TranslatorSettings.defaults();
        int[][] port4 = new int[WORKERS][HOSTS_PER_WORKER];
        int[][] addr4 = new int[WORKERS][HOSTS_PER_WORKER];
        Counters[] counters = new Counters[WORKERS];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CyclicBarrier phase = new CyclicBarrier(WORKERS + 1);
        long now = 5000 * SEC;
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++) {
            int me = w;
            counters[w] = new Counters();
            Translator t = new IpTranslator(ts, mapper, counters[w]);
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    MemorySegment buf = MemorySegment.ofArray(new byte[Translator.HEADROOM + 2048]);
                    byte[][] last = new byte[1][];
                    // phase 1: my hosts open flows
                    for (int h = 0; h < HOSTS_PER_WORKER; h++) {
                        byte[] p = PacketBuilder.ipv6(host(me, h), "64:ff9b::c633:6407").udp(10000 + h, 53).build();
                        MemorySegment.copy(MemorySegment.ofArray(p), 0, buf, Translator.HEADROOM, p.length);
                        Verdict v = t.translate(buf, Translator.HEADROOM, p.length, now + h,
                                (b, o, l) -> last[0] = b.asSlice(o, l).toArray(ValueLayout.JAVA_BYTE));
                        if (v != Verdict.EMIT) throw new AssertionError("outbound " + v);
                        port4[me][h] = u16(last[0], 20);
                        addr4[me][h] = MemorySegment.ofArray(last[0]).get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 12);
                    }
                    phase.await();
                    // phase 2: I answer the flows the next worker opened
                    int other = (me + 1) % WORKERS;
                    for (int h = 0; h < HOSTS_PER_WORKER; h++) {
                        String dst = ferry.addr.Ipv4.format(addr4[other][h]);
                        byte[] p = PacketBuilder.ipv4("198.51.100.7", dst).udp(53, port4[other][h]).build();
                        MemorySegment.copy(MemorySegment.ofArray(p), 0, buf, Translator.HEADROOM, p.length);
                        Verdict v = t.translate(buf, Translator.HEADROOM, p.length, now + 1000 + h,
                                (b, o, l) -> last[0] = b.asSlice(o, l).toArray(ValueLayout.JAVA_BYTE));
                        if (v != Verdict.EMIT) throw new AssertionError("inbound " + v);
                        if (!dst6(last[0]).equals(host(other, h)) || u16(last[0], 42) != 10000 + h)
                            throw new AssertionError("answer for " + host(other, h) + " went to " + dst6(last[0]));
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    phase.reset();
                }
            }));
        }
        // expiry runs concurrently with phase 1 (nothing is old enough to go)
        for (int i = 0; i < 200; i++) mapper.expire(now + 2000);
        phase.await();
        for (Thread th : threads) th.join();
        if (failure.get() != null) throw new AssertionError(failure.get());

        Set<Long> bound = new HashSet<>();
        for (int w = 0; w < WORKERS; w++)
            for (int h = 0; h < HOSTS_PER_WORKER; h++)
                assertThat(bound.add(((long) addr4[w][h] << 16) | port4[w][h])).as("pool4 port handed out once").isTrue();
        assertThat(mapper.bibCount(IpProto.UDP)).isEqualTo(WORKERS * HOSTS_PER_WORKER);
        assertThat(mapper.sessionCount(IpProto.UDP)).isEqualTo(WORKERS * HOSTS_PER_WORKER);
        for (Counters c : counters) assertThat(c.get(Counter.DROP_INTERNAL_ERROR)).isZero();
        // and everything goes once its time has come, whichever thread expires it
        Thread a = Thread.ofPlatform().start(() -> mapper.expire(now + 2000 * SEC));
        mapper.expire(now + 2000 * SEC);
        a.join();
        assertThat(mapper.sessionCount(IpProto.UDP)).isZero();
        assertThat(mapper.bibCount(IpProto.UDP)).isZero();
    }

    static String host(int worker, int h) {
        return "2001:db8:" + Integer.toHexString(worker + 1) + "::" + Integer.toHexString(h + 1);
    }
}
