package ferry.nat64;

/**
 * The TCP session state machine of RFC 6146 §3.5.2 (with RFC 7857 §3.1 for RST and Jool's
 * {@code handle-rst-during-fin-rcv}), as a pure function: state + event → next state + what happens to the
 * session's lifetime. The caller (the session table) applies it under the session's lock.
 *
 * <p>An outcome is {@code nextState | timer << 8}, where timer is {@link #KEEP} (lifetime unchanged),
 * {@link #EST} (set to tcp-est-timeout), {@link #TRANS} (tcp-trans-timeout) or {@link #SYN} (TCP_INCOMING_SYN, 6 s).
 */
final class TcpStateMachine {
    private TcpStateMachine() {
    }

    // RFC 6146 §3.5.2.1 states
    static final int CLOSED = 0, V4_INIT = 1, V6_INIT = 2, ESTABLISHED = 3, V4_FIN_RCV = 4, V6_FIN_RCV = 5,
            V4_FIN_V6_FIN_RCV = 6, TRANS = 7;
    static final String[] NAMES = {"CLOSED", "V4_INIT", "V6_INIT", "ESTABLISHED", "V4_FIN_RCV", "V6_FIN_RCV",
            "V4_FIN_V6_FIN_RCV", "TRANS"};

    // lifetime actions
    static final int KEEP = 0, EST = 1, TRANS_TIMER = 2, SYN = 3;
    static final int TRANS_T = TRANS_TIMER;

    static final int FIN = 0x01, SYN_FLAG = 0x02, RST = 0x04;

    static int state(int outcome) {
        return outcome & 0xff;
    }

    static int timer(int outcome) {
        return outcome >>> 8;
    }

    private static int to(int state, int timer) {
        return state | timer << 8;
    }

    /**
     * @param state             the session's state (CLOSED: no session yet)
     * @param fromV6            the packet came from the IPv6 side
     * @param flags             the TCP flags octet
     * @param rstDuringFinRcv   Jool's handle-rst-during-fin-rcv
     * @return the outcome; for CLOSED, a SYN creates the session (V6_INIT or V4_INIT), anything else leaves it CLOSED
     *         (the caller drops the packet)
     */
    static int next(int state, boolean fromV6, int flags, boolean rstDuringFinRcv) {
        boolean rst = (flags & RST) != 0;
        boolean syn = !rst && (flags & SYN_FLAG) != 0;
        boolean fin = !rst && !syn && (flags & FIN) != 0;
        switch (state) {
            case CLOSED:
                // RFC 6146 §3.5.2.2, CLOSED (paraphrased): an IPv6 SYN creates the session in V6 INIT with the
                // transitory lifetime; an IPv4 SYN (with a BIB entry, allowed by policy) creates it in V4 INIT with
                // TCP_INCOMING_SYN (6 s). Other segments create nothing.
                if (syn) return fromV6 ? to(V6_INIT, TRANS_T) : to(V4_INIT, SYN);
                return to(CLOSED, KEEP);
            case V4_INIT:
                // §3.5.2.2, V4 INIT (paraphrased): an IPv6 SYN moves to ESTABLISHED with lifetime TCP_EST
                if (fromV6 && syn) return to(ESTABLISHED, EST);
                return to(V4_INIT, KEEP);
            case V6_INIT:
                // §3.5.2.2, V6 INIT (paraphrased): an IPv4 SYN moves to ESTABLISHED; another IPv6 SYN sets TCP_TRANS
                if (!fromV6 && syn) return to(ESTABLISHED, EST);
                if (fromV6 && syn) return to(V6_INIT, TRANS_T);
                return to(V6_INIT, KEEP);
            case ESTABLISHED:
                // RFC 7857 §3.1 (paraphrased): a RST does not delete the session at once; it moves to the
                // transitory state with lifetime TCP_TRANS, so stray segments still find it
                if (rst) return to(TRANS, TRANS_T);
                if (fin) return to(fromV6 ? V6_FIN_RCV : V4_FIN_RCV, KEEP);
                return to(ESTABLISHED, EST);
            case V4_FIN_RCV:
                if (fin && fromV6) return to(V4_FIN_V6_FIN_RCV, TRANS_T);
                if (rst && rstDuringFinRcv) return to(TRANS, TRANS_T);
                return to(V4_FIN_RCV, EST);
            case V6_FIN_RCV:
                if (fin && !fromV6) return to(V4_FIN_V6_FIN_RCV, TRANS_T);
                if (rst && rstDuringFinRcv) return to(TRANS, TRANS_T);
                return to(V6_FIN_RCV, EST);
            case V4_FIN_V6_FIN_RCV:
                // §3.5.2.2, V4 FIN + V6 FIN RCV (paraphrased): packets are translated; the lifetime is not refreshed
                return to(V4_FIN_V6_FIN_RCV, KEEP);
            case TRANS:
                // §3.5.2.2, TRANS (paraphrased): any segment but a RST moves back to ESTABLISHED with TCP_EST
                if (rst) return to(TRANS, KEEP);
                return to(ESTABLISHED, EST);
            default:
                throw new IllegalArgumentException("state " + state);
        }
    }
}
