package ferry.config;

import ferry.addr.Prefix4;
import ferry.addr.Prefix6;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The top-level {@code "tun"} object: the TUN device {@code ferry run} creates (or attaches to) and what it installs
 * on it. Without the object, ferry opens the device {@code ferry0} with one queue per core and installs nothing
 * (operators who manage MTU, addresses and routes themselves).
 *
 * <pre>
 * "tun": {
 *   "device": "ferry0",                 // interface name, 1..15 characters
 *   "mtu": 1500,                        // set with `ip link`; absent: left as it is
 *   "queues": 2,                        // 1..256; absent: one per available processor
 *   "vnet-header": false,               // IFF_VNET_HDR, TUN_F_CSUM + TSO4/TSO6 + USO offloads
 *   "io": "syscalls",                   // "syscalls": read(2)/write(2) per packet; "uring": batched io_uring
 *   "addresses": ["192.0.2.1/24", "2001:db8::1/64"],   // `ip addr add ... dev DEVICE`
 *   "routes": ["198.51.100.0/24", "64:ff9b::/96"]       // `ip route add ... dev DEVICE`
 * }
 * </pre>
 *
 * @param device     interface name
 * @param mtu        MTU to set, or 0 to leave it alone
 * @param queues     number of queues, or 0 for one per available processor
 * @param vnetHeader open the queues with vnet headers, partial checksums and TCP segmentation offload
 * @param addresses  interface addresses (address/prefix length, IPv4 or IPv6), in file order
 * @param routes     prefixes routed into the device, in file order
 * @param io         how the workers move packets: {@code "syscalls"} (one read and one write per packet) or
 *                   {@code "uring"} (reads and writes batched through io_uring; read/write when the kernel
 *                   refuses io_uring)
 */
