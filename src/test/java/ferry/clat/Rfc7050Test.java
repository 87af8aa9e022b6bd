package ferry.clat;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Ipv6;
import ferry.addr.Rfc6052;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 7050 §3: the NAT64 prefix from the AAAA records of ipv4only.arpa. */
class Rfc7050Test {
    static long[] a(String s) {
        return Ipv6.parse(s);
    }

    static long[] embed(Rfc6052 p, int v4) {
        return new long[] {p.embedHi(v4), p.embedLo(v4)};
    }

    @ParameterizedTest
    @ValueSource(strings = {"2001:db8::/32", "2001:db8:100::/40", "2001:db8:122::/48", "2001:db8:122:300::/56",
            "2001:db8:122:344::/64", "2001:db8:122:344::/96", "64:ff9b::/96", "64:ff9b:1::/48"})
    void eitherWellKnownAddressAtEveryLengthRevealsThePrefix(String prefix) {
        Rfc6052 p = Rfc6052.parse(prefix);
        assertThat(Rfc7050.prefixes(List.of(embed(p, Rfc7050.WKA_1)))).containsExactly(p);
        assertThat(Rfc7050.prefixes(List.of(embed(p, Rfc7050.WKA_2)))).containsExactly(p);
        assertThat(Rfc7050.prefixes(List.of(embed(p, Rfc7050.WKA_1), embed(p, Rfc7050.WKA_2))))
                .as("both records of one prefix give it once").containsExactly(p);
    }

    @Test
    void theRfc6052ExampleAddressesOf192_0_0_170AreFound() {
        // RFC 6052 §2.4 layout, with 192.0.0.170 (c0.00.00.aa) instead of 192.0.2.33
        assertThat(Rfc7050.prefixOf(a("2001:db8:c000:aa::")[0], a("2001:db8:c000:aa::")[1]))
                .isEqualTo(Rfc6052.parse("2001:db8::/32"));
        assertThat(Rfc7050.prefixOf(a("2001:db8:1c0:0:aa::")[0], a("2001:db8:1c0:0:aa::")[1]))
                .isEqualTo(Rfc6052.parse("2001:db8:100::/40"));
        assertThat(Rfc7050.prefixOf(a("2001:db8:122:344:c0:0:aa00:0")[0], a("2001:db8:122:344:c0:0:aa00:0")[1]))
                .isEqualTo(Rfc6052.parse("2001:db8:122:344::/64"));
        assertThat(Rfc7050.prefixOf(a("64:ff9b::192.0.0.171")[0], a("64:ff9b::192.0.0.171")[1]))
                .isEqualTo(Rfc6052.parse("64:ff9b::/96"));
    }

    @Test
    void answersWithoutAWellKnownAddressGiveNoPrefix() {
        assertThat(Rfc7050.prefixes(List.of(a("2001:db8::1"), a("64:ff9b::192.0.2.33"), a("64:ff9b::192.0.0.172"))))
                .isEmpty();
        assertThat(Rfc7050.prefixes(List.of())).isEmpty();
    }

    @Test
    void aWellKnownAddressWithANonZeroSuffixOrUOctetIsNotAMatch() {
        // /64 position holds c00000aa but the suffix is not zero
        assertThat(Rfc7050.prefixOf(a("2001:db8:122:344:c0:0:aa00:1")[0], a("2001:db8:122:344:c0:0:aa00:1")[1])).isNull();
        // /40 position but the u-octet (bits 64..71) is set
        assertThat(Rfc7050.prefixOf(a("2001:db8:1c0:0:ffaa::")[0], a("2001:db8:1c0:0:ffaa::")[1])).isNull();
    }

    @Test
    void theLongestPrefixIsTriedFirst() {
        // ::c000:aa at bits 96..127 of a prefix whose bits 72..103 are zero except... the /96 reading wins
        Rfc6052 p96 = Rfc6052.parse("2001:db8:122:344::/96");
        assertThat(Rfc7050.prefixOf(p96.embedHi(Rfc7050.WKA_1), p96.embedLo(Rfc7050.WKA_1))).isEqualTo(p96);
    }

    @Test
    void recordsWithoutWkaAreSkippedAndTheFirstPrefixFoundComesFirst() {
        Rfc6052 a = Rfc6052.parse("2001:db8:aaaa::/48"), b = Rfc6052.parse("64:ff9b::/96");
        assertThat(Rfc7050.prefixes(List.of(a("2001:db8::1"), embed(a, Rfc7050.WKA_2), embed(b, Rfc7050.WKA_1))))
                .containsExactly(a, b);
    }
}
