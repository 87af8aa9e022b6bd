package ferry.bench;

import ferry.addr.Denylist4;
import ferry.addr.EamEntry;
import ferry.addr.Eamt;
import ferry.addr.Prefix4;
import ferry.addr.Prefix6;
import ferry.addr.Rfc6052;
import ferry.metrics.Counters;
import ferry.nat64.Nat64Mapper;
import ferry.packet.Bytes;
import ferry.packet.Checksum;
import ferry.packet.PacketBuilder;
import ferry.translate.PacketSink;
import ferry.packet.IpProto;
import ferry.siit.SiitMapper;
import ferry.translate.IpTranslator;
import ferry.translate.Translator;
import ferry.translate.TranslatorSettings;
import ferry.translate.Verdict;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;

/**
 * The NAT64 established-flow lookup rate against the SIIT rate, in CPU time of the measuring thread rather than wall
 * time: on a machine shared with other jobs, a JMH score counts the time the thread waits for a core, this counts
 * only the time it runs (cache pollution by the neighbours still shows). The same packets as {@link Nat64Benchmark}
 * ({@code established}, {@code establishedShuffled}) and {@link TranslateBenchmark} ({@code udp64_6to4}), in one JVM,
 * interleaved round by round, and new flows at steady state ({@code create}); SIIT also through the batch harness
 * ({@code SIIT udp64_6to4 batch}: the NAT64 batch cases' 32 buffers, copies and batch API, so the batch cases are
 * compared with like as well, column "x SIIT batch"); per case the best round (least
 * disturbed) and the median are printed; then expiry with nothing due, per call, at each size.
 * Run: {@code bench/nat64-cputime.sh [rounds] [packets per round] [case name filter]}.
 */
public final class Nat64LookupCpu {
    private Nat64LookupCpu() {
    }

    static final String SIIT_BATCH = "SIIT udp64_6to4 batch";

    interface Case {
        Verdict run(long i);
    }

    /**
     * The flows of a case in turn, 0 .. n - 1 and again, without a division per packet (the SIIT reference's harness
     * has none, so a {@code %} here would be charged to NAT64: ~3 ns per packet).
     */
    static final class Cursor {
        private final int n;
        private int at;

        Cursor(int n) {
            this.n = n;
        }

        int next() {
            int i = at;
            at = i + 1 == n ? 0 : i + 1;
            return i;
        }
    }

    /** Draws in a Zipf case's sequence (read in turn, again and again). */
    static final int ZIPF_DRAWS = 1 << 22;

    /** {@code draws} ranks in [0, n) drawn from Zipf with exponent 1 (rank k with probability ~ 1 / (k + 1)). */
    static int[] zipf(int n, int draws, java.util.Random r) {
        double[] cdf = new double[n];
        double sum = 0;
        for (int k = 0; k < n; k++) cdf[k] = sum += 1.0 / (k + 1);
        int[] out = new int[draws];
        for (int d = 0; d < draws; d++) {
            int k = java.util.Arrays.binarySearch(cdf, r.nextDouble() * sum);
            out[d] = Math.min(n - 1, k < 0 ? -k - 1 : k);
        }
        return out;
    }

    /** A case that translates {@link Nat64Benchmark.Flows#BATCH} packets per call; returns how many were not emitted. */
    interface BatchCase extends Case {
        int runBatch(long i);

        @Override
        default Verdict run(long i) {
            throw new UnsupportedOperationException();
        }
    }

