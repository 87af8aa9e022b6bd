package ferry.io.tun;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Denylist4;
import ferry.addr.EamEntry;
import ferry.addr.Eamt;
import ferry.addr.Ipv4;
import ferry.addr.Prefix4;
import ferry.addr.Prefix6;
import ferry.addr.Rfc6052;
import ferry.metrics.Counters;
import ferry.packet.Bytes;
import ferry.packet.Checksum;
import ferry.packet.PacketBuilder;
import ferry.siit.SiitMapper;
import ferry.translate.IpTranslator;
import ferry.translate.Translator;
import ferry.translate.TranslatorSettings;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Partial checksums across translation: a packet in the kernel's NEEDS_CSUM form (the field holds the non-inverted
 * pseudo-header sum), prepared, translated by the real SIIT translator and finished, must become — once the bytes
 * from csum_start on are added as the kernel or NIC would — exactly the translation of the fully checksummed packet.
 */
class VnetChecksumTest {
    static final Rfc6052 POOL6 = Rfc6052.parse("2001:db8:100::/40");
    static final int OFF = 128;

    final Arena arena = Arena.ofConfined();
    final Translator xlat = new IpTranslator(TranslatorSettings.defaults(),
            new SiitMapper(POOL6, Eamt.of(List.of(new EamEntry(Prefix6.parse("2001:db8:6::/120"),
                    Prefix4.parse("192.0.2.0/24")))), Denylist4.EMPTY, true), new Counters());

    @AfterEach
    void close() {
        arena.close();
    }

    record Out(byte[] bytes, int l4) {
    }

    /** Runs the translator on a copy of {@code pkt} placed at OFF; for a partial run, prepare and finish around it. */
    List<Out> translate(byte[] pkt, boolean partial, int csumStart, int csumOffset) {
        MemorySegment buf = arena.allocate(OFF + pkt.length + 4096L);
        MemorySegment.copy(pkt, 0, buf, ValueLayout.JAVA_BYTE, OFF, pkt.length);
        int proto = partial ? VnetChecksum.prepare(buf, OFF, pkt.length, csumStart, csumOffset) : 0;
        if (partial) assertThat(proto).as("prepare keeps TCP/UDP partial").isIn(6, 17);
        List<Out> out = new ArrayList<>();
        xlat.translate(buf, OFF, pkt.length, (b, o, l) -> {
            int l4 = partial ? VnetChecksum.finish(b, o, l, proto, csumOffset) : -1;
            out.add(new Out(b.asSlice(o, l).toArray(ValueLayout.JAVA_BYTE), l4));
        });
        return out;
    }

    /** What the kernel does with a NEEDS_CSUM packet: add the bytes from csum_start on, invert, store. */
    static void complete(byte[] p, int start, int csumOffset) {
        MemorySegment s = MemorySegment.ofArray(p);
        int c = ~Checksum.sum(s, start, p.length - start) & 0xffff;
        Bytes.put16(s, start + csumOffset, c == 0 ? 0xffff : c); // CSUM_MANGLED_0
    }

    static boolean l4ChecksumVerifies(byte[] p, int proto) {
        MemorySegment s = MemorySegment.ofArray(p);
        if ((p[0] & 0xf0) == 0x40) {
            int ihl = (p[0] & 0x0f) * 4;
            int pseudo = Checksum.pseudo4(Bytes.i32(s, 12), Bytes.i32(s, 16), proto, p.length - ihl);
            return Checksum.add(pseudo, Checksum.sum(s, ihl, p.length - ihl)) == 0xffff;
        }
        int pseudo = Checksum.pseudo6(Bytes.i64(s, 8), Bytes.i64(s, 16), Bytes.i64(s, 24), Bytes.i64(s, 32), proto,
                p.length - 40);
        return Checksum.add(pseudo, Checksum.sum(s, 40, p.length - 40)) == 0xffff;
    }

