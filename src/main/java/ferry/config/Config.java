package ferry.config;

import ferry.addr.Denylist4;
import ferry.addr.EamEntry;
import ferry.addr.Eamt;
import ferry.addr.Prefix4;
import java.util.List;

/**
 * A whole configuration: Jool's SIIT atomic-configuration file plus ferry's {@code "ferry"} and {@code "dns64"}
 * objects. Immutable. Built by {@link ConfigParser}.
 *
 * @param instance  Jool's {@code instance} (default "default")
 * @param framework Jool's {@code framework}, "netfilter" or "iptables" (default "netfilter"; ferry ignores it)
 * @param global    Jool's {@code global}
 * @param eamt      Jool's {@code eamt}, in file order
 * @param denylist4 Jool's {@code denylist4} (or its older name {@code blacklist4}), in file order
 * @param ferry     ferry's own settings
 * @param dns64     the DNS64 server's settings, or null when the file has no {@code "dns64"} object
 * @param tun       the TUN device of {@code ferry run} ({@link TunSection#defaults()} when the file has none)
 * @param nat64     the stateful NAT64 settings (pool4, bib, NAT64 globals) when the mode is nat64, else null
 * @param clat      the CLAT's settings, or null when the file has no {@code "clat"} object
 */
public record Config(String instance, String framework, Globals global, List<EamEntry> eamt,
                     List<Prefix4> denylist4, FerrySection ferry, Dns64Section dns64, TunSection tun,
                     Nat64Section nat64, ClatSection clat) {
    public Config {
        eamt = List.copyOf(eamt);
        denylist4 = List.copyOf(denylist4);
        if (tun == null) tun = TunSection.defaults();
    }

    /** A configuration without CLAT settings. */
    public Config(String instance, String framework, Globals global, List<EamEntry> eamt,
                  List<Prefix4> denylist4, FerrySection ferry, Dns64Section dns64, TunSection tun,
                  Nat64Section nat64) {
        this(instance, framework, global, eamt, denylist4, ferry, dns64, tun, nat64, null);
    }

    /** A configuration with a TUN section, without NAT64 or CLAT settings. */
    public Config(String instance, String framework, Globals global, List<EamEntry> eamt,
                  List<Prefix4> denylist4, FerrySection ferry, Dns64Section dns64, TunSection tun) {
        this(instance, framework, global, eamt, denylist4, ferry, dns64, tun, null, null);
    }

    /** A configuration with NAT64 settings (or null), the TUN defaults and no CLAT settings. */
    public Config(String instance, String framework, Globals global, List<EamEntry> eamt, List<Prefix4> denylist4,
                  FerrySection ferry, Dns64Section dns64, Nat64Section nat64) {
        this(instance, framework, global, eamt, denylist4, ferry, dns64, TunSection.defaults(), nat64, null);
    }

    /** A configuration without TUN, NAT64 or CLAT settings. */
    public Config(String instance, String framework, Globals global, List<EamEntry> eamt,
                  List<Prefix4> denylist4, FerrySection ferry, Dns64Section dns64) {
        this(instance, framework, global, eamt, denylist4, ferry, dns64, TunSection.defaults(), null, null);
    }

    /** The EAMT as a lookup table (builds a new one on each call). */
    public Eamt eamtTable() {
        return Eamt.of(eamt);
    }

    /** The denylist as a lookup set (builds a new one on each call). */
    public Denylist4 denylist() {
        return Denylist4.of(denylist4);
    }
}
