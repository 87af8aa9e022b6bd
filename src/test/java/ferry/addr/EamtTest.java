package ferry.addr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** RFC 7757 Explicit Address Mapping Table: examples, longest-prefix match, validation, allocation. */
class EamtTest {

    /** The example EAMT of RFC 7757 (§3.3, Figure 1). */
    static final Eamt RFC7757 = Eamt.of(List.of(
            EamEntry.parse("2001:db8:aaaa::", "192.0.2.1"),
            EamEntry.parse("2001:db8:bbbb::b/128", "192.0.2.2/32"),
            EamEntry.parse("2001:db8:cccc::/124", "192.0.2.16/28"),
            EamEntry.parse("2001:db8:dddd::/64", "192.0.2.128/26"),
            EamEntry.parse("2001:db8:eeee:8::/62", "192.0.2.192/29"),
            EamEntry.parse("64:ff9b::/127", "192.0.2.224/31")));

    @ParameterizedTest(name = "{0} <-> {1}")
    @CsvSource({
        "192.0.2.1,   2001:db8:aaaa::",
        "192.0.2.2,   2001:db8:bbbb::b",
        "192.0.2.16,  2001:db8:cccc::",
        "192.0.2.20,  2001:db8:cccc::4",
        "192.0.2.24,  2001:db8:cccc::8",
        "192.0.2.31,  2001:db8:cccc::f",
        "192.0.2.128, 2001:db8:dddd::",
        "192.0.2.129, 2001:db8:dddd:0:400::",
        "192.0.2.152, 2001:db8:dddd:0:6000::",
        "192.0.2.183, 2001:db8:dddd:0:dc00::",
        "192.0.2.191, 2001:db8:dddd:0:fc00::",
        "192.0.2.195, 2001:db8:eeee:9:8000::",
        "192.0.2.224, 64:ff9b::",
        "192.0.2.225, 64:ff9b::1",
    })
    void rfc7757ExampleTableTranslatesBothWays(String v4text, String v6text) {
        int v4 = Ipv4.parse(v4text);
        long[] v6 = Ipv6.parse(v6text);

        int i4 = RFC7757.find4(v4);
        assertThat(i4).isNotNegative();
        assertThat(Ipv6.format(RFC7757.hi6(i4, v4), RFC7757.lo6(i4, v4))).isEqualTo(Ipv6.format(v6[0], v6[1]));

        int i6 = RFC7757.find6(v6[0], v6[1]);
        assertThat(i6).isEqualTo(i4);
        assertThat(Ipv4.format(RFC7757.v4(i6, v6[0], v6[1]))).isEqualTo(v4text);
    }

    @ParameterizedTest(name = "{0} has no entry")
    @CsvSource({"192.0.2.0", "192.0.2.3", "192.0.2.15", "192.0.2.32", "192.0.2.127", "192.0.2.200", "192.0.2.226",
        "198.51.100.1"})
    void ipv4AddressesOutsideEveryEntryAreNotFound(String v4) {
        assertThat(RFC7757.find4(Ipv4.parse(v4))).isEqualTo(-1);
    }

    @ParameterizedTest(name = "{0} has no entry")
    @CsvSource({"2001:db8:aaaa::1", "2001:db8:bbbb::a", "2001:db8:cccc::10", "2001:db8:dddd:1::",
        "2001:db8:eeee:c::", "64:ff9b::2", "64:ff9b::192.0.2.1", "2001:db8::"})
    void ipv6AddressesOutsideEveryEntryAreNotFound(String v6) {
        long[] a = Ipv6.parse(v6);
        assertThat(RFC7757.find6(a[0], a[1])).isEqualTo(-1);
    }

    @Test
    void ipv6BitsPastTheIpv4SuffixAreIgnoredOnTheWayToIpv4() {
        // 192.0.2.128/26 <-> 2001:db8:dddd::/64: the 6 suffix bits sit at bits 64..69; the rest does not matter.
        long[] a = Ipv6.parse("2001:db8:dddd:0:6000::1234");
        int i = RFC7757.find6(a[0], a[1]);
        assertThat(Ipv4.format(RFC7757.v4(i, a[0], a[1]))).isEqualTo("192.0.2.152");
    }

