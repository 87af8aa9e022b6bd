package ferry.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ferry.addr.EamEntry;
import ferry.addr.Eamt;
import ferry.addr.Ipv4;
import ferry.addr.Ipv6;
import ferry.addr.Prefix4;
import ferry.addr.Rfc6052;
import ferry.config.Config;
import ferry.config.Globals;
import ferry.config.Nat64Section;
import ferry.config.Pool4Entry;
import ferry.control.ControlServer;
import ferry.control.Request;
import ferry.control.Response;
import ferry.io.tun.TunStat;
import ferry.metrics.Counter;
import ferry.metrics.Counters;
import ferry.nat64.Nat64Mapper;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The daemon's answers to the CLI's requests (Jool's nouns and verbs). Displays read the running
 * {@link RunTranslators}; every change goes through {@link LiveConfig} (validate the whole document, then swap).
 */
final class ControlOps implements ControlServer.Handler {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final int[] PROTOS = {6, 17, 1};

    private final LiveConfig live;
    private final String socket;
    private final long startedMillis = System.currentTimeMillis();
    private volatile Supplier<Map<TunStat, Long>> tunStats = Map::of;

    ControlOps(LiveConfig live, String socket) {
        this.live = live;
        this.socket = socket;
    }

    void tunStats(Supplier<Map<TunStat, Long>> s) {
        this.tunStats = s;
    }

    private volatile Runnable stop;

    /**
     * What {@code ferry instance remove} does: the daemon's stop, as on SIGTERM. Without one (not set by the command
     * that serves this socket), the request is refused.
     */
    void onStop(Runnable stop) {
        this.stop = stop;
    }

    @Override
    public Response handle(Request r) {
        List<String> a = r.args();
        String op = r.noun() + " " + r.verb();
        try {
            return switch (op) {
                case "instance display", "instance status" -> instance(r.verb());
                case "instance remove" -> stop();
                case "stats display" -> stats(a.contains("--all"));
                case "global display" -> global();
                case "global update" -> globalUpdate(a);
                case "eamt display" -> eamt();
                case "eamt add", "eamt remove", "eamt flush" -> eamtEdit(r.verb(), a);
                case "denylist4 display" -> denylist();
                case "denylist4 add", "denylist4 remove", "denylist4 flush" -> denylistEdit(r.verb(), a);
                case "pool4 display" -> pool4();
                case "pool4 add", "pool4 remove", "pool4 flush" -> pool4Edit(r.verb(), a);
                case "bib display" -> bib(a);
                case "bib add", "bib remove" -> bibEdit(r.verb(), a);
                case "session display" -> sessions(a);
                case "address query" -> query(a);
                case "file handle" -> fileHandle(a);
                default -> Response.error("unknown request \"" + op + "\": this daemon knows instance display|status|remove,"
                        + " stats display, global display|update, eamt, denylist4, pool4 display|add|remove|flush,"
                        + " bib display|add|remove, session display, address query, file handle");
            };
        } catch (IllegalArgumentException e) {
            return Response.error(e.getMessage());
        }
    }

    private static List<String> row(Object... cells) {
        return Arrays.stream(cells).map(String::valueOf).toList();
    }

    private Response outcome(LiveConfig.Outcome o) {
        if (!o.applied()) return Response.error(o.errors());
        List<String> m = new ArrayList<>(List.of("applied"));
        m.addAll(o.notes());
        return Response.done(m.toArray(String[]::new));
    }

    // --- instance ---

    private Response instance(String verb) {
        Config c = live.current().config();
        if (verb.equals("status")) return Response.table(List.of("Status"), List.of(row("Running")));
        return Response.table(List.of("Instance", "Mode", "PID", "Config", "Socket", "Uptime (s)"),
                List.of(row(c.instance(), c.ferry().mode().jsonName(), ProcessHandle.current().pid(), live.file(),
                        socket, (System.currentTimeMillis() - startedMillis) / 1000)));
    }

    /**
     * {@code instance remove}: answers first, then stops. The stop runs a moment later on its own thread so the reply
     * is written before the daemon closes its socket (the CLI then waits for the socket file to go).
     */
    private Response stop() {
        Runnable s = stop;
        if (s == null) return Response.error("instance remove: this daemon cannot be stopped over its socket (send it SIGTERM)");
        Thread.ofVirtual().name("ferry-control-stop").start(() -> {
            try {
                Thread.sleep(STOP_DELAY_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            s.run();
        });
        return Response.done("ferry instance remove: " + live.current().config().instance() + " (PID "
                + ProcessHandle.current().pid() + ") is stopping");
    }

    static final long STOP_DELAY_MILLIS = 200;

    // --- stats ---

    private Response stats(boolean all) {
        Map<Counter, Long> sums = Counters.sum(List.of(live.current().counters()));
        List<List<String>> rows = new ArrayList<>();
        for (Map.Entry<TunStat, Long> e : tunStats.get().entrySet()) {
            if (all || e.getValue() != 0) rows.add(row(e.getKey().id(), e.getValue(), e.getKey().help()));
        }
        for (Counter c : Counter.values()) {
            long v = sums.getOrDefault(c, 0L);
            if (all || v != 0) rows.add(row(c.id(), v, c.explanation()));
        }
        Nat64Mapper m = live.current().nat64();
        if (m != null) {
            long v = m.sessionsEndedByReconfiguration();
            if (all || v != 0) rows.add(row(ENDED_BY_RECONFIGURATION, v, ENDED_BY_RECONFIGURATION_HELP));
        }
        return Response.table(List.of("Counter", "Value", "Explanation"), rows);
    }

    /** Not a per-packet counter: the NAT64 tables count it (control plane), shown with the counters. */
    static final String ENDED_BY_RECONFIGURATION = "nat64_sessions_ended_by_reconfiguration";
    static final String ENDED_BY_RECONFIGURATION_HELP = "NAT64 sessions ended by a reconfiguration: their pool4 entry or"
            + " static BIB entry was removed, or pool6/max-sessions/subscriber limits changed (tables rebuilt)";

    // --- global ---

    private Response global() {
        Config c = live.current().config();
        Globals g = c.global();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("manually-enabled", g.manuallyEnabled());
        m.put("pool6", g.pool6() == null ? "(unset)" : g.pool6());
        m.put("lowest-ipv6-mtu", g.lowestIpv6Mtu());
        m.put("logging-debug", g.loggingDebug());
        m.put("zeroize-traffic-class", g.zeroizeTrafficClass());
        m.put("override-tos", g.overrideTos());
        m.put("tos", g.tos());
        m.put("mtu-plateaus", String.join(",", Arrays.stream(g.mtuPlateaus()).mapToObj(Integer::toString).toList()));
        m.put("amend-udp-checksum-zero", g.amendUdpChecksumZero());
        m.put("eam-hairpin-mode", g.eamHairpinMode().jsonName());
        m.put("randomize-rfc6791-addresses", g.randomizeRfc6791Addresses());
        m.put("rfc6791v6-prefix", g.rfc6791v6Prefix() == null ? "(unset)" : g.rfc6791v6Prefix());
        m.put("rfc6791v4-prefix", g.rfc6791v4Prefix() == null ? "(unset)" : g.rfc6791v4Prefix());
        Nat64Section n = c.nat64();
        if (n != null) {
            m.put("udp-timeout", n.udpTimeout());
            m.put("tcp-est-timeout", n.tcpEstTimeout());
            m.put("tcp-trans-timeout", n.tcpTransTimeout());
            m.put("icmp-timeout", n.icmpTimeout());
            m.put("maximum-simultaneous-opens", n.maximumSimultaneousOpens());
            m.put("address-dependent-filtering", n.addressDependentFiltering());
            m.put("drop-externally-initiated-tcp", n.dropExternallyInitiatedTcp());
            m.put("drop-icmpv6-info", n.dropIcmpv6Info());
            m.put("handle-rst-during-fin-rcv", n.handleRstDuringFinRcv());
            m.put("f-args", n.fArgs());
            m.put("logging-bib", n.loggingBib());
            m.put("logging-session", n.loggingSession());
        }
        List<List<String>> rows = new ArrayList<>();
        m.forEach((k, v) -> rows.add(row(k, v)));
        return Response.table(List.of("Key", "Value"), rows);
    }

    private Response globalUpdate(List<String> a) {
        if (a.size() != 2) return Response.error("global update: expected KEY VALUE, got " + a.size() + " argument(s)");
        String key = a.get(0), value = a.get(1);
        JsonNode literal = literal(value);
        LiveConfig.Outcome o = live.edit("global update " + key + " " + value,
                doc -> { globalObject(doc).set(key, literal); return doc; });
        if (!o.applied() && !literal.isTextual()) { // Jool writes some numbers as strings ("icmp-timeout": "60")
            LiveConfig.Outcome asText = live.edit("global update " + key + " " + value,
                    doc -> { globalObject(doc).put(key, value); return doc; });
            if (asText.applied()) return outcome(asText);
        }
        if (!o.applied()) {
            List<String> errs = new ArrayList<>();
            for (String e : o.errors()) errs.add("global update: " + key + " " + value + ": " + e);
            return Response.error(errs);
        }
        return outcome(o);
    }

    private static ObjectNode globalObject(ObjectNode doc) {
        JsonNode g = doc.get("global");
        if (g instanceof ObjectNode o) return o;
        return doc.putObject("global");
    }

    /** A CLI value as JSON: true/false/null/numbers as such, "a,b,c" of numbers as an array, else a string. */
    static JsonNode literal(String v) {
        if (v.matches("-?\\d+(,\\d+)+")) {
            ArrayNode arr = NODES.arrayNode();
            for (String p : v.split(",")) arr.add(Long.parseLong(p));
            return arr;
        }
        if (v.equals("true") || v.equals("false")) return NODES.booleanNode(Boolean.parseBoolean(v));
        if (v.equals("null")) return NODES.nullNode();
        if (v.matches("-?\\d{1,18}")) return NODES.numberNode(Long.parseLong(v));
        return NODES.textNode(v);
    }

    // --- eamt ---

    private Response eamt() {
        List<List<String>> rows = new ArrayList<>();
        for (EamEntry e : live.current().config().eamt()) rows.add(row(e.v6(), e.v4()));
        return Response.table(List.of("IPv6 Prefix", "IPv4 Prefix"), rows);
    }

    private Response eamtEdit(String verb, List<String> a) {
        return outcome(live.edit("eamt " + verb + " " + String.join(" ", a), doc -> {
            ArrayNode arr = array(doc, "eamt");
            switch (verb) {
                case "flush" -> arr.removeAll();
                case "add" -> {
                    if (a.size() != 2) throw new IllegalArgumentException("eamt add: expected IPV6-PREFIX IPV4-PREFIX");
                    ObjectNode e = arr.addObject();
                    e.put("ipv6 prefix", a.get(0));
                    e.put("ipv4 prefix", a.get(1));
                }
                default -> { // remove: by either prefix, or both
                    if (a.isEmpty() || a.size() > 2)
                        throw new IllegalArgumentException("eamt remove: expected IPV6-PREFIX and/or IPV4-PREFIX");
                    int removed = removeIf(arr, e -> a.stream().allMatch(p ->
                            samePrefix(p, e.path("ipv6 prefix").asText()) || samePrefix(p, e.path("ipv4 prefix").asText())));
                    if (removed == 0) throw new IllegalArgumentException("eamt remove: no EAMT entry matches "
                            + String.join(" ", a));
                }
            }
            return doc;
        }));
    }

    /** Same prefix, tolerant of spelling (2001:db8::/96 vs 2001:DB8:0::/96, 192.0.2.1 vs 192.0.2.1/32). */
    private static boolean samePrefix(String a, String b) {
        try {
            if (a.contains(":") && b.contains(":"))
                return ferry.addr.Prefix6.parse(a.contains("/") ? a : a + "/128")
                        .equals(ferry.addr.Prefix6.parse(b.contains("/") ? b : b + "/128"));
            if (!a.contains(":") && !b.contains(":"))
                return Prefix4.parse(a.contains("/") ? a : a + "/32").equals(Prefix4.parse(b.contains("/") ? b : b + "/32"));
        } catch (IllegalArgumentException e) {
            return a.equals(b);
        }
        return false;
    }

    private static ArrayNode array(ObjectNode doc, String name) {
        JsonNode n = doc.get(name);
        if (n instanceof ArrayNode arr) return arr;
        return doc.putArray(name);
    }

    private static int removeIf(ArrayNode arr, java.util.function.Predicate<JsonNode> p) {
        int n = 0;
        for (Iterator<JsonNode> it = arr.elements(); it.hasNext(); ) {
            if (p.test(it.next())) {
                it.remove();
                n++;
            }
        }
        return n;
    }

    // --- denylist4 ---

    private Response denylist() {
        List<List<String>> rows = new ArrayList<>();
        for (Prefix4 p : live.current().config().denylist4()) rows.add(row(p));
        return Response.table(List.of("IPv4 Prefix"), rows);
    }

    private Response denylistEdit(String verb, List<String> a) {
        return outcome(live.edit("denylist4 " + verb + " " + String.join(" ", a), doc -> {
            if (doc.has("blacklist4") && !doc.has("denylist4")) doc.set("denylist4", doc.remove("blacklist4"));
            ArrayNode arr = array(doc, "denylist4");
            switch (verb) {
                case "flush" -> arr.removeAll();
                case "add" -> {
                    if (a.size() != 1) throw new IllegalArgumentException("denylist4 add: expected one IPV4-PREFIX");
                    arr.add(a.get(0));
                }
                default -> {
                    if (a.size() != 1) throw new IllegalArgumentException("denylist4 remove: expected one IPV4-PREFIX");
                    if (removeIf(arr, e -> samePrefix(a.get(0), e.asText())) == 0)
                        throw new IllegalArgumentException("denylist4 remove: " + a.get(0) + " is not in denylist4");
                }
            }
            return doc;
        }));
    }

    // --- pool4 ---

    private static String protoName(int p) {
        return switch (p) {
            case 6 -> "TCP";
            case 17 -> "UDP";
            case 1 -> "ICMP";
            default -> Integer.toString(p);
        };
    }

    /** The protocols named by --tcp/--udp/--icmp in {@code a} (all three when none is), removed from {@code a}. */
    private static List<String> protocols(List<String> a, boolean allWhenNone) {
        List<String> ps = new ArrayList<>();
        for (String p : List.of("--tcp", "--udp", "--icmp")) if (a.contains(p)) ps.add(p.substring(2).toUpperCase());
        if (ps.isEmpty() && allWhenNone) ps.addAll(List.of("TCP", "UDP", "ICMP"));
        return ps;
    }

    private static List<String> positional(List<String> a) {
        return a.stream().filter(s -> !s.startsWith("--")).toList();
    }

    private Response pool4() {
        Nat64Section n = live.current().config().nat64();
        List<List<String>> rows = new ArrayList<>();
        if (n != null) {
            for (Pool4Entry e : n.pool4()) {
                rows.add(row(e.mark(), protoName(e.protocol()), e.maxIterations() == 0 ? "auto"
                        : e.maxIterations() < 0 ? "infinity" : e.maxIterations(), e.prefix(), e.portMin() + "-" + e.portMax()));
            }
        }
        return Response.table(List.of("Mark", "Proto", "Max iterations", "Address", "Ports"), rows);
    }

    private Response pool4Edit(String verb, List<String> a) {
        requireNat64("pool4 " + verb);
        List<String> pos = positional(a);
        List<String> protos = protocols(a, true);
        return outcome(live.edit("pool4 " + verb + " " + String.join(" ", a), doc -> {
            ArrayNode arr = array(doc, "pool4");
            switch (verb) {
                case "flush" -> arr.removeAll();
                case "add" -> {
                    if (pos.isEmpty() || pos.size() > 2)
                        throw new IllegalArgumentException("pool4 add: expected IPV4-PREFIX [PORT-RANGE]");
                    for (String p : protos) {
                        ObjectNode e = arr.addObject();
                        e.put("protocol", p);
                        e.put("prefix", pos.get(0));
                        if (pos.size() == 2) e.put("port range", pos.get(1));
                    }
                }
                default -> {
                    if (pos.isEmpty() || pos.size() > 2)
                        throw new IllegalArgumentException("pool4 remove: expected IPV4-PREFIX [PORT-RANGE]");
                    int removed = removeIf(arr, e -> protos.contains(e.path("protocol").asText().toUpperCase())
                            && samePrefix(pos.get(0), e.path("prefix").asText())
                            && (pos.size() == 1 || pos.get(1).equals(e.path("port range").asText())));
                    if (removed == 0) throw new IllegalArgumentException("pool4 remove: no pool4 entry matches "
                            + String.join(" ", a));
                }
            }
            return doc;
        }));
    }

    private void requireNat64(String what) {
        if (live.current().nat64() == null)
            throw new IllegalArgumentException(what + ": this instance runs in "
                    + live.current().config().ferry().mode().jsonName() + " mode; pool4, bib and sessions exist only in"
                    + " nat64 mode");
    }

    // --- bib and sessions ---

    private static String t6(long hi, long lo, int port) {
        return Ipv6.format(hi, lo) + "#" + port;
    }

    private static String t4(int v4, int port) {
        return Ipv4.format(v4) + "#" + port;
    }

    private Response bib(List<String> a) {
        requireNat64("bib display");
        Nat64Mapper m = live.current().nat64();
        List<List<String>> rows = new ArrayList<>();
        for (String p : protocols(a, true)) {
            int proto = p.equals("TCP") ? 6 : p.equals("UDP") ? 17 : 1;
            for (Nat64Mapper.Bib b : m.bib(proto)) {
                rows.add(row(p, t4(b.v4(), b.port4()), t6(b.v6Hi(), b.v6Lo(), b.port6()), b.staticEntry() ? "static" : "dynamic"));
            }
        }
        return Response.table(List.of("Proto", "IPv4 transport address", "IPv6 transport address", "Type"), rows);
    }

    private Response bibEdit(String verb, List<String> a) {
        requireNat64("bib " + verb);
        List<String> pos = positional(a);
        List<String> protos = protocols(a, false);
        if (verb.equals("add") && (protos.size() != 1 || pos.size() != 2))
            return Response.error("bib add: expected IPV6#PORT IPV4#PORT and one of --tcp --udp --icmp");
        if (verb.equals("remove") && (protos.size() != 1 || pos.isEmpty() || pos.size() > 2))
            return Response.error("bib remove: expected IPV6#PORT and/or IPV4#PORT and one of --tcp --udp --icmp");
        return outcome(live.edit("bib " + verb + " " + String.join(" ", a), doc -> {
            ArrayNode arr = array(doc, "bib");
            if (verb.equals("add")) {
                String v6 = pos.get(0).contains(":") ? pos.get(0) : pos.get(1);
                String v4 = pos.get(0).contains(":") ? pos.get(1) : pos.get(0);
                ObjectNode e = arr.addObject();
                e.put("protocol", protos.get(0));
                e.put("ipv6 address", v6);
                e.put("ipv4 address", v4);
            } else {
                int removed = removeIf(arr, e -> e.path("protocol").asText().equalsIgnoreCase(protos.get(0))
                        && pos.stream().allMatch(t -> sameTransport(t, e.path("ipv6 address").asText())
                        || sameTransport(t, e.path("ipv4 address").asText())));
                if (removed == 0) throw new IllegalArgumentException("bib remove: no static BIB entry matches "
                        + String.join(" ", a));
            }
            return doc;
        }));
    }

    private static boolean sameTransport(String a, String b) {
        int i = a.lastIndexOf('#'), j = b.lastIndexOf('#');
        if (i < 0 || j < 0) return a.equals(b);
        return a.substring(i).equals(b.substring(j)) && samePrefix(a.substring(0, i), b.substring(0, j));
    }

    private Response sessions(List<String> a) {
        requireNat64("session display");
        RunTranslators rt = live.current();
        Nat64Mapper m = rt.nat64();
        Rfc6052 pool6 = rt.config().global().pool6();
        long now = RunTranslators.CachedClock.now;
        List<List<String>> rows = new ArrayList<>();
        for (String p : protocols(a, true)) {
            int proto = p.equals("TCP") ? 6 : p.equals("UDP") ? 17 : 1;
            for (Nat64Mapper.Session s : m.sessions(proto)) {
                String remote6 = pool6 == null ? "-" : t6(pool6.embedHi(s.remote4()), pool6.embedLo(s.remote4()), s.remotePort());
                long left = Math.max(0, (s.expires() - now) / 1_000_000_000L);
                rows.add(row(p, t6(s.v6Hi(), s.v6Lo(), s.port6()), remote6, t4(s.v4(), s.port4()),
                        t4(s.remote4(), s.remotePort()), s.state(), left));
            }
        }
        return Response.table(List.of("Proto", "IPv6 local", "IPv6 remote", "IPv4 local", "IPv4 remote", "State",
                "Expires in (s)"), rows);
    }

    // --- address query ---

    private Response query(List<String> a) {
        if (a.size() != 1) return Response.error("address query: expected one ADDRESS");
        String addr = a.get(0);
        Config c = live.current().config();
        Rfc6052 pool6 = c.global().pool6();
        Eamt eamt = c.eamtTable();
        List<String> h = List.of("Address", "Translates to", "Method");
        try {
            if (addr.contains(":")) {
                long[] v6 = Ipv6.parse(addr);
                if (live.current().nat64() == null) {
                    int i = eamt.find6(v6[0], v6[1]);
                    if (i >= 0) return Response.table(h, List.of(row(addr, Ipv4.format(eamt.v4(i, v6[0], v6[1])),
                            "EAMT entry " + eamt.entry(i))));
                }
                if (pool6 != null && pool6.matches(v6[0], v6[1]))
                    return Response.table(h, List.of(row(addr, Ipv4.format(pool6.extract(v6[0], v6[1])),
                            "pool6 " + pool6 + " (RFC 6052)")));
                return Response.error("address query: " + addr + " has no mapping: "
                        + (live.current().nat64() == null ? "no EAMT entry and " : "") + "not under pool6");
            }
            int v4 = Ipv4.parse(addr);
            if (live.current().nat64() != null) {
                Nat64Section n = c.nat64();
                for (Pool4Entry e : n.pool4()) {
                    if (e.prefix().contains(v4)) return Response.table(h, List.of(row(addr,
                            "the IPv6 hosts of its BIB entries", "pool4 " + e.prefix() + " (see bib display)")));
                }
                if (pool6 != null) return Response.table(h, List.of(row(addr,
                        Ipv6.format(pool6.embedHi(v4), pool6.embedLo(v4)), "pool6 " + pool6 + " (RFC 6052)")));
                return Response.error("address query: " + addr + " has no mapping: pool6 is unset");
            }
            int i = eamt.find4(v4);
            if (i >= 0) return Response.table(h, List.of(row(addr, Ipv6.format(eamt.hi6(i, v4), eamt.lo6(i, v4)),
                    "EAMT entry " + eamt.entry(i))));
            if (pool6 != null) {
                if (c.denylist().contains(v4))
                    return Response.error("address query: " + addr + " is in denylist4: not translated through pool6");
                return Response.table(h, List.of(row(addr, Ipv6.format(pool6.embedHi(v4), pool6.embedLo(v4)),
                        "pool6 " + pool6 + " (RFC 6052)")));
            }
            return Response.error("address query: " + addr + " has no mapping: no EAMT entry and pool6 is unset");
        } catch (IllegalArgumentException e) {
            return Response.error("address query: \"" + addr + "\" is not an IPv4 or IPv6 address: " + e.getMessage());
        }
    }

    // --- file handle ---

    private Response fileHandle(List<String> a) {
        if (a.size() != 2) return Response.error("file handle: expected FILE-NAME and its contents");
        return outcome(live.apply(a.get(1), a.get(0), true));
    }
}
