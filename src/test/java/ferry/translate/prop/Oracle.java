package ferry.translate.prop;

import ferry.metrics.Counter;
import ferry.testkit.PacketCheck;
import ferry.testkit.PacketCheck.L4;
import ferry.translate.TranslatorSettings;
import ferry.translate.Verdict;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The properties every translation must have, whatever the input, as a list of violations (empty: all hold). Shared
 * by the jqwik properties and the Jazzer fuzz targets. Each check reads the bytes with {@link PacketCheck}, written
 * without the project's flyweights.
 */
public final class Oracle {
    private Oracle() {}

    /** Every check below. */
    public static List<String> violations(Setup setup, Harness.Outcome o) {
        List<String> v = new ArrayList<>();
        neverThrows(o, v);
        if (o.thrown() != null || o.verdict() == null) return v;
        accounting(o, v);
        emittedAreValid(setup.settings(), o, v);
        icmpErrors(o, v);
        transportChecksum(o, v);
        return v;
    }

    /** translate never throws, and never gets as far as its internal-error safety net. */
    static void neverThrows(Harness.Outcome o, List<String> v) {
        if (o.thrown() != null) v.add("translate threw " + o.thrown());
        else if (o.verdict() == null) v.add("verdict null");
        if (o.moved(Counter.DROP_INTERNAL_ERROR) != 0) v.add("drop_internal_error moved (an exception was caught)");
    }

    static boolean isDrop(Counter c) {
        return c.id().startsWith("drop_");
    }

    /**
     * DROP: exactly one drop counter moved, by one, and nothing was emitted. ICMP_ERROR: exactly one drop counter
     * (the reason) and one "error sent" counter moved, and one packet was emitted. EMIT: no drop counter moved, a
     * "translated" counter moved, and something was emitted.
     */
    static void accounting(Harness.Outcome o, List<String> v) {
        if (o.verdict() == null) return; // reported by neverThrows
        long drops = 0;
        for (var e : o.delta().entrySet()) {
            if (e.getValue() < 0) v.add("counter " + e.getKey().id() + " went down");
            if (isDrop(e.getKey())) {
                drops += e.getValue();
                if (e.getValue() != 1) v.add("drop counter " + e.getKey().id() + " moved by " + e.getValue());
            }
        }
        long sent = o.moved(Counter.ICMP4_ERROR_SENT) + o.moved(Counter.ICMP6_ERROR_SENT);
        long ok = o.moved(Counter.XLAT_46_OK) + o.moved(Counter.XLAT_64_OK);
        int n = o.emitted().size();
        switch (o.verdict()) {
            case DROP -> {
                if (drops != 1) v.add("DROP moved " + drops + " drop counters");
                if (n != 0) v.add("DROP emitted " + n + " packets");
            }
            case ICMP_ERROR -> {
                if (drops != 1) v.add("ICMP_ERROR moved " + drops + " drop counters");
                if (sent != 1) v.add("ICMP_ERROR moved the error-sent counters by " + sent);
                if (n != 1) v.add("ICMP_ERROR emitted " + n + " packets");
            }
            case EMIT -> {
                if (drops != 0) v.add("EMIT moved " + drops + " drop counters");
                if (ok < 1) v.add("EMIT moved no xlat_*_ok counter");
                if (n < 1) v.add("EMIT emitted nothing");
            }
        }
    }

    /**
     * Every emitted packet passes {@link PacketCheck#problems} with the MTU of the side it leaves on (IPv4:
     * ipv4-mtu, IPv6: ipv6-mtu); 4→6 packets from an IPv4 packet with DF=0 are also no larger than lowest-ipv6-mtu
     * (RFC 7915 §4.1: such packets are fragmented to fit it).
     */
    static void emittedAreValid(TranslatorSettings s, Harness.Outcome o, List<String> v) {
        byte[] in = o.input();
        boolean df0 = version(in) == 4 && in.length >= 20 && (in[6] & 0x40) == 0;
        for (byte[] p : o.emitted()) {
            int mtu = version(p) == 4 ? s.ipv4Mtu() : s.ipv6Mtu();
            if (df0 && version(p) == 6) mtu = Math.min(mtu, s.lowestIpv6Mtu());
            for (String problem : PacketCheck.problems(p, mtu)) v.add("emitted " + Harness.hex(head(p)) + ": " + problem);
        }
    }