public record TunSection(String device, int mtu, int queues, boolean vnetHeader, List<Address> addresses,
                         List<Route> routes, String io) {
    /** The values of {@code "io"}. */
    public static final List<String> IO_MODES = List.of("syscalls", "uring");

    public TunSection {
        addresses = List.copyOf(addresses);
        routes = List.copyOf(routes);
        if (!IO_MODES.contains(io)) throw new IllegalArgumentException("tun.io: " + io);
    }

    /** With the default I/O mode ({@code "syscalls"}). */
    public TunSection(String device, int mtu, int queues, boolean vnetHeader, List<Address> addresses,
                      List<Route> routes) {
        this(device, mtu, queues, vnetHeader, addresses, routes, "syscalls");
    }

    /** An interface address as written ({@code text}, e.g. "2001:db8::1/64") and whether it is IPv6. */
    public record Address(String text, boolean ipv6) {
    }

    /** A route as written (a prefix in canonical form) and whether it is IPv6. */
    public record Route(String prefix, boolean ipv6) {
    }

    /** The values used when the file has no {@code "tun"} object. */
    public static TunSection defaults() {
        return new TunSection("ferry0", 0, 0, false, List.of(), List.of());
    }


    private static final Set<String> KEYS = new TreeSet<>(
            List.of("device", "mtu", "queues", "vnet-header", "io", "addresses", "routes"));

    /** Parses the {@code "tun"} object, reporting every problem to {@code errors}; never throws. */
    static TunSection parse(Json.Node node, Sections.Errors errors) {
        TunSection d = defaults();
        if (!(node instanceof Json.Obj obj)) {
            errors.error("tun", node, "expected an object, got " + node.show());
            return d;
        }
        String device = d.device();
        int mtu = 0;
        int queues = 0;
        boolean vnet = false;
        String io = d.io();
        List<Address> addresses = new ArrayList<>();
        List<Route> routes = new ArrayList<>();
        Set<String> seen = new TreeSet<>();
        for (Sections.Member m : Sections.members(obj, "tun", errors, seen)) {
            String path = m.path();
            Json.Node v = m.value();
            switch (m.key()) {
                case "device" -> {
                    if (v instanceof Json.Str s && validName(s.value())) device = s.value();
                    else errors.error(path, v, v.show() + " is not an interface name: 1 to 15 characters, no '/',"
                            + " whitespace or ':' (and not \".\" or \"..\")");
                }
                case "mtu" -> {
                    // IPv6 needs 1280 (RFC 8200 §5) and the device carries both families
                    Integer i = integer(v, 1280, 65535);
                    if (i == null) errors.error(path, v, "expected an integer 1280..65535, got " + v.show());
                    else mtu = i;
                }
                case "queues" -> {
                    Integer i = integer(v, 1, 256);
                    if (i == null) errors.error(path, v, "expected an integer 1..256, got " + v.show());
                    else queues = i;
                }
                case "vnet-header" -> {
                    if (v instanceof Json.Bool b) vnet = b.value();
                    else errors.error(path, v, "expected true or false, got " + v.show());
                }
                case "io" -> {
                    if (v instanceof Json.Str str && IO_MODES.contains(str.value())) io = str.value();
                    else errors.error(path, v, "expected \"syscalls\" or \"uring\", got " + v.show());
                }
                case "addresses" -> {
                    if (!(v instanceof Json.Arr a)) {
                        errors.error(path, v, "expected an array of \"address/length\" strings, got " + v.show());
                        break;
                    }
                    for (int i = 0; i < a.items().size(); i++) {
                        Json.Node it = a.items().get(i);
                        Address ad = address(it);
                        if (ad == null) errors.error(path + "[" + i + "]", it, it.show()
                                + " is not an interface address like \"192.0.2.1/24\" or \"2001:db8::1/64\"");
                        else addresses.add(ad);
                    }
                }
                case "routes" -> {
                    if (!(v instanceof Json.Arr a)) {
                        errors.error(path, v, "expected an array of prefix strings, got " + v.show());
                        break;
                    }
                    for (int i = 0; i < a.items().size(); i++) {
                        Json.Node it = a.items().get(i);
                        Route r = route(it);
                        if (r == null) errors.error(path + "[" + i + "]", it, it.show()
                                + " is not a prefix like \"198.51.100.0/24\" or \"64:ff9b::/96\" (no host bits)");
                        else routes.add(r);
                    }
                }
                default -> errors.error(path, v, Sections.unknownKey(m, KEYS));
            }
        }
        return new TunSection(device, mtu, queues, vnet, addresses, routes, io);
    }

    private static boolean validName(String s) {
        if (s.isEmpty() || s.length() > 15 || s.equals(".") || s.equals("..")) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == '/' || c == ':') return false;
        }
        return true;
    }

    private static Integer integer(Json.Node v, int min, int max) {
        if (!(v instanceof Json.Num n) || !n.integral()) return null;
        if (n.value().compareTo(java.math.BigDecimal.valueOf(min)) < 0
                || n.value().compareTo(java.math.BigDecimal.valueOf(max)) > 0) return null;
        return n.value().intValueExact();
    }

    /** "a.b.c.d/len" or "v6/len" with any host bits (an interface address, not a route). */
    private static Address address(Json.Node n) {
        if (!(n instanceof Json.Str s)) return null;
        String t = s.value();
        int slash = t.indexOf('/');
        if (slash < 0) return null;
        String addr = t.substring(0, slash);
        String len = t.substring(slash + 1);
        if (len.isEmpty() || len.length() > 3 || !len.chars().allMatch(Character::isDigit)) return null;
        int l = Integer.parseInt(len);
        try {
            if (addr.contains(":")) {
                if (l > 128) return null;
                Prefix6.parse(addr + "/128");
                return new Address(addr + "/" + l, true);
            }
            if (l > 32) return null;
            Prefix4.parse(addr + "/32");
            return new Address(addr + "/" + l, false);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static Route route(Json.Node n) {
        if (!(n instanceof Json.Str s)) return null;
        try {
            if (s.value().contains(":")) return new Route(Prefix6.parse(s.value()).toString(), true);
            return new Route(Prefix4.parse(s.value()).toString(), false);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
