package ferry.app;

import ferry.config.Config;
import ferry.config.FerrySection;
import ferry.config.Globals;
import ferry.config.Mode;
import ferry.config.BibEntry;
import ferry.config.Nat64Section;
import ferry.config.Pool4Entry;
import ferry.metrics.Counters;
import ferry.nat64.Nat64Mapper;
import ferry.nat64.Nat64Settings;
import ferry.nat64.Pool4;
import ferry.nat64.StaticBib;
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
     * The stateful NAT64 mapper (RFC 6146) of a nat64-mode configuration: pool6, pool4 (RFC 6056 secret from
     * {@link java.security.SecureRandom}), static BIB entries, the NAT64 globals.
     *
     * @throws IllegalArgumentException the configuration has no NAT64 section, or the tables refuse it
     */
    static Nat64Mapper nat64Mapper(Config c) {
        Nat64Section n = c.nat64();
        if (n == null) throw new IllegalArgumentException("ferry.mode: \"nat64\" needs pool4 (no NAT64 settings)");
        java.util.List<Pool4.Entry> pool4 = new java.util.ArrayList<>();
        for (Pool4Entry e : n.pool4()) {
            pool4.add(new Pool4.Entry(e.protocol(), e.prefix(), e.portMin(), e.portMax(), e.maxIterations()));
        }
        java.util.List<StaticBib> statics = new java.util.ArrayList<>();
        for (BibEntry b : n.bib()) {
            statics.add(new StaticBib(b.protocol(), b.ipv6().hi(), b.ipv6().lo(), b.port6(), b.ipv4().addr(), b.port4()));
        }
        Nat64Settings s = new Nat64Settings(n.udpTimeout(), n.tcpEstTimeout(), n.tcpTransTimeout(), n.icmpTimeout(),
                n.maximumSimultaneousOpens(), n.addressDependentFiltering(), n.dropExternallyInitiatedTcp(),
                n.dropIcmpv6Info(), n.handleRstDuringFinRcv(), n.fArgs(), n.maxSessions(),
                n.maxSessionsPerSubscriber(), n.maxPortsPerSubscriber(), n.subscriberPrefixLength(),
                n.fragmentTimeout());
        long secret = new java.security.SecureRandom().nextLong();
        Nat64Mapper m = new Nat64Mapper(c.global().pool6(), c.ferry().wkpStrict(), new Pool4(pool4, n.fArgs(), secret),
                statics, s);
        if (n.loggingBib() || n.loggingSession()) m.log(new ferry.nat64.Nat64Log(n.loggingBib(), n.loggingSession(), 1 << 16));
        m.portFilter(nat64PortFilter(n));
        return m;
    }

    /** ferry's {@code nat64-allow} as the mapper's filter; null when the key is absent (no filter). */
    static ferry.nat64.Nat64PortFilter nat64PortFilter(Nat64Section n) {
        if (n.allow() == null) return null;
        ferry.nat64.Nat64PortFilter.Builder b = ferry.nat64.Nat64PortFilter.builder();
        for (ferry.config.Nat64Allow a : n.allow()) {
            if (a.ports().isEmpty()) b.allow(a.protocol(), 0, 65535);
            for (ferry.config.Nat64Allow.Range r : a.ports()) b.allow(a.protocol(), r.first(), r.last());
        }
        return b.build();
    }

    /**
     * Where the RFC 6888 REQ-12 mapping log goes: the file of {@code "nat64-log": {"file": PATH}} (append-only,
     * reopened on SIGHUP), else {@code stderr}.
     *
     * @throws IllegalArgumentException the file cannot be opened (the message names the key and the value)
     */
    static ferry.nat64.Nat64Log.Sink nat64LogSink(Config c, java.util.function.Consumer<String> stderr) {
        String file = c.nat64() == null ? null : c.nat64().logFile();
        if (file == null) return ferry.nat64.Nat64Log.sinkOf(stderr);
        try {
            return ferry.nat64.Nat64LogFile.open(java.nio.file.Path.of(file));
        } catch (java.io.IOException | RuntimeException e) {
            throw new IllegalArgumentException("ferry.nat64-log.file: cannot open \"" + file + "\" for appending: "
                    + (e.getMessage() == null ? e.toString() : e.getMessage()));
        }
    }

    /**
     * The translator settings of a nat64-mode configuration: hairpinning (RFC 6146 §3.8) is always on; when the
     * "ferry" object names no own addresses, the errors the NAT64 generates come from its first pool4 address (IPv4
     * side) and that address under pool6 (IPv6 side), both of which route to the NAT64.
     */
    static TranslatorSettings nat64Settings(Config c) {
        TranslatorSettings t = settings(c);
        ferry.addr.Prefix4 own4 = t.ipv4Address();
        ferry.addr.Prefix6 own6 = t.ipv6Address();
        if (c.nat64() != null && !c.nat64().pool4().isEmpty()) {
            int first = c.nat64().pool4().get(0).prefix().addr();
            if (own4 == null) own4 = new ferry.addr.Prefix4(first, 32);
            if (own6 == null && c.global().pool6() != null)
                own6 = new ferry.addr.Prefix6(c.global().pool6().embedHi(first), c.global().pool6().embedLo(first), 128);
        }
        return new TranslatorSettings(t.zeroizeTrafficClass(), t.overrideTos(), t.tos(), t.mtuPlateaus(),
                t.amendUdpChecksumZero(), t.lowestIpv6Mtu(), t.rfc6791v4(), t.rfc6791v6(), t.randomizeRfc6791(),
                own4, own6, t.ipv4Mtu(), t.ipv6Mtu(), EamHairpinMode.INTRINSIC);
    }

    /**
     * A translator for the configured mode, incrementing {@code counters}. For NAT64 the mapper (the shared
     * tables) is made here: build one and share it between workers with {@link #translator(Config, Counters,
     * Nat64Mapper)}.
     *
     * @throws IllegalArgumentException the mode is not implemented yet (the message names it)
     */
    static Translator translator(Config c, Counters counters) {
        Mode mode = c.ferry().mode();
        if (mode == Mode.CLAT) return ClatWiring.staticTranslator(c, counters);
        if (mode == Mode.NAT64) return translator(c, counters, nat64Mapper(c));
        if (mode != Mode.SIIT) {
            throw new IllegalArgumentException("ferry.mode: \"" + mode.jsonName()
                    + "\" is not implemented yet; ferry translate runs \"siit\" and \"nat64\"");
        }
        return new IpTranslator(settings(c), siitMapper(c), counters);
    }

    /** A NAT64 translator (one per worker) over shared tables. */
    static Translator translator(Config c, Counters counters, Nat64Mapper shared) {
        return new IpTranslator(nat64Settings(c), shared, counters);
    }
}
