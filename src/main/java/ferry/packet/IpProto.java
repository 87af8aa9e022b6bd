package ferry.packet;

/**
 * IP protocol numbers / IPv6 Next Header values (IANA "Assigned Internet Protocol Numbers"), as an open set:
 * any value 0..255 decodes, {@link #name(int)} names the known ones and never throws.
 */
public final class IpProto {
    private IpProto() {}

    public static final int HOPOPT = 0;
    public static final int ICMP = 1;
    public static final int IGMP = 2;
    public static final int TCP = 6;
    public static final int UDP = 17;
    public static final int IPV6 = 41;
    public static final int IPV6_ROUTE = 43;
    public static final int IPV6_FRAG = 44;
    public static final int GRE = 47;
    public static final int ESP = 50;
    public static final int AH = 51;
    public static final int ICMPV6 = 58;
    public static final int IPV6_NONXT = 59;
    public static final int IPV6_OPTS = 60;
    public static final int SCTP = 132;
    public static final int MOBILITY = 135;
    public static final int UDPLITE = 136;

    /** The IANA keyword of a protocol number, or "PROTO_n" for others. */
    public static String name(int proto) {
        return switch (proto & 0xff) {
            case HOPOPT -> "HOPOPT";
            case ICMP -> "ICMP";
            case IGMP -> "IGMP";
            case TCP -> "TCP";
            case UDP -> "UDP";
            case IPV6 -> "IPv6";
            case IPV6_ROUTE -> "IPv6-Route";
            case IPV6_FRAG -> "IPv6-Frag";
            case GRE -> "GRE";
            case ESP -> "ESP";
            case AH -> "AH";
            case ICMPV6 -> "IPv6-ICMP";
            case IPV6_NONXT -> "IPv6-NoNxt";
            case IPV6_OPTS -> "IPv6-Opts";
            case SCTP -> "SCTP";
            case MOBILITY -> "Mobility";
            case UDPLITE -> "UDPLite";
            default -> "PROTO_" + (proto & 0xff);
        };
    }
}
