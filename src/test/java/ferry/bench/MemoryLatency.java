package ferry.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * What one dependent random memory access costs on this machine, by working-set size: a pointer chase through a
 * random cycle with one step per 64-byte line, in thread CPU time, best of 5 rounds. The floor under any table
 * lookup that must read a random line of a table that size (see the NAT64 performance notes).
 * Run: {@code java -cp target/test-classes ferry.bench.MemoryLatency [MiB...]} (add -XX:+UseTransparentHugePages to
 * see huge pages).
 */
public final class MemoryLatency {
    private MemoryLatency() {
    }

    public static void main(String[] args) {
        int[] sizes = args.length > 0 ? java.util.Arrays.stream(args).mapToInt(Integer::parseInt).toArray()
                : new int[] {1, 4, 16, 64, 128};
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (int mb : sizes) {
            int n = mb * 1024 * 1024 / 64;
            int[] next = new int[n * 16];
            int[] perm = new int[n];
            for (int i = 0; i < n; i++) perm[i] = i;
            java.util.Random r = new java.util.Random(1);
            for (int i = n - 1; i > 0; i--) {
                int j = r.nextInt(i + 1), x = perm[i];
                perm[i] = perm[j];
                perm[j] = x;
            }
            for (int i = 0; i < n; i++) next[perm[i] * 16] = perm[(i + 1) % n] * 16;
            int p = 0;
            for (int i = 0; i < 2_000_000; i++) p = next[p];
            double best = Double.MAX_VALUE;
            for (int round = 0; round < 5; round++) {
                long t0 = mx.getCurrentThreadCpuTime();
                for (int i = 0; i < 5_000_000; i++) p = next[p];
                best = Math.min(best, (mx.getCurrentThreadCpuTime() - t0) / 5e6);
            }
            System.out.printf("%4d MiB: %.1f ns per dependent random load (%d)%n", mb, best, p & 1);
        }
    }
}
