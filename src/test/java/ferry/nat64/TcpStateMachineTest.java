package ferry.nat64;

import static ferry.nat64.TcpStateMachine.*;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** RFC 6146 §3.5.2.2 transition table (with RFC 7857 §3.1 RST handling and handle-rst-during-fin-rcv). */
class TcpStateMachineTest {
    private static int flags(String f) {
        return switch (f) {
            case "SYN" -> SYN_FLAG;
            case "FIN" -> FIN;
            case "RST" -> RST;
            case "ACK" -> 0x10;
            default -> throw new IllegalArgumentException(f);
        };
    }

    @ParameterizedTest(name = "{0} + {1} {2} -> {3} ({4})")
    @CsvSource({
            // state, side, flags, next state, lifetime
            "CLOSED, v6, SYN, V6_INIT, TRANS",
            "CLOSED, v4, SYN, V4_INIT, SYN",
            "CLOSED, v6, ACK, CLOSED, KEEP",
            "CLOSED, v4, FIN, CLOSED, KEEP",
            "V6_INIT, v4, SYN, ESTABLISHED, EST",
            "V6_INIT, v6, SYN, V6_INIT, TRANS",
            "V6_INIT, v6, ACK, V6_INIT, KEEP",
            "V6_INIT, v4, ACK, V6_INIT, KEEP",
            "V4_INIT, v6, SYN, ESTABLISHED, EST",
            "V4_INIT, v4, SYN, V4_INIT, KEEP",
            "V4_INIT, v4, ACK, V4_INIT, KEEP",
            "ESTABLISHED, v4, FIN, V4_FIN_RCV, KEEP",
            "ESTABLISHED, v6, FIN, V6_FIN_RCV, KEEP",
            "ESTABLISHED, v4, RST, TRANS, TRANS",
            "ESTABLISHED, v6, RST, TRANS, TRANS",
            "ESTABLISHED, v6, ACK, ESTABLISHED, EST",
            "ESTABLISHED, v4, ACK, ESTABLISHED, EST",
            "V4_FIN_RCV, v6, FIN, V4_FIN_V6_FIN_RCV, TRANS",
            "V4_FIN_RCV, v4, FIN, V4_FIN_RCV, EST",
            "V4_FIN_RCV, v6, ACK, V4_FIN_RCV, EST",
            "V4_FIN_RCV, v6, RST, V4_FIN_RCV, EST",
            "V6_FIN_RCV, v4, FIN, V4_FIN_V6_FIN_RCV, TRANS",
            "V6_FIN_RCV, v6, FIN, V6_FIN_RCV, EST",
            "V6_FIN_RCV, v4, ACK, V6_FIN_RCV, EST",
            "V4_FIN_V6_FIN_RCV, v4, ACK, V4_FIN_V6_FIN_RCV, KEEP",
            "V4_FIN_V6_FIN_RCV, v6, SYN, V4_FIN_V6_FIN_RCV, KEEP",
            "TRANS, v4, ACK, ESTABLISHED, EST",
            "TRANS, v6, ACK, ESTABLISHED, EST",
            "TRANS, v6, RST, TRANS, KEEP",
    })
    void transitionFollowsRfc6146(String state, String side, String flag, String next, String lifetime) {
        int s = java.util.Arrays.asList(NAMES).indexOf(state);
        int out = TcpStateMachine.next(s, side.equals("v6"), flags(flag), false);
        assertThat(NAMES[state(out)]).isEqualTo(next);
        int expectedTimer = switch (lifetime) {
            case "KEEP" -> KEEP;
            case "EST" -> EST;
            case "TRANS" -> TRANS_T;
            default -> SYN;
        };
        assertThat(timer(out)).isEqualTo(expectedTimer);
    }

    @Test
    void rstDuringFinRcvMovesToTransWhenHandleRstDuringFinRcvIsOn() {
        assertThat(state(next(V4_FIN_RCV, true, RST, true))).isEqualTo(TRANS);
        assertThat(state(next(V6_FIN_RCV, false, RST, true))).isEqualTo(TRANS);
        assertThat(timer(next(V6_FIN_RCV, false, RST, true))).isEqualTo(TRANS_T);
    }

    @Test
    void rstWinsOverSynAndFinInTheSameSegment() {
        assertThat(state(next(ESTABLISHED, true, RST | FIN, false))).isEqualTo(TRANS);
        assertThat(state(next(CLOSED, true, RST | SYN_FLAG, false))).isEqualTo(CLOSED);
    }
}
