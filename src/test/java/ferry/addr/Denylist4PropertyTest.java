package ferry.addr;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** denylist4 membership agrees with a linear scan over random prefix lists (nested, adjacent, duplicated). */
class Denylist4PropertyTest {

    @Property(tries = 300)
    void agreesWithALinearScan(@ForAll("prefixLists") List<Prefix4> prefixes, @ForAll("addresses") List<Integer> probes) {
        Denylist4 d = Denylist4.of(prefixes);
        for (int a : probes) {
            boolean expected = prefixes.stream().anyMatch(p -> p.contains(a));
            assertThat(d.contains(a)).as(Ipv4.format(a)).isEqualTo(expected);
        }
        for (Prefix4 p : prefixes) {
            assertThat(d.contains(p.addr())).isTrue();
            assertThat(d.contains((int) (p.addr() + p.size() - 1))).isTrue();
        }
    }

    @Provide
    Arbitrary<List<Prefix4>> prefixLists() {
        return net.jqwik.api.Combinators.combine(Arbitraries.integers(), Arbitraries.integers().between(0, 32))
                .as((a, len) -> new Prefix4(a & Ipv4.mask(len), len)).list().ofMaxSize(30)
                .injectDuplicates(0.1);
    }

    @Provide
    Arbitrary<List<Integer>> addresses() {
        return Arbitraries.integers().list().ofSize(50);
    }
}