    /**
     * At most one ICMP error per input, none generated about an ICMP error or (IPv4) a non-first fragment; every
     * emitted ICMP error has a valid checksum; a generated one (verdict ICMP_ERROR) goes back to the input's source
     * in the input's IP version, quotes the input as received, and is never sent to an address that is not a single
     * host (RFC 1812 §4.3.2.7, RFC 4443 §2.4 (e)).
     */
    static void icmpErrors(Harness.Outcome o, List<String> v) {
        byte[] in = o.input();
        int errors = 0;
        for (byte[] p : o.emitted()) {
            if (!isIcmpError(p)) continue;
            errors++;
            if (PacketCheck.l4(p) != L4.VALID) v.add("emitted ICMP error with checksum " + PacketCheck.l4(p));
        }
        if (errors > 1) v.add(errors + " ICMP errors for one input");
        if (o.verdict() != Verdict.ICMP_ERROR) return;
        if (isIcmpError(in))
            v.add("ICMP error generated about an ICMP error");
        if (version(in) == 4 && in.length >= 20 && (u16(in, 6) & 0x1fff) != 0) v.add("ICMP error about a non-first fragment");
        if (o.emitted().size() != 1) return;
        byte[] e = o.emitted().get(0);
        // An EAM-hairpinned packet (RFC 7757 §4.2) dropped on its second, 4->6, pass gets an ICMPv4 error about the
        // intermediate IPv4 packet, addressed to the IPv4 image of the IPv6 source (it comes back through the
        // translator): only the checks that hold for any error apply.
        if (o.moved(Counter.XLAT_HAIRPIN) > 0) return;
        if (version(e) != version(in)) { v.add("generated error of the other IP version"); return; }
        if (!isIcmpError(e)) { v.add("verdict ICMP_ERROR but the packet emitted is not an ICMP error"); return; }
        if (version(e) == 4) {
            if (!Arrays.equals(e, 16, 20, in, 12, 16)) v.add("ICMPv4 error not sent to the input's source");
            int dst = (int) u32(e, 16);
            int top = dst >>> 24;
            if (top == 0 || top == 127 || (top & 0xf0) == 0xe0 || dst == -1 || (top & 0xf0) == 0xf0)
                v.add("ICMPv4 error sent to a non-unicast address");
            // the datagram is Total Length long (bytes past it are link padding, trimmed); RFC 792: at least the
            // header and 64 bits of data are quoted
            int datagram = Math.min(in.length, u16(in, 2));
            int quoted = Math.min(datagram, e.length - 28);
            if (quoted < Math.min(datagram, 28) || !Arrays.equals(e, 28, 28 + quoted, in, 0, quoted))
                v.add("ICMPv4 error does not quote the input as received");
        } else {
            if (!Arrays.equals(e, 24, 40, in, 8, 24)) v.add("ICMPv6 error not sent to the input's source");
            if ((e[24] & 0xff) == 0xff || allZero(e, 24, 40)) v.add("ICMPv6 error sent to multicast or ::");
            int datagram = Math.min(in.length, 40 + u16(in, 4));
            int quoted = Math.min(datagram, e.length - 48);
            if (quoted < Math.min(datagram, 48) || !Arrays.equals(e, 48, 48 + quoted, in, 0, quoted))
                v.add("ICMPv6 error does not quote the input as received");
        }
    }

    /**
     * The L4 checksum of a translated, unfragmented packet is valid exactly when the input's was: for one emitted
     * packet (not an ICMP error, which is rebuilt with a fresh checksum, and not a fragment), PacketCheck.l4 of the
     * output equals that of the input whenever the input's is VALID or INVALID. An unfragmented IPv4 UDP packet with
     * checksum 0 (NOT_CHECKED) that is translated must come out with a valid checksum (amend-udp-checksum-zero).
     */
    static void transportChecksum(Harness.Outcome o, List<String> v) {
        if (o.verdict() != Verdict.EMIT || o.emitted().size() != 1) return;
        byte[] in = o.input(), out = o.emitted().get(0);
        if (isIcmpError(in) || PacketCheck.isFragment(in) || PacketCheck.isFragment(out)) return;
        L4 a = PacketCheck.l4(in), b = PacketCheck.l4(out);
        // One's complement has two zeros: a checksum field of 0x0000 where 0xffff would verify (data summing to +0,
        // e.g. an all-zero ICMPv4 echo) is INVALID by RFC 1071's test, but an incremental update cannot tell the
        // zeros apart and may turn it into a valid checksum. Tolerated in this direction only (INVALID -> VALID).
        if (a == L4.INVALID && b == L4.VALID && onlyNegativeZeroWrong(in)) return;
        if (a != L4.NOT_CHECKED && a != b) v.add("L4 checksum " + a + " in, " + b + " out");
        if (a == L4.NOT_CHECKED && udp4ZeroChecksum(in) && b != L4.VALID)
            v.add("IPv4 UDP checksum 0 translated to " + b);
    }

