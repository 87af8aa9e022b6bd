package ferry.config;

import ferry.addr.AddressFormatException;
import ferry.addr.EamEntry;
import ferry.addr.Eamt;
import ferry.addr.Ipv4;
import ferry.addr.Prefix4;
import ferry.addr.Prefix6;
import ferry.addr.Rfc6052;
import ferry.addr.Special;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Reads a configuration: Jool's SIIT atomic-configuration JSON (accepted unchanged) plus ferry's {@code "ferry"}
 * and {@code "dns64"} objects. Every error in the file is collected — unknown or duplicate keys, wrong types, bad
 * prefixes, out-of-range numbers, conflicts between keys — each with its path, line and column, and the whole list
 * is thrown as one {@link ConfigException}. Invalid JSON stops the parse at the syntax error (its position is
 * reported).
 *
 * <p>As in Jool: key names are matched case-insensitively; any number of {@code "comment"} keys, of any type, are
 * allowed and ignored in every object; a key may appear only once. Unlike Jool, {@code instance} and
 * {@code framework} may be omitted (defaults "default" and "netfilter"): a userspace translator does not need them.
 *
 * <p>{@code force} plays the part of Jool's {@code file handle --force}: it accepts nested (overlapping) EAM
 * entries and denylist4 / rfc6791v4-prefix values that intersect Jool's "subnet scoped" ranges. Identical EAM
 * prefixes are refused even then, as Jool refuses them.
 */
public final class ConfigParser {
    private ConfigParser() {}

    /** Parses a file (UTF-8), without force. */
    public static Config parse(Path path) throws ConfigException {
        return parse(path, false);
    }

    /** Parses a file (UTF-8). */
    public static Config parse(Path path, boolean force) throws ConfigException {
        return parse(path, force, null);
    }

    /**
     * Parses a file (UTF-8); {@code modeOverride} (the command line's {@code --mode}), when not null, replaces the
     * file's {@code "ferry": {"mode"}}, so that Jool's NAT64 files work unchanged.
     */
    public static Config parse(Path path, boolean force, Mode modeOverride) throws ConfigException {
        String text;
        try {
            text = Files.readString(path);
        } catch (CharacterCodingException e) {
            throw new ConfigException(path.toString(), List.of(new ConfigError("", 0, 0, "the file is not UTF-8 text")));
        } catch (IOException e) {
            throw new ConfigException(path.toString(),
                    List.of(new ConfigError("", 0, 0, "cannot read the file: " + e)));
        }
        return parse(text, path.toString(), force, modeOverride);
    }

    /** Parses JSON text; {@code sourceName} names it in error messages. Without force. */
    public static Config parse(String text, String sourceName) throws ConfigException {
        return parse(text, sourceName, false);
    }

    /** Parses JSON text; {@code sourceName} names it in error messages. */
    public static Config parse(String text, String sourceName, boolean force) throws ConfigException {
        return parse(text, sourceName, force, null);
    }

    /** Parses JSON text with an optional mode override (see {@link #parse(Path, boolean, Mode)}). */
    public static Config parse(String text, String sourceName, boolean force, Mode modeOverride)
            throws ConfigException {
        Json.Node root;
        try {
            root = Json.parse(text);
        } catch (Json.SyntaxError e) {
            throw new ConfigException(sourceName, List.of(new ConfigError("", e.line, e.column, e.getMessage())));
        }
        Run run = new Run(force, modeOverride);
        Config c = run.root(root);
        if (!run.errors.isEmpty()) {
            List<ConfigError> sorted = new ArrayList<>(run.errors);
            sorted.sort(Comparator.comparingInt(ConfigError::line).thenComparingInt(ConfigError::column));
            throw new ConfigException(sourceName, sorted);
        }
        return c;
    }

    // ------------------------------------------------------------------------------------------------------------

    /** Jool's session-synchronization globals (joold): accepted in nat64 mode and ignored (ferry has no SS). */
    private static final List<String> SS_GLOBALS = List.of("ss-enabled", "ss-flush-asap", "ss-flush-deadline",
            "ss-capacity", "ss-max-payload", "ss-max-sessions-per-packet");
    private static final String NAT64_HINT = "this is an SIIT configuration (set \"ferry\": {\"mode\": \"nat64\"}"
            + " or --mode nat64 for a stateful NAT64)";
    private static final List<String> MAPT_GLOBALS = List.of("map-t-type", "end-user-ipv6-prefix", "bmr", "mapt");

    private static final int PLATEAUS_MAX = 64; // Jool's PLATEAUS_MAX

    /** One parse: the errors found so far. */
    private static final class Run {
        final boolean force;
        final Mode modeOverride;
        final List<ConfigError> errors = new ArrayList<>();

        Run(boolean force, Mode modeOverride) {
            this.force = force;
            this.modeOverride = modeOverride;
        }

        void error(String path, Json.Node at, String message) {
            errors.add(new ConfigError(path, at.line(), at.column(), message));
        }

        void error(String path, int line, int column, String message) {
            errors.add(new ConfigError(path, line, column, message));
        }

        // ------------------------------------------------------------------------------------------ objects

        interface Handler {
            void accept(String path, Json.Node value);
        }

        /** Dispatches the members of an object to handlers by (case-insensitive) key; reports the rest. */
        Map<String, Json.Member> object(Json.Node node, String path, Map<String, Handler> handlers,
                                        Map<String, String> refusals) {
            Map<String, Json.Member> seen = new HashMap<>();
            if (!(node instanceof Json.Obj obj)) {
                error(path, node, "expected an object, got " + node.show());
                return seen;
            }
            for (Json.Member m : obj.members()) {
                String key = m.key().toLowerCase(Locale.ROOT);
                String childPath = child(path, m.key());
                if (key.equals("comment")) continue; // Jool: "any amount of comments are allowed (and ignored)"
                Json.Member first = seen.get(key);
                if (first != null) {
                    error(childPath, m.line(), m.column(), "duplicate key " + Json.quote(m.key())
                            + " (first given at line " + first.line() + ")");
                    continue;
                }
                seen.put(key, m);
                Handler h = handlers.get(key);
                if (h != null) {
                    h.accept(child(path, key), m.value()); // handler keys are Jool's (lower-case) spellings
                } else if (refusals.containsKey(key)) {
                    error(childPath, m.line(), m.column(), refusals.get(key));
                } else {
                    error(childPath, m.line(), m.column(), "unknown key " + Json.quote(m.key()) + "; expected one of "
                            + String.join(", ", new TreeSet<>(handlers.keySet())) + " (or comment)");
                }
            }
            return seen;
        }

        static String child(String path, String key) {
            boolean plain = !key.isEmpty();
            for (int i = 0; i < key.length(); i++) {
                char c = key.charAt(i);
                if (!(Character.isLetterOrDigit(c) || c == '-' || c == '_')) { plain = false; break; }
            }
            String k = plain ? key : Json.quote(key);
            return path.isEmpty() ? k : path + "." + k;
        }

        static String index(String path, int i) {
            return path + "[" + i + "]";
        }

        // ------------------------------------------------------------------------------------------ scalars

        Boolean bool(String path, Json.Node n) {
            if (n instanceof Json.Bool b) return b.value();
            error(path, n, "expected true or false, got " + n.show());
            return null;
        }

        String string(String path, Json.Node n) {
            if (n instanceof Json.Str s) return s.value();
            error(path, n, "expected a string, got " + n.show());
            return null;
        }

