package ferry.app;

import ferry.io.PacketReader;
import ferry.io.PacketWriter;
import ferry.io.SkipReason;
import ferry.metrics.Counter;
import ferry.metrics.Counters;
import ferry.translate.PacketSink;
import ferry.translate.Translator;
import ferry.translate.Verdict;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;

/**
 * The offline loop of {@code ferry translate}: each packet of a {@link PacketReader} is copied once into one
 * reusable buffer at {@link Translator#HEADROOM}, translated, and every packet the translator emits is written to
 * the {@link PacketWriter} with the input packet's timestamp, in order. Nothing is allocated per packet.
 */
final class OfflineTranslation {
    /** Room after the packet: the translator may build fragments and ICMP errors past the input's end. */
    static final int TAIL = 64 * 1024;

    private final Translator translator;
    private final Counters counters;
    private final long[] verdicts = new long[Verdict.values().length];
    private long in;
    private long out;
    private long internalErrors;

    /**
     * @param translator the translator (one per thread)
     * @param counters   the counters it increments, for the summary
     */
    OfflineTranslation(Translator translator, Counters counters) {
        this.translator = translator;
        this.counters = counters;
    }

    /** The sink handed to the translator: writes each emitted packet with the current input's timestamp. */
    private static final class WritingSink implements PacketSink {
        private final PacketWriter writer;
        long timestamp;
        long emitted;
        IOException failure;

        WritingSink(PacketWriter writer) {
            this.writer = writer;
        }

        @Override
        public void emit(MemorySegment buf, long off, int len) {
            if (failure != null) return;
            try {
                writer.write(buf, off, len, timestamp);
                emitted++;
            } catch (IOException e) {
                failure = e;
            }
        }
    }

    /**
     * Translates every packet of {@code reader} into {@code writer}. Reader errors and write errors propagate;
     * translator bugs (a RuntimeException from {@link Translator#translate}) are counted as
     * {@link Counter#DROP_INTERNAL_ERROR} and the first one is printed to {@code err}.
     */
    void run(PacketReader reader, PacketWriter writer, PrintStream err) throws IOException {
        WritingSink sink = new WritingSink(writer);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Translator.HEADROOM + PacketReader.MAX_PACKET + TAIL, 16);
            while (reader.next()) {
                int len = reader.length();
                MemorySegment.copy(reader.segment(), reader.offset(), buf, Translator.HEADROOM, len);
                sink.timestamp = reader.timestampNanos();
                in++;
                try {
                    // the packet's timestamp is the translator's clock (NAT64 session lifetimes)
                    Verdict v = translator.translate(buf, Translator.HEADROOM, len, sink.timestamp, sink);
                    verdicts[v.ordinal()]++;
                } catch (RuntimeException e) {
                    // The translator promises never to throw; if it does, count it and go on (DESIGN.md).
                    counters.inc(Counter.DROP_INTERNAL_ERROR);
                    if (internalErrors++ == 0) {
                        err.println("ferry: internal error translating packet " + in + " (counted, going on):");
                        e.printStackTrace(err);
                    }
                }
                if (sink.failure != null) throw sink.failure;
            }
        } finally {
            out = sink.emitted;
        }
    }

    long packetsIn() {
        return in;
    }

    long packetsOut() {
        return out;
    }

    long verdicts(Verdict v) {
        return verdicts[v.ordinal()];
    }

    /**
     * Prints packets in, packets out, and each non-zero translator counter and reader skip count by id with its
     * explanation; then the reader's warning, if any.
     */
    void printSummary(PrintStream ps, PacketReader reader) {
        ps.printf("packets in:  %d%n", in);
        ps.printf("packets out: %d%n", out);
        Map<Counter, Long> snap = counters.snapshot();
        for (Map.Entry<Counter, Long> e : snap.entrySet()) {
            ps.printf("  %-34s %10d  %s%n", e.getKey().id(), e.getValue(), e.getKey().explanation());
        }
        for (SkipReason r : SkipReason.values()) {
            long n = reader.skipped(r);
            if (n != 0) ps.printf("  %-34s %10d  %s%n", r.id(), n, r.explanation());
        }
        if (reader.warning() != null) ps.println("warning: " + reader.warning());
    }
}
