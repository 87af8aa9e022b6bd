package ferry.translate;

/** What became of one input packet; the reason for a drop is the counter the translator incremented. */
public enum Verdict {
    /** One or more translated packets (several when fragmenting) went to the sink. */
    EMIT,
    /** Nothing was sent; exactly one drop counter was incremented. */
    DROP,
    /** The packet was not translated; an ICMP error was sent back towards its source instead. */
    ICMP_ERROR
}
