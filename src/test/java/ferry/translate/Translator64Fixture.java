package ferry.translate;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Denylist4;
import ferry.addr.EamEntry;
import ferry.addr.Eamt;
import ferry.addr.Ipv4;
import ferry.addr.Ipv6;
import ferry.addr.Prefix4;
import ferry.addr.Prefix6;
import ferry.addr.Rfc6052;
import ferry.metrics.Counter;
import ferry.metrics.Counters;
import ferry.packet.Bytes;
import ferry.packet.Checksum;
import ferry.packet.PacketBuilder;
import ferry.siit.SiitMapper;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Test helpers for {@link Translator64}: the SIIT mapper of the examples (pool6 64:ff9b::/96; the EAMT maps the
 * IPv6 hosts 2001:db8:6::/120 to 192.0.2.0/24), settings, a run harness and packet checks that recompute every
 * checksum independently of the translator.
 */
final class Translator64Fixture {
    private Translator64Fixture() {}

    /** An IPv6 host with an explicit mapping (192.0.2.5). */
    static final String H6 = "2001:db8:6::5";
    static final int H4 = Ipv4.parse("192.0.2.5");
    /** An IPv4 host through pool6. */
    static final String R6 = "64:ff9b::198.51.100.9";
    static final int R4 = Ipv4.parse("198.51.100.9");
    /** A router in the IPv6 network with no IPv4 mapping. */
    static final String ROUTER6 = "2001:db8:99::1";
    /** The translator's own addresses (sources of the errors it generates). */
    static final int OWN4 = Ipv4.parse("198.51.100.1");
    static final String OWN6 = "2001:db8:ffff::1";
    static final Rfc6052 POOL6 = Rfc6052.parse("64:ff9b::/96");
    static final Eamt EAMT = Eamt.of(List.of(EamEntry.parse("2001:db8:6::/120", "192.0.2.0/24")));
    static final int TAIL = 256;

    static PacketBuilder v6() {
        return PacketBuilder.ipv6(H6, R6);
    }

    static long[] a6(String text) {
        return Ipv6.parse(text);
    }

    /** Mutable settings: Jool's defaults, 1500-byte MTUs, the translator's own addresses set, no RFC 6791 pools. */
    static final class Config {
        boolean overrideTos;
        int tos;
        Prefix4 rfc6791v4;
        Prefix6 rfc6791v6;
        boolean randomizeRfc6791;
        Prefix4 ipv4Address = Prefix4.parse("198.51.100.1/32");
        Prefix6 ipv6Address = Prefix6.parse(OWN6 + "/128");
        int ipv4Mtu = 1500;
        int ipv6Mtu = 1500;
        EamHairpinMode hairpin = EamHairpinMode.INTRINSIC;

        TranslatorSettings build() {
            return new TranslatorSettings(false, overrideTos, tos, TranslatorSettings.DEFAULT_PLATEAUS, false, 1280,
                    rfc6791v4, rfc6791v6, randomizeRfc6791, ipv4Address, ipv6Address, ipv4Mtu, ipv6Mtu, hairpin);
        }
    }

    /** One translation: verdict, emitted packets (copies), counters. */
    record Run(Verdict verdict, List<byte[]> out, Counters counters) {
        byte[] only() {
            assertThat(out).hasSize(1);
            return out.get(0);
        }

        Map<Counter, Long> counts() {
            return counters.snapshot();
        }

        /** Asserts the packet was dropped with exactly this counter and nothing was emitted. */
        void droppedWith(Counter c) {
            assertThat(verdict).isEqualTo(Verdict.DROP);
            assertThat(out).isEmpty();
            assertThat(counts()).containsExactly(Map.entry(c, 1L));
        }

        /** Asserts the packet was answered with one ICMPv6 error, counting {@code c}; returns the error. */
        byte[] answeredWith(Counter c) {
            assertThat(verdict).isEqualTo(Verdict.ICMP_ERROR);
            assertThat(counts()).containsOnly(Map.entry(c, 1L), Map.entry(Counter.ICMP6_ERROR_SENT, 1L));
            return only();
        }

