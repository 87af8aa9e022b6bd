package ferry.addr;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Addresses that are never translated, whatever the tables say. */
class SpecialTest {

    @ParameterizedTest(name = "{0} is never translated")
    @ValueSource(strings = {"0.0.0.0", "0.255.255.255", "127.0.0.0", "127.0.0.1", "127.255.255.255", "169.254.0.0",
        "169.254.255.255", "224.0.0.0", "224.0.0.1", "239.255.255.255", "255.255.255.255"})
    void neverTranslatedIpv4(String v4) {
        assertThat(Special.neverTranslate4(Ipv4.parse(v4))).isTrue();
    }

    @ParameterizedTest(name = "{0} may be translated")
    @ValueSource(strings = {"1.0.0.0", "126.255.255.255", "128.0.0.0", "169.253.255.255", "169.255.0.0",
        "223.255.255.255", "240.0.0.0", "255.255.255.254", "192.0.2.1", "198.51.100.1", "203.0.113.1", "10.0.0.1"})
    void otherIpv4MayBeTranslated(String v4) {
        assertThat(Special.neverTranslate4(Ipv4.parse(v4))).isFalse();
    }

    @ParameterizedTest(name = "{0} is never translated")
    @ValueSource(strings = {"::", "ff00::", "ff02::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe80::",
        "fe80::1", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"})
    void neverTranslatedIpv6(String v6) {
        long[] a = Ipv6.parse(v6);
        assertThat(Special.neverTranslate6(a[0], a[1])).isTrue();
    }

    @ParameterizedTest(name = "{0} may be translated")
    @ValueSource(strings = {"::1:0:0:0", "0:0:0:1::", "::0.0.0.1", "fec0::", "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "feff::", "2001:db8::1", "64:ff9b::192.0.2.1", "64:ff9b:1::"})
    void otherIpv6MayBeTranslated(String v6) {
        long[] a = Ipv6.parse(v6);
        assertThat(Special.neverTranslate6(a[0], a[1])).isFalse();
    }

    @ParameterizedTest(name = "{0} intersects {1}")
    @org.junit.jupiter.params.provider.CsvSource({
        "0.0.0.0/0, 0.0.0.0/8", "0.0.0.0/8, 0.0.0.0/8", "0.255.0.0/16, 0.0.0.0/8", "127.0.0.1/32, 127.0.0.0/8",
        "126.0.0.0/7, 127.0.0.0/8", "169.254.3.0/24, 169.254.0.0/16", "169.0.0.0/8, 169.254.0.0/16",
        "224.0.0.0/3, 224.0.0.0/4", "239.1.1.1/32, 224.0.0.0/4", "255.255.255.255/32, 255.255.255.255/32",
        "255.255.255.0/24, 255.255.255.255/32",
    })
    void subnetScopedOverlapNamesTheRange(String prefix, String range) {
        assertThat(Special.subnetScopedOverlap(Prefix4.parse(prefix))).isEqualTo(Prefix4.parse(range));
    }

    @ParameterizedTest(name = "{0} is not subnet scoped")
    @ValueSource(strings = {"1.0.0.0/8", "128.0.0.0/3", "169.255.0.0/16", "192.0.2.0/24", "198.51.100.0/24",
        "203.0.113.0/24", "240.0.0.0/5", "255.255.255.254/32", "10.0.0.0/8"})
    void globalPrefixesAreNotSubnetScoped(String prefix) {
        assertThat(Special.subnetScopedOverlap(Prefix4.parse(prefix))).isNull();
    }
}
