package ferry.translate;

import static ferry.translate.Translator64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Denylist4;
import ferry.addr.Ipv4;
import ferry.addr.Ipv6;
import ferry.metrics.Counter;
import ferry.metrics.Counters;
import ferry.packet.Bytes;
import ferry.packet.Checksum;
import ferry.packet.PacketBuilder;
import ferry.siit.SiitMapper;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The facade: version dispatch, the catch-all, and EAM hairpinning (RFC 7757 §4.2, §4.3). */
class IpTranslatorTest {
    private final Config config = new Config();
    private final Counters counters = new Counters();
    private final List<byte[]> out = new ArrayList<>();

    private Verdict run(byte[] packet) {
        IpTranslator t = new IpTranslator(config.build(), new SiitMapper(POOL6, EAMT, Denylist4.EMPTY, true), counters);
        MemorySegment buf = MemorySegment.ofArray(new byte[Translator.HEADROOM + packet.length + TAIL]);
        MemorySegment.copy(MemorySegment.ofArray(packet), 0, buf, Translator.HEADROOM, packet.length);
        return t.translate(buf, Translator.HEADROOM, packet.length,
                (b, o, l) -> out.add(b.asSlice(o, l).toArray(ValueLayout.JAVA_BYTE)));
    }

    private static String src6(byte[] p) {
        MemorySegment s = MemorySegment.ofArray(p);
        return Ipv6.format(Bytes.i64(s, 8), Bytes.i64(s, 16));
    }

    private static String dst6(byte[] p) {
        MemorySegment s = MemorySegment.ofArray(p);
        return Ipv6.format(Bytes.i64(s, 24), Bytes.i64(s, 32));
    }

    private static boolean udpChecksumValid6(byte[] p) {
        MemorySegment s = MemorySegment.ofArray(p);
        int pseudo = Checksum.pseudo6(Bytes.i64(s, 8), Bytes.i64(s, 16), Bytes.i64(s, 24), Bytes.i64(s, 32),
                u8(p, 6), p.length - 40);
        return Checksum.add(pseudo, Checksum.sum(p, 40, p.length - 40)) == 0xffff;
    }

    @Test
    void ipv6GoesTo6to4AndIpv4To4to6() {
        assertThat(run(v6().udp(1, 2).build())).isEqualTo(Verdict.EMIT);
        assertThat(u8(out.get(0), 0)).isEqualTo(0x45);
        assertThat(run(PacketBuilder.ipv4("198.51.100.9", "192.0.2.5").udp(2, 1).build())).isEqualTo(Verdict.EMIT);
        assertThat(u8(out.get(1), 0) >>> 4).isEqualTo(6);
        assertThat(dst6(out.get(1))).isEqualTo(H6);
        assertThat(counters.snapshot()).containsOnly(Map.entry(Counter.XLAT_64_OK, 1L),
                Map.entry(Counter.XLAT_46_OK, 1L));
    }

    @Test
    void otherVersionsAndEmptyReadsAreDropped() {
        byte[] p = v6().udp(1, 2).build();
        p[0] = 0x55;
        assertThat(run(p)).isEqualTo(Verdict.DROP);
        assertThat(run(new byte[0])).isEqualTo(Verdict.DROP);
        assertThat(counters.snapshot()).containsOnly(Map.entry(Counter.DROP_UNKNOWN_VERSION, 1L),
                Map.entry(Counter.DROP_TRUNCATED, 1L));
    }

    @Test
    void aLengthPastTheBufferIsAnInternalErrorNotAnException() {
        IpTranslator t = new IpTranslator(config.build(), new SiitMapper(POOL6, EAMT, Denylist4.EMPTY, true), counters);
        // an ICMPv6 error (its checksum is read over the whole message) whose length and Payload Length claim
        // 100 bytes more than the segment holds: a caller's bug, which must not escape as an exception
        byte[] inner = PacketBuilder.ipv6(H6, R6).udp(1, 2).build();
        byte[] p = PacketBuilder.ipv6(R6, H6).icmpError(1, 4, 0, inner).payloadLength(8 + 48 + 100).build();
        MemorySegment buf = MemorySegment.ofArray(p);
        assertThat(t.translate(buf, 0, p.length + 100, (b, o, l) -> { })).isEqualTo(Verdict.DROP);
        assertThat(counters.snapshot()).containsOnly(Map.entry(Counter.DROP_INTERNAL_ERROR, 1L));
    }

