package ferry.translate;

import ferry.metrics.Counter;

/**
 * The pure tables of RFC 7915 §4.2: ICMPv4 type/code → ICMPv6 type/code, the Parameter Problem pointer map
 * (Figure 3), and which ICMPv4 types are errors. No state, no allocation.
 *
 * <p>{@link #translate(int, int)} packs the result as {@code (icmp6Type << 8) | icmp6Code}, or returns
 * {@link #DROP}; {@link #dropReason(int, int)} then names the counter.
 */
final class Icmp46Tables {
    private Icmp46Tables() {}

    /** Returned by {@link #translate} and {@link #pointer} when RFC 7915 says "silently drop". */
    static final int DROP = -1;

    // ICMPv4 types (RFC 792, RFC 950, RFC 1256, RFC 1812)
    static final int V4_ECHO_REPLY = 0;
    static final int V4_DEST_UNREACH = 3;
    static final int V4_SOURCE_QUENCH = 4;
    static final int V4_REDIRECT = 5;
    static final int V4_ALT_HOST = 6;
    static final int V4_ECHO_REQUEST = 8;
    static final int V4_ROUTER_ADV = 9;
    static final int V4_ROUTER_SOL = 10;
    static final int V4_TIME_EXCEEDED = 11;
    static final int V4_PARAM_PROBLEM = 12;
    static final int V4_TIMESTAMP = 13;
    static final int V4_TIMESTAMP_REPLY = 14;
    static final int V4_INFO_REQUEST = 15;
    static final int V4_INFO_REPLY = 16;
    static final int V4_MASK_REQUEST = 17;
    static final int V4_MASK_REPLY = 18;

    // ICMPv6 types (RFC 4443)
    static final int V6_DEST_UNREACH = 1;
    static final int V6_PACKET_TOO_BIG = 2;
    static final int V6_TIME_EXCEEDED = 3;
    static final int V6_PARAM_PROBLEM = 4;
    static final int V6_ECHO_REQUEST = 128;
    static final int V6_ECHO_REPLY = 129;

    /** Pointer (in the IPv6 header) to the Next Header field: used for 3/2 → 4/1 (RFC 7915 §4.2). */
    static final int V6_NEXT_HEADER_OFFSET = 6;

    /**
     * True for the ICMPv4 types that are error messages (RFC 1812 §4.3.2.1: Destination Unreachable, Source
     * Quench, Redirect, Time Exceeded, Parameter Problem). No ICMP error is ever sent in reply to one.
     */
    static boolean isError(int type4) {
        return type4 == V4_DEST_UNREACH || type4 == V4_SOURCE_QUENCH || type4 == V4_REDIRECT
                || type4 == V4_TIME_EXCEEDED || type4 == V4_PARAM_PROBLEM;
    }

    /** True for the ICMPv4 types RFC 7915 §4.2/§4.3 translates as errors (they carry an inner packet). */
    static boolean isTranslatedError(int type4) {
        return type4 == V4_DEST_UNREACH || type4 == V4_TIME_EXCEEDED || type4 == V4_PARAM_PROBLEM;
    }

    /**
     * RFC 7915 §4.2 type/code translation, without the Parameter Problem pointer (see {@link #pointer}) and the
     * Packet Too Big MTU (see {@link Icmp46Mtu}).
     *
     * @return {@code (icmp6Type << 8) | icmp6Code}, or {@link #DROP}
     */
    static int translate(int type4, int code4) {
        switch (type4) {
            // RFC 7915 §4.2: "Echo and Echo Reply (Type 8 and Type 0): Adjust the Type values to 128 and 129"
            // (the Code of an echo is 0 in both versions; a non-zero ICMPv4 code becomes 0, as Jool does)
            case V4_ECHO_REQUEST:
                return pack(V6_ECHO_REQUEST, 0);
            case V4_ECHO_REPLY:
                return pack(V6_ECHO_REPLY, 0);
            case V4_DEST_UNREACH:
                return destUnreach(code4);
            // RFC 7915 §4.2: "Time Exceeded (Type 11): Set the Type to 3 ... The Code is unchanged."
            case V4_TIME_EXCEEDED:
                return pack(V6_TIME_EXCEEDED, code4);
            case V4_PARAM_PROBLEM:
                // RFC 7915 §4.2: "Code 0 (Pointer indicates the error): Set the Code to 0 ... Code 1 (Missing a
                // required option): Silently drop. Code 2 (Bad length): Set the Code to 0 ... Other Code values:
                // Silently drop."
                return code4 == 0 || code4 == 2 ? pack(V6_PARAM_PROBLEM, 0) : DROP;
            default:
                return DROP;
        }
    }

