package ferry.addr;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** denylist4 membership: edges, merging, large lists, allocation, agreement with a linear scan. */
class Denylist4Test {

    private static Denylist4 of(String... prefixes) {
        List<Prefix4> l = new ArrayList<>();
        for (String p : prefixes) l.add(Prefix4.parse(p));
        return Denylist4.of(l);
    }

    private static boolean has(Denylist4 d, String v4) {
        return d.contains(Ipv4.parse(v4));
    }

    @Test
    void containsExactlyTheAddressesOfItsPrefixes() {
        Denylist4 d = of("203.0.113.0/28", "198.51.100.2", "198.51.100.32/27");
        assertThat(has(d, "203.0.113.0")).isTrue();
        assertThat(has(d, "203.0.113.15")).isTrue();
        assertThat(has(d, "203.0.113.16")).isFalse();
        assertThat(has(d, "203.0.112.255")).isFalse();
        assertThat(has(d, "198.51.100.2")).isTrue();
        assertThat(has(d, "198.51.100.1")).isFalse();
        assertThat(has(d, "198.51.100.3")).isFalse();
        assertThat(has(d, "198.51.100.31")).isFalse();
        assertThat(has(d, "198.51.100.32")).isTrue();
        assertThat(has(d, "198.51.100.63")).isTrue();
        assertThat(has(d, "198.51.100.64")).isFalse();
        assertThat(d.prefixes()).extracting(Prefix4::toString)
                .containsExactly("203.0.113.0/28", "198.51.100.2/32", "198.51.100.32/27");
    }

    @Test
    void emptyListContainsNothing() {
        assertThat(Denylist4.EMPTY.contains(0)).isFalse();
        assertThat(Denylist4.EMPTY.contains(-1)).isFalse();
        assertThat(Denylist4.EMPTY.isEmpty()).isTrue();
    }

    @Test
    void addressesAboveTheSignBitAreComparedUnsigned() {
        Denylist4 d = of("203.0.113.128/25", "0.0.0.0/8", "255.255.255.255");
        assertThat(has(d, "255.255.255.255")).isTrue();
        assertThat(has(d, "255.255.255.254")).isFalse();
        assertThat(has(d, "0.0.0.0")).isTrue();
        assertThat(has(d, "1.0.0.0")).isFalse();
        assertThat(has(d, "127.255.255.255")).isFalse();
        assertThat(has(d, "128.0.0.0")).isFalse();
        assertThat(has(d, "203.0.113.200")).isTrue();
    }

    @Test
    void wholeSpaceAndNestedOrAdjacentPrefixesMerge() {
        assertThat(of("0.0.0.0/0").contains(Ipv4.parse("198.51.100.7"))).isTrue();
        Denylist4 d = of("192.0.2.0/25", "192.0.2.128/25", "192.0.2.64/26", "198.51.100.0/24", "198.51.100.9");
        assertThat(has(d, "192.0.2.0")).isTrue();
        assertThat(has(d, "192.0.2.255")).isTrue();
        assertThat(has(d, "192.0.3.0")).isFalse();
        assertThat(has(d, "198.51.100.9")).isTrue();
        assertThat(has(d, "198.51.100.255")).isTrue();
        assertThat(has(d, "198.51.101.0")).isFalse();
    }

    @Test
    void largeListLookupsAllocateNothing() {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        List<Prefix4> many = new ArrayList<>();
        for (int i = 0; i < 50_000; i++) many.add(new Prefix4(0xcb000000 | (i << 4), 30)); // every 4th /30
        Denylist4 d = Denylist4.of(many);
        int hits = 0;
        for (int r = 0; r < 3; r++) hits += probe(d, 50_000);
        long before = mx.getCurrentThreadAllocatedBytes();
        hits += probe(d, 200_000);
        long after = mx.getCurrentThreadAllocatedBytes();
        assertThat(hits).isPositive();
        assertThat(after - before).as("bytes allocated by 200k lookups").isLessThan(1024);
        assertThat(d.contains(0xcb000000 | (7 << 4) | 3)).isTrue();
        assertThat(d.contains(0xcb000000 | (7 << 4) | 4)).isFalse();
    }

    private static int probe(Denylist4 d, int n) {
        int hits = 0;
        for (int i = 0; i < n; i++) if (d.contains(0xcb000000 | (i * 7 & 0xfffff))) hits++;
        return hits;
    }
}