        /**
         * A byte size 0..2^31-1: an integer (bytes) or a string with k, m or g (KiB, MiB, GiB; optional "b"), e.g.
         * "16m"; null (and an error) otherwise.
         */
        Long byteSize(String path, Json.Node n) {
            if (!(n instanceof Json.Str str)) return integer(path, n, 0, Integer.MAX_VALUE);
            String t = str.value().trim().toLowerCase(java.util.Locale.ROOT);
            if (t.endsWith("b")) t = t.substring(0, t.length() - 1);
            long mult = t.endsWith("k") ? 1L << 10 : t.endsWith("m") ? 1L << 20 : t.endsWith("g") ? 1L << 30 : 1;
            if (mult != 1) t = t.substring(0, t.length() - 1);
            try {
                long v = Long.parseLong(t);
                if (v >= 0 && v <= Integer.MAX_VALUE / mult) return v * mult;
            } catch (NumberFormatException e) {
                // reported below
            }
            error(path, n, n.show() + " is not a size 0..2047m (bytes, or a number with k, m or g, e.g. \"16m\")");
            return null;
        }

        /** An integer in [min, max]; null (and an error) otherwise. */
        Long integer(String path, Json.Node n, long min, long max) {
            if (!(n instanceof Json.Num num)) {
                error(path, n, "expected an integer " + min + ".." + max + ", got " + n.show());
                return null;
            }
            if (!num.integral()) {
                error(path, n, num.show() + " is not an integer (expected " + min + ".." + max + ")");
                return null;
            }
            if (num.value().compareTo(java.math.BigDecimal.valueOf(min)) < 0
                    || num.value().compareTo(java.math.BigDecimal.valueOf(max)) > 0) {
                error(path, n, num.show() + " is out of range " + min + ".." + max);
                return null;
            }
            return num.value().longValueExact();
        }

        Prefix6 prefix6(String path, Json.Node n) {
            if (!(n instanceof Json.Str s)) {
                error(path, n, "expected an IPv6 prefix string like \"2001:db8::/32\", got " + n.show());
                return null;
            }
            try {
                return Prefix6.parse(s.value());
            } catch (AddressFormatException e) {
                error(path, n, s.show() + " is not a valid IPv6 prefix: " + e.getMessage());
                return null;
            }
        }

        Prefix4 prefix4(String path, Json.Node n) {
            if (!(n instanceof Json.Str s)) {
                error(path, n, "expected an IPv4 prefix string like \"192.0.2.0/24\", got " + n.show());
                return null;
            }
            try {
                return Prefix4.parse(s.value());
            } catch (AddressFormatException e) {
                error(path, n, s.show() + " is not a valid IPv4 prefix: " + e.getMessage());
                return null;
            }
        }

        /** RFC 6052 §2.2 prefix: length 32/40/48/56/64/96, u-octet zero, no host bits. */
        Rfc6052 rfc6052(String path, Json.Node n) {
            if (!(n instanceof Json.Str s)) {
                error(path, n, "expected an RFC 6052 prefix string like \"64:ff9b::/96\", got " + n.show());
                return null;
            }
            Prefix6 p;
            try {
                p = Prefix6.parse(s.value());
            } catch (AddressFormatException e) {
                error(path, n, s.show() + " is not a valid RFC 6052 prefix: " + e.getMessage());
                return null;
            }
            int len = p.len();
            if (len != 32 && len != 40 && len != 48 && len != 56 && len != 64 && len != 96) {
                error(path, n, s.show() + " is not a valid RFC 6052 prefix: length must be 32, 40, 48, 56, 64 or 96");
                return null;
            }
            if ((p.lo() >>> 56) != 0 && !force) {
                // RFC 6052 §2.2: bits 64 to 71 (the u-octet) must be zero. With --force a /96 may carry them
                // (Rfc6052.of(p, force) says why).
                error(path, n, s.show() + " is not a valid RFC 6052 prefix: bits 64-71 (the u-octet) must be zero"
                        + " (a /96 like this is accepted with --force)");
                return null;
            }
            return Rfc6052.of(p, force);
        }

        /** A single IPv4 address (a bare address or a /32), as a /32 prefix. */
        Prefix4 address4(String path, Json.Node n) {
            Prefix4 p = prefix4(path, n);
            if (p != null && p.len() != 32) {
                error(path, n, n.show() + " is a prefix; expected a single IPv4 address");
                return null;
            }
            return p;
        }

        Prefix6 address6(String path, Json.Node n) {
            Prefix6 p = prefix6(path, n);
            if (p != null && p.len() != 128) {
                error(path, n, n.show() + " is a prefix; expected a single IPv6 address");
                return null;
            }
            return p;
        }

        List<Json.Node> array(String path, Json.Node n) {
            if (n instanceof Json.Arr a) return a.items();
            error(path, n, "expected an array, got " + n.show());
            return null;
        }

        // ------------------------------------------------------------------------------------------ document

