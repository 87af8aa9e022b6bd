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
import java.util.List;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Lock-free hits under fire: reader threads translate packets of established flows (both directions, without the
 * stripe lock) while a writer creates flows that churn through a small table and expiry deletes them, so BIB and
 * session rows are recycled for other flows all the time. Every packet a reader translates must carry exactly its
 * own flow's mapping, never a torn row or another flow's. Fails if a reader ever trusts a row a writer is changing
 * or has recycled.
 */
class Nat64LockFreeStressTest {
    static final int READERS = 2, STABLE = 64, CHURN_PER_ROUND = 150, ROUNDS = 250;
    static final long ROUND = 10 * SEC; // udp-timeout 300 s: a churn flow lives 30 rounds, a stable one is refreshed every round

    @Test
    void readersOfEstablishedFlowsSeeOnlyTheirOwnMappingWhileRowsAreRecycledUnderThem() throws Exception {
        Nat64Mapper mapper = new Nat64Mapper(Rfc6052.parse("64:ff9b::/96"), true,
                new Pool4(List.of(new Pool4.Entry(IpProto.UDP, Prefix4.parse("203.0.113.0/30"), 1024, 65535, 0)), 11, 9),
                List.of(), Nat64Settings.defaults().withMaxSessions(STABLE + CHURN_PER_ROUND * 32));
        TranslatorSettings ts = TranslatorSettings.defaults();
        AtomicLong clock = new AtomicLong(50_000 * SEC);
        int[] addr4 = new int[STABLE], port4 = new int[STABLE];
        Worker setup = new Worker(ts, mapper);
        for (int h = 0; h < STABLE; h++) {
            assertThat(setup.send(PacketBuilder.ipv6(stable(h), Y6).udp(7000 + h, 53).build(), clock.get()))
                    .isEqualTo(Verdict.EMIT);
            addr4[h] = setup.src4();
            port4[h] = srcPort(setup.last);
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Phaser rounds = new Phaser(READERS + 1);
        long[] hits = new long[READERS];
        List<Thread> readers = new ArrayList<>();
        List<Worker> workers = new ArrayList<>();
        for (int r = 0; r < READERS; r++) {
            int me = r;
            Worker w = new Worker(ts, mapper);
            workers.add(w);
            readers.add(Thread.ofPlatform().start(() -> {
                try {
                    for (int round = 0; round < ROUNDS && failure.get() == null; round++) {
                        // many passes while the writer works, at least one whole pass per round (keeps them alive)
                        int pass = 0;
                        do {
                            for (int h = 0; h < STABLE; h++) {
                                long now = clock.get();
                                if (w.send(PacketBuilder.ipv6(stable(h), Y6).udp(7000 + h, 53).build(), now) != Verdict.EMIT)
                                    throw new AssertionError("stable flow " + h + " not translated out");
                                if (w.src4() != addr4[h] || srcPort(w.last) != port4[h])
                                    throw new AssertionError("flow " + h + " left as " + w.src4() + ":" + srcPort(w.last)
                                            + ", bound to " + addr4[h] + ":" + port4[h]);
                                String to = ferry.addr.Ipv4.format(addr4[h]);
                                if (w.send(PacketBuilder.ipv4(Y4, to).udp(53, port4[h]).build(), now) != Verdict.EMIT)
                                    throw new AssertionError("answer to flow " + h + " not translated");
                                if (!dst6(w.last).equals(stable(h)) || dstPort(w.last) != 7000 + h)
                                    throw new AssertionError("answer to flow " + h + " went to " + dst6(w.last) + " port "
                                            + dstPort(w.last));
                                hits[me] += 2;
                            }
                            pass++;
                        } while (rounds.getArrivedParties() == 0 && pass < 50);
                        rounds.arriveAndAwaitAdvance();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    rounds.arriveAndDeregister();
                }
            }));
        }
        Worker writer = new Worker(ts, mapper);
        long churn = 0;
        for (int round = 0; round < ROUNDS && failure.get() == null; round++) {
            for (int i = 0; i < CHURN_PER_ROUND; i++, churn++) {
                Verdict v = writer.send(PacketBuilder.ipv6("2001:db8:2::" + Long.toHexString(churn + 1), Y6)
                        .udp(9000, 53).build(), clock.get());
                if (v != Verdict.EMIT) throw new AssertionError("churn flow " + churn + ": " + v);
            }
            mapper.expire(clock.get());
            clock.addAndGet(ROUND);
            rounds.awaitAdvanceInterruptibly(rounds.arrive(), 60, TimeUnit.SECONDS);
        }
        rounds.arriveAndDeregister();
        for (Thread t : readers) t.join();
        if (failure.get() != null) throw new AssertionError(failure.get());
        assertThat(hits[0] + hits[1]).isGreaterThanOrEqualTo(2L * READERS * STABLE * ROUNDS);
        // churn filled and recycled the rows many times over while the readers ran
        assertThat(churn).isGreaterThan(5L * (STABLE + CHURN_PER_ROUND * 32));
        assertThat(mapper.sessionCount(IpProto.UDP)).isLessThanOrEqualTo(STABLE + CHURN_PER_ROUND * 31);
        assertThat(writer.counters.get(Counter.DROP_INTERNAL_ERROR)).isZero();
        for (Worker w : workers) assertThat(w.counters.get(Counter.DROP_INTERNAL_ERROR)).isZero();
    }

    static String stable(int h) {
        return "2001:db8:1::" + Integer.toHexString(h + 1);
    }

    /** One worker: its own translator and buffer (as one TUN queue has). */
    static final class Worker {
        final Translator translator;
        final Counters counters = new Counters();
        final MemorySegment buf = MemorySegment.ofArray(new byte[Translator.HEADROOM + 2048]);
        byte[] last;

        Worker(TranslatorSettings ts, Nat64Mapper mapper) {
            this.translator = new IpTranslator(ts, mapper, counters);
        }

        Verdict send(byte[] p, long now) {
            MemorySegment.copy(MemorySegment.ofArray(p), 0, buf, Translator.HEADROOM, p.length);
            return translator.translate(buf, Translator.HEADROOM, p.length, now,
                    (b, o, l) -> last = b.asSlice(o, l).toArray(ValueLayout.JAVA_BYTE));
        }

        int src4() {
            return MemorySegment.ofArray(last).get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 12);
        }
    }
}
