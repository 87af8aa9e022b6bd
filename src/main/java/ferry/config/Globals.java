package ferry.config;

import ferry.addr.Prefix4;
import ferry.addr.Prefix6;
import ferry.addr.Rfc6052;
import java.util.Arrays;

/**
 * Jool's SIIT globals ({@code "global"} object), with Jool's defaults. Nullable prefixes mean "unset" (Jool's
 * {@code null}).
 *
 * @param manuallyEnabled           {@code manually-enabled}, default true
 * @param pool6                     {@code pool6}, RFC 6052 prefix or null (default null)
 * @param lowestIpv6Mtu             {@code lowest-ipv6-mtu}, default 1280 (Jool refuses less than 1280)
 * @param loggingDebug              {@code logging-debug}, default false
 * @param zeroizeTrafficClass       {@code zeroize-traffic-class}, default false (RFC 7915 §4.1)
 * @param overrideTos               {@code override-tos}, default false (RFC 7915 §5.1)
 * @param tos                       {@code tos}, 0..255, default 0
 * @param mtuPlateaus               {@code mtu-plateaus}: sorted descending, duplicates and zeros removed as Jool
 *                                  does; default 65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68
 * @param amendUdpChecksumZero      {@code amend-udp-checksum-zero}, default false (RFC 7915 §4.5)
 * @param eamHairpinMode            {@code eam-hairpin-mode}, default intrinsic (RFC 7757 §4)
 * @param randomizeRfc6791Addresses {@code randomize-rfc6791-addresses}, default true
 * @param rfc6791v6Prefix           {@code rfc6791v6-prefix}, or null (default)
 * @param rfc6791v4Prefix           {@code rfc6791v4-prefix}, or null (default)
 */
public record Globals(
        boolean manuallyEnabled,
        Rfc6052 pool6,
        int lowestIpv6Mtu,
        boolean loggingDebug,
        boolean zeroizeTrafficClass,
        boolean overrideTos,
        int tos,
        int[] mtuPlateaus,
        boolean amendUdpChecksumZero,
        HairpinMode eamHairpinMode,
        boolean randomizeRfc6791Addresses,
        Prefix6 rfc6791v6Prefix,
        Prefix4 rfc6791v4Prefix) {

    /** Jool's default plateaus (RFC 1191 §7 table, as Jool ships them). */
    public static final int[] DEFAULT_PLATEAUS = {65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68};

    public Globals {
        mtuPlateaus = mtuPlateaus.clone();
    }

    /** Jool's defaults. */
    public static Globals defaults() {
        return new Globals(true, null, 1280, false, false, false, 0, DEFAULT_PLATEAUS, false, HairpinMode.INTRINSIC,
                true, null, null);
    }

    /** A copy of the plateaus, strictly descending and positive. */
    @Override
    public int[] mtuPlateaus() {
        return mtuPlateaus.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Globals g && manuallyEnabled == g.manuallyEnabled
                && java.util.Objects.equals(pool6, g.pool6) && lowestIpv6Mtu == g.lowestIpv6Mtu
                && loggingDebug == g.loggingDebug && zeroizeTrafficClass == g.zeroizeTrafficClass
                && overrideTos == g.overrideTos && tos == g.tos && Arrays.equals(mtuPlateaus, g.mtuPlateaus)
                && amendUdpChecksumZero == g.amendUdpChecksumZero && eamHairpinMode == g.eamHairpinMode
                && randomizeRfc6791Addresses == g.randomizeRfc6791Addresses
                && java.util.Objects.equals(rfc6791v6Prefix, g.rfc6791v6Prefix)
                && java.util.Objects.equals(rfc6791v4Prefix, g.rfc6791v4Prefix);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(manuallyEnabled, pool6, lowestIpv6Mtu, loggingDebug, zeroizeTrafficClass,
                overrideTos, tos, Arrays.hashCode(mtuPlateaus), amendUdpChecksumZero, eamHairpinMode,
                randomizeRfc6791Addresses, rfc6791v6Prefix, rfc6791v4Prefix);
    }

    @Override
    public String toString() {
        return "Globals[manually-enabled=" + manuallyEnabled + ", pool6=" + pool6 + ", lowest-ipv6-mtu="
                + lowestIpv6Mtu + ", logging-debug=" + loggingDebug + ", zeroize-traffic-class=" + zeroizeTrafficClass
                + ", override-tos=" + overrideTos + ", tos=" + tos + ", mtu-plateaus=" + Arrays.toString(mtuPlateaus)
                + ", amend-udp-checksum-zero=" + amendUdpChecksumZero + ", eam-hairpin-mode="
                + eamHairpinMode.jsonName() + ", randomize-rfc6791-addresses=" + randomizeRfc6791Addresses
                + ", rfc6791v6-prefix=" + rfc6791v6Prefix + ", rfc6791v4-prefix=" + rfc6791v4Prefix + "]";
    }
}
