package ferry.translate.prop;

import ferry.addr.Rfc6052;
import ferry.packet.IpProto;
import ferry.packet.PacketBuilder;
import ferry.testkit.PacketCheck;
import java.util.Arrays;

/**
 * Generators of test input for the translator, driven by {@link Choices}: valid packets built with the project's
 * {@link PacketBuilder} (IPv4 and IPv6; UDP, TCP, ICMP echo, other ICMP, ICMP errors with an inner packet and
 * optional RFC 4884 extension, unknown protocols; IPv4 options, IPv6 extension headers, fragments, TTL/hop limit
 * edge values, sizes up to ~2000 bytes), then the same packets mutated (bit flips, byte overwrites, truncation,
 * garbage tails, length fields set to edge values, followed by an optional checksum repair so that the mutation
 * gets past the header checksum), and raw random bytes.
 *
 * <p>Addresses come from the SIIT configurations of {@link Setup}: the EAMT ranges 192.0.2.0/24 ↔
 * 2001:db8:6::/120 and 203.0.113.0/24 ↔ 2001:db8:4::/120, 198.51.100.0/24 through pool6 (its 198.51.100.128/28 is
 * denylisted), the translator's own addresses, and now and then a special or random address (never-translated
 * ranges, non-global addresses under the well-known prefix, untranslatable IPv6 addresses).
 */
public final class PacketGen {
    /** Largest packet generated (before mutations that append bytes). */
    public static final int MAX = 2000;

    private static final int[] TTLS = {0, 1, 2, 3, 64, 128, 254, 255};
    private static final int[] SPECIAL4 = {
            0x00000000, 0x7f000001, 0xe0000001, 0xffffffff, 0xa9fe0101, 0x0a000001, 0xac100001, 0xc0a80101,
            0x64400001, 0xf0000001, 0xc00000aa, 0xc6336401 /* own */, 0xc6336481 /* denylisted */, 0xc0000001};

    private final Rfc6052 pool6;

    /** @param pool6 the prefix IPv4 addresses are embedded with on the IPv6 side (the setup's pool6) */
    public PacketGen(Rfc6052 pool6) {
        this.pool6 = pool6;
    }

    // ================================================================================ top level

    /** Any input: a valid packet (40 %), a mutated valid packet (45 %), or random bytes (15 %). */
    public byte[] any(Choices c) {
        int k = c.below(20);
        if (k < 8) return valid(c);
        if (k < 17) return mutate(c, valid(c));
        return random(c);
    }

    /** A valid IPv4 or IPv6 packet. */
    public byte[] valid(Choices c) {
        return c.below(2) == 0 ? ipv4(c, 0) : ipv6(c, 0);
    }

    /** Random bytes, 0 to {@link #MAX} long; half of them start with version nibble 4 or 6. */
    public byte[] random(Choices c) {
        int n = c.below(4) == 0 ? c.below(MAX + 1) : c.below(80);
        byte[] b = c.bytes(n);
        if (n > 0 && c.chance(50)) b[0] = (byte) ((c.chance(50) ? 0x40 : 0x60) | (b[0] & 0x0f));
        return b;
    }

    // ================================================================================ addresses

    /** An IPv4 address, mostly one the setups translate. */
    public int addr4(Choices c) {
        return switch (c.below(12)) {
            case 0, 1, 2 -> 0xc0000200 | c.below(256);      // 192.0.2.0/24 (EAMT)
            case 3, 4 -> 0xcb007100 | c.below(256);         // 203.0.113.0/24 (EAMT)
            case 5, 6, 7 -> 0xc6336400 | c.between(2, 127); // 198.51.100.0/25 (pool6)
            case 8 -> 0xc6336400 | c.below(256);            // 198.51.100.0/24 (incl. own, denylisted)
            case 9 -> SPECIAL4[c.below(SPECIAL4.length)];
            case 10 -> c.u32();
            default -> 0xc0000200 | c.below(256);
        };
    }

