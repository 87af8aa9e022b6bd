package ferry.testkit;

import java.util.ArrayList;
import java.util.List;

/**
 * An independent reference checker for emitted packets, written on plain byte arrays without the project's
 * flyweights or checksum code, so a bug there cannot hide itself. Used by property tests and fuzz targets.
 */
public final class PacketCheck {
    private PacketCheck() {}

    /** Validity of a packet's transport checksum. */
    public enum L4 { VALID, INVALID, NOT_CHECKED }

    static int u8(byte[] b, int i) { return b[i] & 0xff; }
    static int u16(byte[] b, int i) { return ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff); }

    /** One's-complement sum of b[off, off+len) folded to 16 bits (not inverted), starting from {@code sum}. */
    public static long sum(byte[] b, int off, int len, long sum) {
        int i = off, end = off + len;
        for (; i + 1 < end; i += 2) sum += u16(b, i);
        if (i < end) sum += (b[i] & 0xff) << 8;
        return sum;
    }

    static int fold(long s) {
        while ((s >>> 16) != 0) s = (s & 0xffff) + (s >>> 16);
        return (int) s;
    }

    /** Problems with an emitted packet (empty when it is valid). {@code mtu} bounds its size. */
    public static List<String> problems(byte[] p, int mtu) {
        List<String> out = new ArrayList<>();
        if (p.length > mtu) out.add("size " + p.length + " > MTU " + mtu);
        if (p.length < 1) { out.add("empty"); return out; }
        int v = u8(p, 0) >>> 4;
        if (v == 4) check4(p, out);
        else if (v == 6) check6(p, out);
        else out.add("version " + v);
        return out;
    }

    private static void check4(byte[] p, List<String> out) {
        if (p.length < 20) { out.add("IPv4 shorter than 20"); return; }
        int ihl = (u8(p, 0) & 15) * 4;
        if (ihl != 20) out.add("IHL " + ihl / 4 + " != 5");
        if (u16(p, 2) != p.length) out.add("total length " + u16(p, 2) + " != " + p.length);
        if (fold(sum(p, 0, Math.min(ihl, p.length), 0)) != 0xffff) out.add("IPv4 header checksum invalid");
        if (u8(p, 8) == 0) out.add("TTL 0");
        int frag = u16(p, 6);
        if ((frag & 0x8000) != 0) out.add("IPv4 reserved flag set");
        boolean mf = (frag & 0x2000) != 0;
        int payload = p.length - ihl;
        if (mf && payload % 8 != 0) out.add("non-final fragment payload " + payload + " not a multiple of 8");
        if (((frag & 0x1fff) * 8) + payload > 65535) out.add("fragment offset + length > 65535");
        if (u8(p, 9) == 1 && payload >= 1 && (frag & 0x1fff) == 0 && isIcmp4Error(u8(p, ihl))) {
            if (p.length > 576) out.add("ICMPv4 error of " + p.length + " bytes > 576");
            if (payload >= 8) icmpErrorBody(p, ihl, 4, out);
        }
    }

    /**
     * The body of an ICMP error (its transport header at {@code at}): the inner packet has the outer packet's IP
     * version, and an RFC 4884 length (ICMPv4 types 3, 11, 12: octet 5, 32-bit words; ICMPv6 types 1, 3: octet 4,
     * 64-bit words) does not run past the message and, when set, leaves room for an extension (§4: the original
     * datagram field is at least 128 octets then).
     */
    private static void icmpErrorBody(byte[] p, int at, int version, List<String> out) {
        int type = u8(p, at), body = p.length - at - 8;
        if (body >= 1 && (u8(p, at + 8) >>> 4) != version)
            out.add("ICMPv" + version + " error carries an inner packet of version " + (u8(p, at + 8) >>> 4));
        int words = 0, unit = 0;
        if (version == 4 && (type == 3 || type == 11 || type == 12)) { words = u8(p, at + 5); unit = 4; }
        if (version == 6 && (type == 1 || type == 3)) { words = u8(p, at + 4); unit = 8; }
        if (words == 0) return;
        int length = words * unit;
        if (length > body) out.add("RFC 4884 length " + length + " runs past the ICMP body of " + body);
        else if (length < 128) out.add("RFC 4884 length " + length + " < 128");
    }

    private static boolean isIcmp4Error(int type) {
        return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
    }

    private static void check6(byte[] p, List<String> out) {
        if (p.length < 40) { out.add("IPv6 shorter than 40"); return; }
        if (u16(p, 4) != p.length - 40) out.add("payload length " + u16(p, 4) + " != " + (p.length - 40));
        if (u8(p, 7) == 0) out.add("hop limit 0");
        int nh = u8(p, 6), off = 40;
        while (nh == 0 || nh == 43 || nh == 60 || nh == 44) {
            if (off + 8 > p.length) { out.add("extension header past the end"); return; }
            if (nh == 44) {
                int fo = u16(p, off + 2);
                boolean m = (fo & 1) != 0;
                int payload = p.length - off - 8;
                if (m && payload % 8 != 0) out.add("non-final fragment payload " + payload + " not a multiple of 8");
                if ((fo & 0xfff8) + payload > 65535) out.add("fragment offset + length > 65535");
                if (u8(p, off + 1) != 0 || (fo & 6) != 0) out.add("Fragment header reserved bits set");
                nh = u8(p, off);
                off += 8;
            } else {
                nh = u8(p, off);
                off += (u8(p, off + 1) + 1) * 8;
            }
        }
        // RFC 8200 §8.1: IPv6 UDP always has a checksum (checked wherever the UDP header is: offset 0)
        if (nh == 17 && off + 8 <= p.length && !nonFirstFragment6(p) && u16(p, off + 6) == 0)
            out.add("IPv6 UDP checksum 0");
        if (nh == 58 && off < p.length && u8(p, off) < 128 && !nonFirstFragment6(p)) {
            if (p.length > 1280) out.add("ICMPv6 error of " + p.length + " bytes > 1280");
            if (off + 8 <= p.length) icmpErrorBody(p, off, 6, out);
        }
    }

    /** True for an IPv4 fragment (MF or offset) or an IPv6 packet with a Fragment header that is not atomic. */
    public static boolean isFragment(byte[] p) {
        if (p.length < 1) return false;
        if ((u8(p, 0) >>> 4) == 4) return p.length >= 20 && (u16(p, 6) & 0x3fff) != 0;
        return isFragment6(p);
    }

    private static boolean nonFirstFragment6(byte[] p) {
        int[] loc = upper6(p);
        return loc != null && loc[2] >= 0 && (u16(p, loc[2] + 2) & 0xfff8) != 0;
    }

    private static boolean isFragment6(byte[] p) {
        int[] loc = upper6(p);
        return loc != null && loc[2] >= 0 && (u16(p, loc[2] + 2) & 0xfff9) != 0;
    }

    /** {upper-layer protocol, its offset, fragment header offset or -1} for IPv6, or null when malformed. */
    public static int[] upper6(byte[] p) {
        if (p.length < 40) return null;
        int nh = u8(p, 6), off = 40, frag = -1, count = 0;
        while (nh == 0 || nh == 43 || nh == 60 || nh == 44) {
            if (off + 8 > p.length || ++count > 200) return null;
            int next = u8(p, off);
            if (nh == 44) { frag = off; off += 8; }
            else off += (u8(p, off + 1) + 1) * 8;
            nh = next;
        }
        return off > p.length ? null : new int[] {nh, off, frag};
    }

    /**
     * Whether the transport checksum of an unfragmented packet (an IPv6 atomic fragment counts as one) verifies.
     * NOT_CHECKED for fragments, unknown
     * protocols, IPv4 UDP checksum 0, truncated transport headers, malformed packets.
     */
    public static L4 l4(byte[] p) {
        if (p.length < 1) return L4.NOT_CHECKED;
        int v = u8(p, 0) >>> 4;
        if (v == 4) {
            if (p.length < 20) return L4.NOT_CHECKED;
            int ihl = (u8(p, 0) & 15) * 4;
            if (ihl < 20 || ihl > p.length || u16(p, 2) != p.length || (u16(p, 6) & 0x3fff) != 0) return L4.NOT_CHECKED;
            int proto = u8(p, 9), len = p.length - ihl;
            long pseudo = u16(p, 12) + u16(p, 14) + u16(p, 16) + u16(p, 18) + proto + len;
            return verify(p, proto, ihl, len, pseudo, false);
        }
        if (v == 6) {
            int[] loc = upper6(p);
            if (loc == null || isFragment6(p) || u16(p, 4) != p.length - 40) return L4.NOT_CHECKED;
            int proto = loc[0], off = loc[1], len = p.length - off;
            long pseudo = sum(p, 8, 32, 0) + len + proto;
            return verify(p, proto, off, len, pseudo, true);
        }
        return L4.NOT_CHECKED;
    }

    private static L4 verify(byte[] p, int proto, int off, int len, long pseudo, boolean v6) {
        switch (proto) {
            case 17 -> {
                if (len < 8) return L4.NOT_CHECKED;
                if (u16(p, off + 6) == 0) return v6 ? L4.INVALID : L4.NOT_CHECKED;
                if (u16(p, off + 4) != len) return L4.NOT_CHECKED;
                return fold(sum(p, off, len, pseudo)) == 0xffff ? L4.VALID : L4.INVALID;
            }
            case 6 -> {
                if (len < 20) return L4.NOT_CHECKED;
                return fold(sum(p, off, len, pseudo)) == 0xffff ? L4.VALID : L4.INVALID;
            }
            case 1 -> {
                if (v6 || len < 8) return L4.NOT_CHECKED;
                return fold(sum(p, off, len, 0)) == 0xffff ? L4.VALID : L4.INVALID;
            }
            case 58 -> {
                if (!v6 || len < 8) return L4.NOT_CHECKED;
                return fold(sum(p, off, len, pseudo)) == 0xffff ? L4.VALID : L4.INVALID;
            }
            default -> { return L4.NOT_CHECKED; }
        }
    }
}