        Config root(Json.Node root) {
            String[] instance = {"default"};
            String[] framework = {"netfilter"};
            Json.Node[] global = {null}, eamt = {null}, denylist = {null}, ferry = {null}, dns64 = {null},
                    pool4 = {null}, bib = {null}, tun = {null}, clat = {null};
            String[] denylistName = {null};

            Map<String, Handler> h = new LinkedHashMap<>();
            h.put("instance", (p, v) -> {
                String s = string(p, v);
                if (s == null) return;
                // Jool's instance names: 1 to 15 printable ASCII characters.
                if (s.isEmpty() || s.length() > 15 || !s.chars().allMatch(c -> c >= 0x20 && c < 0x7f))
                    error(p, v, Json.quote(s) + " is not a valid instance name: 1 to 15 printable ASCII characters");
                else instance[0] = s;
            });
            h.put("framework", (p, v) -> {
                String s = string(p, v);
                if (s == null) return;
                if (s.equals("netfilter") || s.equals("iptables")) framework[0] = s;
                else error(p, v, Json.quote(s) + " is not a framework; expected \"netfilter\" or \"iptables\"");
            });
            h.put("global", (p, v) -> global[0] = v);
            h.put("eamt", (p, v) -> eamt[0] = v);
            Handler deny = (p, v) -> {
                String name = p.substring(p.lastIndexOf('.') + 1);
                if (denylist[0] != null) {
                    error(p, v, Json.quote(name) + " repeats " + Json.quote(denylistName[0])
                            + " (blacklist4 is Jool's older name for denylist4); give only one");
                    return;
                }
                denylist[0] = v;
                denylistName[0] = name;
            };
            h.put("denylist4", deny);
            h.put("blacklist4", deny);
            h.put("ferry", (p, v) -> ferry[0] = v);
            h.put("dns64", (p, v) -> dns64[0] = v);
            h.put("tun", (p, v) -> tun[0] = v);
            h.put("clat", (p, v) -> clat[0] = v);
            h.put("pool4", (p, v) -> pool4[0] = v);
            h.put("bib", (p, v) -> bib[0] = v);
            object(root, "", h, Map.of());

            GlobalsBuilder g = new GlobalsBuilder();
            if (global[0] != null) globals(global[0], g);
            List<EamEntry> eams = new ArrayList<>();
            List<Json.Node> eamNodes = new ArrayList<>();
            if (eamt[0] != null) eamt(eamt[0], eams, eamNodes);
            List<Prefix4> deny4 = new ArrayList<>();
            if (denylist[0] != null) denylist(denylist[0], denylistName[0], deny4);
            FerryBuilder f = new FerryBuilder();
            if (ferry[0] != null) ferry(ferry[0], f);
            Dns64Section d = dns64[0] == null ? null : dns64(dns64[0], g.pool6);
            TunSection t = tun[0] == null ? TunSection.defaults() : TunSection.parse(tun[0], this::error);
            ClatSection cl = clat[0] == null ? null : ClatSection.parse(clat[0], this::error);

            // The mode decides which keys belong: pool4, bib and the NAT64 globals only in nat64 mode.
            Mode mode = modeOverride != null ? modeOverride : f.mode;
            if (mode == Mode.CLAT && clat[0] == null && ferry[0] != null)
                error("ferry.mode", ferry[0], "mode \"clat\" needs a \"clat\" object (at least \"ipv6-address\" or \"dedicated-prefix\")");
            Nat64Section nat64 = null;
            if (mode == Mode.NAT64) {
                nat64 = nat64(root, g, pool4[0], bib[0], f);
                if (eamt[0] != null) error("eamt", eamt[0], "\"eamt\" is an SIIT setting; this is a stateful NAT64"
                        + " configuration (the NAT64 maps addresses through pool6, pool4 and the BIB)");
                if (denylist[0] != null) error(denylistName[0], denylist[0], Json.quote(denylistName[0])
                        + " is an SIIT setting; this is a stateful NAT64 configuration (only pool4 addresses are"
                        + " translated into IPv6)");
            } else {
                if (pool4[0] != null) error("pool4", pool4[0], "\"pool4\" is a stateful NAT64 setting; " + NAT64_HINT);
                if (bib[0] != null) error("bib", bib[0], "\"bib\" is a stateful NAT64 setting; " + NAT64_HINT);
                for (Map.Entry<String, Json.Node> e : g.nat64Keys.entrySet())
                    error("global." + e.getKey(), e.getValue(), Json.quote(e.getKey())
                            + " is a stateful NAT64 global; " + NAT64_HINT);
                if (f.maxSessionsNode != null)
                    error("ferry.max-sessions", f.maxSessionsNode, "\"max-sessions\" is a stateful NAT64 setting; "
                            + NAT64_HINT);
                for (Map.Entry<String, Json.Node> e : f.nat64Keys.entrySet())
                    error("ferry." + e.getKey(), e.getValue(), Json.quote(e.getKey())
                            + " is a stateful NAT64 setting; " + NAT64_HINT);
            }
            FerrySection fs = f.build();
            if (mode != fs.mode()) fs = new FerrySection(mode, fs.ipv4Address(), fs.ipv6Address(), fs.ipv4Mtu(),
                    fs.ipv6Mtu(), fs.wkpStrict(), fs.metrics());

            // Across keys.
            if (f.ipv6MtuNode != null || g.lowestNode != null) {
                if (g.lowestIpv6Mtu > f.ipv6Mtu) {
                    Json.Node at = g.lowestNode != null ? g.lowestNode : f.ipv6MtuNode;
                    error(g.lowestNode != null ? "global.lowest-ipv6-mtu" : "ferry.ipv6-mtu", at,
                            "global.lowest-ipv6-mtu (" + g.lowestIpv6Mtu + ") is larger than ferry.ipv6-mtu ("
                                    + f.ipv6Mtu + "): unfragmented 4→6 packets up to lowest-ipv6-mtu would not fit"
                                    + " the IPv6 side");
                }
            }

            Globals globals = g.build();
            return new Config(instance[0], framework[0], globals, eams, deny4, fs, d, t, nat64, cl);
        }

        // ------------------------------------------------------------------------------------------ global

        static final class GlobalsBuilder {
            boolean manuallyEnabled = true;
            Rfc6052 pool6;
            int lowestIpv6Mtu = 1280;
            Json.Node lowestNode;
            boolean loggingDebug;
            boolean zeroizeTrafficClass;
            boolean overrideTos;
            int tos;
            int[] plateaus = Globals.DEFAULT_PLATEAUS;
            boolean amendUdpChecksumZero;
            HairpinMode hairpin = HairpinMode.INTRINSIC;
            boolean randomize = true;
            Prefix6 rfc6791v6;
            Prefix4 rfc6791v4;
            /** NAT64 globals given, by Jool's name, with their value nodes (refused in SIIT mode). */
            final Map<String, Json.Node> nat64Keys = new LinkedHashMap<>();
            int udpTimeout = 300, tcpEstTimeout = 7440, tcpTransTimeout = 240, icmpTimeout = 60;
            int maximumSimultaneousOpens = 10, fArgs = 0b1011;
            boolean addressDependentFiltering, dropExternallyInitiatedTcp, dropIcmpv6Info, handleRstDuringFinRcv,
                    sourceIcmpv6ErrorsBetter, loggingBib, loggingSession;

            Globals build() {
                return new Globals(manuallyEnabled, pool6, lowestIpv6Mtu, loggingDebug, zeroizeTrafficClass,
                        overrideTos, tos, plateaus, amendUdpChecksumZero, hairpin, randomize, rfc6791v6, rfc6791v4);
            }
        }

        void globals(Json.Node node, GlobalsBuilder g) {
            Map<String, Handler> h = new LinkedHashMap<>();
            h.put("manually-enabled", (p, v) -> { Boolean b = bool(p, v); if (b != null) g.manuallyEnabled = b; });
            h.put("pool6", (p, v) -> {
                if (v instanceof Json.Null) g.pool6 = null;
                else g.pool6 = rfc6052(p, v);
            });
            h.put("lowest-ipv6-mtu", (p, v) -> {
                // Jool: "lowest-ipv6-mtu (%u) is too small (min: 1280)"; beyond 65535 no IPv6 packet fits a field.
                Long l = integer(p, v, 1280, 65535);
                if (l != null) { g.lowestIpv6Mtu = l.intValue(); g.lowestNode = v; }
            });
            h.put("logging-debug", (p, v) -> { Boolean b = bool(p, v); if (b != null) g.loggingDebug = b; });
            h.put("zeroize-traffic-class", (p, v) -> { Boolean b = bool(p, v); if (b != null) g.zeroizeTrafficClass = b; });
            h.put("override-tos", (p, v) -> { Boolean b = bool(p, v); if (b != null) g.overrideTos = b; });
            h.put("tos", (p, v) -> { Long l = integer(p, v, 0, 255); if (l != null) g.tos = l.intValue(); });
            h.put("mtu-plateaus", (p, v) -> { int[] a = plateaus(p, v); if (a != null) g.plateaus = a; });
            h.put("amend-udp-checksum-zero", (p, v) -> { Boolean b = bool(p, v); if (b != null) g.amendUdpChecksumZero = b; });
            h.put("eam-hairpin-mode", (p, v) -> { HairpinMode m = hairpin(p, v); if (m != null) g.hairpin = m; });
            h.put("randomize-rfc6791-addresses", (p, v) -> { Boolean b = bool(p, v); if (b != null) g.randomize = b; });
            h.put("rfc6791v6-prefix", (p, v) -> g.rfc6791v6 = v instanceof Json.Null ? null : prefix6(p, v));
            h.put("rfc6791v4-prefix", (p, v) -> {
                if (v instanceof Json.Null) { g.rfc6791v4 = null; return; }
                Prefix4 pr = prefix4(p, v);
                if (pr != null && !scopeOk(p, v, pr)) pr = null;
                g.rfc6791v4 = pr;
            });
            nat64Globals(h, g);
            Map<String, String> refused = new HashMap<>();
            for (String k : MAPT_GLOBALS)
                refused.put(k, Json.quote(k) + " is a MAP-T global; ferry does not implement MAP-T");
            object(node, "global", h, refused);
        }

