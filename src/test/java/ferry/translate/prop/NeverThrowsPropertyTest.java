package ferry.translate.prop;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Issue 2: "no input of 0–2000 random or mutated bytes throws". The facade is fed random bytes, mutated valid
 * packets and valid packets under random settings; for each input: no exception escapes, the internal-error counter
 * does not move, and the verdict is accounted for by the counters (DROP: exactly one drop counter moved, by one,
 * nothing emitted; ICMP_ERROR: one drop counter and one error-sent counter, one packet; EMIT: no drop counter, a
 * translated counter, at least one packet).
 */
class NeverThrowsPropertyTest {

    @Provide
    Arbitrary<Case> randomBytes() {
        return Gens.cases((g, c) -> g.random(c));
    }

    @Provide
    Arbitrary<Case> mutatedPackets() {
        return Gens.cases((g, c) -> g.mutate(c, g.valid(c)));
    }

    @Provide
    Arbitrary<Case> validPackets() {
        return Gens.cases((g, c) -> g.valid(c));
    }

    @Property(tries = 2000)
    void randomBytesNeverThrowAndEveryVerdictIsCounted(@ForAll("randomBytes") Case c) {
        check(c);
    }

    @Property(tries = 3000)
    void mutatedPacketsNeverThrowAndEveryVerdictIsCounted(@ForAll("mutatedPackets") Case c) {
        check(c);
    }

    @Property(tries = 2000)
    void validPacketsNeverThrowAndEveryVerdictIsCounted(@ForAll("validPackets") Case c) {
        check(c);
    }

    private static void check(Case c) {
        Harness.Outcome o = c.run();
        List<String> v = new ArrayList<>();
        Oracle.neverThrows(o, v);
        if (o.thrown() == null && o.verdict() != null) Oracle.accounting(o, v);
        assertThat(v).as("%s%n%s", c, o).isEmpty();
    }
}
