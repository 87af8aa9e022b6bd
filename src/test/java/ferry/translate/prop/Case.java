package ferry.translate.prop;

import java.util.function.BiFunction;

/**
 * One generated test case: a setup, an input packet and the spare bytes after it in the buffer. Its
 * {@code toString} is what jqwik prints for a failing sample: the setup and the input as hex (a reproducer).
 */
public record Case(Setup setup, byte[] input, int tail) {

    /** Builds a case from a choice stream: setup first, then the input from {@code input}. */
    public static Case of(Choices c, Setup setup, BiFunction<PacketGen, Choices, byte[]> input) {
        byte[] in = input.apply(new PacketGen(setup.pool6()), c);
        int tail = c.oneOf(0, 2048, 64, 0);
        return new Case(setup, in, tail);
    }

    public Harness.Outcome run() {
        return new Harness(setup).run(input, tail);
    }

    @Override
    public String toString() {
        return "Case[" + setup + " tail=" + tail + "\n  in=" + Harness.hex(input) + "]";
    }
}