    /**
     * Copies an IPv4 UDP packet to {@code buf} at {@link Translator#HEADROOM} with destination {@code dst4}#{@code
     * port} and a correct header checksum (the translator checks it; the UDP checksum it only updates).
     */
    static void prepare46(MemorySegment in, MemorySegment buf, int len, int dst4, int port) {
        long o = Translator.HEADROOM;
        MemorySegment.copy(in, 0, buf, o, len);
        Bytes.put32(buf, o + 16, dst4);
        Bytes.put16(buf, o + 22, port);
        Bytes.put16(buf, o + 10, 0);
        Bytes.put16(buf, o + 10, ~Checksum.sum(buf, o, 20) & 0xffff);
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 2_000_000;
        int[] sizes = {10_000, 100_000, 1_000_000};
        Arena arena = Arena.ofConfined();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();

        // SIIT reference: TranslateBenchmark udp64_6to4
        Translator siit = new IpTranslator(TranslatorSettings.defaults(), new SiitMapper(Rfc6052.parse("64:ff9b::/96"),
                Eamt.of(List.of(new EamEntry(Prefix6.parse("2001:db8::/120"), Prefix4.parse("198.51.100.0/24")))),
                Denylist4.of(List.of()), true), new Counters());
        byte[] p = TranslateBenchmark.packet("udp64_6to4");
        MemorySegment in = arena.allocate(p.length), buf = arena.allocate(Translator.HEADROOM + 2048);
        MemorySegment.copy(MemorySegment.ofArray(p), 0, in, 0, p.length);
        long[] sunk = new long[1];
        List<String> names = new java.util.ArrayList<>();
        List<Case> cases = new java.util.ArrayList<>();
        names.add("SIIT udp64_6to4");
        cases.add(i -> {
            MemorySegment.copy(in, 0, buf, Translator.HEADROOM, p.length);
            return siit.translate(buf, Translator.HEADROOM, p.length, (s, o, n) -> sunk[0] += n);
        });
        // the same SIIT packet through the same batch harness as the NAT64 batch cases (Nat64Benchmark.Flows
        // .sendBatch): 32 packets copied into 32 separate buffers, the source words rewritten as there (to the
        // values they already hold: SIIT is stateless), then the translator's batch API; so "x SIIT batch" compares
        // like with like, and SIIT batch vs SIIT shows what the harness (buffers, copies, batch loop) costs by itself
        BatchBuffers sb = new BatchBuffers(arena, p.length);
        long srcLo = Bytes.i64(in, 16);
        int srcPort = Bytes.u16(in, 40);
        names.add(SIIT_BATCH);
        cases.add((BatchCase) i -> {
            for (int j = 0; j < BatchBuffers.BATCH; j++) {
                MemorySegment b = sb.bufs[j];
                MemorySegment.copy(in, 0, b, Translator.HEADROOM, p.length);
                Bytes.put64(b, Translator.HEADROOM + 16, srcLo);
                Bytes.put16(b, Translator.HEADROOM + 40, srcPort);
            }
            return sb.translate(siit, BatchBuffers.BATCH, 0L, (s, o, n) -> sunk[0] += n);
        });
        // the 4->6 reference: SIIT udp64_4to6 with the same per-packet preparation as the NAT64 4->6 cases below
        Translator siit46 = new IpTranslator(TranslatorSettings.defaults(), new SiitMapper(Rfc6052.parse("64:ff9b::/96"),
                Eamt.of(List.of(new EamEntry(Prefix6.parse("2001:db8::/120"), Prefix4.parse("198.51.100.0/24")))),
                Denylist4.of(List.of()), true), new Counters());
        byte[] p46 = TranslateBenchmark.packet("udp64_4to6");
        MemorySegment in46 = arena.allocate(p46.length);
        MemorySegment.copy(MemorySegment.ofArray(p46), 0, in46, 0, p46.length);
        int siitDst4 = Bytes.i32(in46, 16), siitPort = Bytes.u16(in46, 22);
        names.add("SIIT udp64_4to6 (4->6)");
        cases.add(i -> {
            prepare46(in46, buf, p46.length, siitDst4, siitPort);
            return siit46.translate(buf, Translator.HEADROOM, p46.length, (s, o, n) -> sunk[0] += n);
        });
        long[] now = {Nat64Benchmark.T0 + Nat64Benchmark.SEC};
        List<Nat64Mapper> mappers = new java.util.ArrayList<>();
        for (int n : sizes) {
            Nat64Mapper m = Nat64Benchmark.mapper(n, "203.0.113.0/24");
            mappers.add(m);
            Nat64Benchmark.Flows f = new Nat64Benchmark.Flows(arena, m);
            for (int i = 0; i < n; i++) if (f.send(i, Nat64Benchmark.T0) != Verdict.EMIT) throw new IllegalStateException();
            if (m.sessionCount(IpProto.UDP) != n) throw new IllegalStateException("sessions");
            int[] order = new int[n];
            for (int i = 0; i < n; i++) order[i] = i;
            java.util.Random r = new java.util.Random(7);
            for (int i = n - 1; i > 0; i--) {
                int j = r.nextInt(i + 1), x = order[i];
                order[i] = order[j];
                order[j] = x;
            }
            names.add("NAT64 " + n + " in order");
            Cursor c1 = new Cursor(n);
            cases.add(i -> f.send(c1.next(), now[0]++));
            names.add("NAT64 " + n + " shuffled");
            Cursor c2 = new Cursor(n);
            cases.add(i -> f.send(order[c2.next()], now[0]++));
            long[] ids = new long[Nat64Benchmark.Flows.BATCH];
            // 4->6: replies from 198.51.100.7#53 to each flow's pool4 address and port, recorded at creation
            int[] v4 = new int[n], port4 = new int[n];
            int[] at = {0};
            PacketSink record = (seg, o, len) -> {
                v4[at[0]] = Bytes.i32(seg, o + 12);
                port4[at[0]] = Bytes.u16(seg, o + 20);
            };
            for (int i = 0; i < n; i++) {
                at[0] = i;
                if (f.send(i, now[0], record) != Verdict.EMIT) throw new IllegalStateException();
            }
            byte[] reply = PacketBuilder.ipv4("198.51.100.7", "203.0.113.1").ttl(64).udp(53, 1024).payload(64).build();
            MemorySegment rin = arena.allocate(reply.length);
            MemorySegment.copy(MemorySegment.ofArray(reply), 0, rin, 0, reply.length);
            Translator t46 = new IpTranslator(TranslatorSettings.defaults(), m, new Counters());
            BatchBuffers rb = new BatchBuffers(arena, reply.length);
            Cursor c3 = new Cursor(n), c4 = new Cursor(n), c5 = new Cursor(n), c6 = new Cursor(n);
            names.add("NAT64 " + n + " shuffled 4->6");
            cases.add(i -> {
                int k = order[c3.next()];
                prepare46(rin, buf, reply.length, v4[k], port4[k]);
                return t46.translate(buf, Translator.HEADROOM, reply.length, now[0]++, (s, o, len) -> sunk[0] += len);
            });
            names.add("NAT64 " + n + " shuffled 4->6 batch");
            cases.add((BatchCase) i -> {
                for (int j = 0; j < BatchBuffers.BATCH; j++) {
                    int k = order[c4.next()];
                    prepare46(rin, rb.bufs[j], reply.length, v4[k], port4[k]);
                }
                return rb.translate(t46, BatchBuffers.BATCH, now[0]++, (s, o, len) -> sunk[0] += len);
            });
            names.add("NAT64 " + n + " in order batch");
            cases.add((BatchCase) i -> {
                for (int j = 0; j < ids.length; j++) ids[j] = c5.next();
                return f.sendBatch(ids, ids.length, now[0]++);
            });
            names.add("NAT64 " + n + " shuffled batch");
            cases.add((BatchCase) i -> {
                for (int j = 0; j < ids.length; j++) ids[j] = order[c6.next()];
                return f.sendBatch(ids, ids.length, now[0]++);
            });
            // informative, not issue 4's case: every flow equally often (above) is the worst case for the caches;
            // real traffic is skewed (a few flows carry most packets). Flows drawn from Zipf(1) over the n flows,
            // popularity ranks in the shuffled order (popular flows are not neighbouring rows)
            int[] zipf = zipf(n, ZIPF_DRAWS, new java.util.Random(11));
            Cursor c7 = new Cursor(zipf.length);
            names.add("NAT64 " + n + " zipf batch");
            cases.add((BatchCase) i -> {
                for (int j = 0; j < ids.length; j++) ids[j] = order[zipf[c7.next()]];
                return f.sendBatch(ids, ids.length, now[0]++);
            });
        }
        // session creation at steady state (as Nat64Benchmark.create): every packet a new flow from a new source
        Nat64Mapper cm = Nat64Benchmark.mapper(Nat64Benchmark.Creating.CAPACITY, "203.0.113.0/26");
        Nat64Benchmark.Flows cf = new Nat64Benchmark.Flows(arena, cm);
        long step = 420 * Nat64Benchmark.SEC / (Nat64Benchmark.Creating.CAPACITY / 2);
        long[] cnow = {Nat64Benchmark.T0};
        names.add("NAT64 new flow (create)");
        cases.add(i -> {
            cnow[0] += step;
            return cf.send((1L << 40) + i, cnow[0]);
        });
        if (args.length > 2) { // a filter: only the cases whose name contains it (and SIIT, the reference)
            for (int c = cases.size() - 1; c > 0; c--) {
                if (!names.get(c).contains(args[2]) && !names.get(c).startsWith("SIIT")) {
                    names.remove(c);
                    cases.remove(c);
                }
            }
        }
        double[][] ns = new double[cases.size()][rounds];
        long seq = 0;
        for (int round = -2; round < rounds; round++) { // two warm-up rounds
            for (int c = 0; c < cases.size(); c++) {
                Case k = cases.get(c);
                long t0 = mx.getCurrentThreadCpuTime();
                int refused = 0;
                if (k instanceof BatchCase bk) {
                    int b = Nat64Benchmark.Flows.BATCH;
                    for (int i = 0; i < batch; i += b, seq += b) refused += bk.runBatch(seq);
                } else {
                    for (int i = 0; i < batch; i++) if (k.run(seq++) != Verdict.EMIT) refused++;
                }
                if (refused * 100L > batch) throw new IllegalStateException(names.get(c) + ": " + refused + " not translated");
                long t1 = mx.getCurrentThreadCpuTime();
                if (round >= 0) ns[c][round] = (double) (t1 - t0) / batch;
            }
        }
        // x SIIT: against SIIT one packet at a time in one hot buffer (the historical reference); x SIIT batch: against
        // SIIT through the batch harness (6->4 cases only: the same buffers, copies and batch API as NAT64's batches)
        System.out.printf("%-32s %14s %14s %12s %12s %13s%n", "case (UDP 64 B, 6->4 unless 4->6)", "best Mpps/CPU", "median Mpps",
                "best ns/pkt", "x SIIT best", "x SIIT batch");
        double siitBest = java.util.Arrays.stream(ns[0]).min().orElseThrow();
        int ref46 = names.indexOf("SIIT udp64_4to6 (4->6)");
        double siit46Best = ref46 < 0 ? siitBest : java.util.Arrays.stream(ns[ref46]).min().orElseThrow();
        int refBatch = names.indexOf(SIIT_BATCH);
        double siitBatchBest = java.util.Arrays.stream(ns[refBatch]).min().orElseThrow();
        for (int c = 0; c < cases.size(); c++) {
            double[] v = ns[c].clone();
            java.util.Arrays.sort(v);
            boolean to6 = names.get(c).contains("4->6"); // against the 4->6 SIIT reference
            String vsBatch = to6 ? "" : String.format("%13.2f", v[0] / siitBatchBest);
            System.out.printf("%-32s %14.2f %14.2f %12.1f %12.2f%s%n", names.get(c), 1e3 / v[0], 1e3 / v[v.length / 2], v[0],
                    v[0] / (to6 ? siit46Best : siitBest), vsBatch);
        }
        // expiry with nothing due, per call, on each table (flat in N is the goal)
        for (int k = 0; k < sizes.length; k++) {
            Nat64Mapper m = mappers.get(k);
            double best = Double.MAX_VALUE;
            for (int round = 0; round < 5; round++) {
                long t0 = mx.getCurrentThreadCpuTime();
                for (int i = 0; i < 20_000; i++) m.expire(now[0]);
                best = Math.min(best, (mx.getCurrentThreadCpuTime() - t0) / 20_000.0);
            }
            System.out.printf("expire(now), nothing due, %d sessions: %.0f ns per call%n", sizes[k], best);
        }
        System.out.println("load average " + ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
}
