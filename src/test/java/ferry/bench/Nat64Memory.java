package ferry.bench;

import ferry.nat64.Nat64Mapper;
import ferry.packet.IpProto;
import java.lang.foreign.Arena;

/**
 * Memory per session and whole-table timings of the NAT64 tables (issue 4 "Performance"), for 10k, 100k and 1M
 * sessions: heap taken by a table sized for N sessions (pool4's one word per (address, port) reported apart),
 * heap taken by filling it (0: rows are preallocated), the rate of creating N sessions from N IPv6 hosts into an
 * empty table (one thread, including the first JIT warm-up for the smallest N), and the cost of expiring all N at
 * once, per session. Run: {@code bench/nat64-memory.sh}.
 */
public final class Nat64Memory {
    private Nat64Memory() {
    }

    static long used() {
        Runtime r = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) System.gc();
        return r.totalMemory() - r.freeMemory();
    }

    public static void main(String[] args) {
        int[] sizes = args.length > 0 ? java.util.Arrays.stream(args).mapToInt(Integer::parseInt).toArray()
                : new int[] {10_000, 100_000, 1_000_000};
        System.out.printf("%10s %14s %12s %14s %14s %16s%n", "sessions", "table B/sess", "pool4 MiB",
                "fill B/sess", "create/s", "expire ns/sess");
        for (int round = 0; round < 2; round++) { // the first round warms the JIT up
            for (int n : sizes) {
                long before = used();
                Nat64Mapper m = Nat64Benchmark.mapper(n, "203.0.113.0/24");
                long empty = used();
                long pool4 = 4L * (65535 - 1024 + 1) * 256;
                try (Arena a = Arena.ofConfined()) {
                    Nat64Benchmark.Flows f = new Nat64Benchmark.Flows(a, m);
                    long t0 = System.nanoTime();
                    for (int i = 0; i < n; i++) f.send(i, Nat64Benchmark.T0);
                    long t1 = System.nanoTime();
                    if (m.sessionCount(IpProto.UDP) != n) throw new IllegalStateException("not filled");
                    long full = used();
                    long e0 = System.nanoTime();
                    int expired = m.expire(Nat64Benchmark.T0 + 301 * Nat64Benchmark.SEC);
                    long e1 = System.nanoTime();
                    if (expired != n || m.bibCount(IpProto.UDP) != 0) throw new IllegalStateException("not expired");
                    if (round == 1) {
                        System.out.printf("%10d %14.1f %12.1f %14.1f %14.0f %16.1f%n", n,
                                (double) (empty - before - pool4) / n, pool4 / 1048576.0, (double) (full - empty) / n,
                                n / ((t1 - t0) / 1e9), (double) (e1 - e0) / n);
                    }
                }
                m = null;
            }
        }
    }
}