    /** An IPv6 address as {hi, lo}, mostly one the setups translate. */
    public long[] addr6(Choices c) {
        return switch (c.below(12)) {
            case 0, 1, 2 -> new long[] {0x20010db800060000L, c.below(256)};  // 2001:db8:6::/120 (EAMT)
            case 3, 4 -> new long[] {0x20010db800040000L, c.below(256)};     // 2001:db8:4::/120 (EAMT)
            case 5, 6, 7 -> embed(0xc6336400 | c.between(2, 127));           // pool6 + 198.51.100.0/25
            case 8 -> embed(addr4(c));                                       // pool6 + anything (hairpin, denied)
            case 9 -> special6(c);
            case 10 -> new long[] {0x20010db8_0000_0000L | (c.u32() & 0xffffffffL), ((long) c.u32() << 32) | c.u32()};
            default -> new long[] {0x20010db800060000L, c.below(256)};
        };
    }

    public long[] embed(int v4) {
        return new long[] {pool6.embedHi(v4), pool6.embedLo(v4)};
    }

    private static long[] special6(Choices c) {
        return switch (c.below(7)) {
            case 0 -> new long[] {0, 0};                                    // ::
            case 1 -> new long[] {0, 1};                                    // ::1
            case 2 -> new long[] {0xfe80000000000000L, 1};                  // fe80::1
            case 3 -> new long[] {0xff02000000000000L, 1};                  // ff02::1
            case 4 -> new long[] {0, 0x0000ffffc0000201L};                  // ::ffff:192.0.2.1
            case 5 -> new long[] {0x20010db801c00002L, 0x0001000000000000L}; // 2001:db8:1c0:2:1:: (own)
            default -> new long[] {0x0064ff9b00000000L, 0x0a000001L};       // 64:ff9b::10.0.0.1 (non-global)
        };
    }

    private int ttl(Choices c) {
        return c.below(3) == 0 ? TTLS[c.below(TTLS.length)] : c.between(2, 255);
    }

    /** Payload size: mostly small, sometimes up to the whole budget. */
    private static int size(Choices c, int budget) {
        if (budget <= 0) return 0;
        return switch (c.below(8)) {
            case 0, 1, 2, 3 -> c.below(Math.min(budget, 64) + 1);
            case 4, 5 -> c.below(Math.min(budget, 600) + 1);
            default -> c.below(budget + 1);
        };
    }

    // ================================================================================ IPv4

    /** A valid IPv4 packet (depth 1: an inner packet of an ICMP error). */
    public byte[] ipv4(Choices c, int depth) {
        return ipv4(c, depth, addr4(c), addr4(c), MAX);
    }

    byte[] ipv4(Choices c, int depth, int src, int dst, int max) {
        PacketBuilder b = PacketBuilder.ipv4(src, dst).ttl(ttl(c)).identification(c.u16()).df(c.chance(50));
        if (c.chance(20)) b.tos(c.below(256));
        int optLen = 0;
        if (c.chance(15)) {
            byte[] opts = options4(c);
            b.options(opts);
            optLen = (opts.length + 3) & ~3;
        }
        boolean mf = false;
        int offsetUnits = 0;
        if (c.chance(15)) {
            mf = c.chance(60);
            offsetUnits = c.chance(50) ? 0 : c.below(c.chance(90) ? 400 : 0x2000);
            if (!mf && offsetUnits == 0) mf = true; // a fragment, not an unfragmented packet
            b.mf(mf).fragmentOffset(offsetUnits);
            if (c.chance(80)) b.df(false);
        }
        int budget = max - 20 - optLen;
        int l4Len = l4(c, b, false, depth, src, dst, budget, mf);
        byte[] p = b.build();
        if (mf && (l4Len & 7) != 0 && c.chance(90)) {
            // RFC 791: non-final fragments carry a multiple of 8 bytes; cut the L4 bytes down to one
            int cut = l4Len & ~7;
            if (cut >= 8) p = retotal4(Arrays.copyOf(p, p.length - (l4Len - cut)));
        }
        return p;
    }

