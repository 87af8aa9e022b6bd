package ferry.nat64;

import static ferry.nat64.Nat64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Prefix4;
import ferry.metrics.Counters;
import ferry.packet.IpProto;
import ferry.translate.IpTranslator;
import ferry.translate.Translator;
import ferry.translate.Verdict;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Workers translate established flows in both directions while the configuration is swapped again and again under
 * them (pool4 entries added in front of the flows' entry, which renumbers its slots, and removed; timeouts changed).
 * Each worker picks up the newest mapper between packets, as ferry run's workers do, so old and new mappers run at
 * once. Not one packet of an established flow may be dropped or delivered to the wrong host or port.
 */
class Nat64ReconfigurationConcurrencyTest {
    static final int WORKERS = 3, FLOWS = 64, SWAPS = 300;

    static Pool4.Entry udp(String prefix, int min, int max) {
        return new Pool4.Entry(IpProto.UDP, Prefix4.parse(prefix), min, max, 0);
    }

    @Test
    void establishedFlowsLoseNoPacketWhileTheConfigurationIsSwappedUnderThem() throws Exception {
        Pool4.Entry home = udp("203.0.113.1/32", 2000, 2999);
        Nat64Settings s300 = Nat64Settings.defaults().withMaxSessions(1024);
        Nat64Settings s400 = new Nat64Settings(400, 7440, 240, 60, 10, false, false, false, false, 0b1011, 1024);
        AtomicReference<Nat64Mapper> current = new AtomicReference<>(
                Nat64Mapper.reconfigured(null, POOL6, true, List.of(home), List.of(), s300, 9, 1000 * SEC));
        long now = 1000 * SEC;
        int[] ports = new int[FLOWS];
        {
            IpTranslator t = Nat64ReconfigurationTest.translator(current.get(), new Counters());
            for (int i = 0; i < FLOWS; i++) {
                byte[] out = send(t, v6(host(i), Y4).udp(40000, 53).build(), now);
                assertThat(out).isNotNull();
                ports[i] = srcPort(out);
            }
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong packets = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++) {
            int me = w;
            threads.add(Thread.ofPlatform().start(() -> {
                Nat64Mapper mine = null;
                IpTranslator t = null;
                try {
                    for (int round = 0; !stop.get(); round++) {
                        Nat64Mapper m = current.get(); // between packets, as a TUN worker
                        if (m != mine) {
                            mine = m;
                            t = Nat64ReconfigurationTest.translator(m, new Counters());
                        }
                        int i = (round * WORKERS + me) % FLOWS;
                        byte[] out = send(t, v6(host(i), Y4).udp(40000, 53).build(), now);
                        if (out == null || srcPort(out) != ports[i] || !src4(out).equals(T4))
                            throw new AssertionError("outbound of flow " + i + ": " + (out == null ? "dropped" : src4(out) + "#" + srcPort(out)));
                        out = send(t, v4(Y4, T4).udp(53, ports[i]).build(), now);
                        if (out == null || !dst6(out).equals(host(i)) || dstPort(out) != 40000)
                            throw new AssertionError("reply of flow " + i + ": " + (out == null ? "dropped" : dst6(out) + "#" + dstPort(out)));
                        packets.addAndGet(2);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        long deadline = System.nanoTime() + 30 * SEC;
        for (int k = 0; k < SWAPS && failure.get() == null; k++) {
            // every swap comes after the workers' packets moved on since the last one, so swaps and packets interleave
            // however the threads are scheduled (a swapping loop that ran ahead alone would test nothing)
            long before = packets.get();
            while (packets.get() == before && failure.get() == null && System.nanoTime() < deadline) Thread.onSpinWait();
            List<Pool4.Entry> p = switch (k % 3) {
                case 0 -> List.of(udp("203.0.113.2/32", 2000, 2999), home); // in front: renumbers home's slots
                case 1 -> List.of(udp("203.0.113.4/30", 1024, 1100), udp("203.0.113.2/32", 5000, 5999), home);
                default -> List.of(home);
            };
            current.set(Nat64Mapper.reconfigured(current.get(), POOL6, true, p, List.of(), k % 2 == 0 ? s400 : s300, 9, now));
            Thread.onSpinWait();
        }
        stop.set(true);
        for (Thread t : threads) t.join(10_000);
        if (failure.get() != null) throw new AssertionError(failure.get());
        assertThat(packets.get()).as("packets translated while %d swaps were made", SWAPS).isGreaterThanOrEqualTo(2L * SWAPS);
        assertThat(current.get().sessionsEndedByReconfiguration()).isZero();
        assertThat(current.get().sessionCount(IpProto.UDP)).isEqualTo(FLOWS);
    }

    static String host(int i) {
        return "2001:db8::" + Integer.toHexString(0x100 + i);
    }

    /** Translates one packet; the one emitted packet, or null. */
    static byte[] send(Translator t, byte[] packet, long now) {
        MemorySegment buf = MemorySegment.ofArray(new byte[Translator.HEADROOM + packet.length + 256]);
        MemorySegment.copy(MemorySegment.ofArray(packet), 0, buf, Translator.HEADROOM, packet.length);
        byte[][] out = new byte[1][];
        Verdict v = t.translate(buf, Translator.HEADROOM, packet.length, now,
                (b, o, l) -> out[0] = b.asSlice(o, l).toArray(ValueLayout.JAVA_BYTE));
        return v == Verdict.EMIT ? out[0] : null;
    }
}
