package ferry.translate.prop;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.testkit.PacketCheck;
import ferry.translate.Verdict;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Issue 2: "round trip 4→6→4 and 6→4→6 through a 1:1 EAMT returns the input except TTL/hop limit and checksums".
 *
 * <p>Setup: {@link Setup#plain} (Jool's defaults: traffic class and TOS copied, no UDP-zero amending, MTU 1500,
 * lowest-ipv6-mtu 1280) with the EAMT 2001:db8:6::/120 ↔ 192.0.2.0/24 and 2001:db8:4::/120 ↔ 203.0.113.0/24 and
 * pool6 64:ff9b::/96 or 2001:db8:100::/40; addresses are EAMT addresses or 198.51.100.2–127 through pool6 (both map
 * 1:1, and none of them hairpins). Inputs ({@link PacketGen#roundTrip4}, {@link PacketGen#roundTrip6}): TTL/hop limit
 * 3..255, UDP with a checksum, TCP, ICMP echo (unfragmented only) or an opaque protocol, any TOS/traffic class, no
 * IPv4 options and no IPv6 extension header but a Fragment header, small enough that no step fragments; a tenth
 * carry a deliberately wrong transport checksum. The input goes through the facade once, its single output through
 * the same facade again; both steps must be EMIT with exactly one packet.
 *
 * <p>The comparison, field by field (everything not listed must be byte-for-byte equal):
 * <ul>
 *   <li>TTL / Hop Limit: output = input − 2 (RFC 7915 §4.1, §5.1: each translation decrements it once).</li>
 *   <li>IPv4 Header Checksum: recomputed; checked valid (with everything else) by {@link PacketCheck#problems}.</li>
 *   <li>IPv4 Identification and DF of an unfragmented packet: not compared. The IPv6 packet has no Fragment header
 *       (RFC 7915 §4.1, RFC 8021: no atomic fragments), so the way back sets DF by size and generates or zeroes
 *       the Identification (RFC 7915 §5.1, RFC 6864). MF and Fragment Offset must be 0.</li>
 *   <li>IPv4 fragments (DF=0): Identification, MF and Fragment Offset compared exactly (they travel in the Fragment
 *       header, RFC 7915 §4.1 and §5.1).</li>
 *   <li>IPv6 Flow Label: output 0 (RFC 7915 §4.1 "Flow Label: 0 (all zero bits)"), whatever the input.</li>
 *   <li>IPv6 Fragment header Identification: output = input's low-order 16 bits (RFC 7915 §5.1 copies the low 16
 *       bits into IPv4; §4.1 sets the high 16 bits to zero on the way back). Reserved octet 0; everything else
 *       equal.</li>
 *   <li>Transport checksum (UDP, TCP, ICMP echo, in unfragmented packets and first fragments): equal up to the
 *       one's-complement ambiguity of zero (0x0000 ≡ 0xffff; for UDP only 0xffff, since 0 means "no checksum"),
 *       because it is updated incrementally both ways (RFC 1624). A wrong checksum therefore stays wrong.</li>
 * </ul>
 */
class RoundTripPropertyTest {

    @Provide
    Arbitrary<Case> ipv4Packets() {
        return Gens.plainCases((g, c) -> g.roundTrip4(c));
    }

    @Provide
    Arbitrary<Case> ipv6Packets() {
        return Gens.plainCases((g, c) -> g.roundTrip6(c));
    }

    @Property(tries = 2000)
    void ipv4ToIpv6AndBackReturnsTheInputButForTtlAndChecksums(@ForAll("ipv4Packets") Case c) {
        List<String> v = new ArrayList<>();
        byte[] out = roundTrip(c, 6, v);
        if (out != null) diff4(c.input(), out, v);
        assertThat(v).as("%s", c).isEmpty();
    }

    @Property(tries = 2000)
    void ipv6ToIpv4AndBackReturnsTheInputButForHopLimitFlowLabelAndChecksums(@ForAll("ipv6Packets") Case c) {
        List<String> v = new ArrayList<>();
        byte[] out = roundTrip(c, 4, v);
        if (out != null) diff6(c.input(), out, v);
        assertThat(v).as("%s", c).isEmpty();
    }

    /** Both legs through one facade; returns the final packet, or null (with the reason in {@code v}). */
    static byte[] roundTrip(Case c, int middleVersion, List<String> v) {
        Harness h = new Harness(c.setup());
        Harness.Outcome first = h.run(c.input(), c.tail());
        if (!single(first, middleVersion, "first leg", v)) return null;
        byte[] middle = first.emitted().get(0);
        v.addAll(PacketCheck.problems(middle, 1500).stream().map(p -> "middle: " + p).toList());
        Harness.Outcome second = h.run(middle, c.tail());
        if (!single(second, middleVersion == 6 ? 4 : 6, "second leg", v)) return null;
        byte[] out = second.emitted().get(0);
        v.addAll(PacketCheck.problems(out, 1500).stream().map(p -> "out: " + p).toList());
        return out;
    }

    private static boolean single(Harness.Outcome o, int version, String leg, List<String> v) {
        if (o.verdict() != Verdict.EMIT || o.emitted().size() != 1 || Oracle.version(o.emitted().get(0)) != version) {
            v.add(leg + " should emit one IPv" + version + " packet: " + o);
            return false;
        }
        return true;
    }

    static void diff4(byte[] in, byte[] out, List<String> v) {
        if (out.length != in.length) { v.add("length " + out.length + " != " + in.length + " out=" + Harness.hex(out)); return; }
        eq(v, "version/IHL", out, in, 0, 1);
        eq(v, "TOS", out, in, 1, 2);
        eq(v, "total length", out, in, 2, 4);
        if (PacketCheck.isFragment(in)) {
            eq(v, "identification", out, in, 4, 6);
            eq(v, "flags/fragment offset", out, in, 6, 8);
        } else if ((Oracle.u16(out, 6) & 0xbfff) != 0) {
            v.add("unfragmented packet came back with flags/offset " + Integer.toHexString(Oracle.u16(out, 6)));
        }
        if ((out[8] & 0xff) != (in[8] & 0xff) - 2) v.add("TTL " + (out[8] & 0xff) + " != " + (in[8] & 0xff) + " - 2");
        eq(v, "protocol", out, in, 9, 10);
        eq(v, "addresses", out, in, 12, 20);
        boolean first = (Oracle.u16(in, 6) & 0x1fff) == 0;
        payload(v, in, out, 20, first ? checksumAt(in[9] & 0xff, 1) : -1, (in[9] & 0xff) == 17);
    }

    static void diff6(byte[] in, byte[] out, List<String> v) {
        if (out.length != in.length) { v.add("length " + out.length + " != " + in.length + " out=" + Harness.hex(out)); return; }
        if ((Oracle.u16(out, 0) >>> 4) != (Oracle.u16(in, 0) >>> 4)) v.add("version/traffic class differ");
        if ((Oracle.u32(out, 0) & 0xfffff) != 0) v.add("flow label not 0");
        eq(v, "payload length/next header", out, in, 4, 7);
        if ((out[7] & 0xff) != (in[7] & 0xff) - 2) v.add("hop limit " + (out[7] & 0xff) + " != " + (in[7] & 0xff) + " - 2");
        eq(v, "addresses", out, in, 8, 40);
        int l4 = 40, proto = in[6] & 0xff;
        boolean first = true;
        if (proto == 44) {
            eq(v, "fragment next header", out, in, 40, 41);
            if (out[41] != 0) v.add("fragment header reserved octet " + out[41]);
            eq(v, "fragment offset/M", out, in, 42, 44);
            if (Oracle.u32(out, 44) != (Oracle.u32(in, 44) & 0xffff))
                v.add("fragment identification " + Long.toHexString(Oracle.u32(out, 44)) + " != low 16 bits of "
                        + Long.toHexString(Oracle.u32(in, 44)));
            first = (Oracle.u16(in, 42) & 0xfff8) == 0;
            proto = in[40] & 0xff;
            l4 = 48;
        }
        payload(v, in, out, l4, first ? checksumAt(proto, 58) : -1, proto == 17);
    }

    /** Offset of the checksum in the transport header, or -1 when the protocol has none the translator touches. */
    private static int checksumAt(int proto, int icmp) {
        if (proto == 17) return 6;
        if (proto == 6) return 16;
        if (proto == icmp) return 2;
        return -1;
    }

    private static void payload(List<String> v, byte[] in, byte[] out, int l4, int cs, boolean udp) {
        if (cs < 0 || l4 + cs + 2 > in.length) {
            eq(v, "payload", out, in, l4, in.length);
            return;
        }
        eq(v, "transport bytes before the checksum", out, in, l4, l4 + cs);
        eq(v, "transport bytes after the checksum", out, in, l4 + cs + 2, in.length);
        int a = Oracle.u16(in, l4 + cs), b = Oracle.u16(out, l4 + cs);
        boolean same = a == b || (!udp && (a == 0 || a == 0xffff) && (b == 0 || b == 0xffff))
                || (udp && a == 0xffff && b == 0xffff);
        if (!same) v.add("transport checksum " + Integer.toHexString(b) + " != " + Integer.toHexString(a));
        // the ICMP type changes 8/0 -> 128/129 -> 8/0: covered by "before the checksum"
    }

    private static void eq(List<String> v, String what, byte[] out, byte[] in, int from, int to) {
        if (!Arrays.equals(out, from, to, in, from, to)) {
            v.add(what + " differ: " + Harness.hex(Arrays.copyOfRange(out, from, Math.min(to, from + 48))) + " != "
                    + Harness.hex(Arrays.copyOfRange(in, from, Math.min(to, from + 48))));
        }
    }
}