    /** Sets Total Length to the array length and recomputes the header checksum. */
    static byte[] retotal4(byte[] p) {
        p[2] = (byte) (p.length >>> 8);
        p[3] = (byte) p.length;
        Repair.ipv4HeaderChecksum(p);
        return p;
    }

    private static byte[] options4(Choices c) {
        byte[] o = new byte[40];
        int n = 0;
        int count = c.between(1, 4);
        for (int i = 0; i < count && n < 40; i++) {
            int room = 40 - n;
            switch (c.below(8)) {
                case 0 -> o[n++] = 1; // NOP
                case 1 -> { o[n++] = 0; i = count; } // EOL ends the list
                case 2 -> { // Record Route (7): len 3 + 4k, pointer 4
                    int len = Math.min(room, 3 + 4 * c.between(1, 9));
                    if (len < 7) { o[n++] = 1; break; }
                    len = 3 + ((len - 3) / 4) * 4;
                    o[n] = 7; o[n + 1] = (byte) len; o[n + 2] = 4;
                    n += len;
                }
                case 3 -> { // Timestamp (68): len 4 + 4k, pointer 5, flags 0
                    int len = Math.min(room, 4 + 4 * c.between(1, 9));
                    if (len < 8) { o[n++] = 1; break; }
                    len = 4 + ((len - 4) / 4) * 4;
                    o[n] = 68; o[n + 1] = (byte) len; o[n + 2] = 5; o[n + 3] = 0;
                    n += len;
                }
                case 4 -> { // LSRR (131) / SSRR (137): unexpired (pointer 4) or expired (pointer len + 1)
                    int len = Math.min(room, 3 + 4 * c.between(1, 9));
                    if (len < 7) { o[n++] = 1; break; }
                    len = 3 + ((len - 3) / 4) * 4;
                    o[n] = (byte) (c.chance(50) ? 131 : 137); o[n + 1] = (byte) len;
                    o[n + 2] = (byte) (c.chance(50) ? 4 : len + 1);
                    for (int k = 3; k < len; k++) o[n + k] = (byte) (192 + k);
                    n += len;
                }
                case 5 -> { // malformed length: 0, 1 or past the header
                    if (room < 2) { o[n++] = 1; break; }
                    o[n] = (byte) c.oneOf(7, 68, 131, 137, 148, 130);
                    o[n + 1] = (byte) c.oneOf(0, 1, 2, room + 1, 255);
                    n += 2;
                }
                case 6 -> { // Router Alert (148), length 4
                    if (room < 4) { o[n++] = 1; break; }
                    o[n] = (byte) 148; o[n + 1] = 4;
                    n += 4;
                }
                default -> { // unknown option with a sane length
                    int len = Math.min(room, c.between(2, 10));
                    if (len < 2) { o[n++] = 1; break; }
                    o[n] = (byte) c.below(256); o[n + 1] = (byte) len;
                    if ((o[n] & 0xff) <= 1) o[n] = (byte) 0x99;
                    n += len;
                }
            }
        }
        return Arrays.copyOf(o, Math.max(1, n));
    }

    // ================================================================================ IPv6

    /** A valid IPv6 packet (depth 1: an inner packet of an ICMP error). */
    public byte[] ipv6(Choices c, int depth) {
        long[] s = addr6(c), d = addr6(c);
        return ipv6(c, depth, s, d, MAX);
    }

