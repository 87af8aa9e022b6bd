package ferry.app;

import ferry.addr.Prefix4;
import ferry.addr.Prefix6;
import ferry.clat.ClatMapper;
import ferry.clat.PlatPrefixHolder;
import ferry.clat.PlatPrefixSelector;
import ferry.clat.SourceMapping;
import ferry.config.ClatSection;
import ferry.config.Config;
import ferry.metrics.Counters;
import ferry.translate.IpTranslator;
import ferry.translate.Translator;
import ferry.translate.TranslatorSettings;

/**
 * The CLAT's data-plane objects from a configuration in mode "clat": its source mapping, translator settings and
 * mapper. Settings differ from SIIT's in three defaults, all overridable in the {@code "ferry"} object:
 * <ul>
 *   <li>own IPv4 address (source of generated ICMPv4 errors, and of translated ICMPv6 errors from IPv6 routers, RFC
 *       6791): 192.0.0.2, the host-side range's next address after 192.0.0.1 (RFC 7335);</li>
 *   <li>own IPv6 address: the CLAT /128, or 192.0.0.2's image in the dedicated prefix;</li>
 * </ul>
 * The IPv4 hosts' path MTU through the CLAT is min({@code ipv4-mtu}, {@code ipv6-mtu} − 28) — the IPv6 header is
 * 20 bytes longer and a fragmented IPv4 packet also needs an 8-byte Fragment header (RFC 7915 §5.2, RFC 6877 §7).
 * {@code ferry clat} puts it on the IPv4 routes into its device ({@link #routeMtu}), so the kernel answers
 * oversized DF packets with Fragmentation Needed before they reach the translator. The translator's own
 * {@code ipv4-mtu} stays the island link's MTU: it bounds the 6→4 packets written towards the island, and lowering
 * it would make the CLAT answer a remote's 1480-byte packets with a Packet Too Big of 1472 + 28 = 1500, which the
 * PLAT turns back into 1480 — a black hole.
 */
final class ClatWiring {
    /** The translator's own host-side IPv4 address by default (RFC 7335 range 192.0.0.0/29). */
    static final Prefix4 OWN4 = Prefix4.parse("192.0.0.2/32");

    private ClatWiring() {
    }

    /** The CLAT's own address mapping. */
    static SourceMapping sourceMapping(ClatSection c) {
        return c.dedicated() ? SourceMapping.dedicated(c.dedicatedPrefix(), c.island())
                : SourceMapping.single(c.ipv4Address(), c.ipv6Address());
    }

    /** The IPv4 hosts' MTU through the CLAT: min(ipv4-mtu, ipv6-mtu − 28). */
    static int routeMtu(Config c) {
        return Math.max(68, Math.min(c.ferry().ipv4Mtu(), c.ferry().ipv6Mtu() - 28));
    }

    static TranslatorSettings settings(Config c, SourceMapping source) {
        TranslatorSettings s = Wiring.settings(c);
        Prefix4 own4 = s.ipv4Address() != null ? s.ipv4Address() : OWN4;
        Prefix6 own6 = s.ipv6Address() != null ? s.ipv6Address() : source.ownIpv6(own4);
        return new TranslatorSettings(s.zeroizeTrafficClass(), s.overrideTos(), s.tos(), s.mtuPlateaus(),
                s.amendUdpChecksumZero(), s.lowestIpv6Mtu(), s.rfc6791v4(), s.rfc6791v6(), s.randomizeRfc6791(),
                own4, own6, s.ipv4Mtu(), s.ipv6Mtu(), s.eamHairpinMode());
    }

    static ClatMapper mapper(Config c, PlatPrefixHolder holder) {
        return new ClatMapper(holder, sourceMapping(c.clat()), c.ferry().wkpStrict());
    }

    /**
     * A translator with a fixed PLAT prefix: the configured one, else 64:ff9b::/96 — for {@code ferry translate}
     * and {@code ferry run} in mode "clat"; {@code ferry clat} adds discovery.
     */
    static Translator staticTranslator(Config c, Counters counters) {
        if (c.clat() == null) throw new IllegalArgumentException("ferry.mode \"clat\" needs a \"clat\" object");
        SourceMapping source = sourceMapping(c.clat());
        return new IpTranslator(settings(c, source), new ClatMapper(PlatPrefixSelector.initialHolder(
                c.clat().platPrefix()), source, c.ferry().wkpStrict()), counters);
    }
}
