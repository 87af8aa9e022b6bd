package ferry.bench;

import ferry.addr.Prefix4;
import ferry.addr.Rfc6052;
import ferry.metrics.Counters;
import ferry.nat64.Nat64Mapper;
import ferry.nat64.Nat64Settings;
import ferry.nat64.Pool4;
import ferry.packet.Bytes;
import ferry.packet.IpProto;
import ferry.packet.PacketBuilder;
import ferry.translate.IpTranslator;
import ferry.translate.PacketSink;
import ferry.translate.Translator;
import ferry.translate.TranslatorSettings;
import ferry.translate.Verdict;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Stateful NAT64 (issue 4, "Performance"), UDP with a 64-byte payload, pool6 64:ff9b::/96:
 * <ul>
 *   <li>{@code established}: 6→4 translation of packets of {@code sessions} existing flows, round robin in the order
 *       the flows were created (the lookup path; compare with {@link TranslateBenchmark} udp64_6to4, the SIIT rate);
 *       packet time advances 1 ns per packet, so every packet really refreshes its session;</li>
 *   <li>{@code establishedShuffled}: the same flows in a random order fixed at setup, so that consecutive packets
 *       touch unrelated table rows (no help from the hardware prefetcher: the harder, more realistic case);</li>
 *   <li>{@code expireNothing}: one {@code expire(now)} call with nothing due (must stay flat as the table grows);</li>
 *   <li>{@code create}: every packet a new flow from a new IPv6 source, at steady state: packet time advances so
 *       that as many sessions expire (and their ports rest 120 s) as are created; includes that expiry;</li>
 *   <li>{@code flood}: group of two threads, one translating established flows and one creating new flows from
 *       spoofed sources as fast as it can: compare the established thread's rate with {@code established}.</li>
 * </ul>
 * Run: {@code bench/nat64-jmh.sh} (with {@code -prof gc}: bytes allocated per packet).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class Nat64Benchmark {
    static final long SEC = 1_000_000_000L;
    static final long T0 = 1_000_000 * SEC;

    static Nat64Mapper mapper(int maxSessions, String pool4) {
        return new Nat64Mapper(Rfc6052.parse("64:ff9b::/96"), true,
                new Pool4(List.of(new Pool4.Entry(IpProto.UDP, Prefix4.parse(pool4), 1024, 65535, 0)), 11, 1234),
                List.of(), Nat64Settings.defaults().withMaxSessions(maxSessions));
    }

    /** A UDP 6→4 packet whose source (low 64 bits and port) is rewritten per operation. */
    static final class Flows {
        final MemorySegment input, buf;
        final int len;
        final Translator translator;
        long emitted;
        final PacketSink sink = (seg, off, n) -> emitted += n;

        Flows(Arena arena, Nat64Mapper m) {
            byte[] p = PacketBuilder.ipv6("2001:db8::1", "64:ff9b::c633:6407").hopLimit(64).udp(40000, 53).payload(64)
                    .build();
            input = arena.allocate(p.length);
            MemorySegment.copy(MemorySegment.ofArray(p), 0, input, 0, p.length);
            len = p.length;
            buf = arena.allocate(Translator.HEADROOM + 2048);
            translator = new IpTranslator(TranslatorSettings.defaults(), m, new Counters());
            batch = new BatchBuffers(arena, len);
        }

        /** Packets per batch ({@link #sendBatch}): what a TUN worker would read in one go. */
        static final int BATCH = BatchBuffers.BATCH;
        final BatchBuffers batch;

        /**
         * Translates the packets of flows {@code ids[0..n)} at {@code now} as one batch ({@link
         * Translator#translate(MemorySegment[], long[], int[], int, long, PacketSink, Verdict[])}); returns how many
         * were not emitted.
         */
        int sendBatch(long[] ids, int n, long now) {
            for (int j = 0; j < n; j++) {
                MemorySegment b = batch.bufs[j];
                MemorySegment.copy(input, 0, b, Translator.HEADROOM, len);
                Bytes.put64(b, Translator.HEADROOM + 16, ids[j] + 1);
                Bytes.put16(b, Translator.HEADROOM + 40, 40000 + (int) (ids[j] & 7));
            }
            return batch.translate(translator, n, now, sink);
        }

        /** Translates the packet of flow {@code i} (source 2001:db8::/64 + i, port 40000 + (i & 7)) at {@code now}. */
        Verdict send(long i, long now) {
            return send(i, now, sink);
        }

        /** As {@link #send(long, long)}, emitting to {@code to}. */
        Verdict send(long i, long now, PacketSink to) {
            MemorySegment.copy(input, 0, buf, Translator.HEADROOM, len);
            Bytes.put64(buf, Translator.HEADROOM + 16, i + 1);
            Bytes.put16(buf, Translator.HEADROOM + 40, 40000 + (int) (i & 7));
            return translator.translate(buf, Translator.HEADROOM, len, now, to);
        }
    }

    @State(Scope.Thread)
    public static class Established {
        @Param({"10000", "100000", "1000000"})
        public int sessions;
        Arena arena;
        Nat64Mapper mapper;
        Flows flows;
        long next, now = T0 + SEC;
        int[] shuffled;
        final long[] ids = new long[Flows.BATCH];

        @Setup(Level.Trial)
        public void setup() {
            shuffled = new int[sessions];
            for (int i = 0; i < sessions; i++) shuffled[i] = i;
            java.util.Random r = new java.util.Random(7);
            for (int i = sessions - 1; i > 0; i--) {
                int j = r.nextInt(i + 1), x = shuffled[i];
                shuffled[i] = shuffled[j];
                shuffled[j] = x;
            }
            arena = Arena.ofConfined();
            mapper = mapper(sessions, "203.0.113.0/24");
            flows = new Flows(arena, mapper);
            for (int i = 0; i < sessions; i++) {
                if (flows.send(i, T0) != Verdict.EMIT) throw new IllegalStateException("flow " + i + " not created");
            }
            if (mapper.sessionCount(IpProto.UDP) != sessions) throw new IllegalStateException("sessions");
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            arena.close();
        }
    }

    @Benchmark
    public Verdict established(Established s) {
        long i = s.next++;
        if (s.next == s.sessions) s.next = 0;
        return s.flows.send(i, s.now++); // 1 ns per packet: the periodic expiry (once a second) is not due
    }

    @Benchmark
    public Verdict establishedShuffled(Established s) {
        int i = s.shuffled[(int) s.next++];
        if (s.next == s.sessions) s.next = 0;
        return s.flows.send(i, s.now++);
    }

    /** {@code established} in batches of {@link Flows#BATCH} (the translator's batch API: flows looked up ahead). */
    @Benchmark
    @OperationsPerInvocation(Flows.BATCH)
    public int establishedBatch(Established s) {
        for (int j = 0; j < Flows.BATCH; j++) {
            s.ids[j] = s.next++;
            if (s.next == s.sessions) s.next = 0;
        }
        return s.flows.sendBatch(s.ids, Flows.BATCH, s.now++);
    }

    /** {@code establishedShuffled} in batches of {@link Flows#BATCH}. */
    @Benchmark
    @OperationsPerInvocation(Flows.BATCH)
    public int establishedShuffledBatch(Established s) {
        for (int j = 0; j < Flows.BATCH; j++) {
            s.ids[j] = s.shuffled[(int) s.next++];
            if (s.next == s.sessions) s.next = 0;
        }
        return s.flows.sendBatch(s.ids, Flows.BATCH, s.now++);
    }

    @Benchmark
    public int expireNothing(Established s) {
        return s.mapper.expire(T0 + 2 * SEC);
    }

    @State(Scope.Thread)
    public static class Creating {
        static final int CAPACITY = 1 << 18;
        Arena arena;
        Nat64Mapper mapper;
        Flows flows;
        long next = 1L << 40, now = T0;
        /** Packet time per new flow: udp-timeout (300 s) + the 120 s port rest spread over the capacity. */
        final long step = 420 * SEC / (CAPACITY / 2);

        @Setup(Level.Trial)
        public void setup() {
            arena = Arena.ofConfined();
            mapper = mapper(CAPACITY, "203.0.113.0/26");
            flows = new Flows(arena, mapper);
        }

        long created, refused;

        @TearDown(Level.Trial)
        public void tearDown() {
            arena.close();
            // sanity: the benchmark measures creations, not refusals
            if (refused * 100 > created) throw new IllegalStateException(refused + " refused of " + (created + refused));
        }
    }

    @Benchmark
    public Verdict create(Creating s) {
        s.now += s.step;
        Verdict v = s.flows.send(s.next++, s.now);
        if (v == Verdict.EMIT) s.created++;
        else s.refused++;
        return v;
    }

    // ---- established flows under a flood of new ones (two threads, shared tables)

    @State(Scope.Group)
    public static class Shared {
        Nat64Mapper mapper;
        static final int ESTABLISHED = 100_000;

        @Setup(Level.Trial)
        public void setup() {
            mapper = mapper(1 << 18, "203.0.113.0/26");
            try (Arena a = Arena.ofConfined()) {
                Flows f = new Flows(a, mapper);
                for (int i = 0; i < ESTABLISHED; i++) f.send(i, T0);
            }
        }
    }

    @State(Scope.Thread)
    public static class Worker {
        Arena arena;
        Flows flows;
        long next, spoofed = 1L << 40;

        @Setup(Level.Trial)
        public void setup(Shared shared) {
            arena = Arena.ofShared();
            flows = new Flows(arena, shared.mapper);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            arena.close();
        }
    }

    @Benchmark
    @Group("flood")
    @GroupThreads(1)
    public Verdict floodEstablished(Worker w) {
        long i = w.next++;
        if (w.next == Shared.ESTABLISHED) w.next = 0;
        return w.flows.send(i, T0 + SEC);
    }

    @Benchmark
    @Group("flood")
    @GroupThreads(1)
    public Verdict floodNewFlows(Worker w) {
        // spoofed sources: new flows until the table is full, then refused (existing sessions are never evicted)
        return w.flows.send(w.spoofed++, T0 + SEC);
    }
}