    byte[] ipv6(Choices c, int depth, long[] s, long[] d, int max) {
        PacketBuilder b = PacketBuilder.ipv6(s[0], s[1], d[0], d[1]).hopLimit(ttl(c));
        if (c.chance(20)) b.trafficClass(c.below(256));
        if (c.chance(20)) b.flowLabel(c.below(1 << 20));
        int extLen = 0;
        boolean fragmented = false, mf = false;
        if (c.chance(30)) {
            int count = c.between(1, 3);
            for (int i = 0; i < count; i++) {
                switch (c.below(6)) {
                    case 0 -> {
                        if (i == 0 || c.chance(10)) { b.hopByHop(); extLen += 8; }
                    }
                    case 1 -> {
                        int len = 8 * c.between(1, 3);
                        b.options6(IpProto.IPV6_OPTS, len);
                        extLen += len;
                    }
                    case 2 -> {
                        int sl = c.chance(60) ? 0 : c.between(1, 3);
                        int addrs = Math.max(1, Math.max(sl, c.between(1, 2)));
                        b.routing(c.oneOf(0, 2, 3, 4), sl, addrs);
                        extLen += 8 + 16 * addrs;
                    }
                    default -> {
                        if (!fragmented || c.chance(10)) {
                            int units = c.chance(50) ? 0 : c.below(c.chance(90) ? 400 : 0x2000);
                            boolean m = c.chance(60);
                            b.fragment(units, m, c.chance(50) ? c.u16() : c.u32());
                            fragmented = true;
                            mf |= m;
                            extLen += 8;
                        }
                    }
                }
            }
        }
        int budget = max - 40 - extLen;
        int l4Len = l4(c, b, true, depth, 0, 0, budget, mf);
        byte[] p = b.build();
        if (mf && (l4Len & 7) != 0 && c.chance(90)) {
            int cut = l4Len & ~7;
            if (cut >= 8) {
                p = Arrays.copyOf(p, p.length - (l4Len - cut));
                p[4] = (byte) ((p.length - 40) >>> 8);
                p[5] = (byte) (p.length - 40);
            }
        }
        return p;
    }

    // ================================================================================ L4

    /** Chooses and sets the upper layer; returns the number of L4 bytes it will build. */
    private int l4(Choices c, PacketBuilder b, boolean v6, int depth, int src4, int dst4, int budget, boolean mf) {
        int kind = c.below(20);
        if (depth > 0 && kind >= 14 && kind < 17 && !c.chance(10)) kind = 0; // rarely an error inside an error
        int n;
        switch (kind) {
            case 0, 1, 2, 3, 4, 5, 6 -> { // UDP
                n = size(c, budget - 8);
                b.udp(port(c), port(c)).payload(c.bytes(n));
                int k = c.below(20);
                if (k == 0) b.checksum(0);                        // "no checksum" (illegal in IPv6)
                else if (k == 1) b.checksum(c.u16());             // most likely wrong
                else if (k == 2 && n > 0) b.udpLength(c.oneOf(0, 7, 8 + n - 1, 8 + n + 1, 0xffff));
                return 8 + n;
            }
            case 7, 8, 9, 10 -> { // TCP
                int words = c.chance(80) ? 5 : c.between(0, 15);
                int hlen = Math.max(20, words * 4);
                n = size(c, budget - hlen);
                b.tcp(port(c), port(c)).seq(c.u32()).ack(c.u32()).tcpFlags(c.below(256)).window(c.u16())
                        .payload(c.bytes(n));
                if (words != 5) b.dataOffset(words);
                if (c.chance(5)) b.checksum(c.u16());
                return hlen + n;
            }
            case 11, 12, 13 -> { // echo
                n = size(c, budget - 8);
                if (c.chance(50)) b.echoRequest(c.u16(), c.u16()); else b.echoReply(c.u16(), c.u16());
                b.payload(c.bytes(n));
                if (c.chance(5)) b.checksum(c.u16());
                return 8 + n;
            }
            case 14, 15, 16 -> { // ICMP error with an inner packet
                return icmpError(c, b, v6, src4, dst4, budget);
            }
            case 17 -> { // any other ICMP message
                n = size(c, budget - 8);
                int type = v6 ? c.oneOf(130, 131, 132, 133, 134, 135, 136, 137, 143, 139, 140, 200, c.below(256))
                        : c.oneOf(5, 9, 10, 13, 14, 15, 16, 17, 18, 4, 6, 30, c.below(256));
                b.icmp(type, c.chance(70) ? 0 : c.below(256), c.u32()).payload(c.bytes(n));
                return 8 + n;
            }
            default -> { // other protocols (GRE, SCTP, ESP, unassigned, No Next Header, extension header numbers)
                n = size(c, budget);
                int proto = c.oneOf(47, 132, 50, 51, 253, 255, 59, 2, 0, 43, 44, 58, 60, 1, 6, 17, 41, c.below(256));
                b.raw(proto, c.bytes(n));
                return n;
            }
        }
    }

