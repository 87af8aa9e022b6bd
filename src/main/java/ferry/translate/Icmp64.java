package ferry.translate;

import ferry.metrics.Counter;
import ferry.packet.IcmpTypes;

/**
 * RFC 7915 §5.2 tables: ICMPv6 type/code → ICMPv4 type/code, the Parameter Problem pointer map (Figure 6) and the
 * Packet Too Big → Fragmentation Needed MTU. Pure functions; allocation-free.
 */
final class Icmp64 {
    private Icmp64() {}

    /** Returned by {@link #map} when the message is not translated; {@link #reason} says why. */
    static final int UNTRANSLATED = -1;

    /**
     * The ICMPv4 type and code for an ICMPv6 type and code, packed as {@code type << 8 | code}, or
     * {@link #UNTRANSLATED}.
     */
    static int map(int type6, int code6) {
        switch (type6) {
            // RFC 7915 §5.2: "Echo Request and Echo Reply (Type 128 and 129): Adjust the Type values to 8 and 0,
            // respectively, and adjust the ICMP checksum both to take the type change into account and to exclude
            // the ICMPv6 pseudo-header."
            case IcmpTypes.V6_ECHO_REQUEST:
                return IcmpTypes.V4_ECHO_REQUEST << 8;
            case IcmpTypes.V6_ECHO_REPLY:
                return IcmpTypes.V4_ECHO_REPLY << 8;
            case IcmpTypes.V6_DEST_UNREACH:
                // RFC 7915 §5.2 Destination Unreachable (Type 1): "Set the Type to 3, and adjust the ICMP checksum
                // both to take the type/code change into account and to exclude the ICMPv6 pseudo-header."
                return switch (code6) {
                    // "Code 0 (No route to destination): Set the Code to 1 (Host unreachable)."
                    // "Code 2 (Beyond scope of source address): Set the Code to 1 (Host unreachable)."
                    // "Code 3 (Address unreachable): Set the Code to 1 (Host unreachable)."
                    case IcmpTypes.V6_NO_ROUTE, IcmpTypes.V6_BEYOND_SCOPE, IcmpTypes.V6_ADDR_UNREACH ->
                            IcmpTypes.V4_DEST_UNREACH << 8 | IcmpTypes.V4_HOST_UNREACH;
                    // "Code 1 (Communication with destination administratively prohibited): Set the Code to 10
                    // (Communication with destination host administratively prohibited)."
                    case IcmpTypes.V6_ADMIN_PROHIBITED -> IcmpTypes.V4_DEST_UNREACH << 8 | IcmpTypes.V4_HOST_PROHIBITED;
                    // "Code 4 (Port unreachable): Set the Code to 3 (Port unreachable)."
                    case IcmpTypes.V6_PORT_UNREACH -> IcmpTypes.V4_DEST_UNREACH << 8 | IcmpTypes.V4_PORT_UNREACH;
                    // "Other Code values: Silently drop."
                    default -> UNTRANSLATED;
                };
            case IcmpTypes.V6_PACKET_TOO_BIG:
                // "Packet Too Big (Type 2): Translate to an ICMPv4 Destination Unreachable (Type 3) with Code 4"
                return IcmpTypes.V4_DEST_UNREACH << 8 | IcmpTypes.V4_FRAG_NEEDED;
            case IcmpTypes.V6_TIME_EXCEEDED:
                // "Time Exceeded (Type 3): Set the Type to 11, ... The Code is unchanged."
                return IcmpTypes.V4_TIME_EXCEEDED << 8 | (code6 & 0xff);
            case IcmpTypes.V6_PARAM_PROBLEM:
                return switch (code6) {
                    // "Code 0 (Erroneous header field encountered): Set to Type 12, Code 0, and update the pointer"
                    case IcmpTypes.V6_ERRONEOUS_HEADER -> IcmpTypes.V4_PARAM_PROBLEM << 8;
                    // "Code 1 (Unrecognized Next Header type encountered): Translate this to an ICMPv4 protocol
                    // unreachable (Type 3, Code 2)."
                    case IcmpTypes.V6_UNRECOGNIZED_NEXT_HEADER ->
                            IcmpTypes.V4_DEST_UNREACH << 8 | IcmpTypes.V4_PROTO_UNREACH;
                    // "Code 2 (Unrecognized IPv6 option encountered): Silently drop." (and codes RFC 7915 lacks)
                    default -> UNTRANSLATED;
                };
            default:
                // MLD, ND, unknown informational and unknown error messages: "Silently drop."
                return UNTRANSLATED;
        }
    }

