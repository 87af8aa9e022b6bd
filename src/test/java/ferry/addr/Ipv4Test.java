package ferry.addr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Dotted-quad IPv4 text, IPv4 prefixes. */
class Ipv4Test {

    @Test
    void parsesAndFormatsDottedQuad() {
        assertThat(Ipv4.parse("192.0.2.33")).isEqualTo(0xc0000221);
        assertThat(Ipv4.parse("0.0.0.0")).isZero();
        assertThat(Ipv4.parse("255.255.255.255")).isEqualTo(-1);
        assertThat(Ipv4.format(0xc6336401)).isEqualTo("198.51.100.1");
        assertThat(Ipv4.format(-1)).isEqualTo("255.255.255.255");
    }

    @ParameterizedTest(name = "\"{0}\" is refused")
    @ValueSource(strings = {"", " ", ".", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.256", "01.2.3.4", "1.2.3.04",
        "1..2.3", ".1.2.3", "1.2.3.4.", "a.b.c.d", "1.2.3.-4", "1.2.3.4/24", "1.2.3.4 5", "0x1.2.3.4", "1.2.3.99999999999",
        "\uff11.2.3.4", "::1"})
    void badTextIsRefusedNamingTheValue(String text) {
        assertThatThrownBy(() -> Ipv4.parse(text))
                .isInstanceOf(AddressFormatException.class)
                .hasMessageContaining("'" + text + "'");
    }

    @Test
    void nullIsRefused() {
        assertThatThrownBy(() -> Ipv4.parse(null)).isInstanceOf(AddressFormatException.class);
    }

    @Test
    void masks() {
        assertThat(Ipv4.mask(0)).isZero();
        assertThat(Ipv4.mask(1)).isEqualTo(0x80000000);
        assertThat(Ipv4.mask(24)).isEqualTo(0xffffff00);
        assertThat(Ipv4.mask(32)).isEqualTo(-1);
    }

    @Test
    void prefix4ParsesFormatsAndContains() {
        Prefix4 p = Prefix4.parse("198.51.100.0/24");
        assertThat(p.toString()).isEqualTo("198.51.100.0/24");
        assertThat(p.size()).isEqualTo(256);
        assertThat(p.contains(Ipv4.parse("198.51.100.255"))).isTrue();
        assertThat(p.contains(Ipv4.parse("198.51.101.0"))).isFalse();
        assertThat(Prefix4.parse("192.0.2.1").len()).isEqualTo(32);
        assertThat(Prefix4.parse("0.0.0.0/0").contains(-1)).isTrue();
        assertThat(Prefix4.parse("0.0.0.0/0").size()).isEqualTo(1L << 32);
    }

    @ParameterizedTest(name = "prefix \"{0}\" is refused")
    @ValueSource(strings = {"192.0.2.0/33", "192.0.2.0/-1", "192.0.2.0/", "192.0.2.0/x", "192.0.2.1/24",
        "192.0.2.0/+24", "192.0.2.0/\uff12\uff14", "/24", "192.0.2.0/24/24"})
    void badPrefix4IsRefusedNamingTheValue(String text) {
        assertThatThrownBy(() -> Prefix4.parse(text))
                .isInstanceOf(AddressFormatException.class)
                .hasMessageContaining(text.substring(0, text.indexOf('/')));
    }
}
