package ferry.translate.prop;

import ferry.addr.Denylist4;
import ferry.addr.EamEntry;
import ferry.addr.Eamt;
import ferry.addr.Prefix4;
import ferry.addr.Prefix6;
import ferry.addr.Rfc6052;
import ferry.metrics.Counters;
import ferry.siit.SiitMapper;
import ferry.translate.EamHairpinMode;
import ferry.translate.IpTranslator;
import ferry.translate.Translator;
import ferry.translate.TranslatorSettings;

/**
 * One SIIT configuration under test: pool6 (64:ff9b::/96 or 2001:db8:100::/40), the EAMT 2001:db8:6::/120 ↔
 * 192.0.2.0/24 and 2001:db8:4::/120 ↔ 203.0.113.0/24, denylist4 198.51.100.128/28, and the globals (own addresses
 * 198.51.100.1 / 2001:db8:1c0:2:1:: so errors can be sourced, MTUs, checksum and traffic-class knobs).
 */
public record Setup(Rfc6052 pool6, TranslatorSettings settings, boolean wkpStrict) {
    public static final Eamt EAMT = Eamt.of(java.util.List.of(
            EamEntry.parse("2001:db8:6::/120", "192.0.2.0/24"),
            EamEntry.parse("2001:db8:4::/120", "203.0.113.0/24")));
    public static final Denylist4 DENYLIST = Denylist4.of(java.util.List.of(Prefix4.parse("198.51.100.128/28")));
    public static final Rfc6052 WKP = Rfc6052.parse("64:ff9b::/96");
    public static final Rfc6052 NSP40 = Rfc6052.parse("2001:db8:100::/40");
    public static final Prefix4 OWN4 = Prefix4.parse("198.51.100.1/32");
    public static final Prefix6 OWN6 = Prefix6.parse("2001:db8:1c0:2:1::/128");

    /** A setup with random knobs: either pool6, MTUs 1280/1500/9000, lowest-ipv6-mtu 1280/1500, every boolean. */
    public static Setup random(Choices c) {
        Rfc6052 pool6 = c.chance(50) ? WKP : NSP40;
        boolean own = !c.chance(10);
        TranslatorSettings s = new TranslatorSettings(
                c.chance(20),                       // zeroize-traffic-class
                c.chance(20), c.below(256),         // override-tos, tos
                TranslatorSettings.DEFAULT_PLATEAUS,
                c.chance(50),                       // amend-udp-checksum-zero
                c.oneOf(1280, 1500),                // lowest-ipv6-mtu
                c.chance(20) ? Prefix4.parse("192.0.0.0/29") : null,        // rfc6791v4-prefix
                c.chance(20) ? Prefix6.parse("2001:db8:1c0:2:2::/96") : null, // rfc6791v6-prefix
                c.chance(50),                       // randomize-rfc6791-addresses
                own ? OWN4 : null, own ? OWN6 : null,
                c.oneOf(1500, 1280, 9000, 1500),    // ipv4-mtu
                c.oneOf(1500, 1280, 9000, 1500),    // ipv6-mtu
                EamHairpinMode.values()[c.below(EamHairpinMode.values().length)]);
        return new Setup(pool6, s, !c.chance(10));
    }

    /**
     * Jool's defaults (no traffic-class or TOS rewriting, no UDP checksum amending, MTU 1500, lowest-ipv6-mtu
     * 1280) with own addresses: what the round-trip property runs through.
     */
    public static Setup plain(Rfc6052 pool6) {
        TranslatorSettings d = TranslatorSettings.defaults();
        TranslatorSettings s = new TranslatorSettings(false, false, 0, TranslatorSettings.DEFAULT_PLATEAUS, false,
                1280, null, null, false, OWN4, OWN6, 1500, 1500, d.eamHairpinMode());
        return new Setup(pool6, s, true);
    }

    public SiitMapper mapper() {
        return new SiitMapper(pool6, EAMT, DENYLIST, wkpStrict);
    }

    /** A fresh facade with its own counters. */
    public Translator translator(Counters counters) {
        return new IpTranslator(settings, mapper(), counters);
    }

    @Override
    public String toString() {
        TranslatorSettings s = settings;
        return "pool6=" + pool6 + " wkpStrict=" + wkpStrict + " zeroizeTC=" + s.zeroizeTrafficClass()
                + " overrideTos=" + s.overrideTos() + "/" + s.tos() + " amendUdp0=" + s.amendUdpChecksumZero()
                + " lowestIpv6Mtu=" + s.lowestIpv6Mtu() + " rfc6791v4=" + s.rfc6791v4() + " rfc6791v6=" + s.rfc6791v6()
                + " randomize=" + s.randomizeRfc6791() + " own=" + s.ipv4Address() + "," + s.ipv6Address()
                + " ipv4Mtu=" + s.ipv4Mtu() + " ipv6Mtu=" + s.ipv6Mtu() + " hairpin=" + s.eamHairpinMode();
    }
}