    private static int port(Choices c) {
        return c.chance(10) ? c.oneOf(0, 53, 443, 65535) : c.u16();
    }

    private int icmpError(Choices c, PacketBuilder b, boolean v6, int src4, int dst4, int budget) {
        int type, code, rest;
        if (v6) {
            switch (c.below(4)) {
                case 0 -> { type = 1; code = c.chance(80) ? c.below(7) : c.below(256); rest = 0; }
                case 1 -> { type = 2; code = 0; rest = c.oneOf(0, 68, 1279, 1280, 1300, 1500, 9000, 65535, c.u32()); }
                case 2 -> { type = 3; code = c.below(2); rest = 0; }
                default -> { type = 4; code = c.below(c.chance(90) ? 4 : 256); rest = c.chance(80) ? c.below(48) : c.u32(); }
            }
        } else {
            switch (c.below(5)) {
                case 0, 1 -> {
                    type = 3; code = c.below(16);
                    rest = code == 4 ? c.oneOf(0, 68, 296, 576, 1006, 1024, 1280, 1492, 1500, 9000, c.u16()) : 0;
                }
                case 2 -> { type = 11; code = c.below(2); rest = 0; }
                case 3 -> { type = 12; code = c.below(3); rest = (c.chance(80) ? c.below(24) : c.below(256)) << 24; }
                default -> { type = c.oneOf(4, 5, 3, 11); code = c.below(4); rest = c.u32(); }
            }
        }
        // the inner packet: usually sent by the outer destination (the error goes back to its source)
        int innerMax = Math.min(budget - 8, v6 ? 1232 : 548);
        if (c.chance(10)) innerMax = budget - 8; // oversized on purpose
        if (innerMax < 1) {
            b.icmpError(type, code, rest, new byte[0]);
            return 8;
        }
        byte[] inner;
        if (v6) {
            inner = ipv6(c, 1, addr6(c), addr6(c), Math.max(40, innerMax + 64));
        } else {
            int is = c.chance(80) ? dst4 : addr4(c);
            int id = c.chance(80) ? src4 : addr4(c);
            inner = ipv4(c, 1, is, id, Math.max(20, innerMax + 64));
        }
        // truncation: the whole inner packet, its headers + 8 bytes, or any length
        int keep = switch (c.below(4)) {
            case 0 -> inner.length;
            case 1 -> Math.min(inner.length, innerHeaderLength(inner) + 8);
            default -> c.below(inner.length + 1);
        };
        keep = Math.min(keep, innerMax);
        inner = Arrays.copyOf(inner, Math.max(0, keep));
        boolean rfc4884 = (v6 ? type == 1 || type == 3 : type == 3 || type == 11 || type == 12) && c.chance(20);
        if (rfc4884) {
            int unit = v6 ? 8 : 4;
            int padded = Math.max(128, (inner.length + unit - 1) / unit * unit);
            int ext = 4 + 4 * c.between(1, 8);
            if (padded + ext + 8 <= budget) {
                byte[] body = Arrays.copyOf(inner, padded + ext);
                body[padded] = 0x20; // RFC 4884 §7: version 2
                byte[] obj = c.bytes(ext - 4);
                System.arraycopy(obj, 0, body, padded + 4, ext - 4);
                body[padded + 4] = 0;
                body[padded + 5] = (byte) (ext - 4);
                int words = padded / unit;
                if (c.chance(10)) words = c.below(256); // inconsistent length
                rest = v6 ? (rest & 0x00ffffff) | (words << 24) : (rest & 0xff00ffff) | (words << 16);
                inner = body;
            }
        }
        b.icmpError(type, code, rest, inner);
        if (c.chance(5)) b.checksum(c.u16());
        return 8 + inner.length;
    }