        /** Jool's prefix4_validate_scope: refuse 0/8, 127/8, 169.254/16, 224/4, 255.255.255.255 unless forced. */
        boolean scopeOk(String path, Json.Node at, Prefix4 p) {
            Prefix4 s = Special.subnetScopedOverlap(p);
            if (s == null || force) return true;
            error(path, at, Json.quote(p.toString()) + " intersects the subnet-scoped network " + s
                    + ", which is never translated (Jool refuses this unless --force)");
            return false;
        }

        int[] plateaus(String path, Json.Node v) {
            List<Json.Node> items = array(path, v);
            if (items == null) return null;
            if (items.size() > PLATEAUS_MAX) {
                error(path, v, "too many plateaus: " + items.size() + " (Jool's maximum is " + PLATEAUS_MAX + ")");
                return null;
            }
            int[] values = new int[items.size()];
            boolean ok = true;
            for (int i = 0; i < items.size(); i++) {
                Long l = integer(index(path, i), items.get(i), 0, 65535);
                if (l == null) ok = false;
                else values[i] = l.intValue();
            }
            if (!ok) return null;
            // As Jool: sort descending, drop zeros and duplicates; nothing left is an error.
            int[] sorted = Arrays.stream(values).filter(x -> x > 0).distinct().boxed()
                    .sorted(Comparator.reverseOrder()).mapToInt(Integer::intValue).toArray();
            if (sorted.length == 0) {
                error(path, v, "the plateaus list contains nothing but zeroes (or nothing at all)");
                return null;
            }
            return sorted;
        }

        HairpinMode hairpin(String path, Json.Node v) {
            if (v instanceof Json.Str s) {
                for (HairpinMode m : HairpinMode.values()) if (m.jsonName().equals(s.value())) return m;
            }
            String extra = v instanceof Json.Num
                    ? " (Jool's files take the name, not the number 0, 1 or 2)" : "";
            error(path, v, v.show() + " is not a hairpinning mode; expected \"off\", \"simple\" or \"intrinsic\"" + extra);
            return null;
        }

        // ------------------------------------------------------------------------------------------ eamt, denylist

        void eamt(Json.Node node, List<EamEntry> out, List<Json.Node> nodes) {
            List<Json.Node> items = array("eamt", node);
            if (items == null) return;
            List<Integer> positions = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                String path = index("eamt", i);
                Json.Node item = items.get(i);
                Prefix6[] v6 = {null};
                Prefix4[] v4 = {null};
                Map<String, Handler> h = new LinkedHashMap<>();
                h.put("ipv6 prefix", (p, v) -> v6[0] = prefix6(p, v));
                h.put("ipv4 prefix", (p, v) -> v4[0] = prefix4(p, v));
                Map<String, Json.Member> seen = object(item, path, h, Map.of());
                if (!(item instanceof Json.Obj)) continue;
                if (!seen.containsKey("ipv6 prefix"))
                    error(path, item, "the EAM entry has no \"ipv6 prefix\"");
                if (!seen.containsKey("ipv4 prefix"))
                    error(path, item, "the EAM entry has no \"ipv4 prefix\"");
                if (v6[0] == null || v4[0] == null) continue;
                try {
                    out.add(new EamEntry(v6[0], v4[0]));
                    nodes.add(item);
                    positions.add(i);
                } catch (IllegalArgumentException e) {
                    error(path, item, e.getMessage() + " (RFC 7757 §3.2; Jool: \"The IPv4 suffix length must be"
                            + " smaller or equal than the IPv6 suffix length\")");
                }
            }
            for (Eamt.Conflict c : Eamt.duplicates(out))
                error(index("eamt", positions.get(c.index())), nodes.get(c.index()),
                        c.message() + " (Jool refuses this even with --force)");
            if (!force) {
                for (Eamt.Conflict c : Eamt.overlaps(out))
                    error(index("eamt", positions.get(c.index())), nodes.get(c.index()),
                            c.message() + " (Jool refuses overlapping EAM entries unless --force;"
                                    + " with force the longest prefix wins)");
            }
        }

        void denylist(Json.Node node, String name, List<Prefix4> out) {
            List<Json.Node> items = array(name, node);
            if (items == null) return;
            for (int i = 0; i < items.size(); i++) {
                String path = index(name, i);
                Prefix4 p = prefix4(path, items.get(i));
                if (p != null && scopeOk(path, items.get(i), p)) out.add(p);
            }
        }

        // ------------------------------------------------------------------------------------------ ferry

        static final class FerryBuilder {
            Mode mode = Mode.SIIT;
            Prefix4 ipv4Address;
            Prefix6 ipv6Address;
            int ipv4Mtu = 1500;
            int ipv6Mtu = 1500;
            Json.Node ipv6MtuNode;
            boolean wkpStrict = true;
            String metrics;
            int maxSessions = Nat64Section.DEFAULT_MAX_SESSIONS;
            Json.Node maxSessionsNode;
            int maxSessionsPerSubscriber, maxPortsPerSubscriber, subscriberPrefixLength = 128, fragmentTimeout = 2;
            /** {@code nat64-log}: the mapping log's file, null for stderr. */
            String nat64LogFile;
            /** {@code nat64-allow}: null when absent. */
            List<Nat64Allow> nat64Allow;
            /** ferry's NAT64 keys given, with their nodes (refused in SIIT mode). */
            final Map<String, Json.Node> nat64Keys = new LinkedHashMap<>();

            FerrySection build() {
                return new FerrySection(mode, ipv4Address, ipv6Address, ipv4Mtu, ipv6Mtu, wkpStrict, metrics);
            }
        }

        void ferry(Json.Node node, FerryBuilder f) {
            Map<String, Handler> h = new LinkedHashMap<>();
            h.put("mode", (p, v) -> {
                String s = string(p, v);
                if (s == null) return;
                if (s.equals("siit")) f.mode = Mode.SIIT;
                else if (s.equals("nat64")) f.mode = Mode.NAT64;
                else if (s.equals("clat")) f.mode = Mode.CLAT;
                else error(p, v, Json.quote(s) + " is not a mode; expected \"siit\", \"nat64\" or \"clat\"");
            });
            h.put("ipv4-address", (p, v) -> f.ipv4Address = address4(p, v));
            h.put("ipv6-address", (p, v) -> f.ipv6Address = address6(p, v));
            h.put("ipv4-mtu", (p, v) -> {
                Long l = integer(p, v, 68, 65535); // RFC 791: every IPv4 link carries 68 octets
                if (l != null) f.ipv4Mtu = l.intValue();
            });
            h.put("ipv6-mtu", (p, v) -> {
                Long l = integer(p, v, 1280, 65535); // RFC 8200 §5: minimum link MTU 1280
                if (l != null) { f.ipv6Mtu = l.intValue(); f.ipv6MtuNode = v; }
            });
            h.put("wkp-strict", (p, v) -> { Boolean b = bool(p, v); if (b != null) f.wkpStrict = b; });
            // ferry run's Prometheus endpoint (HOST:PORT; ferry run checks that the host is loopback)
            h.put("metrics", (p, v) -> {
                String s = string(p, v);
                if (s == null) return;
                if (s.isBlank()) error(p, v, "\"\" is not HOST:PORT (e.g. \"127.0.0.1:9464\")");
                else f.metrics = s;
            });
            h.put("max-sessions", (p, v) -> {
                Long l = integer(p, v, 1, 1 << 26);
                if (l != null) { f.maxSessions = l.intValue(); f.maxSessionsNode = v; }
            });
            h.put("fragment-timeout", (p, v) -> {
                f.nat64Keys.put("fragment-timeout", v);
                // issue 4: fragments of a datagram are awaited at least 2 s
                Integer t = duration(p, v, 2);
                if (t != null) f.fragmentTimeout = t;
            });
            // RFC 6888 REQ-4 limits (nat64 mode; ignored otherwise)
            h.put("max-sessions-per-subscriber", (p, v) -> {
                f.nat64Keys.put("max-sessions-per-subscriber", v);
                Long l = integer(p, v, 0, 1 << 26);
                if (l != null) f.maxSessionsPerSubscriber = l.intValue();
            });
            h.put("max-ports-per-subscriber", (p, v) -> {
                f.nat64Keys.put("max-ports-per-subscriber", v);
                Long l = integer(p, v, 0, 65536);
                if (l != null) f.maxPortsPerSubscriber = l.intValue();
            });
            h.put("subscriber-prefix-length", (p, v) -> {
                f.nat64Keys.put("subscriber-prefix-length", v);
                Long l = integer(p, v, 64, 128);
                if (l == null) return;
                if (l != 64 && l != 128) error(p, v, l + " is not a subscriber prefix length; expected 64 or 128");
                else f.subscriberPrefixLength = l.intValue();
            });
            // RFC 6888 REQ-12: the mapping log's own sink (nat64 mode)
            h.put("nat64-log", (p, v) -> {
                f.nat64Keys.put("nat64-log", v);
                f.nat64LogFile = nat64Log(p, v);
            });
            h.put("nat64-allow", (p, v) -> {
                f.nat64Keys.put("nat64-allow", v);
                f.nat64Allow = nat64Allow(p, v);
            });
            object(node, "ferry", h, Map.of());
        }

