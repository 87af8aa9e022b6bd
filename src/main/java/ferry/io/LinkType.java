package ferry.io;

/**
 * The link-layer header types (tcpdump.org LINKTYPE_* numbers) the capture readers understand. Every other link type
 * is refused in classic pcap (one link type per file) and skipped, with a count, in pcapng (one per interface).
 */
public final class LinkType {
    /** LINKTYPE_ETHERNET: 14-byte Ethernet II header, optionally 802.1Q / 802.1ad (QinQ) tags. */
    public static final int ETHERNET = 1;
    /** LINKTYPE_RAW: the record starts with the IPv4 or IPv6 header (version nibble tells which). */
    public static final int RAW = 101;
    /** LINKTYPE_LINUX_SLL: 16-byte Linux "cooked" header, protocol in its last two bytes. */
    public static final int LINUX_SLL = 113;
    /** LINKTYPE_IPV4: raw IPv4. */
    public static final int IPV4 = 228;
    /** LINKTYPE_IPV6: raw IPv6. */
    public static final int IPV6 = 229;
    /** LINKTYPE_LINUX_SLL2: 20-byte Linux "cooked" v2 header, protocol in its first two bytes. */
    public static final int LINUX_SLL2 = 276;

    private LinkType() {
    }

    /** True when the readers can take IP packets out of this link type. */
    public static boolean isSupported(int linkType) {
        return switch (linkType) {
            case ETHERNET, RAW, LINUX_SLL, IPV4, IPV6, LINUX_SLL2 -> true;
            default -> false;
        };
    }

    /** A readable name, e.g. "ETHERNET (1)", or "link type 105" for unknown ones. */
    public static String describe(int linkType) {
        String n = switch (linkType) {
            case ETHERNET -> "ETHERNET";
            case RAW -> "RAW";
            case LINUX_SLL -> "LINUX_SLL";
            case IPV4 -> "IPV4";
            case IPV6 -> "IPV6";
            case LINUX_SLL2 -> "LINUX_SLL2";
            default -> null;
        };
        return n == null ? "link type " + linkType : n + " (" + linkType + ")";
    }

    /** The supported link types, for error messages. */
    public static String supportedList() {
        return "ETHERNET (1), RAW (101), LINUX_SLL (113), IPV4 (228), IPV6 (229), LINUX_SLL2 (276)";
    }
}
