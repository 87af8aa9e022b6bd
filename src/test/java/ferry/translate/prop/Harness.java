package ferry.translate.prop;

import ferry.metrics.Counter;
import ferry.metrics.Counters;
import ferry.translate.Translator;
import ferry.translate.Verdict;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Runs one input through a translator the way a worker does: the packet sits in a buffer that starts exactly
 * {@link Translator#HEADROOM} bytes before it and ends {@code tail} bytes after it (so any access outside what the
 * contract allows fails loudly), the emitted packets are copied out of the sink, and the counters are compared
 * before and after.
 */
public final class Harness {
    private final Setup setup;
    private final Counters counters = new Counters();
    private final Translator translator;

    public Harness(Setup setup) {
        this.setup = setup;
        this.translator = setup.translator(counters);
    }

    public Setup setup() {
        return setup;
    }

    /** What came out of one {@code translate} call. {@code thrown} is non-null when an exception escaped. */
    public record Outcome(byte[] input, Verdict verdict, List<byte[]> emitted, Map<Counter, Long> delta,
                          Throwable thrown) {
        public long moved(Counter c) {
            return delta.getOrDefault(c, 0L);
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder("in=").append(hex(input)).append(" verdict=").append(verdict)
                    .append(" counters=").append(delta);
            for (byte[] e : emitted) b.append("\n  out=").append(hex(e));
            if (thrown != null) b.append("\n  thrown=").append(thrown);
            return b.toString();
        }
    }

    public static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    /** Translates {@code input} with {@code tail} spare bytes after it in the buffer. */
    public Outcome run(byte[] input, int tail) {
        byte[] arr = new byte[Translator.HEADROOM + input.length + tail];
        java.util.Arrays.fill(arr, (byte) 0xa5); // junk around the packet: reading it would show
        System.arraycopy(input, 0, arr, Translator.HEADROOM, input.length);
        MemorySegment buf = MemorySegment.ofArray(arr);
        Map<Counter, Long> before = counters.snapshot();
        List<byte[]> out = new ArrayList<>();
        Verdict v = null;
        Throwable thrown = null;
        try {
            v = translator.translate(buf, Translator.HEADROOM, input.length,
                    (seg, off, len) -> out.add(seg.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE)));
        } catch (Throwable t) {
            thrown = t;
        }
        Map<Counter, Long> after = counters.snapshot();
        Map<Counter, Long> delta = new EnumMap<>(Counter.class);
        for (Map.Entry<Counter, Long> e : after.entrySet()) {
            long d = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            if (d != 0) delta.put(e.getKey(), d);
        }
        return new Outcome(input.clone(), v, out, delta, thrown);
    }
}
