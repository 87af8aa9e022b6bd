package ferry.translate;

/** What became of one input packet; the reason for a drop is the counter the translator incremented. */
public enum Verdict {
    /** One or more translated packets (several when fragmenting) went to the sink. */
    EMIT,
    /**
     * Nothing was sent; exactly one drop-reason counter was incremented (plus, when an ICMP error was due but no
     * source address for it is configured, the informational {@code icmp4/6_error_no_source}).
     */
    DROP,
    /**
     * The packet was not translated; an ICMP error (or, for a TCP connection a stateful mapper refused, a TCP RST)
     * was sent back towards its source instead.
     */
    ICMP_ERROR
}