    /** The NEEDS_CSUM form of a correct packet: the field replaced by the folded pseudo-header sum. */
    static byte[] partialForm(byte[] full, int l4, int csumOffset, int proto) {
        byte[] p = full.clone();
        MemorySegment s = MemorySegment.ofArray(p);
        int sum = (p[0] & 0xf0) == 0x40
                ? Checksum.pseudo4(Bytes.i32(s, 12), Bytes.i32(s, 16), proto, p.length - l4)
                : Checksum.pseudo6(Bytes.i64(s, 8), Bytes.i64(s, 16), Bytes.i64(s, 24), Bytes.i64(s, 32), proto,
                        p.length - l4);
        Bytes.put16(s, l4 + csumOffset, sum);
        return p;
    }

    static byte[] packet(boolean v4, boolean tcp, Random r, int payload) {
        byte[] data = new byte[payload];
        r.nextBytes(data);
        PacketBuilder b;
        if (v4) {
            b = PacketBuilder.ipv4(Ipv4.parse("198.51.100." + (1 + r.nextInt(250))),
                    Ipv4.parse("192.0.2." + (1 + r.nextInt(250)))).df(true);
        } else {
            int dst4 = Ipv4.parse("198.51.100." + (1 + r.nextInt(250)));
            b = PacketBuilder.ipv6(0x20010db800060000L, 1 + r.nextInt(250), POOL6.embedHi(dst4), POOL6.embedLo(dst4));
        }
        int sp = 1 + r.nextInt(65535);
        int dp = 1 + r.nextInt(65535);
        return (tcp ? b.tcp(sp, dp).seq(r.nextInt()).ack(r.nextInt()) : b.udp(sp, dp)).payload(data).build();
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"ipv4, tcp", "ipv4, udp", "ipv6, tcp", "ipv6, udp"})
    void partialChecksumTranslatedAndFinishedEqualsTranslationOfTheCompletePacket(String family, String transport) {
        boolean v4 = family.equals("ipv4");
        boolean tcp = transport.equals("tcp");
        int proto = tcp ? 6 : 17;
        int csumOffset = tcp ? 16 : 6;
        int l4In = v4 ? 20 : 40;
        Random r = new Random(7915L + family.hashCode() * 31L + transport.hashCode());
        for (int i = 0; i < 2000; i++) {
            byte[] full = packet(v4, tcp, r, r.nextInt(1200));
            assertThat(l4ChecksumVerifies(full, proto)).as("builder makes a valid packet").isTrue();
            List<Out> reference = translate(full, false, 0, 0);
            List<Out> viaPartial = translate(partialForm(full, l4In, csumOffset, proto), true, l4In, csumOffset);
            assertThat(reference).hasSize(1);
            assertThat(viaPartial).hasSize(1);
            Out o = viaPartial.get(0);
            assertThat(o.l4()).as("csum_start of the translation").isEqualTo(v4 ? 40 : 20);
            byte[] done = o.bytes().clone();
            complete(done, o.l4(), csumOffset);
            assertThat(l4ChecksumVerifies(done, proto)).as("packet %d: finished checksum verifies", i).isTrue();
            byte[] ref = reference.get(0).bytes();
            // equal except for the 0x0000/0xffff spelling of the same checksum
            Bytes.put16(MemorySegment.ofArray(done), o.l4() + csumOffset, 0);
            byte[] refNoCsum = ref.clone();
            Bytes.put16(MemorySegment.ofArray(refNoCsum), o.l4() + csumOffset, 0);
            if (!v4) {
                // 6->4 picks a fresh IPv4 Identification per translation: ignore it and the header checksum
                for (int k : new int[] {4, 5, 10, 11}) {
                    done[k] = 0;
                    refNoCsum[k] = 0;
                }
            }
            assertThat(HexFormat.of().formatHex(done)).as("packet %d", i)
                    .isEqualTo(HexFormat.of().formatHex(refNoCsum));
        }
    }

    @Test
    void ipv4WithDfClearIsFinishedInSoftwareBecauseTheTranslatorMayFragmentIt() {
        byte[] full = PacketBuilder.ipv4(Ipv4.parse("198.51.100.7"), Ipv4.parse("192.0.2.9")).df(false)
                .udp(5000, 53).payload(new byte[333]).build();
        byte[] partial = partialForm(full, 20, 6, 17);
        MemorySegment buf = arena.allocate(partial.length);
        MemorySegment.copy(partial, 0, buf, ValueLayout.JAVA_BYTE, 0, partial.length);
        assertThat(VnetChecksum.prepare(buf, 0, partial.length, 20, 6)).isEqualTo(VnetChecksum.COMPLETED);
        assertThat(buf.toArray(ValueLayout.JAVA_BYTE)).as("the complete packet again").isEqualTo(full);
    }

    @Test
    void ipv6WithAnExtensionHeaderIsFinishedInSoftware() {
        int v4 = Ipv4.parse("198.51.100.7");
        byte[] full = PacketBuilder.ipv6(0x20010db800060000L, 2, POOL6.embedHi(v4), POOL6.embedLo(v4))
                .destinationOptions().tcp(40000, 80).payload(new byte[101]).build();
        int l4 = 48;
        byte[] partial = partialForm(full, l4, 16, 6);
        MemorySegment buf = arena.allocate(partial.length);
        MemorySegment.copy(partial, 0, buf, ValueLayout.JAVA_BYTE, 0, partial.length);
        assertThat(VnetChecksum.prepare(buf, 0, partial.length, l4, 16)).isEqualTo(VnetChecksum.COMPLETED);
        assertThat(buf.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(full);
    }

    @Test
    void checksumFieldOutsideThePacketIsBad() {
        byte[] full = PacketBuilder.ipv4(Ipv4.parse("198.51.100.7"), Ipv4.parse("192.0.2.9")).df(true)
                .tcp(1, 2).build();
        MemorySegment buf = arena.allocate(full.length);
        MemorySegment.copy(full, 0, buf, ValueLayout.JAVA_BYTE, 0, full.length);
        assertThat(VnetChecksum.prepare(buf, 0, full.length, 20, full.length - 21)).isEqualTo(VnetChecksum.BAD);
        assertThat(VnetChecksum.prepare(buf, 0, full.length, 65535, 65535)).isEqualTo(VnetChecksum.BAD);
        assertThat(buf.toArray(ValueLayout.JAVA_BYTE)).as("left untouched").isEqualTo(full);
    }

    @Test
    void anIcmpErrorEmittedForAPartialPacketIsNotTakenForItsTranslation() {
        byte[] full = PacketBuilder.ipv4(Ipv4.parse("198.51.100.7"), Ipv4.parse("192.0.2.9")).df(true).ttl(1)
                .tcp(1234, 80).payload(new byte[40]).build();
        Translator withSource = new IpTranslator(new TranslatorSettings(false, false, 0,
                TranslatorSettings.DEFAULT_PLATEAUS, false, 1280, null, null, true, Prefix4.parse("203.0.113.1/32"),
                null, 1500, 1500, null), new SiitMapper(POOL6, Eamt.of(List.of(new EamEntry(
                Prefix6.parse("2001:db8:6::/120"), Prefix4.parse("192.0.2.0/24")))), Denylist4.EMPTY, true),
                new Counters());
        byte[] partial = partialForm(full, 20, 16, 6);
        MemorySegment buf = arena.allocate(OFF + partial.length + 1024L);
        MemorySegment.copy(partial, 0, buf, ValueLayout.JAVA_BYTE, OFF, partial.length);
        int proto = VnetChecksum.prepare(buf, OFF, partial.length, 20, 16);
        List<Integer> l4s = new ArrayList<>();
        List<Integer> protocols = new ArrayList<>();
        withSource.translate(buf, OFF, partial.length, (b, o, l) -> {
            protocols.add(Bytes.u8(b, o + 9));
            l4s.add(VnetChecksum.finish(b, o, l, proto, 16));
        });
        assertThat(protocols).as("one ICMPv4 Time Exceeded").containsExactly(1);
        assertThat(l4s).containsExactly(-1);
    }
}