    /** The counter naming why {@link #map} returned {@link #UNTRANSLATED} for this type. */
    static Counter reason(int type6) {
        return switch (type6) {
            case IcmpTypes.V6_MLD_QUERY, IcmpTypes.V6_MLD_REPORT, IcmpTypes.V6_MLD_DONE, IcmpTypes.V6_MLDV2_REPORT ->
                    Counter.DROP_64_ICMP_MLD;
            case IcmpTypes.V6_ROUTER_SOLICIT, IcmpTypes.V6_ROUTER_ADVERT, IcmpTypes.V6_NEIGHBOR_SOLICIT,
                 IcmpTypes.V6_NEIGHBOR_ADVERT, IcmpTypes.V6_REDIRECT -> Counter.DROP_64_ICMP_ND;
            case IcmpTypes.V6_DEST_UNREACH, IcmpTypes.V6_PARAM_PROBLEM -> Counter.DROP_64_ICMP_UNTRANSLATABLE_CODE;
            default -> Counter.DROP_64_ICMP_UNKNOWN_TYPE;
        };
    }

    static int type4(int mapped) {
        return mapped >>> 8;
    }

    static int code4(int mapped) {
        return mapped & 0xff;
    }

    /**
     * RFC 7915 §5.2 Figure 6, "Pointer Value for Translating from IPv6 to IPv4": the ICMPv4 pointer for an ICMPv6
     * Parameter Problem pointer, or -1 when the IPv6 field has no IPv4 counterpart (Traffic Class/Flow Label bytes
     * 2-3 and anything past the fixed header).
     */
    static int pointer(long ptr6) {
        if (ptr6 < 0 || ptr6 > 39) return -1;
        int p = (int) ptr6;
        if (p == 0) return 0;   // Version/Traffic Class -> Version/IHL, Type Of Service
        if (p == 1) return 1;   // Traffic Class/Flow Label -> Type Of Service
        if (p <= 3) return -1;  // Flow Label: n/a
        if (p <= 5) return 2;   // Payload Length -> Total Length
        if (p == 6) return 9;   // Next Header -> Protocol
        if (p == 7) return 8;   // Hop Limit -> Time to Live
        if (p <= 23) return 12; // Source Address -> Source Address
        return 16;              // Destination Address -> Destination Address
    }

    /**
     * RFC 7915 §5.2 Packet Too Big: "The MTU field MUST be adjusted for the difference between the IPv4 and IPv6
     * header sizes, taking into account whether or not the packet in error includes a Fragment Header, i.e.,
     * minimum(advertised MTU-20, MTU_of_IPv4_nexthop, (MTU_of_IPv6_nexthop)-20)." The difference is 20, or 28 when
     * the packet in error has a Fragment header (the IPv4 sender's packets grow by one when translated; Jool always
     * uses 20). The result is kept within 68 (the IPv4 minimum, RFC 791) .. 65535: an advertised MTU under 88
     * (invalid in IPv6, whose minimum is 1280) would otherwise ask IPv4 hosts for packets no IPv4 link must carry.
     */
    static int mtu(long advertised6, int ipv4Mtu, int ipv6Mtu, boolean fragmentHeader) {
        int growth = fragmentHeader ? 28 : 20;
        long m = Math.min(advertised6 - growth, Math.min(ipv4Mtu, (long) ipv6Mtu - growth));
        return (int) Math.max(68, Math.min(0xffff, m));
    }
}
