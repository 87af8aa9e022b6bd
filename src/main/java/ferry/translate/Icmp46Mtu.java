package ferry.translate;

/**
 * The MTU of an ICMPv6 Packet Too Big translated from an ICMPv4 Fragmentation Needed (3/4), RFC 7915 §4.2.
 * Pure functions; the plateau array is the translator's own copy of {@code mtu-plateaus}.
 */
final class Icmp46Mtu {
    private Icmp46Mtu() {}

    /** RFC 8200 §5: the minimum IPv6 link MTU. */
    static final int IPV6_MIN_MTU = 1280;

    /**
     * RFC 7915 §4.2, Code 4: "The MTU field MUST be adjusted for the difference between the IPv4 and IPv6 header
     * sizes, i.e., minimum(advertised MTU+20, MTU_of_IPv6_nexthop, (MTU_of_IPv4_nexthop)+20). Note that if the IPv4
     * router set the MTU field to zero, i.e., the router does not implement [RFC1191], then the translator MUST use
     * the plateau values specified in [RFC1191] to determine a likely path MTU and include that path MTU in the
     * ICMPv6 packet. (Use the greatest plateau value that is less than the returned Total Length field.)"
     *
     * <p>RFC 7915 §5: "the indicated MTU in the resulting ICMPv6 "Packet Too Big" will never be set to a value lower
     * than 1280." (Jool does the same: a result under 1280, including "no plateau fits", becomes 1280.)
     *
     * @param advertisedMtu    the ICMPv4 Next-Hop MTU field (0..65535)
     * @param innerTotalLength the Total Length field of the packet in error (as written, not as received)
     * @param ipv6Mtu          MTU of the IPv6 next hop (the translator's IPv6 side)
     * @param ipv4Mtu          MTU of the IPv4 next hop (the translator's IPv4 side)
     * @param plateaus         RFC 1191 plateaus in any order
     * @return the MTU for the Packet Too Big (1280 .. 65555)
     */
    static long packetTooBigMtu(int advertisedMtu, int innerTotalLength, int ipv6Mtu, int ipv4Mtu, int[] plateaus) {
        long mtu = advertisedMtu & 0xffff;
        if (mtu == 0) mtu = plateau(innerTotalLength, plateaus);
        long result = Math.min(mtu + 20, Math.min(ipv6Mtu & 0xffffffffL, (ipv4Mtu & 0xffffffffL) + 20));
        return Math.max(result, IPV6_MIN_MTU);
    }

    /**
     * RFC 1191 §5/§7: the greatest plateau strictly less than {@code totalLength}, or 0 when none is (the caller
     * then falls back to the IPv6 minimum MTU).
     */
    static int plateau(int totalLength, int[] plateaus) {
        int best = 0;
        for (int p : plateaus) {
            if (p < totalLength && p > best) best = p;
        }
        return best;
    }
}