        /** Asserts one translated packet; returns it. */
        byte[] translated() {
            assertThat(counts()).containsExactly(Map.entry(Counter.XLAT_64_OK, 1L));
            assertThat(verdict).isEqualTo(Verdict.EMIT);
            return only();
        }
    }

    /** A translator under test (SiitMapper over the fixture's pool6 and EAMT unless replaced). */
    static final class Harness {
        final Config config = new Config();
        AddressMapper mapper = new SiitMapper(POOL6, EAMT, Denylist4.EMPTY, true);
        int tail = TAIL;
        int seed = 12345;

        Run run(byte[] packet) {
            return run(packet, packet.length);
        }

        /** Runs the packet, claiming {@code len} bytes (0..packet.length) were read. */
        Run run(byte[] packet, int len) {
            Counters counters = new Counters();
            Translator64 t = new Translator64(config.build(), mapper, counters, seed);
            return run(t, counters, packet, len);
        }

        static Run run(Translator64 t, Counters counters, byte[] packet, int len) {
            MemorySegment buf = MemorySegment.ofArray(new byte[Translator.HEADROOM + packet.length + TAIL]);
            MemorySegment.copy(MemorySegment.ofArray(packet), 0, buf, Translator.HEADROOM, packet.length);
            List<byte[]> out = new ArrayList<>();
            Verdict v = t.translate(buf, Translator.HEADROOM, len,
                    (b, o, l) -> out.add(b.asSlice(o, l).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
            return new Run(v, out, counters);
        }
    }

    // ------------------------------------------------------------------------------------------ readers

    static MemorySegment seg(byte[] p) {
        return MemorySegment.ofArray(p);
    }

    static int u8(byte[] p, int at) {
        return p[at] & 0xff;
    }

    static int u16(byte[] p, int at) {
        return Bytes.u16(seg(p), at);
    }

    static int i32(byte[] p, int at) {
        return Bytes.i32(seg(p), at);
    }

    /** Checks an IPv4 packet: version 4, IHL 5, Total Length = bytes, header checksum valid. */
    static void assertIpv4(byte[] p) {
        assertThat(p.length).isGreaterThanOrEqualTo(20);
        assertThat(u8(p, 0)).as("version/IHL").isEqualTo(0x45);
        assertThat(u16(p, 2)).as("total length").isEqualTo(p.length);
        assertThat(Checksum.sum(p, 0, 20)).as("IPv4 header checksum").isEqualTo(0xffff);
    }

    /** True when the IPv4 packet's TCP/UDP (pseudo-header) or ICMP (no pseudo-header) checksum verifies. */
    static boolean l4ChecksumValid4(byte[] p) {
        int proto = u8(p, 9);
        int l4 = p.length - 20;
        if (proto == 1) return Checksum.sum(p, 20, l4) == 0xffff;
        int pseudo = Checksum.pseudo4(i32(p, 12), i32(p, 16), proto, l4);
        return Checksum.add(pseudo, Checksum.sum(p, 20, l4)) == 0xffff;
    }

    /** Checks an IPv6 packet carrying ICMPv6: Payload Length = bytes - 40, ICMPv6 checksum valid; returns its type. */
    static int assertIcmp6(byte[] p) {
        assertThat(u8(p, 0) >>> 4).isEqualTo(6);
        assertThat(u16(p, 4)).as("payload length").isEqualTo(p.length - 40);
        assertThat(u8(p, 6)).as("next header").isEqualTo(58);
        MemorySegment s = seg(p);
        int pseudo = Checksum.pseudo6(Bytes.i64(s, 8), Bytes.i64(s, 16), Bytes.i64(s, 24), Bytes.i64(s, 32), 58,
                p.length - 40);
        assertThat(Checksum.add(pseudo, Checksum.sum(p, 40, p.length - 40))).as("ICMPv6 checksum").isEqualTo(0xffff);
        return u8(p, 40);
    }

    static long hi(byte[] p, int at) {
        return Bytes.i64(seg(p), at);
    }

    static byte[] slice(byte[] p, int from, int to) {
        return java.util.Arrays.copyOfRange(p, from, to);
    }
}