    private static int innerHeaderLength(byte[] inner) {
        if (inner.length < 1) return 0;
        if ((inner[0] & 0xf0) == 0x40) return (inner[0] & 0x0f) * 4;
        int[] loc = PacketCheck.upper6(inner);
        return loc == null ? 40 : loc[1];
    }

    // ================================================================================ round-trip packets

    /** Protocols with no checksum the translator knows, carried through unchanged both ways. */
    private static final int[] OPAQUE = {47, 132, 50, 253, 255};

    private int roundTripAddr4(Choices c) {
        return switch (c.below(3)) {
            case 0 -> 0xc0000200 | c.below(256);       // 192.0.2.0/24 <-> 2001:db8:6::/120
            case 1 -> 0xcb007100 | c.below(256);       // 203.0.113.0/24 <-> 2001:db8:4::/120
            default -> 0xc6336400 | c.between(2, 127); // 198.51.100.2-127 through pool6
        };
    }

    /**
     * An IPv4 packet that SIIT must carry to IPv6 and back unchanged but for the fields the RFC rewrites: EAMT or
     * pool6 addresses, TTL 3..255, no options, UDP (with a checksum), TCP, ICMP echo or an opaque protocol, possibly
     * a fragment (DF=0; never ICMP), at most 1260 bytes (1252 for a fragment) so that no step fragments it. A tenth
     * of them carry a wrong transport checksum, which must stay exactly as wrong.
     */
    public byte[] roundTrip4(Choices c) {
        int src = roundTripAddr4(c), dst = roundTripAddr4(c);
        PacketBuilder b = PacketBuilder.ipv4(src, dst).ttl(c.between(3, 255)).tos(c.below(256))
                .identification(c.u16()).df(c.chance(50));
        boolean fragment = c.chance(25);
        boolean mf = false;
        int units = 0;
        if (fragment) {
            mf = c.chance(60);
            units = c.chance(40) ? 0 : c.between(1, 1000);
            if (!mf && units == 0) mf = true;
            b.df(false).mf(mf).fragmentOffset(units);
        }
        int budget = (fragment ? 1252 - 8 : 1260) - 20; // - 8: room for multipleOf8
        int kind = c.below(fragment ? 3 : 4);
        int l4Len = roundTripL4(c, b, kind, budget, false);
        if (mf) multipleOf8(c, b, kind, l4Len); // RFC 791: non-final fragments carry a multiple of 8 bytes
        byte[] p = b.build();
        if (c.chance(10)) corruptTransport(c, p, 20, kind);
        return p;
    }

    /**
     * The IPv6 counterpart of {@link #roundTrip4}: EAMT or pool6 addresses, hop limit 3..255, any traffic class and
     * flow label, no extension header but possibly a Fragment header (not atomic; never ICMPv6), at most 1280 bytes.
     */
    public byte[] roundTrip6(Choices c) {
        long[] s = embedOrEam(c), d = embedOrEam(c);
        PacketBuilder b = PacketBuilder.ipv6(s[0], s[1], d[0], d[1]).hopLimit(c.between(3, 255))
                .trafficClass(c.below(256)).flowLabel(c.below(1 << 20));
        boolean fragment = c.chance(25);
        boolean mf = false;
        if (fragment) {
            mf = c.chance(60);
            int units = c.chance(40) ? 0 : c.between(1, 1000);
            if (!mf && units == 0) mf = true;
            b.fragment(units, mf, c.chance(50) ? c.u16() : c.u32());
        }
        int budget = 1280 - 40 - (fragment ? 16 : 0); // 8 more: room for multipleOf8
        int kind = c.below(fragment ? 3 : 4);
        int l4Len = roundTripL4(c, b, kind, budget, true);
        if (mf) multipleOf8(c, b, kind, l4Len);
        byte[] p = b.build();
        if (c.chance(10)) corruptTransport(c, p, 40 + (fragment ? 8 : 0), kind);
        return p;
    }