    @Test
    void longestPrefixWinsInBothDirections() {
        // Jool's usr-flags-eamt example: 192.0.2.9 matches 192.0.2.8/29 better than 192.0.2.0/24.
        Eamt t = Eamt.of(List.of(
                EamEntry.parse("2001:db8:aaaa::/120", "192.0.2.0/24"),
                EamEntry.parse("2001:db8:bbbb::/125", "192.0.2.8/29")));
        int v4 = Ipv4.parse("192.0.2.9");
        int i = t.find4(v4);
        assertThat(t.entry(i).v4().toString()).isEqualTo("192.0.2.8/29");
        assertThat(Ipv6.format(t.hi6(i, v4), t.lo6(i, v4))).isEqualTo("2001:db8:bbbb::1");
        int other = Ipv4.parse("192.0.2.7");
        int j = t.find4(other);
        assertThat(Ipv6.format(t.hi6(j, other), t.lo6(j, other))).isEqualTo("2001:db8:aaaa::7");

        // and the asymmetry the Jool documentation warns about: 2001:db8:aaaa::9 -> 192.0.2.9 -> 2001:db8:bbbb::1
        long[] a = Ipv6.parse("2001:db8:aaaa::9");
        int k = t.find6(a[0], a[1]);
        assertThat(Ipv4.format(t.v4(k, a[0], a[1]))).isEqualTo("192.0.2.9");
    }

    @Test
    void catchAllEntryAndHostEntryOverlap() {
        // 0.0.0.0/0 <-> 2001:db8:ff00::/40 (the whole IPv4 space after a /40) plus one host entry inside it.
        Eamt t = Eamt.of(List.of(
                EamEntry.parse("2001:db8:ff00::/40", "0.0.0.0/0"),
                EamEntry.parse("2001:db8::abcd", "198.51.100.64")));
        long[] a = Ipv6.parse("2001:db8:ffc6:3364:4000::");
        int i = t.find6(a[0], a[1]);
        assertThat(Ipv4.format(t.v4(i, a[0], a[1]))).isEqualTo("198.51.100.64");
        int v4 = Ipv4.parse("198.51.100.64");
        int j = t.find4(v4);
        assertThat(Ipv6.format(t.hi6(j, v4), t.lo6(j, v4))).isEqualTo("2001:db8::abcd");
        int v4b = Ipv4.parse("203.0.113.5");
        int k = t.find4(v4b);
        assertThat(Ipv6.format(t.hi6(k, v4b), t.lo6(k, v4b))).isEqualTo("2001:db8:ffcb:71:500::");
    }

    @Test
    void suffixCrossingThe64BitBoundaryIsCopied() {
        // IPv4 suffix 16 bits placed at IPv6 bits 56..71.
        Eamt t = Eamt.of(List.of(EamEntry.parse("2001:db8:0:100::/56", "198.51.0.0/16")));
        int v4 = Ipv4.parse("198.51.171.205");
        int i = t.find4(v4);
        long hi = t.hi6(i, v4), lo = t.lo6(i, v4);
        assertThat(Ipv6.format(hi, lo)).isEqualTo("2001:db8:0:1ab:cd00::");
        assertThat(t.find6(hi, lo)).isEqualTo(i);
        assertThat(Ipv4.format(t.v4(i, hi, lo))).isEqualTo("198.51.171.205");
    }

