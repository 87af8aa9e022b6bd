package ferry.translate.prop;

import java.util.SplittableRandom;

/**
 * A stream of bounded choices that drives {@link PacketGen}. jqwik hands in a shrinkable {@code int[]} (so a
 * failing packet shrinks towards choice 0 everywhere: the simplest packet); Jazzer hands in its
 * {@code FuzzedDataProvider} (so the fuzzer mutates packet structure, not only bytes). Once the stream runs out
 * every choice is 0.
 */
public interface Choices {
    /** A choice in {@code [0, bound)}; {@code bound >= 1}. */
    int below(int bound);

    /** True with roughly {@code percent} % probability (false when the stream is exhausted). */
    default boolean chance(int percent) {
        return below(100) >= 100 - percent;
    }

    /** A value in {@code [lo, hi]}. */
    default int between(int lo, int hi) {
        return lo + below(hi - lo + 1);
    }

    /** One of the given values (the first when exhausted). */
    default int oneOf(int... values) {
        return values[below(values.length)];
    }

    /** 16 random bits. */
    default int u16() {
        return below(0x10000);
    }

    /** 32 random bits. */
    default int u32() {
        return (below(0x10000) << 16) | below(0x10000);
    }

    /** {@code n} pseudo-random bytes from one choice (a seed): all-zero seed gives the pattern 0, 1, 2, ... */
    default byte[] bytes(int n) {
        int seed = below(Integer.MAX_VALUE);
        byte[] b = new byte[n];
        if (seed == 0) {
            for (int i = 0; i < n; i++) b[i] = (byte) i;
        } else {
            new SplittableRandom(seed).nextBytes(b);
        }
        return b;
    }

    /** Choices read from an array (jqwik), each taken modulo the bound; 0 after the end. */
    static Choices of(int[] values) {
        return new Choices() {
            private int i;

            @Override
            public int below(int bound) {
                if (bound <= 1 || i >= values.length) {
                    if (bound > 1) i++;
                    return 0;
                }
                return Math.floorMod(values[i++], bound);
            }
        };
    }

    /** Choices from a seeded PRNG (seed-corpus generation, quick experiments). */
    static Choices random(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        return bound -> bound <= 1 ? 0 : r.nextInt(bound);
    }
}