    private long[] embedOrEam(Choices c) {
        return switch (c.below(3)) {
            case 0 -> new long[] {0x20010db800060000L, c.below(256)};
            case 1 -> new long[] {0x20010db800040000L, c.below(256)};
            default -> embed(0xc6336400 | c.between(2, 127));
        };
    }

    /** kind 0 UDP, 1 TCP, 2 opaque protocol, 3 ICMP echo; returns the L4 length. */
    private int roundTripL4(Choices c, PacketBuilder b, int kind, int budget, boolean v6) {
        switch (kind) {
            case 0 -> {
                int n = size(c, budget - 8);
                b.udp(c.u16(), c.u16()).payload(c.bytes(n));
                return 8 + n;
            }
            case 1 -> {
                int n = size(c, budget - 20);
                b.tcp(c.u16(), c.u16()).seq(c.u32()).ack(c.u32()).tcpFlags(c.below(256)).window(c.u16())
                        .urgentPointer(c.u16()).payload(c.bytes(n));
                return 20 + n;
            }
            case 2 -> {
                int n = size(c, budget);
                b.raw(OPAQUE[c.below(OPAQUE.length)], c.bytes(n));
                return n;
            }
            default -> {
                int n = size(c, budget - 8);
                if (c.chance(50)) b.echoRequest(c.u16(), c.u16()); else b.echoReply(c.u16(), c.u16());
                b.payload(c.bytes(n));
                return 8 + n;
            }
        }
    }

    /** Resizes the payload so that the L4 bytes are a multiple of 8. */
    private static void multipleOf8(Choices c, PacketBuilder b, int kind, int l4Len) {
        int extra = l4Len & 7;
        if (extra == 0) return;
        int n = payloadOf(kind, l4Len) - extra;
        if (n < 0) n += 8;
        b.payload(c.bytes(n));
    }

    private static int payloadOf(int kind, int l4Len) {
        return switch (kind) {
            case 0 -> l4Len - 8;
            case 1 -> l4Len - 20;
            case 2 -> l4Len;
            default -> l4Len - 8;
        };
    }

    /** Makes the transport checksum wrong (one bit of the payload, or checksum + 1, never 0 for UDP). */
    private static void corruptTransport(Choices c, byte[] p, int l4, int kind) {
        int header = switch (kind) { case 0, 3 -> 8; case 1 -> 20; default -> 0; };
        if (kind == 2) return; // no checksum to corrupt
        if (p.length > l4 + header && c.chance(50)) {
            p[l4 + header + c.below(p.length - l4 - header)] ^= (byte) (1 << c.below(8));
        } else {
            int at = l4 + (kind == 1 ? 16 : kind == 0 ? 6 : 2);
            int v = (u16(p, at) + 1) & 0xffff;
            if (v == 0 || v == 0xffff) v = 1;
            put16(p, at, v);
        }
    }

    static int u16(byte[] p, int i) {
        return ((p[i] & 0xff) << 8) | (p[i + 1] & 0xff);
    }

    // ================================================================================ mutations

    /** One to four mutations of {@code p}, then (usually) the header and ICMP checksums repaired. */
    public byte[] mutate(Choices c, byte[] p) {
        int count = c.between(1, 4);
        for (int i = 0; i < count; i++) p = mutateOnce(c, p);
        if (c.chance(75)) Repair.ipv4HeaderChecksum(p);
        if (c.chance(50)) Repair.icmpChecksum(p);
        return p;
    }

