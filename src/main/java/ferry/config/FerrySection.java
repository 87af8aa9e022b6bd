package ferry.config;

import ferry.addr.Prefix4;
import ferry.addr.Prefix6;

/**
 * ferry's own settings, the top-level {@code "ferry"} object that Jool's files lack.
 *
 * @param mode        {@code mode}: {@code "siit"} (default), {@code "nat64"}, or {@code "clat"} (with a
 *                    {@code "clat"} object)
 * @param ipv4Address {@code ipv4-address}: the translator's own IPv4 address (a /32), source of the ICMPv4 errors it
 *                    generates when no RFC 6791 pool applies; null when unset
 * @param ipv6Address {@code ipv6-address}: likewise for ICMPv6 (a /128); null when unset
 * @param ipv4Mtu     {@code ipv4-mtu}: MTU of the IPv4 side, 68..65535, default 1500
 * @param ipv6Mtu     {@code ipv6-mtu}: MTU of the IPv6 side, 1280..65535, default 1500
 * @param wkpStrict   {@code wkp-strict}: refuse non-global IPv4 addresses under 64:ff9b::/96 (RFC 6052 §3.1),
 *                    default true
 * @param metrics     {@code metrics}: {@code HOST:PORT} of {@code ferry run}'s Prometheus endpoint, as
 *                    {@code --metrics} (which wins over it); only a string here, {@code ferry run} checks that it is a
 *                    loopback address; null when unset (no endpoint)
 */
public record FerrySection(Mode mode, Prefix4 ipv4Address, Prefix6 ipv6Address, int ipv4Mtu, int ipv6Mtu,
                           boolean wkpStrict, String metrics) {

    /** Settings without a metrics endpoint. */
    public FerrySection(Mode mode, Prefix4 ipv4Address, Prefix6 ipv6Address, int ipv4Mtu, int ipv6Mtu,
                        boolean wkpStrict) {
        this(mode, ipv4Address, ipv6Address, ipv4Mtu, ipv6Mtu, wkpStrict, null);
    }

    /** The values used when the file has no {@code "ferry"} object. */
    public static FerrySection defaults() {
        return new FerrySection(Mode.SIIT, null, null, 1500, 1500, true, null);
    }
}
