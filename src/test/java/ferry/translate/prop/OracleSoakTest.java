package ferry.translate.prop;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Volume where the jqwik properties give shrinking: every check of {@link Oracle} over 200 000 generated inputs
 * (valid, mutated, twice mutated, random; random settings) and the round trip over 50 000 packets, in a few
 * seconds. Each distinct kind of violation is reported once with its setup and input hex. Scale with
 * {@code -Dferry.soak.n=4000000}; reproduce with the printed {@code -Dferry.soak.seed}.
 */
class OracleSoakTest {

    @Test
    void everyOracleCheckHoldsOverManyGeneratedInputsAndRoundTrips() {
        int n = Integer.getInteger("ferry.soak.n", 200_000);
        long seed = Long.getLong("ferry.soak.seed", System.nanoTime());
        System.out.println("OracleSoakTest: -Dferry.soak.seed=" + seed + " -Dferry.soak.n=" + n);
        Map<String, String> firstOfKind = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            Choices c = Choices.random(seed + i);
            Setup s = Setup.random(c);
            PacketGen g = new PacketGen(s.pool6());
            byte[] in = switch (i % 4) {
                case 0 -> g.valid(c);
                case 1 -> g.mutate(c, g.valid(c));
                case 2 -> g.any(c);
                default -> g.mutate(c, g.mutate(c, g.valid(c)));
            };
            Harness.Outcome o = new Harness(s).run(in, c.oneOf(0, 64, 2048));
            for (String v : Oracle.violations(s, o)) firstOfKind.putIfAbsent(kind(v), s + "\n" + o);
        }
        for (int i = 0; i < n / 4; i++) {
            Choices c = Choices.random(~(seed + i));
            Setup s = Setup.plain(c.chance(50) ? Setup.WKP : Setup.NSP40);
            PacketGen g = new PacketGen(s.pool6());
            boolean four = i % 2 == 0;
            byte[] in = four ? g.roundTrip4(c) : g.roundTrip6(c);
            List<String> v = new ArrayList<>();
            byte[] out = RoundTripPropertyTest.roundTrip(new Case(s, in, 0), four ? 6 : 4, v);
            if (out != null) {
                if (four) RoundTripPropertyTest.diff4(in, out, v);
                else RoundTripPropertyTest.diff6(in, out, v);
            }
            for (String x : v) firstOfKind.putIfAbsent("round trip: " + kind(x), s + "\n  in=" + Harness.hex(in) + "\n" + x);
        }
        firstOfKind.forEach((k, v) -> System.out.println("VIOLATION " + k + "\n  " + v.replace("\n", "\n  ")));
        assertThat(firstOfKind.keySet()).as("kinds of violation (details printed above)").isEmpty();
    }

    /** The violation text without numbers and hex, so each kind is reported once. */
    private static String kind(String violation) {
        String k = violation.replaceAll("[0-9a-f]{16,}", "X").replaceAll("\\d+", "N");
        return k.length() > 160 ? k.substring(0, 160) : k;
    }
}