    @Test
    void intrinsicHairpinTurnsAPacketToAnotherEamHostBackIntoIpv6() {
        // RFC 7757 §4.2: 2001:db8:6::5 (192.0.2.5) sends to 64:ff9b::192.0.2.7, the pool6 form of 192.0.2.7, whose
        // EAM is 2001:db8:6::7: the packet comes back as 64:ff9b::192.0.2.5 -> 2001:db8:6::7.
        byte[] in = PacketBuilder.ipv6(H6, "64:ff9b::192.0.2.7").hopLimit(30).udp(1000, 2000).payload(20).build();
        assertThat(run(in)).isEqualTo(Verdict.EMIT);
        assertThat(out).hasSize(1);
        byte[] p = out.get(0);
        assertThat(u8(p, 0) >>> 4).isEqualTo(6);
        assertThat(src6(p)).isEqualTo("64:ff9b::c000:205");
        assertThat(dst6(p)).isEqualTo("2001:db8:6::7");
        assertThat(u8(p, 7)).as("two hops: 6->4 and 4->6").isEqualTo(28);
        assertThat(udpChecksumValid6(p)).isTrue();
        assertThat(slice(p, 48, p.length)).isEqualTo(slice(in, 48, in.length));
        assertThat(counters.snapshot()).containsOnly(Map.entry(Counter.XLAT_64_OK, 1L),
                Map.entry(Counter.XLAT_46_OK, 1L), Map.entry(Counter.XLAT_HAIRPIN, 1L));
    }

    @Test
    void intrinsicModeDoesNotHairpinAPacketAddressedToTheExplicitIpv6Address() {
        byte[] in = PacketBuilder.ipv6(H6, "2001:db8:6::7").udp(1, 2).build();
        assertThat(run(in)).isEqualTo(Verdict.EMIT);
        assertThat(u8(out.get(0), 0)).isEqualTo(0x45);
        assertThat(Ipv4.format(i32(out.get(0), 16))).isEqualTo("192.0.2.7");
    }

    @Test
    void simpleModeHairpinsEveryPacketToAnExplicitIpv4Address() {
        config.hairpin = EamHairpinMode.SIMPLE;
        run(PacketBuilder.ipv6(H6, "2001:db8:6::7").udp(1, 2).build());
        run(PacketBuilder.ipv6(H6, "64:ff9b::192.0.2.7").udp(1, 2).build());
        assertThat(out).hasSize(2);
        for (byte[] p : out) {
            assertThat(u8(p, 0) >>> 4).isEqualTo(6);
            assertThat(src6(p)).isEqualTo("64:ff9b::c000:205");
            assertThat(dst6(p)).isEqualTo("2001:db8:6::7");
        }
    }

    @Test
    void hairpinningOffSendsThePacketToIpv4() {
        config.hairpin = EamHairpinMode.OFF;
        run(PacketBuilder.ipv6(H6, "64:ff9b::192.0.2.7").udp(1, 2).build());
        assertThat(u8(out.get(0), 0)).isEqualTo(0x45);
        assertThat(counters.snapshot()).containsOnly(Map.entry(Counter.XLAT_64_OK, 1L));
    }

    @Test
    void intrinsicHairpinOfAnIcmpErrorAboutAHairpinnedPacket() {
        // RFC 7757 §4.3: 2001:db8:6::7 answers 64:ff9b::192.0.2.5's packet with an error; it must reach
        // 2001:db8:6::5 from 64:ff9b::192.0.2.7, quoting 2001:db8:6::5 -> 64:ff9b::192.0.2.7.
        byte[] quoted = PacketBuilder.ipv6("64:ff9b::192.0.2.5", "2001:db8:6::7").hopLimit(20).udp(1000, 2000)
                .payload(8).build();
        byte[] in = PacketBuilder.ipv6("2001:db8:6::7", "64:ff9b::192.0.2.5").icmpError(1, 4, 0, quoted).build();
        assertThat(run(in)).isEqualTo(Verdict.EMIT);
        byte[] p = out.get(0);
        assertThat(assertIcmp6(p)).isEqualTo(1);
        assertThat(u8(p, 41)).isEqualTo(4);
        assertThat(src6(p)).isEqualTo("64:ff9b::c000:207");
        assertThat(dst6(p)).isEqualTo("2001:db8:6::5");
        byte[] inner = slice(p, 48, p.length);
        assertThat(src6(inner)).isEqualTo("2001:db8:6::5");
        assertThat(dst6(inner)).isEqualTo("64:ff9b::c000:207");
        assertThat(udpChecksumValid6(inner)).isTrue();
    }

    @Test
    void hairpinnedPacketDroppedOnTheWayBackReportsTheDrop() {
        // Hop Limit 2 becomes TTL 1, which the 4->6 leg refuses (and answers towards 192.0.2.5 in ICMPv4).
        byte[] in = PacketBuilder.ipv6(H6, "64:ff9b::192.0.2.7").hopLimit(2).udp(1, 2).build();
        Verdict v = run(in);
        assertThat(v).isNotEqualTo(Verdict.EMIT);
        assertThat(counters.get(Counter.DROP_46_TTL_EXPIRED)).isEqualTo(1);
    }
}