    /** True when the packet's transport checksum field is 0x0000 and would verify as 0xffff. */
    static boolean onlyNegativeZeroWrong(byte[] p) {
        int at = checksumOffset(p);
        if (at < 0 || u16(p, at) != 0) return false;
        byte[] q = p.clone();
        q[at] = q[at + 1] = (byte) 0xff;
        return PacketCheck.l4(q) == L4.VALID;
    }

    /** Offset of the transport checksum of an unfragmented packet with a sane header, or -1. */
    static int checksumOffset(byte[] p) {
        int proto, l4;
        if (version(p) == 4 && p.length >= 20) {
            proto = p[9] & 0xff;
            l4 = (p[0] & 0x0f) * 4;
        } else if (version(p) == 6) {
            int[] loc = PacketCheck.upper6(p);
            if (loc == null) return -1;
            proto = loc[0];
            l4 = loc[1];
        } else {
            return -1;
        }
        int at = switch (proto) {
            case 1, 58 -> l4 + 2;
            case 6 -> l4 + 16;
            case 17 -> l4 + 6;
            default -> -1;
        };
        return at >= 0 && at + 2 <= p.length ? at : -1;
    }

    // ------------------------------------------------------------------------------------------ byte helpers

    static int version(byte[] p) {
        return p.length == 0 ? -1 : (p[0] & 0xff) >>> 4;
    }

    static int u16(byte[] p, int i) {
        return ((p[i] & 0xff) << 8) | (p[i + 1] & 0xff);
    }

    static long u32(byte[] p, int i) {
        return ((long) u16(p, i) << 16) | u16(p, i + 2);
    }

    private static boolean allZero(byte[] p, int from, int to) {
        for (int i = from; i < to; i++) if (p[i] != 0) return false;
        return true;
    }

    private static byte[] head(byte[] p) {
        return Arrays.copyOf(p, Math.min(p.length, 48));
    }

    /**
     * True for an ICMPv4 error (types 3, 4, 5, 11, 12 in an unfragmented or first-fragment packet with a sane
     * header) or an ICMPv6 error (type < 128 behind the extension headers, first fragment).
     */
    public static boolean isIcmpError(byte[] p) {
        int ver = version(p);
        if (ver == 4) {
            if (p.length < 20) return false;
            int ihl = (p[0] & 0x0f) * 4;
            int len = Math.min(p.length, u16(p, 2));
            if (ihl < 20 || ihl >= len || (p[9] & 0xff) != 1 || (u16(p, 6) & 0x1fff) != 0) return false;
            int type = p[ihl] & 0xff;
            return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
        }
        if (ver == 6) {
            // walk the chain; behind the first Fragment header with a non-zero offset there are no headers, only
            // fragment data
            // (bytes past Payload Length are not part of the datagram)
            if (p.length < 40) return false;
            int len = Math.min(p.length, 40 + u16(p, 4));
            int nh = p[6] & 0xff, off = 40, count = 0;
            while (nh == 0 || nh == 43 || nh == 60 || nh == 44) {
                if (off + 8 > len || ++count > 200) return false;
                if (nh == 44 && (u16(p, off + 2) & 0xfff8) != 0) return false;
                int next = p[off] & 0xff;
                off += nh == 44 ? 8 : ((p[off + 1] & 0xff) + 1) * 8;
                nh = next;
            }
            return nh == 58 && off < len && (p[off] & 0xff) < 128;
        }
        return false;
    }

    static boolean udp4ZeroChecksum(byte[] p) {
        if (version(p) != 4 || p.length < 28 || (p[9] & 0xff) != 17) return false;
        int ihl = (p[0] & 0x0f) * 4;
        return ihl >= 20 && ihl + 8 <= p.length && u16(p, 2) == p.length && u16(p, ihl + 6) == 0
                && u16(p, ihl + 4) == p.length - ihl && !PacketCheck.isFragment(p);
    }
}
