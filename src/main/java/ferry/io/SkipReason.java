package ferry.io;

/**
 * Why a capture reader passed over a record instead of yielding an IP packet. Each reason is counted by the
 * reader ({@link PacketReader#skipped(SkipReason)}) and printed by {@code ferry translate}.
 */
public enum SkipReason {
    NOT_IP("read_skip_not_ip", "frames whose EtherType (or cooked protocol) is neither IPv4 0x0800 nor IPv6 0x86DD"),
    SHORT_LINK_HEADER("read_skip_short_link_header", "frames shorter than their link-layer header"),
    SNAPLEN_TRUNCATED("read_skip_snaplen_truncated",
            "records cut short by the capture's snap length (captured length < original length)"),
    UNSUPPORTED_LINK_TYPE("read_skip_unsupported_link_type",
            "pcapng records of an interface whose link type ferry does not read");

    private final String id;
    private final String explanation;

    SkipReason(String id, String explanation) {
        this.id = id;
        this.explanation = explanation;
    }

    /** Stable snake_case name used in summaries. */
    public String id() {
        return id;
    }

    /** One line saying what was skipped. */
    public String explanation() {
        return explanation;
    }
}
