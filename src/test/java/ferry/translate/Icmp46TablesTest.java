package ferry.translate;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.metrics.Counter;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 7915 §4.2: the ICMPv4 → ICMPv6 type/code table and the Parameter Problem pointer map (Figure 3). */
class Icmp46TablesTest {

    private static String mapped(int type, int code) {
        int r = Icmp46Tables.translate(type, code);
        return r == Icmp46Tables.DROP ? "drop" : Icmp46Tables.type6(r) + "/" + Icmp46Tables.code6(r);
    }

    @Nested
    class QueryMessages {
        @Test
        void echoRequestBecomesType128AndEchoReplyType129() {
            assertThat(mapped(8, 0)).isEqualTo("128/0");
            assertThat(mapped(0, 0)).isEqualTo("129/0");
        }

        @Test
        void echoWithANonZeroCodeGetsCodeZero() {
            assertThat(mapped(8, 7)).isEqualTo("128/0");
        }

        @ParameterizedTest(name = "type {0} is obsolete in ICMPv6 and dropped")
        @ValueSource(ints = {13, 14, 15, 16, 17, 18, 4, 6})
        void obsoleteTypesAreDroppedWithTheirCounter(int type) {
            assertThat(mapped(type, 0)).isEqualTo("drop");
            assertThat(Icmp46Tables.dropReason(type, 0)).isEqualTo(Counter.DROP_46_ICMP_OBSOLETE_TYPE);
        }

        @ParameterizedTest(name = "type {0} is single-hop and dropped")
        @ValueSource(ints = {5, 9, 10})
        void singleHopTypesAreDroppedWithTheirCounter(int type) {
            assertThat(mapped(type, 0)).isEqualTo("drop");
            assertThat(Icmp46Tables.dropReason(type, 0)).isEqualTo(Counter.DROP_46_ICMP_SINGLE_HOP_TYPE);
        }

        @ParameterizedTest(name = "unknown type {0} is dropped")
        @ValueSource(ints = {1, 2, 7, 19, 30, 40, 42, 253, 255})
        void unknownTypesAreDropped(int type) {
            assertThat(mapped(type, 0)).isEqualTo("drop");
            assertThat(Icmp46Tables.dropReason(type, 0)).isEqualTo(Counter.DROP_46_ICMP_UNKNOWN_TYPE);
        }
    }

    @Nested
    class DestinationUnreachable {
        @ParameterizedTest(name = "3/{0} -> {1}")
        @CsvSource({
                "0, 1/0", "1, 1/0", "2, 4/1", "3, 1/4", "4, 2/0", "5, 1/0", "6, 1/0", "7, 1/0", "8, 1/0",
                "9, 1/1", "10, 1/1", "11, 1/0", "12, 1/0", "13, 1/1", "14, drop", "15, 1/1", "16, drop", "255, drop"})
        void codesFollowRfc7915Section42(int code, String expected) {
            assertThat(mapped(3, code)).isEqualTo(expected);
        }

        @Test
        void hostPrecedenceViolationCountsAsUntranslatableCode() {
            assertThat(Icmp46Tables.dropReason(3, 14)).isEqualTo(Counter.DROP_46_ICMP_UNTRANSLATABLE_CODE);
        }
    }

    @Nested
    class TimeExceededAndParameterProblem {
        @Test
        void timeExceededBecomesType3WithTheCodeUnchanged() {
            assertThat(mapped(11, 0)).isEqualTo("3/0");
            assertThat(mapped(11, 1)).isEqualTo("3/1");
        }

        @Test
        void parameterProblemCodes0And2BecomeType4Code0() {
            assertThat(mapped(12, 0)).isEqualTo("4/0");
            assertThat(mapped(12, 2)).isEqualTo("4/0");
        }

        @Test
        void missingRequiredOptionAndOtherCodesAreDropped() {
            assertThat(mapped(12, 1)).isEqualTo("drop");
            assertThat(mapped(12, 3)).isEqualTo("drop");
            assertThat(Icmp46Tables.dropReason(12, 1)).isEqualTo(Counter.DROP_46_ICMP_UNTRANSLATABLE_CODE);
        }
    }

    @Nested
    class PointerMap {
        @ParameterizedTest(name = "IPv4 pointer {0} -> IPv6 pointer {1}")
        @CsvSource({
                "0, 0", "1, 1", "2, 4", "3, 4", "8, 7", "9, 6",
                "12, 8", "13, 8", "14, 8", "15, 8", "16, 24", "17, 24", "18, 24", "19, 24"})
        void figure3RowsAreTranslated(int ptr4, int ptr6) {
            assertThat(Icmp46Tables.pointer(ptr4)).isEqualTo(ptr6);
        }

        @ParameterizedTest(name = "IPv4 pointer {0} has no IPv6 counterpart")
        @ValueSource(ints = {4, 5, 6, 7, 10, 11, 20, 21, 40, 59, 255, -1, 256})
        void pointersListedNaOrNotListedAreDropped(int ptr4) {
            assertThat(Icmp46Tables.pointer(ptr4)).isEqualTo(Icmp46Tables.DROP);
        }
    }

    @Test
    void errorTypesAreTheRfc1812Ones() {
        for (int t = 0; t < 256; t++) {
            boolean expected = t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
            assertThat(Icmp46Tables.isError(t)).as("type %d", t).isEqualTo(expected);
        }
    }

    @Test
    void rfc4884LengthFieldsExistForDestUnreachTimeExceededAndParamProblemInV4Only() {
        assertThat(Icmp46Tables.hasRfc4884Length4(3)).isTrue();
        assertThat(Icmp46Tables.hasRfc4884Length4(11)).isTrue();
        assertThat(Icmp46Tables.hasRfc4884Length4(12)).isTrue();
        assertThat(Icmp46Tables.hasRfc4884Length4(8)).isFalse();
        assertThat(Icmp46Tables.hasRfc4884Length6(1)).isTrue();
        assertThat(Icmp46Tables.hasRfc4884Length6(3)).isTrue();
        assertThat(Icmp46Tables.hasRfc4884Length6(2)).isFalse();
        assertThat(Icmp46Tables.hasRfc4884Length6(4)).isFalse();
    }
}
