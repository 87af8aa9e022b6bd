package ferry.addr;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Positive;

/** Properties of RFC 6052 embedding over every length and random addresses and prefixes. */
class Rfc6052PropertyTest {

    private static final int[] LENGTHS = {32, 40, 48, 56, 64, 96};

    @Property(tries = 3000)
    void extractOfEmbedIsTheAddressAndTheUOctetIsZero(
            @ForAll @IntRange(min = 0, max = 5) int lengthIndex,
            @ForAll int v4,
            @ForAll long prefixHi,
            @ForAll long prefixLo) {
        int len = LENGTHS[lengthIndex];
        long hi = prefixHi & Ipv6.maskHi(len);
        long lo = prefixLo & Ipv6.maskLo(len) & 0x00ff_ffff_ffff_ffffL; // u-octet zero
        Rfc6052 p = Rfc6052.of(new Prefix6(hi, lo, len));

        long eHi = p.embedHi(v4), eLo = p.embedLo(v4);

        assertThat(p.extract(eHi, eLo)).isEqualTo(v4);
        assertThat((eLo >>> 56) & 0xff).as("u-octet (bits 64-71)").isZero();
        assertThat(p.matches(eHi, eLo)).isTrue();
        if (len < 96) {
            // RFC 6052 §2.2: the suffix after the embedded address is zero.
            int suffixBits = 128 - 8 - len - 32; // bits after u-octet, prefix and v4
            long suffixMask = suffixBits == 0 ? 0 : (1L << suffixBits) - 1;
            assertThat(eLo & suffixMask).as("suffix").isZero();
        }
    }

    @Property(tries = 500)
    void differentAddressesEmbedDifferently(@ForAll @IntRange(min = 0, max = 5) int lengthIndex,
                                            @ForAll int a, @ForAll @Positive int delta) {
        Rfc6052 p = Rfc6052.of(new Prefix6(0x20010db800000000L, 0, LENGTHS[lengthIndex]));
        int b = a + delta;
        assertThat(p.embedHi(a) == p.embedHi(b) && p.embedLo(a) == p.embedLo(b)).isFalse();
    }
}
