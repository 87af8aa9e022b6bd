package ferry.translate.prop;

import java.util.function.BiFunction;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.RandomDistribution;

/** jqwik arbitraries of {@link Case}s: a shrinkable array of choices mapped through {@link PacketGen}. */
final class Gens {
    private Gens() {}

    static Arbitrary<int[]> choices() {
        return Arbitraries.integers().between(0, Integer.MAX_VALUE).withDistribution(RandomDistribution.uniform())
                .array(int[].class).ofMinSize(120).ofMaxSize(400);
    }

    /** Random setup, input from {@code input}. */
    static Arbitrary<Case> cases(BiFunction<PacketGen, Choices, byte[]> input) {
        return choices().map(a -> {
            Choices c = Choices.of(a);
            return Case.of(c, Setup.random(c), input);
        });
    }

    /** Plain setup (defaults + own addresses) with either pool6, input from {@code input}. */
    static Arbitrary<Case> plainCases(BiFunction<PacketGen, Choices, byte[]> input) {
        return choices().map(a -> {
            Choices c = Choices.of(a);
            return Case.of(c, Setup.plain(c.chance(50) ? Setup.WKP : Setup.NSP40), input);
        });
    }
}
