package ferry.clat;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Rfc6052;
import ferry.metrics.Counter;
import ferry.metrics.Counters;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** RFC 8781 PREF64 options read out of Router Advertisements (RFC 4861 §4.2, §4.6, §6.1.2). */
class RouterAdvertisementsTest {
    private final Counters counters = new Counters();

    private List<Pref64Option> parse(byte[] ra) {
        return RouterAdvertisements.pref64Options(ra, 0, ra.length, counters);
    }

    @ParameterizedTest(name = "PLC {0} -> /{1}")
    @CsvSource({"0, 96, 2001:db8:64::/96", "1, 64, 2001:db8:64:64::/64", "2, 56, 2001:db8:64:6400::/56",
            "3, 48, 2001:db8:64::/48", "4, 40, 2001:db8:6400::/40", "5, 32, 2001:db8::/32"})
    void everyPrefixLengthCodeGivesItsLength(int plc, int length, String prefix) {
        List<Pref64Option> o = parse(new Ra().pref64(225, plc, prefix.substring(0, prefix.indexOf('/'))).build());
        assertThat(o).containsExactly(new Pref64Option(Rfc6052.parse(prefix), 1800));
        assertThat(o.getFirst().prefix().len()).isEqualTo(length);
        assertThat(counters.snapshot()).containsOnly(Map.entry(Counter.CLAT_PREF64_OK, 1L));
    }

    @Test
    void theScaledLifetimeIsInUnitsOf8SecondsAnd13BitsWide() {
        assertThat(parse(new Ra().pref64(8191, 0, "64:ff9b::").build()).getFirst().lifetimeSeconds()).isEqualTo(65528);
        assertThat(parse(new Ra().pref64(1, 0, "64:ff9b::").build()).getFirst().lifetimeSeconds()).isEqualTo(8);
    }

    @Test
    void lifetimeZeroIsReportedSoThePrefixCanBeWithdrawn() {
        assertThat(parse(new Ra().pref64(0, 0, "2001:db8:64::").build()))
                .containsExactly(new Pref64Option(Rfc6052.parse("2001:db8:64::/96"), 0));
    }

    @ParameterizedTest(name = "Length {0}")
    @ValueSource(ints = {1, 3, 4})
    void anOptionWhoseLengthIsNot2IsIgnoredAndCounted(int units) {
        // a well-formed RA otherwise: the option's own length is honoured to walk on to the next one
        List<Pref64Option> o = parse(new Ra().pref64(units, 225, 0, "2001:db8:bad::").pref64(225, 0, "2001:db8:64::")
                .build());
        assertThat(o).containsExactly(new Pref64Option(Rfc6052.parse("2001:db8:64::/96"), 1800));
        assertThat(counters.get(Counter.CLAT_PREF64_MALFORMED)).isEqualTo(1);
        assertThat(counters.get(Counter.CLAT_PREF64_OK)).isEqualTo(1);
    }

    @ParameterizedTest(name = "PLC {0}")
    @ValueSource(ints = {6, 7})
    void prefixLengthCodes6And7AreIgnoredAndCounted(int plc) {
        assertThat(parse(new Ra().pref64(225, plc, "2001:db8:64::").build())).isEmpty();
        assertThat(counters.snapshot()).containsOnly(Map.entry(Counter.CLAT_PREF64_MALFORMED, 1L));
    }

    @Test
    void aSlash96WithANonZeroUOctetIsIgnoredAndCounted() {
        assertThat(parse(new Ra().pref64(225, 0, "2001:db8:64:0:ff00::").build())).isEmpty();
        assertThat(counters.get(Counter.CLAT_PREF64_MALFORMED)).isEqualTo(1);
    }

    @Test
    void bitsPastThePrefixLengthAreIgnored() {
        // PLC 3 (/48) with garbage in bits 48..95
        assertThat(parse(new Ra().pref64(225, 3, "2001:db8:64:ffff:ffff:ffff::").build()))
                .containsExactly(new Pref64Option(Rfc6052.parse("2001:db8:64::/48"), 1800));
    }

    @Test
    void otherOptionsAreSkippedAndSeveralPref64OptionsKeptInOrder() {
        List<Pref64Option> o = parse(new Ra().sourceLinkLayer().pref64(100, 0, "2001:db8:64::")
                .option(5, 1, 8).pref64(0, 1, "2001:db8:65:1::").build());
        assertThat(o).containsExactly(new Pref64Option(Rfc6052.parse("2001:db8:64::/96"), 800),
                new Pref64Option(Rfc6052.parse("2001:db8:65:1::/64"), 0));
    }

    @Test
    void anOptionOfLengthZeroDiscardsTheWholeAdvertisement() {
        // RFC 4861 §4.6: "Nodes MUST silently discard an ND packet that contains an option with length zero."
        assertThat(parse(new Ra().pref64(225, 0, "2001:db8:64::").option(1, 0, 8).build())).isNull();
        assertThat(counters.snapshot()).containsOnly(Map.entry(Counter.CLAT_RA_MALFORMED, 1L));
    }

    @Test
    void anOptionRunningPastTheEndDiscardsTheWholeAdvertisement() {
        assertThat(parse(new Ra().pref64(225, 0, "2001:db8:64::").option(3, 4, 16).build())).isNull();
        assertThat(parse(new Ra().pref64(225, 0, "2001:db8:64::").option(3, 1, 1).build())).isNull();
        assertThat(counters.snapshot()).containsOnly(Map.entry(Counter.CLAT_RA_MALFORMED, 2L));
    }

    @Test
    void notARouterAdvertisementOrTooShortIsDiscarded() {
        assertThat(parse(new Ra().type(133).build())).isNull();
        assertThat(parse(new Ra().code(1).pref64(225, 0, "2001:db8:64::").build())).isNull();
        assertThat(RouterAdvertisements.pref64Options(new Ra().build(), 0, 15, counters)).isNull();
        assertThat(RouterAdvertisements.pref64Options(new byte[4], 0, 40, counters)).isNull();
        assertThat(counters.get(Counter.CLAT_RA_MALFORMED)).isEqualTo(4);
    }

    @Test
    void anAdvertisementWithoutPref64GivesNothing() {
        assertThat(parse(new Ra().sourceLinkLayer().build())).isEmpty();
        assertThat(counters.snapshot()).isEmpty();
    }

    @Test
    void randomBytesNeverThrow() {
        java.util.Random r = new java.util.Random(7);
        for (int i = 0; i < 20_000; i++) {
            byte[] b = new byte[r.nextInt(80)];
            r.nextBytes(b);
            if (b.length > 1 && r.nextBoolean()) { b[0] = (byte) 134; b[1] = 0; }
            RouterAdvertisements.pref64Options(b, 0, b.length, counters);
        }
        assertThat(counters.get(Counter.CLAT_RA_MALFORMED)).isPositive();
    }
}
