package ferry.bench;

import ferry.translate.PacketSink;
import ferry.translate.Translator;
import ferry.translate.Verdict;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The benchmarks' batch harness: {@link #BATCH} packet buffers of 2 KiB after {@link Translator#HEADROOM}, each in
 * its own allocation as a TUN worker reads them, with the offsets, lengths and verdicts the translator's batch API
 * takes. The NAT64 batch cases and their SIIT reference all go through it, so their ratios compare like with like.
 */
final class BatchBuffers {
    /** Packets per batch: what a TUN worker reads in one go. */
    static final int BATCH = 32;

    final MemorySegment[] bufs = new MemorySegment[BATCH];
    final long[] offs = new long[BATCH];
    final int[] lens = new int[BATCH];
    final Verdict[] verdicts = new Verdict[BATCH];

    /** Buffers for packets of {@code len} bytes, each at {@link Translator#HEADROOM}. */
    BatchBuffers(Arena arena, int len) {
        for (int j = 0; j < BATCH; j++) {
            bufs[j] = arena.allocate(Translator.HEADROOM + 2048);
            offs[j] = Translator.HEADROOM;
            lens[j] = len;
        }
    }

    /** Translates the first {@code n} buffers as one batch at {@code now}; returns how many were not emitted. */
    int translate(Translator t, int n, long now, PacketSink sink) {
        t.translate(bufs, offs, lens, n, now, sink, verdicts);
        int refused = 0;
        for (int j = 0; j < n; j++) if (verdicts[j] != Verdict.EMIT) refused++;
        return refused;
    }
}