        /** {@code "stderr"} (null) or {@code {"file": "/absolute/path"}}. */
        String nat64Log(String path, Json.Node v) {
            if (v instanceof Json.Str s && s.value().equals("stderr")) return null;
            if (v instanceof Json.Str s) {
                error(path, v, s.show() + " is not a nat64-log sink; expected \"stderr\" or {\"file\": \"/var/log/ferry/nat64.log\"}");
                return null;
            }
            String[] file = {null};
            Map<String, Handler> h = new LinkedHashMap<>();
            h.put("file", (p, n) -> {
                String s = string(p, n);
                if (s == null) return;
                if (s.isEmpty() || !s.startsWith("/") || s.endsWith("/") || s.indexOf('\0') >= 0) {
                    error(p, n, Json.quote(s) + " is not a log file; expected an absolute file path such as"
                            + " \"/var/log/ferry/nat64.log\"");
                    return;
                }
                java.nio.file.Path fp = java.nio.file.Path.of(s);
                if (java.nio.file.Files.isDirectory(fp)) {
                    error(p, n, Json.quote(s) + " is a directory; expected a file path such as \"" + s
                            + (s.endsWith("/") ? "" : "/") + "nat64.log\"");
                    return;
                }
                file[0] = s;
            });
            Map<String, Json.Member> seen = object(v, path, h, Map.of());
            if (v instanceof Json.Obj && !seen.containsKey("file"))
                error(path, v, "nat64-log needs \"file\" (or is \"stderr\")");
            return file[0];
        }

