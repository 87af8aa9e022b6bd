package ferry.packet;

/**
 * ICMPv4 (RFC 792 and successors) and ICMPv6 (RFC 4443, RFC 4861, RFC 2710/3810) type and code numbers, as open
 * sets: every value decodes, the {@code name} functions never throw.
 */
public final class IcmpTypes {
    private IcmpTypes() {}

    // ---- ICMPv4 types ----
    public static final int V4_ECHO_REPLY = 0;
    public static final int V4_DEST_UNREACH = 3;
    public static final int V4_SOURCE_QUENCH = 4;
    public static final int V4_REDIRECT = 5;
    public static final int V4_ALT_HOST_ADDRESS = 6;
    public static final int V4_ECHO_REQUEST = 8;
    public static final int V4_ROUTER_ADVERT = 9;
    public static final int V4_ROUTER_SOLICIT = 10;
    public static final int V4_TIME_EXCEEDED = 11;
    public static final int V4_PARAM_PROBLEM = 12;
    public static final int V4_TIMESTAMP = 13;
    public static final int V4_TIMESTAMP_REPLY = 14;
    public static final int V4_INFO_REQUEST = 15;
    public static final int V4_INFO_REPLY = 16;
    public static final int V4_ADDRESS_MASK_REQUEST = 17;
    public static final int V4_ADDRESS_MASK_REPLY = 18;

    // ---- ICMPv4 Destination Unreachable codes ----
    public static final int V4_NET_UNREACH = 0;
    public static final int V4_HOST_UNREACH = 1;
    public static final int V4_PROTO_UNREACH = 2;
    public static final int V4_PORT_UNREACH = 3;
    public static final int V4_FRAG_NEEDED = 4;
    public static final int V4_SOURCE_ROUTE_FAILED = 5;
    public static final int V4_NET_UNKNOWN = 6;
    public static final int V4_HOST_UNKNOWN = 7;
    public static final int V4_SOURCE_HOST_ISOLATED = 8;
    public static final int V4_NET_PROHIBITED = 9;
    public static final int V4_HOST_PROHIBITED = 10;
    public static final int V4_NET_TOS = 11;
    public static final int V4_HOST_TOS = 12;
    public static final int V4_ADMIN_PROHIBITED = 13;
    public static final int V4_HOST_PRECEDENCE = 14;
    public static final int V4_PRECEDENCE_CUTOFF = 15;

    // ---- ICMPv6 types ----
    public static final int V6_DEST_UNREACH = 1;
    public static final int V6_PACKET_TOO_BIG = 2;
    public static final int V6_TIME_EXCEEDED = 3;
    public static final int V6_PARAM_PROBLEM = 4;
    public static final int V6_ECHO_REQUEST = 128;
    public static final int V6_ECHO_REPLY = 129;
    public static final int V6_MLD_QUERY = 130;
    public static final int V6_MLD_REPORT = 131;
    public static final int V6_MLD_DONE = 132;
    public static final int V6_ROUTER_SOLICIT = 133;
    public static final int V6_ROUTER_ADVERT = 134;
    public static final int V6_NEIGHBOR_SOLICIT = 135;
    public static final int V6_NEIGHBOR_ADVERT = 136;
    public static final int V6_REDIRECT = 137;
    public static final int V6_MLDV2_REPORT = 143;

    // ---- ICMPv6 Destination Unreachable codes (RFC 4443 §3.1) ----
    public static final int V6_NO_ROUTE = 0;
    public static final int V6_ADMIN_PROHIBITED = 1;
    public static final int V6_BEYOND_SCOPE = 2;
    public static final int V6_ADDR_UNREACH = 3;
    public static final int V6_PORT_UNREACH = 4;
    public static final int V6_SOURCE_POLICY_FAILED = 5;
    public static final int V6_REJECT_ROUTE = 6;

    // ---- ICMPv6 Time Exceeded codes ----
    public static final int V6_HOP_LIMIT_EXCEEDED = 0;
    public static final int V6_REASSEMBLY_TIME_EXCEEDED = 1;

    // ---- ICMPv6 Parameter Problem codes ----
    public static final int V6_ERRONEOUS_HEADER = 0;
    public static final int V6_UNRECOGNIZED_NEXT_HEADER = 1;
    public static final int V6_UNRECOGNIZED_OPTION = 2;

    /** True for ICMPv4 error messages (destination unreachable, source quench, redirect, time exceeded, parameter problem). */
    public static boolean isError4(int type) {
        return type == V4_DEST_UNREACH || type == V4_SOURCE_QUENCH || type == V4_REDIRECT
                || type == V4_TIME_EXCEEDED || type == V4_PARAM_PROBLEM;
    }

    /** True for ICMPv6 error messages (RFC 4443 §2.1: types 0..127). */
    public static boolean isError6(int type) {
        return (type & 0x80) == 0;
    }

    public static String name4(int type) {
        return switch (type & 0xff) {
            case V4_ECHO_REPLY -> "Echo Reply";
            case V4_DEST_UNREACH -> "Destination Unreachable";
            case V4_SOURCE_QUENCH -> "Source Quench";
            case V4_REDIRECT -> "Redirect";
            case V4_ALT_HOST_ADDRESS -> "Alternate Host Address";
            case V4_ECHO_REQUEST -> "Echo Request";
            case V4_ROUTER_ADVERT -> "Router Advertisement";
            case V4_ROUTER_SOLICIT -> "Router Solicitation";
            case V4_TIME_EXCEEDED -> "Time Exceeded";
            case V4_PARAM_PROBLEM -> "Parameter Problem";
            case V4_TIMESTAMP -> "Timestamp";
            case V4_TIMESTAMP_REPLY -> "Timestamp Reply";
            case V4_INFO_REQUEST -> "Information Request";
            case V4_INFO_REPLY -> "Information Reply";
            case V4_ADDRESS_MASK_REQUEST -> "Address Mask Request";
            case V4_ADDRESS_MASK_REPLY -> "Address Mask Reply";
            default -> "ICMPv4 type " + (type & 0xff);
        };
    }

    public static String name6(int type) {
        return switch (type & 0xff) {
            case V6_DEST_UNREACH -> "Destination Unreachable";
            case V6_PACKET_TOO_BIG -> "Packet Too Big";
            case V6_TIME_EXCEEDED -> "Time Exceeded";
            case V6_PARAM_PROBLEM -> "Parameter Problem";
            case V6_ECHO_REQUEST -> "Echo Request";
            case V6_ECHO_REPLY -> "Echo Reply";
            case V6_MLD_QUERY -> "Multicast Listener Query";
            case V6_MLD_REPORT -> "Multicast Listener Report";
            case V6_MLD_DONE -> "Multicast Listener Done";
            case V6_ROUTER_SOLICIT -> "Router Solicitation";
            case V6_ROUTER_ADVERT -> "Router Advertisement";
            case V6_NEIGHBOR_SOLICIT -> "Neighbor Solicitation";
            case V6_NEIGHBOR_ADVERT -> "Neighbor Advertisement";
            case V6_REDIRECT -> "Redirect";
            case V6_MLDV2_REPORT -> "Version 2 Multicast Listener Report";
            default -> "ICMPv6 type " + (type & 0xff);
        };
    }
}
