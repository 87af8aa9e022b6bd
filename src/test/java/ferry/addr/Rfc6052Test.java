package ferry.addr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 6052 §2.2 address format, §2.4 examples, and the validation of prefixes. */
class Rfc6052Test {

    /** RFC 6052 §2.4, Table 1: 192.0.2.33 under each prefix length. */
    @ParameterizedTest(name = "{0} embeds {1} as {2}")
    @CsvSource({
        "2001:db8::/32,         192.0.2.33, 2001:db8:c000:221::",
        "2001:db8:100::/40,     192.0.2.33, 2001:db8:1c0:2:21::",
        "2001:db8:122::/48,     192.0.2.33, 2001:db8:122:c000:2:2100::",
        "2001:db8:122:300::/56, 192.0.2.33, 2001:db8:122:3c0:0:221::",
        "2001:db8:122:344::/64, 192.0.2.33, 2001:db8:122:344:c0:2:2100::",
        "2001:db8:122:344::/96, 192.0.2.33, 2001:db8:122:344::192.0.2.33",
        "64:ff9b::/96,          192.0.2.33, 64:ff9b::192.0.2.33",
    })
    void rfc6052Table1EmbedsAndExtracts(String prefix, String v4text, String v6text) {
        Rfc6052 p = Rfc6052.parse(prefix);
        int v4 = Ipv4.parse(v4text);
        long[] v6 = Ipv6.parse(v6text);

        assertThat(p.embedHi(v4)).as("high 64 bits").isEqualTo(v6[0]);
        assertThat(p.embedLo(v4)).as("low 64 bits").isEqualTo(v6[1]);
        assertThat(p.matches(v6[0], v6[1])).isTrue();
        assertThat(Ipv4.format(p.extract(v6[0], v6[1]))).isEqualTo(v4text);
    }

    @Test
    void wellKnownPrefixIsRecognisedAndOthersAreNot() {
        assertThat(Rfc6052.parse("64:ff9b::/96").isWellKnown()).isTrue();
        assertThat(Rfc6052.parse("64:ff9b:1::/48").isWellKnown()).isFalse();
        assertThat(Rfc6052.parse("2001:db8::/96").isWellKnown()).isFalse();
        assertThat(Rfc6052.WELL_KNOWN.toString()).isEqualTo("64:ff9b::/96");
        assertThat(Rfc6052.LOCAL_USE.toString()).isEqualTo("64:ff9b:1::/48");
    }

    @ParameterizedTest(name = "/{0} is refused")
    @ValueSource(ints = {0, 8, 16, 24, 31, 33, 39, 41, 63, 65, 72, 95, 97, 120, 128})
    void lengthsOtherThanTheSixAreRefusedNamingTheValue(int len) {
        Prefix6 p = new Prefix6(0x20010db800000000L & Ipv6.maskHi(len), 0, len);
        assertThatThrownBy(() -> Rfc6052.of(p))
                .isInstanceOf(AddressFormatException.class)
                .hasMessageContaining(p.toString())
                .hasMessageContaining("32, 40, 48, 56, 64 or 96");
    }

    @Test
    void textWithLength33IsRefusedNamingTheValue() {
        assertThatThrownBy(() -> Rfc6052.parse("2001:db8::/33"))
                .isInstanceOf(AddressFormatException.class)
                .hasMessageContaining("2001:db8::/33");
    }

    @Test
    void textWithLength128IsRefusedNamingTheValue() {
        assertThatThrownBy(() -> Rfc6052.parse("2001:db8::1/128"))
                .isInstanceOf(AddressFormatException.class)
                .hasMessageContaining("2001:db8::1/128");
    }

    @ParameterizedTest(name = "{0} has a non-zero u-octet")
    @ValueSource(strings = {"2001:db8:0:0:100::/96", "2001:db8:0:0:ff00::/96", "64:ff9b:0:0:8000::/96"})
    void nonZeroUOctetIsRefused(String text) {
        // RFC 6052 §2.2: bits 64 to 71 of the address are reserved ... MUST be set to zero.
        assertThatThrownBy(() -> Rfc6052.parse(text))
                .isInstanceOf(AddressFormatException.class)
                .hasMessageContaining("u-octet")
                .hasMessageContaining(Prefix6.parse(text).toString());
    }

    @Test
    void forceAcceptsASlash96WithANonZeroUOctetAndEmbedsBelowIt() {
        Rfc6052 p = Rfc6052.of(Prefix6.parse("2001:db8:8011:fda4:4444::/96"), true);
        long[] a = Ipv6.parse("2001:db8:8011:fda4:4444::c633:646d"); // 198.51.100.109
        assertThat(p.embedHi(Ipv4.parse("198.51.100.109"))).isEqualTo(a[0]);
        assertThat(p.embedLo(Ipv4.parse("198.51.100.109"))).isEqualTo(a[1]);
        assertThat(p.matches(a[0], a[1])).isTrue();
        assertThat(Ipv4.format(p.extract(a[0], a[1]))).isEqualTo("198.51.100.109");
    }

    @ParameterizedTest(name = "{0} has host bits")
    @ValueSource(strings = {"2001:db8::1/96", "2001:db8:0:1::/48", "2001:db8:1::/32", "64:ff9b::1:0/64"})
    void hostBitsAreRefusedNamingTheValue(String text) {
        assertThatThrownBy(() -> Rfc6052.parse(text))
                .isInstanceOf(AddressFormatException.class)
                .hasMessageContaining(text)
                .hasMessageContaining("host bits");
    }

    @Test
    void extractIgnoresTheUOctetOfAReceivedAddress() {
        // RFC 6052 §2.2: "... these bits SHOULD be ignored" when an address with a non-zero u-octet is received.
        Rfc6052 p = Rfc6052.parse("2001:db8:100::/40");
        long[] a = Ipv6.parse("2001:db8:1c0:2:ff21::");
        assertThat(Ipv4.format(p.extract(a[0], a[1]))).isEqualTo("192.0.2.33");
    }

    @Test
    void matchesOnlyAddressesInsideThePrefix() {
        Rfc6052 p = Rfc6052.parse("2001:db8:122::/48");
        long[] inside = Ipv6.parse("2001:db8:122:ffff::1");
        long[] outside = Ipv6.parse("2001:db8:123::1");
        assertThat(p.matches(inside[0], inside[1])).isTrue();
        assertThat(p.matches(outside[0], outside[1])).isFalse();
    }

    @Test
    void equalPrefixesAreEqual() {
        assertThat(Rfc6052.parse("64:ff9b::/96")).isEqualTo(Rfc6052.of(Rfc6052.WELL_KNOWN));
        assertThat(Rfc6052.parse("64:ff9b::/96").hashCode()).isEqualTo(Rfc6052.of(Rfc6052.WELL_KNOWN).hashCode());
        assertThat(Rfc6052.parse("64:ff9b::/96")).isNotEqualTo(Rfc6052.parse("2001:db8::/96"));
    }
}
