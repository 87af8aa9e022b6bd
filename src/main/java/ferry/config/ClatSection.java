package ferry.config;

import ferry.addr.AddressFormatException;
import ferry.addr.Prefix4;
import ferry.addr.Prefix6;
import ferry.addr.Rfc6052;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The top-level {@code "clat"} object (RFC 6877 CLAT), used with {@code "ferry": {"mode": "clat"}}.
 *
 * <pre>
 * "clat": {
 *   "plat-prefix": null,                   // the PLAT prefix; null/absent: discover (PREF64, RFC 7050, 64:ff9b::/96)
 *   "pref64": true,                        // listen for RFC 8781 PREF64 in Router Advertisements
 *   "uplink": "eth0",                      // interface the RAs arrive on (absent: any)
 *   "rfc7050": true,                       // ask ipv4only.arpa AAAA (RFC 7050)
 *   "resolvers": ["2001:db8::53"],         // for RFC 7050; absent: the system's (/etc/resolv.conf)
 *   "ipv6-address": "2001:db8:1::c1a7",    // single-address mode: the CLAT's /128 ...
 *   "ipv4-address": "192.0.0.1",           // ... and the host-side address it maps (default 192.0.0.1, RFC 7335)
 *   "dedicated-prefix": "2001:db8:1:2::/64", // or dedicated-prefix mode: a delegated prefix up to /96 ...
 *   "island": ["192.0.2.0/24"],            // ... and the island prefixes mapped into it (P::A)
 *   "proxy-ndp": false,                    // answer NDP for ipv6-address on the uplink (when it is on-link there)
 *   "state-file": "/run/ferry-clat.json"   // where `ferry clat` writes its status for `ferry clat status`
 * }
 * </pre>
 *
 * Exactly one of {@code ipv6-address} and {@code dedicated-prefix} is required.
 *
 * @param platPrefix      configured PLAT prefix, or null to discover
 * @param pref64          listen for PREF64 options
 * @param uplink          interface name for Router Advertisements, or null for any
 * @param rfc7050         run RFC 7050 discovery
 * @param resolvers       resolvers for RFC 7050 (empty: the system's)
 * @param ipv6Address     the CLAT /128 (single-address mode), or null
 * @param ipv4Address     the host-side /32 of single-address mode
 * @param dedicatedPrefix the dedicated prefix (dedicated mode), or null
 * @param island          the island prefixes (dedicated mode), else empty
 * @param stateFile       status file path
 * @param proxyNdp        have the kernel answer neighbour solicitations for {@code ipv6Address} on the uplink
 */
public record ClatSection(Rfc6052 platPrefix, boolean pref64, String uplink, boolean rfc7050,
                          List<InetSocketAddress> resolvers, Prefix6 ipv6Address, Prefix4 ipv4Address,
                          Prefix6 dedicatedPrefix, List<Prefix4> island, String stateFile, boolean proxyNdp) {
    public static final String DEFAULT_STATE_FILE = "/run/ferry-clat.json";

    public ClatSection {
        resolvers = List.copyOf(resolvers);
        island = List.copyOf(island);
    }

    /** True in dedicated-prefix mode. */
    public boolean dedicated() {
        return dedicatedPrefix != null;
    }


    private static final Set<String> KEYS = new TreeSet<>(List.of("plat-prefix", "pref64", "uplink", "rfc7050",
            "resolvers", "ipv6-address", "ipv4-address", "dedicated-prefix", "island", "state-file", "proxy-ndp"));

    /** Parses the {@code "clat"} object, reporting every problem to {@code errors}; never throws (null if not an object). */
    static ClatSection parse(Json.Node node, Sections.Errors errors) {
        if (!(node instanceof Json.Obj obj)) {
            errors.error("clat", node, "expected an object, got " + node.show());
            return null;
        }
        Rfc6052 plat = null;
        boolean pref64 = true, rfc7050 = true, proxyNdp = false;
        Json.Node proxyNode = null;
        String uplink = null, stateFile = DEFAULT_STATE_FILE;
        List<InetSocketAddress> resolvers = new ArrayList<>();
        Prefix6 v6 = null, dedicated = null;
        Prefix4 v4 = null;
        Json.Node v4Node = null, islandNode = null;
        List<Prefix4> island = new ArrayList<>();
        Set<String> seen = new TreeSet<>();
        for (Sections.Member m : Sections.members(obj, "clat", errors, seen)) {
            String path = m.path();
            Json.Node v = m.value();
            switch (m.key()) {
                case "plat-prefix" -> {
                    if (v instanceof Json.Null) break;
                    try {
                        if (!(v instanceof Json.Str s)) throw new AddressFormatException("expected a string");
                        plat = Rfc6052.parse(s.value());
                    } catch (AddressFormatException e) {
                        errors.error(path, v, v.show() + " is not an RFC 6052 prefix like \"64:ff9b::/96\": "
                                + e.getMessage());
                    }
                }
                case "pref64" -> pref64 = bool(path, v, errors, pref64);
                case "rfc7050" -> rfc7050 = bool(path, v, errors, rfc7050);
                case "proxy-ndp" -> {
                    proxyNdp = bool(path, v, errors, proxyNdp);
                    proxyNode = v;
                }
                case "uplink" -> {
                    if (v instanceof Json.Str s && s.value().length() >= 1 && s.value().length() <= 15
                            && s.value().chars().allMatch(c -> c > 0x20 && c < 0x7f && c != '/' && c != ':'))
                        uplink = s.value();
                    else errors.error(path, v, v.show() + " is not an interface name (1 to 15 characters)");
                }
                case "state-file" -> {
                    if (v instanceof Json.Str s && !s.value().isEmpty()) stateFile = s.value();
                    else errors.error(path, v, "expected a file path, got " + v.show());
                }
                case "resolvers" -> {
                    if (!(v instanceof Json.Arr a)) {
                        errors.error(path, v, "expected an array of resolver addresses, got " + v.show());
                        break;
                    }
                    for (int i = 0; i < a.items().size(); i++) {
                        Json.Node it = a.items().get(i);
                        InetSocketAddress r = socket(it);
                        if (r == null) errors.error(path + "[" + i + "]", it, it.show() + " is not a resolver address"
                                + " like \"192.0.2.53\", \"192.0.2.53:5353\" or \"[2001:db8::53]:53\" (IP literals only)");
                        else resolvers.add(r);
                    }
                }
                case "ipv6-address" -> {
                    Prefix6 p = prefix6(v);
                    if (p == null || p.len() != 128) errors.error(path, v, v.show() + " is not an IPv6 address");
                    else v6 = p;
                }
                case "ipv4-address" -> {
                    Prefix4 p = prefix4(v);
                    if (p == null || p.len() != 32) errors.error(path, v, v.show() + " is not an IPv4 address");
                    else { v4 = p; v4Node = v; }
                }
                case "dedicated-prefix" -> {
                    Prefix6 p = prefix6(v);
                    if (p == null || p.len() > 96)
                        errors.error(path, v, v.show() + " is not an IPv6 prefix of length 96 or less (each island"
                                + " address is placed in its last 32 bits)");
                    else dedicated = p;
                }
                case "island" -> {
                    islandNode = v;
                    if (!(v instanceof Json.Arr a) || a.items().isEmpty()) {
                        errors.error(path, v, "expected a non-empty array of IPv4 prefixes, got " + v.show());
                        break;
                    }
                    for (int i = 0; i < a.items().size(); i++) {
                        Json.Node it = a.items().get(i);
                        Prefix4 p = prefix4(it);
                        if (p == null) errors.error(path + "[" + i + "]", it, it.show() + " is not an IPv4 prefix");
                        else if (island.contains(p)) errors.error(path + "[" + i + "]", it, it.show() + " is listed twice");
                        else island.add(p);
                    }
                }
                default -> errors.error(path, v, Sections.unknownKey(m, KEYS));
            }
        }
        if ((v6 == null) == (dedicated == null) && !seen.contains("ipv6-address") && !seen.contains("dedicated-prefix"))
            errors.error("clat", node, "the clat section needs \"ipv6-address\" (the CLAT's /128, single-address mode)"
                    + " or \"dedicated-prefix\" (with \"island\")");
        if (seen.contains("ipv6-address") && seen.contains("dedicated-prefix"))
            errors.error("clat.dedicated-prefix", node, "give either \"ipv6-address\" or \"dedicated-prefix\", not both");
        if (seen.contains("dedicated-prefix") && !seen.contains("island"))
            errors.error("clat.dedicated-prefix", node, "\"dedicated-prefix\" needs \"island\": the IPv4 prefixes to map");
        if (islandNode != null && !seen.contains("dedicated-prefix"))
            errors.error("clat.island", islandNode, "\"island\" applies only with \"dedicated-prefix\"");
        if (v4Node != null && seen.contains("dedicated-prefix"))
            errors.error("clat.ipv4-address", v4Node, "\"ipv4-address\" applies only to single-address mode"
                    + " (\"ipv6-address\")");
        if (proxyNdp && (dedicated != null || uplink == null))
            errors.error("clat.proxy-ndp", proxyNode, dedicated != null
                    ? "\"proxy-ndp\" answers for one address (single-address mode); route a dedicated prefix to the"
                    + " router instead"
                    : "\"proxy-ndp\" needs \"uplink\": the interface to answer neighbour solicitations on");
        return new ClatSection(plat, pref64, uplink, rfc7050, resolvers, v6,
                v4 != null ? v4 : Prefix4.parse("192.0.0.1/32"), dedicated, dedicated != null ? island : List.of(),
                stateFile, proxyNdp);
    }

    private static boolean bool(String path, Json.Node v, Sections.Errors errors, boolean dflt) {
        if (v instanceof Json.Bool b) return b.value();
        errors.error(path, v, "expected true or false, got " + v.show());
        return dflt;
    }

    private static Prefix6 prefix6(Json.Node v) {
        if (!(v instanceof Json.Str s)) return null;
        try {
            return Prefix6.parse(s.value());
        } catch (AddressFormatException e) {
            return null;
        }
    }

    private static Prefix4 prefix4(Json.Node v) {
        if (!(v instanceof Json.Str s)) return null;
        try {
            return Prefix4.parse(s.value());
        } catch (AddressFormatException e) {
            return null;
        }
    }

    /** "192.0.2.53", "192.0.2.53:5353", "2001:db8::53", "[2001:db8::53]:5353"; port 53 by default. */
    private static InetSocketAddress socket(Json.Node v) {
        if (!(v instanceof Json.Str str)) return null;
        String s = str.value(), host = s, port = null;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) return null;
            host = s.substring(1, close);
            String rest = s.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) return null;
                port = rest.substring(1);
            }
        } else if (s.indexOf(':') >= 0 && s.indexOf(':') == s.lastIndexOf(':')) {
            host = s.substring(0, s.indexOf(':'));
            port = s.substring(s.indexOf(':') + 1);
        }
        int p = 53;
        if (port != null) {
            if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(Character::isDigit)) return null;
            p = Integer.parseInt(port);
            if (p < 1 || p > 65535) return null;
        }
        try {
            return new InetSocketAddress(Sections.literal(host), p);
        } catch (AddressFormatException e) {
            return null;
        }
    }
}
