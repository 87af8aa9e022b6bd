package ferry.translate;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Ipv4;
import ferry.addr.Ipv6;
import ferry.addr.Prefix4;
import ferry.addr.Rfc6052;
import ferry.metrics.Counter;
import ferry.metrics.Counters;
import ferry.packet.Bytes;
import ferry.packet.Checksum;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Test helpers for {@link Translator46}: an RFC 6052 mapper, settings, a run harness and packet readers. */
final class Translator46Fixture {
    private Translator46Fixture() {}

    static final Rfc6052 POOL6 = Rfc6052.parse("2001:db8:100::/40");
    static final int TAIL = 256;

    /** pool6-only stateless mapper (RFC 6052 embedding of both addresses) with switches to make it fail. */
    static final class PrefixMapper implements AddressMapper {
        Counter failOuter, failInner;
        /** Outer source has no mapping: destination mapped, DROP_SRC_UNTRANSLATABLE returned (mapper convention). */
        boolean outerSrcUntranslatable;
        /** When set, every mapped IPv6 source/destination is replaced by these (to test never-translated results). */
        long[] forceSrc6, forceDst6;
        /** Added to ports (and the ICMP identifier) like a stateful mapper would rewrite them. */
        int portDelta;
        final List<String> calls = new ArrayList<>();

        @Override
        public Counter map64(Tuple t) {
            return Counter.DROP_INTERNAL_ERROR;
        }

        @Override
        public Counter map46(Tuple t) {
            calls.add((t.inner ? "inner " : "outer ") + Ipv4.format(t.src4) + "->" + Ipv4.format(t.dst4)
                    + " proto " + t.proto + " ports " + t.srcPort + "," + t.dstPort + (t.icmpError ? " icmpError" : ""));
            Counter fail = t.inner ? failInner : failOuter;
            if (fail != null) return fail;
            if (outerSrcUntranslatable && !t.inner) {
                t.dstHi = POOL6.embedHi(t.dst4);
                t.dstLo = POOL6.embedLo(t.dst4);
                return Counter.DROP_SRC_UNTRANSLATABLE;
            }
            t.srcHi = POOL6.embedHi(t.src4);
            t.srcLo = POOL6.embedLo(t.src4);
            t.dstHi = POOL6.embedHi(t.dst4);
            t.dstLo = POOL6.embedLo(t.dst4);
            if (forceSrc6 != null) {
                t.srcHi = forceSrc6[0];
                t.srcLo = forceSrc6[1];
            }
            if (forceDst6 != null) {
                t.dstHi = forceDst6[0];
                t.dstLo = forceDst6[1];
            }
            if (portDelta != 0) {
                t.srcPort = (t.srcPort + portDelta) & 0xffff;
                t.dstPort = (t.dstPort + portDelta) & 0xffff;
            }
            return null;
        }
    }

    /** pool6-only mapper that records nothing (for fuzzing and allocation measurements). */
    static final class PrefixMapperQuiet implements AddressMapper {
        @Override
        public Counter map64(Tuple t) {
            return Counter.DROP_INTERNAL_ERROR;
        }

        @Override
        public Counter map46(Tuple t) {
            t.srcHi = POOL6.embedHi(t.src4);
            t.srcLo = POOL6.embedLo(t.src4);
            t.dstHi = POOL6.embedHi(t.dst4);
            t.dstLo = POOL6.embedLo(t.dst4);
            return null;
        }
    }

    /** Mutable settings with Jool's defaults, 1500-byte MTUs and 198.51.100.1 as the translator's own address. */
    static final class Config {
        boolean zeroizeTrafficClass;
        int[] plateaus = TranslatorSettings.DEFAULT_PLATEAUS;
        boolean amendUdpChecksumZero;
        int lowestIpv6Mtu = 1280;
        Prefix4 rfc6791v4;
        boolean randomizeRfc6791 = true;
        Prefix4 ipv4Address = Prefix4.parse("198.51.100.1/32");
        ferry.addr.Prefix6 rfc6791v6;
        ferry.addr.Prefix6 ipv6Address;
        int ipv4Mtu = 1500;
        int ipv6Mtu = 1500;

        TranslatorSettings build() {
            return new TranslatorSettings(zeroizeTrafficClass, false, 0, plateaus, amendUdpChecksumZero,
                    lowestIpv6Mtu, rfc6791v4, rfc6791v6, randomizeRfc6791, ipv4Address, ipv6Address, ipv4Mtu, ipv6Mtu,
                    EamHairpinMode.INTRINSIC);
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
    }

    /** A translator under test with its own mapper and counters. */
    static final class Harness {
        final Config config = new Config();
        final PrefixMapper mapper = new PrefixMapper();
        int tail = TAIL;

        Run run(byte[] packet) {
            return run(packet, packet.length);
        }