    private static int destUnreach(int code4) {
        switch (code4) {
            // "Code 0, 1 (Net Unreachable, Host Unreachable): Set the Code to 0 (No route to destination)."
            // "Code 5 (Source Route Failed): Set the Code to 0"; "Code 6, 7, 8: Set the Code to 0";
            // "Code 11, 12: Set the Code to 0"
            case 0, 1, 5, 6, 7, 8, 11, 12:
                return pack(V6_DEST_UNREACH, 0);
            // "Code 2 (Protocol Unreachable): Translate to an ICMPv6 Parameter Problem (Type 4, Code 1) and make
            // the Pointer point to the IPv6 Next Header field."
            case 2:
                return pack(V6_PARAM_PROBLEM, 1);
            // "Code 3 (Port Unreachable): Set the Code to 4 (Port unreachable)."
            case 3:
                return pack(V6_DEST_UNREACH, 4);
            // "Code 4 (Fragmentation Needed and DF was Set): Translate to an ICMPv6 Packet Too Big message
            // (Type 2) with Code set to 0."
            case 4:
                return pack(V6_PACKET_TOO_BIG, 0);
            // "Code 9, 10 (Communication with Destination Host Administratively Prohibited): Set the Code to 1";
            // "Code 13 (Communication Administratively Prohibited): Set the Code to 1";
            // "Code 15 (Precedence cutoff in effect): Set the Code to 1"
            case 9, 10, 13, 15:
                return pack(V6_DEST_UNREACH, 1);
            // "Code 14 (Host Precedence Violation): Silently drop." "Other Code values: Silently drop."
            default:
                return DROP;
        }
    }

    /** Why {@link #translate(int, int)} returned {@link #DROP} for this type and code. */
    static Counter dropReason(int type4, int code4) {
        switch (type4) {
            // RFC 7915 §4.2: Information Request/Reply, Timestamp, Address Mask: "Obsoleted in ICMPv6. Silently
            // drop."; Source Quench: "Obsoleted in ICMPv6. Silently drop."; Alternative Host Address: "Silently drop."
            case V4_INFO_REQUEST, V4_INFO_REPLY, V4_TIMESTAMP, V4_TIMESTAMP_REPLY, V4_MASK_REQUEST, V4_MASK_REPLY,
                 V4_SOURCE_QUENCH, V4_ALT_HOST:
                return Counter.DROP_46_ICMP_OBSOLETE_TYPE;
            // Router Advertisement / Solicitation, Redirect: "Single-hop message. Silently drop."
            case V4_ROUTER_ADV, V4_ROUTER_SOL, V4_REDIRECT:
                return Counter.DROP_46_ICMP_SINGLE_HOP_TYPE;
            case V4_DEST_UNREACH, V4_PARAM_PROBLEM, V4_TIME_EXCEEDED, V4_ECHO_REQUEST, V4_ECHO_REPLY:
                return Counter.DROP_46_ICMP_UNTRANSLATABLE_CODE;
            // "Unknown ICMPv4 types: Silently drop."
            default:
                return Counter.DROP_46_ICMP_UNKNOWN_TYPE;
        }
    }

    /** RFC 7915 §4.2 Figure 3, indexed by the IPv4 pointer; -1 is "n/a". */
    private static final byte[] POINTERS = {
            0,  // 0 Version/IHL -> 0 Version/Traffic Class
            1,  // 1 Type Of Service -> 1 Traffic Class/Flow Label
            4,  // 2 Total Length -> 4 Payload Length
            4,  // 3 Total Length -> 4 Payload Length
            -1, // 4 Identification -> n/a
            -1, // 5 Identification -> n/a
            -1, // 6 Flags/Fragment Offset -> n/a
            -1, // 7 Fragment Offset -> n/a
            7,  // 8 Time to Live -> 7 Hop Limit
            6,  // 9 Protocol -> 6 Next Header
            -1, // 10 Header Checksum -> n/a
            -1, // 11 Header Checksum -> n/a
            8, 8, 8, 8,     // 12-15 Source Address -> 8 Source Address
            24, 24, 24, 24, // 16-19 Destination Address -> 24 Destination Address
    };

    /**
     * RFC 7915 §4.2, Parameter Problem codes 0 and 2: "update the pointer as defined in Figure 3. (If the Original
     * IPv4 Pointer Value is not listed or the Translated IPv6 Pointer Value is listed as "n/a", silently drop the
     * packet.)"
     *
     * @param ptr4 the ICMPv4 pointer (0..255)
     * @return the ICMPv6 pointer, or {@link #DROP}
     */
    static int pointer(int ptr4) {
        if (ptr4 < 0 || ptr4 >= POINTERS.length) return DROP;
        return POINTERS[ptr4];
    }

    /** True for types whose ICMPv4 header carries an RFC 4884 length in octet 5 (RFC 4884 §4.1). */
    static boolean hasRfc4884Length4(int type4) {
        return type4 == V4_DEST_UNREACH || type4 == V4_TIME_EXCEEDED || type4 == V4_PARAM_PROBLEM;
    }

    /** True for types whose ICMPv6 header carries an RFC 4884 length in octet 4 (RFC 4884 §4.1). */
    static boolean hasRfc4884Length6(int type6) {
        return type6 == V6_DEST_UNREACH || type6 == V6_TIME_EXCEEDED;
    }

    static int pack(int type6, int code6) {
        return (type6 << 8) | (code6 & 0xff);
    }

    static int type6(int packed) {
        return packed >>> 8;
    }

    static int code6(int packed) {
        return packed & 0xff;
    }
}
