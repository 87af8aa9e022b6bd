package ferry.clat;

import ferry.addr.Ipv4;
import ferry.addr.Ipv6;
import ferry.addr.Prefix4;
import ferry.addr.Prefix6;
import ferry.addr.Rfc6052;
import ferry.metrics.Counters;
import ferry.translate.EamHairpinMode;
import ferry.translate.IpTranslator;
import ferry.translate.Translator;
import ferry.translate.TranslatorSettings;
import ferry.translate.Verdict;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/** Runs packets through the real {@link IpTranslator} with a {@link ClatMapper}, and reads fields of the output. */
final class ClatHarness {
    static final int IPV6_MTU = 1500;
    /** The island side: the IPv6 MTU minus 28 (IPv6 header growth 20 + a Fragment header 8). */
    static final int IPV4_MTU = IPV6_MTU - 28;
    /** The translator's own IPv4 address on the host side (RFC 7335), source of the ICMPv4 errors it makes. */
    static final Prefix4 OWN4 = Prefix4.parse("192.0.0.2/32");

    final Counters counters = new Counters();
    final PlatPrefixHolder holder;
    final ClatMapper mapper;
    final IpTranslator translator;
    final List<byte[]> out = new ArrayList<>();

    ClatHarness(String platPrefix, SourceMapping source, boolean wkpStrict) {
        holder = new PlatPrefixHolder(new PlatPrefix(Rfc6052.parse(platPrefix), PlatSource.CONFIGURED, Long.MAX_VALUE));
        mapper = new ClatMapper(holder, source, wkpStrict);
        TranslatorSettings s = new TranslatorSettings(false, false, 0, TranslatorSettings.DEFAULT_PLATEAUS, false,
                1280, null, null, false, OWN4, source.ownIpv6(OWN4), IPV4_MTU, IPV6_MTU, EamHairpinMode.OFF);
        translator = new IpTranslator(s, mapper, counters);
    }

    Verdict run(byte[] packet) {
        MemorySegment buf = MemorySegment.ofArray(new byte[Translator.HEADROOM + packet.length + 256]);
        MemorySegment.copy(MemorySegment.ofArray(packet), 0, buf, Translator.HEADROOM, packet.length);
        return translator.translate(buf, Translator.HEADROOM, packet.length,
                (b, o, l) -> out.add(b.asSlice(o, l).toArray(ValueLayout.JAVA_BYTE)));
    }

    byte[] last() {
        return out.getLast();
    }

    static int u8(byte[] p, int at) {
        return p[at] & 0xff;
    }

    static int u16(byte[] p, int at) {
        return (u8(p, at) << 8) | u8(p, at + 1);
    }

    static int i32(byte[] p, int at) {
        return (u16(p, at) << 16) | u16(p, at + 2);
    }

    static long i64(byte[] p, int at) {
        return ((long) i32(p, at) << 32) | (i32(p, at + 4) & 0xffff_ffffL);
    }

    static String src4(byte[] p) {
        return Ipv4.format(i32(p, 12));
    }

    static String dst4(byte[] p) {
        return Ipv4.format(i32(p, 16));
    }

    static String src6(byte[] p) {
        return Ipv6.format(i64(p, 8), i64(p, 16));
    }

    static String dst6(byte[] p) {
        return Ipv6.format(i64(p, 24), i64(p, 32));
    }

    static String fmt6(String text) {
        long[] a = Ipv6.parse(text);
        return Ipv6.format(a[0], a[1]);
    }

    static Prefix6 p6(String s) {
        return Prefix6.parse(s);
    }
}
