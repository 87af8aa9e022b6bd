package ferry.addr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 4291 §2.2 text parsing and RFC 5952 canonical formatting. */
class Ipv6Test {

    @Test
    void parsesIntoTwoLongsInNetworkOrder() {
        long[] a = Ipv6.parse("2001:db8:1:2:3:4:5:6");
        assertThat(a[0]).isEqualTo(0x20010db800010002L);
        assertThat(a[1]).isEqualTo(0x0003000400050006L);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        // RFC 5952 §4.1: leading zeros suppressed
        "2001:0db8:0000:0000:0000:0000:0002:0001, 2001:db8::2:1",
        // §4.2.1: "::" used to its maximum capability
        "2001:db8:0:0:0:0:2:1, 2001:db8::2:1",
        // §4.2.2: "::" not used for one 16-bit 0 field
        "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
        // §4.2.3: the longest run is shortened; on a tie the first one
        "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",
        "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
        // §4.3: lowercase
        "2001:DB8::ABCD, 2001:db8::abcd",
        "::, ::",
        "0:0:0:0:0:0:0:1, ::1",
        "1:0:0:0:0:0:0:0, 1::",
        "1:0:0:0:0:0:0:1, 1::1",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "1:2:3:4:5:6:7::, 1:2:3:4:5:6:7:0",
        "::2:3:4:5:6:7:8, 0:2:3:4:5:6:7:8",
    })
    void formatsCanonically(String in, String canonical) {
        long[] a = Ipv6.parse(in);
        assertThat(Ipv6.format(a[0], a[1])).isEqualTo(canonical);
        long[] again = Ipv6.parse(canonical);
        assertThat(again).containsExactly(a);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "::ffff:192.0.2.1, 0, 0x0000ffffc0000201",
        "64:ff9b::192.0.2.33, 0x0064ff9b00000000, 0x00000000c0000221",
        "::192.0.2.1, 0, 0x00000000c0000201",
        "1:2:3:4:5:6:192.0.2.1, 0x0001000200030004, 0x00050006c0000201",
    })
    void parsesATrailingDottedQuad(String text, String hi, String lo) {
        long[] a = Ipv6.parse(text);
        assertThat(a[0]).isEqualTo(Long.decode(hi));
        assertThat(a[1]).isEqualTo(Long.parseUnsignedLong(lo.substring(2), 16));
    }

    @ParameterizedTest(name = "\"{0}\" is refused")
    @ValueSource(strings = {
        "", " ", ":", ":::", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8::",
        "::1:2:3:4:5:6:7:8", ":1::", "1:", "1::2:", ":1:2:3:4:5:6:7:8", "g::", "::-1", "1:2:3:4:5:6:7:8:",
        "::1.2.3", "::256.0.0.1", "::1.2.3.4:5", "1:2:3:4:5:6:7:1.2.3.4", "192.0.2.1", "fe80::1%eth0",
        "2001:db8::/32", "::01.2.3.4", "\uff12001:db8::1", "2001:db8::\u0661",
    })
    void badTextIsRefusedNamingTheValue(String text) {
        assertThatThrownBy(() -> Ipv6.parse(text))
                .isInstanceOf(AddressFormatException.class)
                .hasMessageContaining("'" + text + "'");
    }

    @Test
    void nullIsRefused() {
        assertThatThrownBy(() -> Ipv6.parse(null)).isInstanceOf(AddressFormatException.class);
    }

    @Test
    void masksCoverTheFirstLenBits() {
        assertThat(Ipv6.maskHi(0)).isZero();
        assertThat(Ipv6.maskHi(1)).isEqualTo(0x8000_0000_0000_0000L);
        assertThat(Ipv6.maskHi(64)).isEqualTo(-1L);
        assertThat(Ipv6.maskHi(128)).isEqualTo(-1L);
        assertThat(Ipv6.maskLo(64)).isZero();
        assertThat(Ipv6.maskLo(65)).isEqualTo(0x8000_0000_0000_0000L);
        assertThat(Ipv6.maskLo(96)).isEqualTo(0xffff_ffff_0000_0000L);
        assertThat(Ipv6.maskLo(128)).isEqualTo(-1L);
    }

    @Test
    void prefix6ParsesFormatsAndContains() {
        Prefix6 p = Prefix6.parse("2001:db8:122::/48");
        assertThat(p.toString()).isEqualTo("2001:db8:122::/48");
        long[] in = Ipv6.parse("2001:db8:122:ffff::1"), out = Ipv6.parse("2001:db8:123::");
        assertThat(p.contains(in[0], in[1])).isTrue();
        assertThat(p.contains(out[0], out[1])).isFalse();
        assertThat(Prefix6.parse("2001:db8::1").len()).isEqualTo(128);
        assertThat(Prefix6.parse("::/0").contains(-1L, -1L)).isTrue();
    }

    @ParameterizedTest(name = "prefix \"{0}\" is refused")
    @ValueSource(strings = {"2001:db8::/129", "2001:db8::/-1", "2001:db8::/", "2001:db8::/x", "2001:db8::1/64",
        "2001:db8::/+32", "2001:db8::/\uff13\uff12", "/32"})
    void badPrefix6IsRefusedNamingTheValue(String text) {
        assertThatThrownBy(() -> Prefix6.parse(text))
                .isInstanceOf(AddressFormatException.class)
                .hasMessageContaining(text.substring(0, text.indexOf('/')));
    }
}
