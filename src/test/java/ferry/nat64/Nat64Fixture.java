package ferry.nat64;

import ferry.addr.Ipv4;
import ferry.addr.Ipv6;
import ferry.addr.Prefix4;
import ferry.addr.Rfc6052;
import ferry.metrics.Counters;
import ferry.packet.IpProto;
import ferry.packet.PacketBuilder;
import ferry.testkit.PacketCheck;
import ferry.translate.IpTranslator;
import ferry.translate.Translator;
import ferry.translate.TranslatorSettings;
import ferry.translate.Verdict;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A NAT64 under test: pool6 64:ff9b::/96, pool4 203.0.113.1 (TCP/UDP ports 1-65535, ICMP identifiers 0-65535
 * unless told otherwise), the IPv6 client 2001:db8::1 (X'), the IPv4 server 198.51.100.7 (Y). Packets go through
 * the real {@link IpTranslator}; the clock is stepped by the test (seconds).
 */
final class Nat64Fixture {
    static final Rfc6052 POOL6 = Rfc6052.parse("64:ff9b::/96");
    static final String X6 = "2001:db8::1", Z6 = "2001:db8::2", Y4 = "198.51.100.7", Y6 = "64:ff9b::c633:6407",
            W4 = "198.51.100.8", T4 = "203.0.113.1", R4 = "192.0.2.254";
    static final long SEC = 1_000_000_000L;

    final Counters counters = new Counters();
    final Nat64Mapper mapper;
    final IpTranslator translator;
    final List<byte[]> out = new ArrayList<>();
    long now = 1000 * SEC;

    Nat64Fixture() {
        this(List.of(new Pool4.Entry(IpProto.TCP, Prefix4.parse(T4 + "/32"), 1, 65535, 0),
                        new Pool4.Entry(IpProto.UDP, Prefix4.parse(T4 + "/32"), 1, 65535, 0),
                        new Pool4.Entry(IpProto.ICMP, Prefix4.parse(T4 + "/32"), 0, 65535, 0)),
                List.of(), Nat64Settings.defaults().withMaxSessions(1024));
    }

    Nat64Fixture(List<Pool4.Entry> pool4, List<StaticBib> statics, Nat64Settings settings) {
        mapper = new Nat64Mapper(POOL6, true, new Pool4(pool4, settings.fArgs(), 42), statics, settings);
        TranslatorSettings ts = new TranslatorSettings(false, false, 0, TranslatorSettings.DEFAULT_PLATEAUS, false,
                1280, null, null, false, Prefix4.parse("192.0.2.1/32"),
                ferry.addr.Prefix6.parse("2001:db8:ffff::1/128"), 1500, 1500,
                ferry.translate.EamHairpinMode.INTRINSIC);
        translator = new IpTranslator(ts, mapper, counters);
    }

    static StaticBib staticBib(int proto, String v6, int port6, String v4, int port4) {
        long[] a = Ipv6.parse(v6);
        return new StaticBib(proto, a[0], a[1], port6, Ipv4.parse(v4), port4);
    }

    /** Translates one packet at the current time; what is emitted is appended to {@link #out}. */
    Verdict send(byte[] packet) {
        out.clear();
        MemorySegment buf = MemorySegment.ofArray(new byte[Translator.HEADROOM + packet.length + 2048]);
        MemorySegment.copy(MemorySegment.ofArray(packet), 0, buf, Translator.HEADROOM, packet.length);
        return translator.translate(buf, Translator.HEADROOM, packet.length, now,
                (b, o, l) -> out.add(b.asSlice(o, l).toArray(ValueLayout.JAVA_BYTE)));
    }

    /** The one emitted packet, checked for valid lengths and checksums. */
    byte[] only() {
        assertThat(out).hasSize(1);
        byte[] p = out.get(0);
        assertThat(PacketCheck.problems(p, 1500)).isEmpty();
        assertThat(PacketCheck.l4(p)).isNotEqualTo(PacketCheck.L4.INVALID);
        return p;
    }

    void advance(long seconds) {
        now += seconds * SEC;
    }

    // ---- builders: X' (IPv6) to Y via pool6, Y to T (pool4)
    static PacketBuilder v6(String src, String dst4) {
        return PacketBuilder.ipv6(src, "64:ff9b::" + dst4);
    }

    static PacketBuilder v4(String src, String dst) {
        return PacketBuilder.ipv4(src, dst);
    }

    // ---- readers
    static int u8(byte[] p, int i) {
        return p[i] & 0xff;
    }

    static int u16(byte[] p, int i) {
        return (u8(p, i) << 8) | u8(p, i + 1);
    }

    static String src4(byte[] p) {
        return Ipv4.format(MemorySegment.ofArray(p).get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 12));
    }

    static String dst4(byte[] p) {
        return Ipv4.format(MemorySegment.ofArray(p).get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 16));
    }

    static String src6(byte[] p) {
        MemorySegment s = MemorySegment.ofArray(p);
        var L = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
        return Ipv6.format(s.get(L, 8), s.get(L, 16));
    }

    static String dst6(byte[] p) {
        MemorySegment s = MemorySegment.ofArray(p);
        var L = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
        return Ipv6.format(s.get(L, 24), s.get(L, 32));
    }

    /** Offset of the transport header (IPv4 with IHL, IPv6 without extension headers). */
    static int l4(byte[] p) {
        return (u8(p, 0) >>> 4) == 4 ? (u8(p, 0) & 15) * 4 : 40;
    }

    static int srcPort(byte[] p) {
        return u16(p, l4(p));
    }

    static int dstPort(byte[] p) {
        return u16(p, l4(p) + 2);
    }

    /** ICMP echo identifier. */
    static int icmpId(byte[] p) {
        return u16(p, l4(p) + 4);
    }

    static int icmpType(byte[] p) {
        return u8(p, l4(p));
    }

    static int icmpCode(byte[] p) {
        return u8(p, l4(p) + 1);
    }
}