        /** {@code [{"protocol": "TCP", "ports": "22,80,8000-8080"}, {"protocol": "ICMP"}]}. */
        List<Nat64Allow> nat64Allow(String path, Json.Node v) {
            List<Json.Node> items = array(path, v);
            if (items == null) return null;
            List<Nat64Allow> out = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                String ip = index(path, i);
                Json.Node item = items.get(i);
                Integer[] proto = {null};
                List<Nat64Allow.Range> ranges = new ArrayList<>();
                Json.Node[] portsNode = {null};
                Map<String, Handler> h = new LinkedHashMap<>();
                h.put("protocol", (p, n) -> proto[0] = protocol(p, n));
                h.put("ports", (p, n) -> {
                    portsNode[0] = n;
                    allowPorts(p, n, ranges);
                });
                Map<String, Json.Member> seen = object(item, ip, h, Map.of());
                if (!(item instanceof Json.Obj)) continue;
                if (!seen.containsKey("protocol")) {
                    error(ip, item, "the nat64-allow rule has no \"protocol\" (\"TCP\", \"UDP\" or \"ICMP\")");
                    continue;
                }
                if (proto[0] == null) continue;
                if (proto[0] == 1 && portsNode[0] != null) {
                    error(ip + ".ports", portsNode[0], "ICMP has no ports; an ICMP rule allows every ICMP query"
                            + " (leave \"ports\" out)");
                    continue;
                }
                if (portsNode[0] != null && ranges.isEmpty()) continue; // errors reported
                out.add(new Nat64Allow(proto[0], ranges));
            }
            return out;
        }

        /** A port (22), or a string of ports and ranges ("22,80,8000-8080"), or an array of those. */
        void allowPorts(String path, Json.Node n, List<Nat64Allow.Range> out) {
            if (n instanceof Json.Num) {
                Long l = integer(path, n, 1, 65535);
                if (l != null) out.add(new Nat64Allow.Range(l.intValue(), l.intValue()));
                return;
            }
            if (n instanceof Json.Arr a) {
                for (int i = 0; i < a.items().size(); i++) allowPorts(index(path, i), a.items().get(i), out);
                return;
            }
            if (!(n instanceof Json.Str s)) {
                error(path, n, "expected ports like \"22,80,8000-8080\" (or a number, or an array), got " + n.show());
                return;
            }
            for (String part : s.value().split(",", -1)) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,5})(?:-(\\d{1,5}))?")
                        .matcher(part.trim());
                int a = -1, b = -1;
                if (m.matches()) {
                    a = Integer.parseInt(m.group(1));
                    b = m.group(2) == null ? a : Integer.parseInt(m.group(2));
                }
                if (a < 1 || b > 65535 || a > b) {
                    error(path, n, Json.quote(part.trim()) + " in " + s.show() + " is not a port or port range;"
                            + " expected ports like \"22,80,8000-8080\" within 1-65535");
                    out.clear();
                    return;
                }
                out.add(new Nat64Allow.Range(a, b));
            }
        }

        // ------------------------------------------------------------------------------------------ nat64

        /** Handlers for Jool's NAT64 globals (types and minimums as Jool's). */
        void nat64Globals(Map<String, Handler> h, GlobalsBuilder g) {
            java.util.function.BiConsumer<String, Json.Node> seen = (p, v) ->
                    g.nat64Keys.put(p.substring(p.indexOf('.') + 1), v);
            // RFC 4787 REQ-5: UDP mappings MUST NOT expire in less than 2 minutes; RFC 5382 REQ-5: established TCP
            // not under 2 h 4 min, transitory not under 4 min (Jool enforces the same minimums).
            h.put("udp-timeout", (p, v) -> { seen.accept(p, v); Integer t = duration(p, v, 120); if (t != null) g.udpTimeout = t; });
            h.put("tcp-est-timeout", (p, v) -> { seen.accept(p, v); Integer t = duration(p, v, 7440); if (t != null) g.tcpEstTimeout = t; });
            h.put("tcp-trans-timeout", (p, v) -> { seen.accept(p, v); Integer t = duration(p, v, 240); if (t != null) g.tcpTransTimeout = t; });
            h.put("icmp-timeout", (p, v) -> { seen.accept(p, v); Integer t = duration(p, v, 1); if (t != null) g.icmpTimeout = t; });
            h.put("maximum-simultaneous-opens", (p, v) -> {
                seen.accept(p, v);
                Long l = integer(p, v, 0, 1 << 20);
                if (l != null) g.maximumSimultaneousOpens = l.intValue();
            });
            h.put("f-args", (p, v) -> { seen.accept(p, v); Long l = integer(p, v, 0, 15); if (l != null) g.fArgs = l.intValue(); });
            h.put("address-dependent-filtering", (p, v) -> { seen.accept(p, v); Boolean b = bool(p, v); if (b != null) g.addressDependentFiltering = b; });
            h.put("drop-externally-initiated-tcp", (p, v) -> { seen.accept(p, v); Boolean b = bool(p, v); if (b != null) g.dropExternallyInitiatedTcp = b; });
            h.put("drop-icmpv6-info", (p, v) -> { seen.accept(p, v); Boolean b = bool(p, v); if (b != null) g.dropIcmpv6Info = b; });
            h.put("handle-rst-during-fin-rcv", (p, v) -> { seen.accept(p, v); Boolean b = bool(p, v); if (b != null) g.handleRstDuringFinRcv = b; });
            h.put("source-icmpv6-errors-better", (p, v) -> { seen.accept(p, v); Boolean b = bool(p, v); if (b != null) g.sourceIcmpv6ErrorsBetter = b; });
            h.put("logging-bib", (p, v) -> { seen.accept(p, v); Boolean b = bool(p, v); if (b != null) g.loggingBib = b; });
            h.put("logging-session", (p, v) -> { seen.accept(p, v); Boolean b = bool(p, v); if (b != null) g.loggingSession = b; });
            for (String k : SS_GLOBALS) h.put(k, (p, v) -> seen.accept(p, v)); // joold: accepted, ignored
        }

        /**
         * A Jool duration: {@code "HH:MM:SS"}, {@code "MM:SS"} or {@code "SS"}, each optionally with {@code ".mmm"}
         * (milliseconds, rounded up to the second), or a number of seconds. At least {@code minSeconds}.
         */
        Integer duration(String path, Json.Node v, int minSeconds) {
            long seconds;
            if (v instanceof Json.Num) {
                Long l = integer(path, v, minSeconds, Integer.MAX_VALUE);
                return l == null ? null : l.intValue();
            }
            if (!(v instanceof Json.Str s)) {
                error(path, v, "expected a duration like \"1:00:00\" (HH:MM:SS) or a number of seconds, got " + v.show());
                return null;
            }
            String text = s.value();
            java.util.regex.Matcher m = java.util.regex.Pattern
                    .compile("(?:(?:(\\d{1,6}):)?(\\d{1,6}):)?(\\d{1,9})(?:\\.(\\d{1,3}))?").matcher(text);
            if (!m.matches()) {
                error(path, v, s.show() + " is not a duration; expected HH:MM:SS, MM:SS or SS (optionally .mmm)");
                return null;
            }
            seconds = Long.parseLong(m.group(3));
            if (m.group(2) != null) seconds += 60L * Long.parseLong(m.group(2));
            if (m.group(1) != null) seconds += 3600L * Long.parseLong(m.group(1));
            if (m.group(4) != null && Integer.parseInt(m.group(4)) > 0) seconds++;
            if (seconds < minSeconds || seconds > Integer.MAX_VALUE) {
                error(path, v, s.show() + " is " + seconds + " s; the minimum is " + minSeconds + " s"
                        + (minSeconds >= 120 ? " (RFC 4787 REQ-5 / RFC 5382 REQ-5, as Jool)" : ""));
                return null;
            }
            return (int) seconds;
        }

        /** pool4, bib and the NAT64 globals, in nat64 mode. */
        Nat64Section nat64(Json.Node root, GlobalsBuilder g, Json.Node pool4Node, Json.Node bibNode, FerryBuilder f) {
            if (g.pool6 == null)
                error("global.pool6", root, "nat64 mode needs \"global\": {\"pool6\": ...}, the RFC 6052 prefix"
                        + " IPv6 hosts reach IPv4 through (e.g. \"64:ff9b::/96\")");
            List<Pool4Entry> pool4 = new ArrayList<>();
            List<Json.Node> pool4Nodes = new ArrayList<>();
            if (pool4Node == null) {
                error("pool4", root, "nat64 mode needs \"pool4\": the IPv4 addresses (and ports) to bind IPv6 hosts"
                        + " to, e.g. [{\"protocol\": \"TCP\", \"prefix\": \"192.0.2.1/32\"}, ...]");
            } else {
                List<Json.Node> items = array("pool4", pool4Node);
                if (items != null) {
                    if (items.isEmpty()) error("pool4", pool4Node, "pool4 is empty: ferry needs at least one entry"
                            + " (Jool would borrow the node's own addresses; a userspace translator has none to borrow)");
                    for (int i = 0; i < items.size(); i++) {
                        Pool4Entry e = pool4Entry(index("pool4", i), items.get(i));
                        if (e != null) { pool4.add(e); pool4Nodes.add(items.get(i)); }
                    }
                }
            }
            // Overlapping entries of one protocol would hand one transport address out twice.
            for (int i = 0; i < pool4.size(); i++) {
                for (int j = 0; j < i; j++) {
                    Pool4Entry a = pool4.get(i), b = pool4.get(j);
                    if (a.protocol() == b.protocol() && overlap(a.prefix(), b.prefix())
                            && a.portMin() <= b.portMax() && b.portMin() <= a.portMax()) {
                        error(index("pool4", i), pool4Nodes.get(i), "pool4 entry " + describe(a)
                                + " overlaps entry " + j + " (" + describe(b) + ")");
                    }
                }
            }
            List<BibEntry> bib = new ArrayList<>();
            if (bibNode != null) {
                List<Json.Node> items = array("bib", bibNode);
                if (items != null) {
                    for (int i = 0; i < items.size(); i++) {
                        String path = index("bib", i);
                        BibEntry e = bibEntry(path, items.get(i));
                        if (e == null) continue;
                        boolean inPool = pool4.stream().anyMatch(p -> p.protocol() == e.protocol()
                                && p.prefix().contains(e.ipv4().addr()) && e.port4() >= p.portMin()
                                && e.port4() <= p.portMax());
                        if (!inPool && !pool4.isEmpty())
                            error(path, items.get(i), "the IPv4 transport address " + Ipv4.format(e.ipv4().addr()) + "#"
                                    + e.port4() + " is not in pool4 for " + protoName(e.protocol())
                                    + " (static BIB entries must use pool4 addresses, as in Jool)");
                        for (BibEntry o : bib) {
                            if (o.protocol() != e.protocol()) continue;
                            if (o.ipv4().equals(e.ipv4()) && o.port4() == e.port4())
                                error(path, items.get(i), "the IPv4 transport address " + Ipv4.format(e.ipv4().addr())
                                        + "#" + e.port4() + " is already bound by an earlier entry");
                            if (o.ipv6().equals(e.ipv6()) && o.port6() == e.port6())
                                error(path, items.get(i), "the IPv6 transport address is already bound by an earlier entry");
                        }
                        bib.add(e);
                    }
                }
            }
            return new Nat64Section(pool4, bib, g.udpTimeout, g.tcpEstTimeout, g.tcpTransTimeout, g.icmpTimeout,
                    g.maximumSimultaneousOpens, g.addressDependentFiltering, g.dropExternallyInitiatedTcp,
                    g.dropIcmpv6Info, g.handleRstDuringFinRcv, g.fArgs, g.sourceIcmpv6ErrorsBetter, g.loggingBib,
                    g.loggingSession, f.maxSessions, f.maxSessionsPerSubscriber, f.maxPortsPerSubscriber,
                    f.subscriberPrefixLength, f.fragmentTimeout, f.nat64LogFile, f.nat64Allow);
        }

        static boolean overlap(Prefix4 a, Prefix4 b) {
            int len = Math.min(a.len(), b.len());
            int mask = len == 0 ? 0 : -1 << (32 - len);
            return (a.addr() & mask) == (b.addr() & mask);
        }

        static String protoName(int p) {
            return p == 6 ? "TCP" : p == 17 ? "UDP" : "ICMP";
        }

        static String describe(Pool4Entry e) {
            return protoName(e.protocol()) + " " + e.prefix() + " " + e.portMin() + "-" + e.portMax();
        }

        Integer protocol(String path, Json.Node v) {
            String s = string(path, v);
            if (s == null) return null;
            switch (s.toUpperCase(Locale.ROOT)) {
                case "TCP": return 6;
                case "UDP": return 17;
                case "ICMP": return 1;
                default:
                    error(path, v, Json.quote(s) + " is not a protocol; expected \"TCP\", \"UDP\" or \"ICMP\"");
                    return null;
            }
        }

        Pool4Entry pool4Entry(String path, Json.Node item) {
            Integer[] proto = {null};
            Prefix4[] prefix = {null};
            int[] range = null;
            Json.Node[] rangeNode = {null};
            long[] mark = {0};
            int[] iterations = {0};
            boolean[] ok = {true};
            Map<String, Handler> h = new LinkedHashMap<>();
            h.put("protocol", (p, v) -> { proto[0] = protocol(p, v); if (proto[0] == null) ok[0] = false; });
            h.put("prefix", (p, v) -> {
                prefix[0] = prefix4(p, v);
                if (prefix[0] == null) ok[0] = false;
                else if (prefix[0].len() < 16) {
                    error(p, v, Json.quote(prefix[0].toString()) + " is too large for pool4 (ferry accepts /16 or longer)");
                    ok[0] = false;
                }
            });
            h.put("port range", (p, v) -> rangeNode[0] = v);
            h.put("mark", (p, v) -> { Long l = integer(p, v, 0, 0xffffffffL); if (l != null) mark[0] = l; else ok[0] = false; });
            h.put("max-iterations", (p, v) -> {
                if (v instanceof Json.Str s && s.value().equals("auto")) iterations[0] = 0;
                else if (v instanceof Json.Str s && s.value().equals("infinity")) iterations[0] = -1;
                else if (v instanceof Json.Num) {
                    Long l = integer(p, v, 1, Integer.MAX_VALUE);
                    if (l != null) iterations[0] = l.intValue(); else ok[0] = false;
                } else {
                    error(p, v, v.show() + " is not a max-iterations value; expected \"auto\", \"infinity\" or a"
                            + " positive integer");
                    ok[0] = false;
                }
            });
            Map<String, Json.Member> seen = object(item, path, h, Map.of());
            if (!(item instanceof Json.Obj)) return null;
            if (!seen.containsKey("protocol")) { error(path, item, "the pool4 entry has no \"protocol\""); ok[0] = false; }
            if (!seen.containsKey("prefix")) { error(path, item, "the pool4 entry has no \"prefix\""); ok[0] = false; }
            int min = proto[0] != null && proto[0] == 1 ? 0 : 1, max = 65535;
            if (rangeNode[0] != null) {
                range = portRange(path + ".\"port range\"", rangeNode[0]);
                if (range == null) ok[0] = false;
                else { min = range[0]; max = range[1]; }
            }
            if (!ok[0]) return null;
            return new Pool4Entry(proto[0], prefix[0], min, max, mark[0], iterations[0]);
        }

        /** {@code "61001-65535"} or {@code "80"}: 0..65535, first ≤ last. */
        int[] portRange(String path, Json.Node v) {
            String s = string(path, v);
            if (s == null) return null;
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,5})(?:-(\\d{1,5}))?").matcher(s.trim());
            if (m.matches()) {
                int a = Integer.parseInt(m.group(1));
                int b = m.group(2) == null ? a : Integer.parseInt(m.group(2));
                if (a <= b && b <= 65535) return new int[] {a, b};
            }
            error(path, v, Json.quote(s) + " is not a port range; expected \"FIRST-LAST\" within 0-65535, FIRST <= LAST");
            return null;
        }

        BibEntry bibEntry(String path, Json.Node item) {
            Integer[] proto = {6}; // Jool's default protocol is TCP
            Object[] v6 = {null}, v4 = {null};
            boolean[] ok = {true};
            Map<String, Handler> h = new LinkedHashMap<>();
            h.put("protocol", (p, v) -> { proto[0] = protocol(p, v); if (proto[0] == null) ok[0] = false; });
            h.put("ipv6 address", (p, v) -> { v6[0] = transport(p, v, true); if (v6[0] == null) ok[0] = false; });
            h.put("ipv4 address", (p, v) -> { v4[0] = transport(p, v, false); if (v4[0] == null) ok[0] = false; });
            Map<String, Json.Member> seen = object(item, path, h, Map.of());
            if (!(item instanceof Json.Obj)) return null;
            if (!seen.containsKey("ipv6 address")) { error(path, item, "the BIB entry has no \"ipv6 address\""); ok[0] = false; }
            if (!seen.containsKey("ipv4 address")) { error(path, item, "the BIB entry has no \"ipv4 address\""); ok[0] = false; }
            if (!ok[0]) return null;
            Object[] a6 = (Object[]) v6[0], a4 = (Object[]) v4[0];
            return new BibEntry(proto[0], (Prefix6) a6[0], (Integer) a6[1], (Prefix4) a4[0], (Integer) a4[1]);
        }

        /** Jool's transport address: {@code "2001:db8::1#80"} or {@code "192.0.2.1#80"} → {address, port}. */
        Object[] transport(String path, Json.Node v, boolean ipv6) {
            String s = string(path, v);
            if (s == null) return null;
            int hash = s.lastIndexOf('#');
            String example = ipv6 ? "\"2001:db8::1#80\"" : "\"192.0.2.1#80\"";
            if (hash < 0 || !s.substring(hash + 1).matches("\\d{1,5}") || Integer.parseInt(s.substring(hash + 1)) > 65535) {
                error(path, v, Json.quote(s) + " is not a transport address; expected ADDRESS#PORT like " + example);
                return null;
            }
            int port = Integer.parseInt(s.substring(hash + 1));
            try {
                if (ipv6) {
                    Prefix6 p = Prefix6.parse(s.substring(0, hash));
                    if (p.len() != 128) throw new AddressFormatException("a prefix, not an address");
                    return new Object[] {p, port};
                }
                Prefix4 p = Prefix4.parse(s.substring(0, hash));
                if (p.len() != 32) throw new AddressFormatException("a prefix, not an address");
                return new Object[] {p, port};
            } catch (AddressFormatException e) {
                error(path, v, Json.quote(s) + " is not a transport address like " + example + ": " + e.getMessage());
                return null;
            }
        }

        // ------------------------------------------------------------------------------------------ dns64

        Dns64Section dns64(Json.Node node, Rfc6052 pool6) {
            List<InetSocketAddress> listen = new ArrayList<>(List.of(
                    new InetSocketAddress(Sections.address(new byte[] {127, 0, 0, 1}), 53),
                    new InetSocketAddress(Sections.address(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}), 53)));
            List<InetSocketAddress> upstream = new ArrayList<>();
            List<Dns64Prefix> prefixes = new ArrayList<>();
            boolean[] prefixesGiven = {false};
            List<Prefix6> exclude = new ArrayList<>(List.of(Prefix6.parse("::ffff:0:0/96")));
            boolean[] parallel = {false};
            int[] cacheSize = {16 << 20}, timeoutMs = {2000}, retries = {2}, maxInflight = {1024};
            int[] prefetch = {2, 9}; // BIND's "prefetch 2 9"
            int[] warmUp = {20_000};

            Map<String, Handler> h = new LinkedHashMap<>();
            h.put("listen", (p, v) -> {
                List<InetSocketAddress> l = sockets(p, v);
                if (l != null) { listen.clear(); listen.addAll(l); }
            });
            h.put("upstream", (p, v) -> {
                List<InetSocketAddress> l = sockets(p, v);
                if (l == null) return;
                if (l.isEmpty()) error(p, v, "needs at least one resolver, e.g. [\"192.0.2.53\"]");
                upstream.addAll(l);
            });
            h.put("prefixes", (p, v) -> {
                prefixesGiven[0] = true;
                List<Json.Node> items = array(p, v);
                if (items == null) return;
                if (items.isEmpty()) error(p, v, "needs at least one prefix (omit the key for the default)");
                for (int i = 0; i < items.size(); i++) {
                    Dns64Prefix dp = dns64Prefix(index(p, i), items.get(i));
                    if (dp != null) prefixes.add(dp);
                }
            });
            h.put("exclude", (p, v) -> {
                List<Json.Node> items = array(p, v);
                if (items == null) return;
                exclude.clear();
                for (int i = 0; i < items.size(); i++) {
                    Prefix6 x = prefix6(index(p, i), items.get(i));
                    if (x != null) exclude.add(x);
                }
            });
            h.put("parallel-queries", (p, v) -> { Boolean b = bool(p, v); if (b != null) parallel[0] = b; });
            h.put("cache-size", (p, v) -> { Long l = byteSize(p, v); if (l != null) cacheSize[0] = l.intValue(); });
            h.put("timeout-ms", (p, v) -> { Long l = integer(p, v, 1, 60_000); if (l != null) timeoutMs[0] = l.intValue(); });
            h.put("retries", (p, v) -> { Long l = integer(p, v, 0, 10); if (l != null) retries[0] = l.intValue(); });
            h.put("max-inflight", (p, v) -> { Long l = integer(p, v, 1, 1_000_000); if (l != null) maxInflight[0] = l.intValue(); });
            h.put("prefetch", (p, v) -> {
                String text;
                if (v instanceof Json.Bool b) {
                    if (b.value()) { error(p, v, "true is not a prefetch setting: write \"TRIGGER:ELIGIBILITY\" (e.g. \"2:9\") or false"); return; }
                    text = "off";
                } else {
                    text = string(p, v);
                    if (text == null) return;
                }
                try {
                    int[] pf = Dns64Section.parsePrefetch(p, text);
                    prefetch[0] = pf[0];
                    prefetch[1] = pf[1];
                } catch (IllegalArgumentException e) { // the error names the path itself
                    String m = e.getMessage();
                    error(p, v, m.startsWith(p + ": ") ? m.substring(p.length() + 2) : m);
                }
            });
            h.put("warm-up", (p, v) -> { Long l = integer(p, v, 0, Dns64Section.MAX_WARM_UP); if (l != null) warmUp[0] = l.intValue(); });
            Map<String, Json.Member> seen = object(node, "dns64", h, Map.of());
            if (node instanceof Json.Obj && !seen.containsKey("upstream"))
                error("dns64", node, "the dns64 section needs \"upstream\": the resolvers to ask, e.g. [\"192.0.2.53\"]");
            if (!prefixesGiven[0])
                prefixes.add(new Dns64Prefix(pool6 != null ? pool6 : Rfc6052.of(Rfc6052.WELL_KNOWN), List.of()));
            return new Dns64Section(listen, upstream, prefixes, exclude, parallel[0], cacheSize[0], timeoutMs[0],
                    retries[0], maxInflight[0], prefetch[0], prefetch[1], warmUp[0]);
        }

        Dns64Prefix dns64Prefix(String path, Json.Node n) {
            if (n instanceof Json.Str) {
                Rfc6052 r = rfc6052(path, n);
                return r == null ? null : new Dns64Prefix(r, List.of());
            }
            if (!(n instanceof Json.Obj)) {
                error(path, n, "expected a prefix string or an object {\"prefix\": ..., \"ipv4\": [...]}, got " + n.show());
                return null;
            }
            Rfc6052[] prefix = {null};
            List<Prefix4> ipv4 = new ArrayList<>();
            boolean[] ok = {true};
            Map<String, Handler> h = new LinkedHashMap<>();
            h.put("prefix", (p, v) -> { prefix[0] = rfc6052(p, v); if (prefix[0] == null) ok[0] = false; });
            h.put("ipv4", (p, v) -> {
                List<Json.Node> items = array(p, v);
                if (items == null) { ok[0] = false; return; }
                if (items.isEmpty()) error(p, v, "needs at least one IPv4 prefix (omit the key for every address)");
                for (int i = 0; i < items.size(); i++) {
                    Prefix4 x = prefix4(index(p, i), items.get(i));
                    if (x != null) ipv4.add(x);
                    else ok[0] = false;
                }
            });
            Map<String, Json.Member> seen = object(n, path, h, Map.of());
            if (!seen.containsKey("prefix")) {
                error(path, n, "the entry has no \"prefix\"");
                return null;
            }
            return ok[0] && prefix[0] != null ? new Dns64Prefix(prefix[0], ipv4) : null;
        }

        List<InetSocketAddress> sockets(String path, Json.Node v) {
            List<Json.Node> items = array(path, v);
            if (items == null) return null;
            List<InetSocketAddress> out = new ArrayList<>();
            boolean ok = true;
            for (int i = 0; i < items.size(); i++) {
                InetSocketAddress a = socket(index(path, i), items.get(i));
                if (a == null) ok = false;
                else out.add(a);
            }
            return ok ? out : null;
        }

        /** "192.0.2.53", "192.0.2.53:5353", "[2001:db8::53]:5353", "[2001:db8::53]" or "2001:db8::53"; port 53. */
        InetSocketAddress socket(String path, Json.Node n) {
            String s = string(path, n);
            if (s == null) return null;
            String host, port = null;
            if (s.startsWith("[")) {
                int close = s.indexOf(']');
                if (close < 0) return badSocket(path, n, "missing ']'");
                host = s.substring(1, close);
                String rest = s.substring(close + 1);
                if (!rest.isEmpty()) {
                    if (!rest.startsWith(":")) return badSocket(path, n, "expected ':' and a port after ']'");
                    port = rest.substring(1);
                }
            } else {
                int first = s.indexOf(':');
                if (first >= 0 && first == s.lastIndexOf(':')) {
                    host = s.substring(0, first);
                    port = s.substring(first + 1);
                } else {
                    host = s;
                }
            }
            int portNumber = 53;
            if (port != null) {
                portNumber = -1;
                if (!port.isEmpty() && port.length() <= 5 && port.chars().allMatch(c -> c >= '0' && c <= '9'))
                    portNumber = Integer.parseInt(port);
                if (portNumber < 1 || portNumber > 65535)
                    return badSocket(path, n, "the port must be 1..65535");
            }
            try {
                return new InetSocketAddress(Sections.literal(host), portNumber);
            } catch (AddressFormatException e) {
                return badSocket(path, n, e.getMessage() + " (names are not resolved: give an IP address)");
            }
        }

        private InetSocketAddress badSocket(String path, Json.Node n, String why) {
            error(path, n, n.show() + " is not an address and port like \"192.0.2.53:53\" or \"[2001:db8::53]:53\": "
                    + why);
            return null;
        }

    }
}
