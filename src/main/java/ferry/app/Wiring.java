package ferry.app;

import ferry.config.Config;
import ferry.config.FerrySection;
import ferry.config.Globals;
import ferry.config.Mode;
import ferry.metrics.Counters;
import ferry.siit.SiitMapper;
import ferry.translate.EamHairpinMode;
import ferry.translate.IpTranslator;
import ferry.translate.Translator;
import ferry.translate.TranslatorSettings;

/**
 * Turns a parsed {@link Config} into the data-plane objects: the translator's {@link TranslatorSettings} (Jool's
 * globals plus ferry's own addresses and MTUs) and the mode's address mapper. The only place that knows both the
 * configuration records and the translator's constructors.
 */
final class Wiring {
    private Wiring() {
    }

    /**
     * Jool's globals and the {@code "ferry"} object as translator settings: traffic class/TOS, MTU plateaus,
     * amend-udp-checksum-zero, lowest-ipv6-mtu, the RFC 6791 pools, the translator's own addresses, the MTU of each
     * side, and eam-hairpin-mode (same constant names in both enums).
     */
    static TranslatorSettings settings(Config c) {
        Globals g = c.global();
        FerrySection f = c.ferry();
        return new TranslatorSettings(
                g.zeroizeTrafficClass(),
                g.overrideTos(),
                g.tos(),
                g.mtuPlateaus(),
                g.amendUdpChecksumZero(),
                g.lowestIpv6Mtu(),
                g.rfc6791v4Prefix(),
                g.rfc6791v6Prefix(),
                g.randomizeRfc6791Addresses(),
                f.ipv4Address(),
                f.ipv6Address(),
                f.ipv4Mtu(),
                f.ipv6Mtu(),
                EamHairpinMode.valueOf(g.eamHairpinMode().name()));
    }

    /** The SIIT address mapper: EAMT first, then pool6 (RFC 7757 §3.2), denylist4, wkp-strict (RFC 6052 §3.1). */
    static SiitMapper siitMapper(Config c) {
        return new SiitMapper(c.global().pool6(), c.eamtTable(), c.denylist(), c.ferry().wkpStrict());
    }

    /**
     * A translator for the configured mode, incrementing {@code counters}.
     *
     * @throws IllegalArgumentException the mode is not implemented yet (the message names it)
     */
    static Translator translator(Config c, Counters counters) {
        Mode mode = c.ferry().mode();
        if (mode == Mode.CLAT) return ClatWiring.staticTranslator(c, counters);
        if (mode != Mode.SIIT) {
            throw new IllegalArgumentException("ferry.mode: \"" + mode.jsonName()
                    + "\" is not implemented yet; ferry translate runs \"siit\"");
        }
        return new IpTranslator(settings(c), siitMapper(c), counters);
    }
}
