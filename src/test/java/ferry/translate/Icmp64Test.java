package ferry.translate;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.metrics.Counter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** RFC 7915 §5.2 tables, straight from the RFC text and Figure 6. */
class Icmp64Test {

    @ParameterizedTest(name = "ICMPv6 {0}/{1} -> ICMPv4 {2}/{3}")
    @CsvSource({
            "128,0, 8,0", "129,0, 0,0",
            "1,0, 3,1", "1,1, 3,10", "1,2, 3,1", "1,3, 3,1", "1,4, 3,3",
            "2,0, 3,4", "3,0, 11,0", "3,1, 11,1",
            "4,0, 12,0", "4,1, 3,2"})
    void translatedTypesAndCodes(int type6, int code6, int type4, int code4) {
        int m = Icmp64.map(type6, code6);
        assertThat(m).isNotEqualTo(Icmp64.UNTRANSLATED);
        assertThat(Icmp64.type4(m)).isEqualTo(type4);
        assertThat(Icmp64.code4(m)).isEqualTo(code4);
    }

    @ParameterizedTest(name = "ICMPv6 {0}/{1} is dropped with {2}")
    @CsvSource({
            "1,5, DROP_64_ICMP_UNTRANSLATABLE_CODE", "1,6, DROP_64_ICMP_UNTRANSLATABLE_CODE",
            "1,7, DROP_64_ICMP_UNTRANSLATABLE_CODE",
            "4,2, DROP_64_ICMP_UNTRANSLATABLE_CODE", "4,3, DROP_64_ICMP_UNTRANSLATABLE_CODE",
            "130,0, DROP_64_ICMP_MLD", "131,0, DROP_64_ICMP_MLD", "132,0, DROP_64_ICMP_MLD", "143,0, DROP_64_ICMP_MLD",
            "133,0, DROP_64_ICMP_ND", "134,0, DROP_64_ICMP_ND", "135,0, DROP_64_ICMP_ND", "136,0, DROP_64_ICMP_ND",
            "137,0, DROP_64_ICMP_ND",
            "0,0, DROP_64_ICMP_UNKNOWN_TYPE", "5,0, DROP_64_ICMP_UNKNOWN_TYPE", "127,0, DROP_64_ICMP_UNKNOWN_TYPE",
            "138,0, DROP_64_ICMP_UNKNOWN_TYPE", "200,0, DROP_64_ICMP_UNKNOWN_TYPE", "255,0, DROP_64_ICMP_UNKNOWN_TYPE"})
    void untranslatedTypesAndCodes(int type6, int code6, Counter reason) {
        assertThat(Icmp64.map(type6, code6)).isEqualTo(Icmp64.UNTRANSLATED);
        assertThat(Icmp64.reason(type6)).isEqualTo(reason);
    }

    @Test
    void parameterProblemPointerFollowsFigure6ForEveryValue() {
        // RFC 7915 §5.2 Figure 6
        int[] expected = new int[40];
        expected[0] = 0;
        expected[1] = 1;
        expected[2] = -1;
        expected[3] = -1;
        expected[4] = 2;
        expected[5] = 2;
        expected[6] = 9;
        expected[7] = 8;
        for (int i = 8; i < 24; i++) expected[i] = 12;
        for (int i = 24; i < 40; i++) expected[i] = 16;
        for (int i = 0; i < 40; i++) assertThat(Icmp64.pointer(i)).as("pointer %d", i).isEqualTo(expected[i]);
        for (long p : new long[] {40, 41, 100, 1280, 0xffff_ffffL}) assertThat(Icmp64.pointer(p)).isEqualTo(-1);
    }

    @ParameterizedTest(name = "advertised {0}, ipv4-mtu {1}, ipv6-mtu {2} -> {3}")
    @CsvSource({
            "1500, 1500, 1500, 1480", "1280, 1500, 1500, 1260", "1500, 1400, 1500, 1400", "1500, 1500, 1300, 1280",
            "9000, 9000, 9000, 8980", "68, 1500, 1500, 68", "88, 1500, 1500, 68", "100, 1500, 1500, 80",
            "0, 1500, 1500, 68", "4294967295, 1500, 1500, 1480", "70000, 65535, 70000, 65535"})
    void packetTooBigMtuIsTheMinimumOfSection52ClampedTo68(long advertised, int v4, int v6, int expected) {
        assertThat(Icmp64.mtu(advertised, v4, v6, false)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "advertised {0}, ipv4-mtu {1}, ipv6-mtu {2} -> {3}")
    @CsvSource({"1500, 1500, 1500, 1472", "1280, 1500, 1500, 1252", "1500, 1400, 1500, 1400",
            "1500, 1500, 1300, 1272", "96, 1500, 1500, 68"})
    void packetInErrorWithAFragmentHeaderTakesItsEightBytesIntoAccount(long advertised, int v4, int v6, int expected) {
        assertThat(Icmp64.mtu(advertised, v4, v6, true)).isEqualTo(expected);
    }
}