    private byte[] mutateOnce(Choices c, byte[] p) {
        int len = p.length;
        switch (c.below(12)) {
            case 0, 1 -> { // flip a bit, mostly in the headers
                if (len == 0) return p;
                int i = c.chance(70) ? c.below(Math.min(len, 96)) : c.below(len);
                p[i] ^= (byte) (1 << c.below(8));
            }
            case 2 -> { // overwrite a byte
                if (len == 0) return p;
                int i = c.chance(70) ? c.below(Math.min(len, 96)) : c.below(len);
                p[i] = (byte) c.oneOf(0, 0xff, 0x7f, 0x80, 1, c.below(256));
            }
            case 3 -> { // truncate
                return Arrays.copyOf(p, c.chance(50) ? c.below(Math.min(len, 96) + 1) : c.below(len + 1));
            }
            case 4 -> { // garbage tail
                byte[] tail = c.bytes(c.between(1, 64));
                byte[] q = Arrays.copyOf(p, len + tail.length);
                System.arraycopy(tail, 0, q, len, tail.length);
                return q;
            }
            case 5 -> { // a 16-bit field set to an edge value
                if (len < 2) return p;
                int i = c.below(Math.min(len - 1, 96));
                put16(p, i, c.oneOf(0, 1, 7, 8, 0xffff, len, len - 20, len - 40, len + 1, c.u16()));
            }
            default -> lengthField(c, p);
        }
        return p;
    }

    /** Sets one of the length-like fields of the packet (or of the inner packet of an ICMP error) to an edge value. */
    private static void lengthField(Choices c, byte[] p) {
        int len = p.length;
        if (len < 1) return;
        boolean v4 = (p[0] & 0xf0) == 0x40;
        int l4 = v4 ? (p[0] & 0x0f) * 4 : upperOffset(p);
        int which = c.below(9);
        switch (which) {
            case 0 -> p[0] = (byte) ((p[0] & 0xf0) | c.below(16));                       // IHL / traffic class
            case 1 -> { if (len >= 6) put16(p, v4 ? 2 : 4, c.oneOf(0, 19, 20, 40, len, len - 1, len + 1, len - 40, len - 39, 0xffff)); }
            case 2 -> { if (len >= 8) { if (v4) put16(p, 6, c.u16()); else p[6] = (byte) c.oneOf(0, 43, 44, 60, 58, 17, 6, 59, 1, 135, 255); } }
            case 3 -> { if (l4 >= 0 && l4 + 6 <= len) put16(p, l4 + 4, c.oneOf(0, 7, 8, len - l4, len - l4 + 1, 0xffff)); } // UDP length
            case 4 -> { if (l4 >= 0 && l4 + 13 <= len) p[l4 + 12] = (byte) (c.below(16) << 4); }              // TCP data offset
            case 5 -> { if (l4 >= 0 && l4 + 6 <= len) p[l4 + (v4 ? 5 : 4)] = (byte) c.oneOf(0, 1, 16, 32, 255, c.below(256)); } // RFC 4884 length
            case 6 -> { if (l4 >= 0 && l4 + 12 <= len) p[l4 + 8] = (byte) ((p[l4 + 8] & 0xf0) | c.below(16)); } // inner IHL
            case 7 -> { if (l4 >= 0 && l4 + 14 <= len) put16(p, l4 + 8 + (v4 ? 2 : 4), c.oneOf(0, 8, 20, 0xffff, c.u16())); } // inner length
            default -> { if (l4 >= 0 && l4 + 1 <= len) p[l4] = (byte) c.below(256); }                     // ICMP type / port
        }
    }

    /** Offset of the IPv6 upper-layer header, or -1. */
    static int upperOffset(byte[] p) {
        int[] loc = PacketCheck.upper6(p);
        return loc == null ? -1 : loc[1];
    }

    static void put16(byte[] p, int i, int v) {
        p[i] = (byte) (v >>> 8);
        p[i + 1] = (byte) v;
    }
}
