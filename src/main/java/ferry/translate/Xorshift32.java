package ferry.translate;

/** xorshift32 (Marsaglia 2003): the translators' small PRNG; no allocation, no clock, never 0 from a non-zero state. */
final class Xorshift32 {
    private Xorshift32() {
    }

    /** The state after {@code x} (also the next random value). */
    static int step(int x) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        return x;
    }
}
