package ferry.addr;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The hashed longest-prefix lookups agree with a naive linear scan, on random tables with nested prefixes. */
class EamtPropertyTest {

    @Property(tries = 300)
    void lookupsAgreeWithALinearScan(@ForAll("tables") List<EamEntry> raw, @ForAll("probes") List<Integer> probes4) {
        List<EamEntry> entries = dedupe(raw);
        Eamt t = Eamt.of(entries);
        for (int v4 : probes4) {
            int expected = naive4(entries, v4);
            int got = t.find4(v4);
            assertThat(got).isEqualTo(expected);
            if (got < 0) continue;
            long hi = t.hi6(got, v4), lo = t.lo6(got, v4);
            EamEntry e = entries.get(got);
            assertThat(e.v6().contains(hi, lo)).isTrue();
            // the image is found again on the way back, through the longest IPv6 match
            int back = naive6(entries, hi, lo);
            assertThat(t.find6(hi, lo)).isEqualTo(back);
            if (back == got) assertThat(t.v4(back, hi, lo)).isEqualTo(v4);
        }
        // probe IPv6 addresses built around each entry
        for (EamEntry e : entries) {
            for (long noise : new long[] {0, -1L, 0x0123456789abcdefL}) {
                long hi = e.v6().hi() | (noise & ~Ipv6.maskHi(e.v6().len()));
                long lo = e.v6().lo() | (noise & ~Ipv6.maskLo(e.v6().len()));
                assertThat(t.find6(hi, lo)).isEqualTo(naive6(entries, hi, lo));
            }
        }
    }

    @Provide
    Arbitrary<List<EamEntry>> tables() {
        // Prefixes from a small space so that nesting and near-collisions are frequent.
        Arbitrary<EamEntry> entry = Combinators.combine(
                Arbitraries.integers().between(0, 0xffff), Arbitraries.integers().between(16, 32),
                Arbitraries.longs().between(0, 0xffff), Arbitraries.integers().between(0, 32))
                .as((a4, len4, a6, extra) -> {
                    int addr4 = (0xc6330000 | a4) & Ipv4.mask(len4);
                    int suffix4 = 32 - len4;
                    int len6 = Math.max(96, 128 - suffix4 - extra);
                    if (128 - len6 < suffix4) len6 = 128 - suffix4;
                    long lo = ((a6 << 32) | 0xffffL) & Ipv6.maskLo(len6);
                    return new EamEntry(new Prefix6(0x20010db800000000L, lo, len6), new Prefix4(addr4, len4));
                });
        return entry.list().ofMinSize(0).ofMaxSize(40);
    }

    @Provide
    Arbitrary<List<Integer>> probes() {
        return Arbitraries.integers().between(0, 0xffff).map(x -> 0xc6330000 | x).list().ofSize(60);
    }

    private static List<EamEntry> dedupe(List<EamEntry> raw) {
        Set<Prefix4> seen4 = new HashSet<>();
        Set<Prefix6> seen6 = new HashSet<>();
        List<EamEntry> out = new ArrayList<>();
        for (EamEntry e : raw) if (seen4.add(e.v4()) & seen6.add(e.v6())) out.add(e);
        return out;
    }

    private static int naive4(List<EamEntry> entries, int v4) {
        int best = -1;
        for (int i = 0; i < entries.size(); i++) {
            Prefix4 p = entries.get(i).v4();
            if (p.contains(v4) && (best < 0 || p.len() > entries.get(best).v4().len())) best = i;
        }
        return best;
    }

    private static int naive6(List<EamEntry> entries, long hi, long lo) {
        int best = -1;
        for (int i = 0; i < entries.size(); i++) {
            Prefix6 p = entries.get(i).v6();
            if (p.contains(hi, lo) && (best < 0 || p.len() > entries.get(best).v6().len())) best = i;
        }
        return best;
    }
}