        /** Runs {@code n} packets through one translator (its PRNG advancing), each with its own counters view. */
        List<Run> runAll(int n, java.util.function.IntFunction<byte[]> packets) {
            Counters counters = new Counters();
            Translator46 t = new Translator46(config.build(), mapper, counters, 12345);
            List<Run> runs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Map<Counter, Long> before = counters.snapshot();
                byte[] p = packets.apply(i);
                Run r = run(t, counters, p, p.length);
                Counters delta = new Counters();
                for (Map.Entry<Counter, Long> e : counters.snapshot().entrySet()) {
                    long d = e.getValue() - before.getOrDefault(e.getKey(), 0L);
                    if (d != 0) delta.add(e.getKey(), d);
                }
                runs.add(new Run(r.verdict(), r.out(), delta));
            }
            return runs;
        }

        Run run(byte[] packet, int len) {
            Counters counters = new Counters();
            Translator46 t = new Translator46(config.build(), mapper, counters, 12345);
            return run(t, counters, packet, len);
        }

        Run run(Translator46 t, Counters counters, byte[] packet, int len) {
            MemorySegment seg = MemorySegment.ofArray(new byte[Translator.HEADROOM + Math.max(packet.length, len) + tail]);
            MemorySegment.copy(MemorySegment.ofArray(packet), 0, seg, Translator.HEADROOM, packet.length);
            List<byte[]> out = new ArrayList<>();
            Verdict v = t.translate(seg, Translator.HEADROOM, len,
                    (b, o, l) -> out.add(b.asSlice(o, l).toArray(ValueLayout.JAVA_BYTE)));
            return new Run(v, out, counters);
        }
    }

    // ------------------------------------------------------------------ readers

    static MemorySegment seg(byte[] b) {
        return MemorySegment.ofArray(b);
    }

    static int u8(byte[] b, int off) {
        return b[off] & 0xff;
    }

    static int u16(byte[] b, int off) {
        return Bytes.u16(seg(b), off);
    }

    static long u32(byte[] b, int off) {
        return Bytes.u32(seg(b), off);
    }

    static String src6(byte[] b) {
        return Ipv6.format(Bytes.i64(seg(b), 8), Bytes.i64(seg(b), 16));
    }

    static String dst6(byte[] b) {
        return Ipv6.format(Bytes.i64(seg(b), 24), Bytes.i64(seg(b), 32));
    }

    static String src4(byte[] b) {
        return Ipv4.format(Bytes.i32(seg(b), 12));
    }

    static String dst4(byte[] b) {
        return Ipv4.format(Bytes.i32(seg(b), 16));
    }

    /** The IPv6 form of an IPv4 literal under the test pool6. */
    static String v6(String v4) {
        int a = Ipv4.parse(v4);
        return Ipv6.format(POOL6.embedHi(a), POOL6.embedLo(a));
    }

    /** Offset of the upper layer in an IPv6 packet that has at most a Fragment header. */
    static int l4Offset6(byte[] p) {
        return u8(p, 6) == 44 ? 48 : 40;
    }

    /** The upper-layer protocol of an IPv6 packet that has at most a Fragment header. */
    static int proto6(byte[] p) {
        return u8(p, 6) == 44 ? u8(p, 40) : u8(p, 6);
    }

    /** Checksum verification over the IPv6 pseudo-header (RFC 8200 §8.1) and the upper-layer bytes present. */
    static boolean l4ChecksumValid6(byte[] p) {
        int at = l4Offset6(p);
        int len = p.length - at;
        MemorySegment s = seg(p);
        int pseudo = Checksum.pseudo6(Bytes.i64(s, 8), Bytes.i64(s, 16), Bytes.i64(s, 24), Bytes.i64(s, 32),
                proto6(p), len);
        return Checksum.add(pseudo, Checksum.sum(s, at, len)) == 0xffff;
    }

    /** A structural check every emitted IPv6 packet must pass: version 6, payload length matches, flow label 0. */
    static void assertWellFormedIpv6(byte[] p) {
        assertThat(u8(p, 0) >>> 4).as("version").isEqualTo(6);
        assertThat(u16(p, 4)).as("payload length").isEqualTo(p.length - 40);
        assertThat(u32(p, 0) & 0xfffff).as("flow label").isZero();
    }

    /** Header checksum and ICMPv4 checksum of a generated error. */
    static void assertValidIcmp4Error(byte[] p, int type, int code) {
        assertThat(u8(p, 0)).isEqualTo(0x45);
        assertThat(u16(p, 2)).isEqualTo(p.length);
        assertThat(Checksum.sum(seg(p), 0, 20)).as("IPv4 header checksum").isEqualTo(0xffff);
        assertThat(u8(p, 9)).isEqualTo(1);
        assertThat(u8(p, 20)).as("ICMP type").isEqualTo(type);
        assertThat(u8(p, 21)).as("ICMP code").isEqualTo(code);
        assertThat(Checksum.sum(seg(p), 20, p.length - 20)).as("ICMP checksum").isEqualTo(0xffff);
        assertThat(p.length).isLessThanOrEqualTo(576);
    }

    static byte[] slice(byte[] b, int from, int to) {
        return java.util.Arrays.copyOfRange(b, from, to);
    }
}