    @Test
    void ipv4SuffixLongerThanIpv6SuffixIsRefused() {
        assertThatThrownBy(() -> EamEntry.parse("2001:db8::/120", "192.0.2.0/23"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2001:db8::/120")
                .hasMessageContaining("192.0.2.0/23")
                .hasMessageContaining("9 bits")
                .hasMessageContaining("8 bits");
    }

    @Test
    void sameIpv6PrefixTwiceIsRefused() {
        // Jool refuses this "full collision" even with --force.
        assertThatThrownBy(() -> Eamt.of(List.of(
                EamEntry.parse("2001:db8::1", "198.51.100.8"),
                EamEntry.parse("2001:db8::1", "198.51.100.9"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("same IPv6 prefix 2001:db8::1/128");
    }

    @Test
    void sameIpv4PrefixTwiceIsRefused() {
        assertThatThrownBy(() -> Eamt.of(List.of(
                EamEntry.parse("2001:db8::1", "198.51.100.8"),
                EamEntry.parse("2001:db8::2", "198.51.100.8"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("same IPv4 prefix 198.51.100.8/32");
    }

    @Test
    void overlapsNamesNestedEntriesOnEitherSide() {
        List<EamEntry> list = List.of(
                EamEntry.parse("2001:db8:aaaa::/120", "192.0.2.0/24"),
                EamEntry.parse("2001:db8:bbbb::/125", "192.0.2.8/29"),   // nested on the IPv4 side only
                EamEntry.parse("2001:db8:aaaa::100/128", "203.0.113.1"), // disjoint from everything
                EamEntry.parse("2001:db8:aaaa::80/121", "198.51.100.0/25")); // nested on the IPv6 side only
        List<Eamt.Conflict> o = Eamt.overlaps(list);
        assertThat(o).hasSize(2);
        assertThat(o.get(0).message()).contains("192.0.2.8/29").contains("192.0.2.0/24");
        assertThat(o.get(0).index()).isEqualTo(1);
        assertThat(o.get(0).other()).isEqualTo(0);
        assertThat(o.get(1).message()).contains("2001:db8:aaaa::80/121").contains("2001:db8:aaaa::/120");
        assertThat(o.get(1).index()).isEqualTo(3);
        assertThat(o.get(1).other()).isEqualTo(0);
        assertThat(Eamt.overlaps(RFC7757.entries())).isEmpty();
    }

    @Test
    void overlapsFindsAContainerAfterADisjointSibling() {
        List<EamEntry> list = List.of(
                EamEntry.parse("2001:db8:1::/104", "198.0.0.0/8"),
                EamEntry.parse("2001:db8:2::/112", "198.51.0.0/16"),
                EamEntry.parse("2001:db8:3::/128", "198.200.0.1"));
        List<Eamt.Conflict> o = Eamt.overlaps(list);
        assertThat(o).hasSize(2);
        assertThat(o).anySatisfy(c -> assertThat(c.message()).contains("198.200.0.1/32").contains("198.0.0.0/8"));
        assertThat(o).anySatisfy(c -> assertThat(c.message()).contains("198.51.0.0/16").contains("198.0.0.0/8"));
    }

    @Test
    void duplicatesNameTheLaterEntry() {
        List<Eamt.Conflict> d = Eamt.duplicates(List.of(
                EamEntry.parse("2001:db8::1", "198.51.100.8"),
                EamEntry.parse("2001:db8::2", "198.51.100.9"),
                EamEntry.parse("2001:db8::3", "198.51.100.8")));
        assertThat(d).hasSize(1);
        assertThat(d.get(0).index()).isEqualTo(2);
        assertThat(d.get(0).other()).isEqualTo(0);
        assertThat(d.get(0).message()).contains("198.51.100.8/32");
    }

    @Test
    void entriesKeepTheirOrderAndTheEmptyTableFindsNothing() {
        assertThat(RFC7757.entries().get(3).toString()).isEqualTo("2001:db8:dddd::/64 | 192.0.2.128/26");
        assertThat(RFC7757.size()).isEqualTo(6);
        assertThat(Eamt.EMPTY.isEmpty()).isTrue();
        assertThat(Eamt.EMPTY.find4(Ipv4.parse("192.0.2.1"))).isEqualTo(-1);
        assertThat(Eamt.EMPTY.find6(0x20010db800000000L, 1)).isEqualTo(-1);
    }

    @Test
    void lookupsAllocateNothing() {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        List<EamEntry> many = new ArrayList<>();
        for (int i = 0; i < 1000; i++) // 1000 entries: 203.0.0.0/24 + i <-> 2001:db8::(i):0/112
            many.add(new EamEntry(new Prefix6(0x20010db800000000L, (long) i << 16, 112),
                    new Prefix4(0xcb000000 | (i << 8), 24)));
        Eamt t = Eamt.of(many);
        long sink = 0;
        for (int round = 0; round < 3; round++) sink += run(t, 20_000); // warm up
        long before = mx.getCurrentThreadAllocatedBytes();
        sink += run(t, 100_000);
        long after = mx.getCurrentThreadAllocatedBytes();
        assertThat(sink).isNotZero();
        assertThat(after - before).as("bytes allocated by 400k lookups").isLessThan(1024);
    }

    private static long run(Eamt t, int n) {
        long sink = 0;
        for (int i = 0; i < n; i++) {
            int v4 = 0xcb000000 | ((i % 1200) << 8) | (i & 0xff);
            int idx = t.find4(v4);
            if (idx >= 0) {
                long hi = t.hi6(idx, v4), lo = t.lo6(idx, v4);
                int back = t.find6(hi, lo);
                sink += t.v4(back, hi, lo);
            }
            sink += idx;
        }
        return sink;
    }
}
