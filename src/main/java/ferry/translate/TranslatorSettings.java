package ferry.translate;

import ferry.addr.Prefix4;
import ferry.addr.Prefix6;

/**
 * The global settings the RFC 7915 translator needs, in Jool's terms. Immutable; {@code app} builds it from the
 * configuration. Nullable prefixes mean "not configured".
 *
 * @param zeroizeTrafficClass  4→6 Traffic Class = 0 instead of the TOS (RFC 7915 §4.1)
 * @param overrideTos          6→4 TOS = {@code tos} instead of the Traffic Class (RFC 7915 §5.1)
 * @param tos                  the TOS used when {@code overrideTos}
 * @param mtuPlateaus          RFC 1191 plateaus, strictly descending, for ICMPv4 Fragmentation Needed with MTU 0
 * @param amendUdpChecksumZero compute a checksum for unfragmented IPv4 UDP with checksum 0 (RFC 7915 §4.5)
 * @param lowestIpv6Mtu        4→6 packets with DF=0 larger than this are fragmented
 * @param rfc6791v4            source pool for ICMPv4 errors whose source has no IPv4 mapping (RFC 6791), or null
 * @param rfc6791v6            source pool for ICMPv6 errors whose source has no IPv6 mapping, or null
 * @param randomizeRfc6791     pick a random address of the pool (else the first)
 * @param ipv4Address          the translator's own IPv4 address (/32), source of errors when no pool is set, or null
 * @param ipv6Address          the translator's own IPv6 address (/128), likewise, or null
 * @param ipv4Mtu              MTU of the IPv4 side (outgoing 6→4 packets)
 * @param ipv6Mtu              MTU of the IPv6 side (outgoing 4→6 packets)
 * @param eamHairpinMode       EAM hairpinning (RFC 7757 §4.2/§4.3)
 */
public record TranslatorSettings(
        boolean zeroizeTrafficClass,
        boolean overrideTos,
        int tos,
        int[] mtuPlateaus,
        boolean amendUdpChecksumZero,
        int lowestIpv6Mtu,
        Prefix4 rfc6791v4,
        Prefix6 rfc6791v6,
        boolean randomizeRfc6791,
        Prefix4 ipv4Address,
        Prefix6 ipv6Address,
        int ipv4Mtu,
        int ipv6Mtu,
        EamHairpinMode eamHairpinMode) {

    /** Jool's default plateaus. */
    public static final int[] DEFAULT_PLATEAUS = {65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68};

    public TranslatorSettings {
        mtuPlateaus = mtuPlateaus.clone();
    }

    /** Jool's defaults, no own addresses, MTU 1500 on both sides. */
    public static TranslatorSettings defaults() {
        return new TranslatorSettings(false, false, 0, DEFAULT_PLATEAUS, false, 1280, null, null, true,
                null, null, 1500, 1500, EamHairpinMode.INTRINSIC);
    }

    @Override
    public int[] mtuPlateaus() {
        return mtuPlateaus.clone();
    }
}
