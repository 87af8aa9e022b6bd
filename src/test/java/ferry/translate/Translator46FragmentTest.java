package ferry.translate;

import static ferry.translate.Translator46Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.metrics.Counter;
import ferry.packet.Bytes;
import ferry.packet.Checksum;
import ferry.packet.PacketBuilder;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** RFC 7915 §4 and §4.1 fragment rules, RFC 8021 (no atomic fragments), lowest-ipv6-mtu and DF handling. */
class Translator46FragmentTest {
    private final Harness h = new Harness();

    private static PacketBuilder udp(int payload) {
        return PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").identification(0xbeef).udp(4000, 53).payload(payload);
    }

    /** Fragment header fields of an emitted IPv6 fragment: {nextHeader, offsetBytes, M, identification}. */
    private static long[] frag(byte[] p) {
        assertThat(u8(p, 6)).as("next header = Fragment").isEqualTo(44);
        int w = u16(p, 42);
        return new long[] {u8(p, 40), w & 0xfff8, w & 1, u32(p, 44)};
    }

    @Test
    void ipv4FragmentGetsAFragmentHeaderWithOffsetMAndLow16BitsOfIdentification() {
        byte[] in = udp(32).mf(true).build(); // first fragment: UDP header + 32 bytes
        Run r = h.run(in);
        assertThat(r.verdict()).isEqualTo(Verdict.EMIT);
        byte[] out = r.only();
        assertWellFormedIpv6(out);
        assertThat(out).hasSize(40 + 8 + 40);
        assertThat(frag(out)).containsExactly(17, 0, 1, 0xbeef);
        assertThat(u8(out, 41)).as("reserved").isZero();
        assertThat(slice(out, 56, out.length)).isEqualTo(slice(in, 28, in.length));
    }

    @Test
    void nonFirstFragmentKeepsItsOffsetAndPayloadUntouched() {
        byte[] data = new byte[24];
        for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 7);
        byte[] in = PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").identification(7).fragmentOffset(185)
                .raw(17, data).build();
        byte[] out = h.run(in).only();
        assertThat(frag(out)).containsExactly(17, 185 * 8, 0, 7);
        assertThat(slice(out, 48, out.length)).isEqualTo(data);
    }

    @Test
    void unfragmentedDf0PacketGetsNoAtomicFragmentHeader() {
        // RFC 8021 / RFC 7915 §4: "When the IPv4 sender does not set the DF bit, the translator MUST NOT include the
        // Fragment Header for the non-fragmented IPv6 packets."
        byte[] out = h.run(udp(100).df(false).build()).only();
        assertThat(u8(out, 6)).isEqualTo(17);
        assertThat(out).hasSize(40 + 108);
    }

    @Test
    void df0PacketThatFitsLowestIpv6MtuExactlyIsNotFragmented() {
        byte[] in = udp(1280 - 40 - 8).build(); // IPv4 1260 -> IPv6 1280
        byte[] out = h.run(in).only();
        assertThat(out).hasSize(1280);
        assertThat(u8(out, 6)).isEqualTo(17);
    }

    @Test
    void df0PacketOneByteTooBigIsSplitIntoTwoFragments() {
        Run r = h.run(udp(1280 - 40 - 8 + 1).build());
        assertThat(r.out()).hasSize(2);
        assertThat(r.out().get(0)).hasSize(1280);
        assertThat(frag(r.out().get(0))).containsExactly(17, 0, 1, 0xbeef);
        assertThat(frag(r.out().get(1))).containsExactly(17, 1232, 0, 0xbeef);
        assertThat(r.out().get(1)).hasSize(48 + (8 + 1233) - 1232);
    }

    @Test
    void packetOf9000BytesWithDf0IsFragmentedToLowestIpv6MtuAndReassemblesToTheTranslation() {
        byte[] in = udp(9000 - 28).build();
        Run r = h.run(in);
        assertThat(r.verdict()).isEqualTo(Verdict.EMIT);
        assertThat(r.counts()).isEqualTo(Map.of(Counter.XLAT_46_OK, 1L, Counter.XLAT_46_FRAGMENTED, 1L));
        List<byte[]> frags = r.out();
        assertThat(frags).hasSize((8980 + 1231) / 1232);
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        int expectedOffset = 0;
        for (int i = 0; i < frags.size(); i++) {
            byte[] f = frags.get(i);
            assertWellFormedIpv6(f);
            assertThat(f.length).isLessThanOrEqualTo(1280);
            assertThat(u8(f, 7)).isEqualTo(63);
            assertThat(src6(f)).isEqualTo(v6("192.0.2.1"));
            long[] fh = frag(f);
            boolean last = i == frags.size() - 1;
            assertThat(fh[1]).as("offset of fragment %d", i).isEqualTo(expectedOffset);
            assertThat(fh[2]).as("M of fragment %d", i).isEqualTo(last ? 0 : 1);
            assertThat(fh[3]).isEqualTo(0xbeef);
            if (!last) assertThat((f.length - 48) % 8).isZero();
            expectedOffset += f.length - 48;
            payload.write(f, 48, f.length - 48);
        }
        byte[] whole = payload.toByteArray();
        assertThat(whole).hasSize(8980);
        assertThat(slice(whole, 8, whole.length)).isEqualTo(slice(in, 28, in.length));
        // the UDP checksum in the first fragment covers the reassembled IPv6 datagram
        byte[] first = frags.get(0);
        var s = seg(first);
        int pseudo = Checksum.pseudo6(Bytes.i64(s, 8), Bytes.i64(s, 16), Bytes.i64(s, 24), Bytes.i64(s, 32), 17,
                whole.length);
        assertThat(Checksum.add(pseudo, Checksum.sum(whole, 0, whole.length))).isEqualTo(0xffff);
    }

    @Test
    void packetOf9000BytesWithDf1IsAnsweredWithFragmentationNeededForTheIpv6Mtu() {
        byte[] in = udp(9000 - 28).df(true).build();
        Run r = h.run(in);
        assertThat(r.verdict()).isEqualTo(Verdict.ICMP_ERROR);
        assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_PACKET_TOO_BIG, 1L, Counter.ICMP4_ERROR_SENT, 1L));
        byte[] err = r.only();
        assertValidIcmp4Error(err, 3, 4);
        assertThat(u16(err, 26)).as("next-hop MTU = IPv6 MTU - 20").isEqualTo(1480);
        assertThat(dst4(err)).isEqualTo("192.0.2.1");
        assertThat(slice(err, 28, err.length)).isEqualTo(slice(in, 0, 548));
    }

    @Test
    void packetOf9000BytesWithDf1FitsAJumboIpv6Mtu() {
        h.config.ipv6Mtu = 9020;
        byte[] out = h.run(udp(9000 - 28).df(true).build()).only();
        assertThat(out).hasSize(9020);
        assertThat(l4ChecksumValid6(out)).isTrue();
    }

    @Test
    void df1PacketThatJustFitsTheIpv6MtuIsTranslated() {
        h.config.ipv6Mtu = 1280;
        assertThat(h.run(udp(1280 - 48).df(true).build()).only()).hasSize(1280);
        Run tooBig = h.run(udp(1280 - 48 + 1).df(true).build());
        assertThat(tooBig.verdict()).isEqualTo(Verdict.ICMP_ERROR);
        assertThat(u16(tooBig.only(), 26)).isEqualTo(1260);
    }

    @Test
    void df1FragmentTooBigReportsAnMtuThatLeavesRoomForTheFragmentHeader() {
        h.config.ipv6Mtu = 1280;
        byte[] in = udp(1232).df(true).mf(true).build(); // 1260 bytes, becomes 1288 with a Fragment header
        Run r = h.run(in);
        assertThat(r.verdict()).isEqualTo(Verdict.ICMP_ERROR);
        assertThat(u16(r.only(), 26)).isEqualTo(1252);
    }

    @Test
    void df1NonFirstFragmentTooBigIsDroppedWithoutAnError() {
        byte[] in = PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").df(true).fragmentOffset(100)
                .raw(17, new byte[1496]).build();
        Run r = h.run(in);
        assertThat(r.verdict()).isEqualTo(Verdict.DROP);
        assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_PACKET_TOO_BIG, 1L));
    }

    @Test
    void largeDf0FragmentIsRefragmentedKeepingItsOffsetsAndMoreFragments() {
        byte[] in = PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").identification(4321).mf(true)
                .fragmentOffset(100).raw(6, new byte[1248]).build();
        Run r = h.run(in);
        assertThat(r.out()).hasSize(2);
        assertThat(frag(r.out().get(0))).containsExactly(6, 800, 1, 4321);
        assertThat(frag(r.out().get(1))).containsExactly(6, 800 + 1232, 1, 4321);
        assertThat(r.out().get(1)).hasSize(48 + 16);
    }

    @Test
    void lowestIpv6MtuIsConfigurable() {
        h.config.lowestIpv6Mtu = 1400;
        Run r = h.run(udp(3000).build());
        assertThat(r.out()).allSatisfy(f -> assertThat(f.length).isLessThanOrEqualTo(1400));
        assertThat(r.out().get(0)).hasSize(48 + 1352);
    }

    @Test
    void nonFinalFragmentNotAMultipleOf8IsDropped() {
        Run r = h.run(udp(13).mf(true).build()); // 21 bytes of payload
        assertThat(r.verdict()).isEqualTo(Verdict.DROP);
        assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_FRAGMENT_NOT_MULTIPLE_OF_8, 1L));
    }

    @Test
    void finalFragmentOfAnyLengthIsTranslated() {
        byte[] in = PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").fragmentOffset(3).raw(17, new byte[13]).build();
        assertThat(h.run(in).only()).hasSize(48 + 13);
    }

    @Test
    void offsetPlusLengthBeyond65535IsDropped() {
        byte[] in = PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").fragmentOffset(8190).raw(17, new byte[24]).build();
        Run r = h.run(in);
        assertThat(r.verdict()).isEqualTo(Verdict.DROP);
        assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_FRAGMENT_TOO_LONG, 1L));
        byte[] fits = PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").fragmentOffset(8189).raw(17, new byte[15])
                .build();
        assertThat(h.run(fits).verdict()).isEqualTo(Verdict.EMIT);
    }

    @Test
    void firstFragmentWithoutItsTcpHeaderIsDropped() {
        byte[] in = PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").mf(true).tcp(4000, 80).truncate(20 + 16)
                .totalLength(36).build();
        in = rechecksum(in);
        Run r = h.run(in);
        assertThat(r.verdict()).isEqualTo(Verdict.DROP);
        assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_TRUNCATED_L4, 1L));
    }

    @Test
    void firstFragmentWithAnEmptyPayloadIsDroppedForItsMissingUdpHeader() {
        byte[] in = PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").mf(true).raw(17, new byte[0]).build();
        assertThat(h.run(in).counts()).isEqualTo(Map.of(Counter.DROP_46_TRUNCATED_L4, 1L));
    }

    @Test
    void fragmentedIcmpIsDropped() {
        byte[] first = PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").mf(true).echoRequest(1, 1).payload(64).build();
        byte[] later = PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").fragmentOffset(9).raw(1, new byte[8]).build();
        assertThat(h.run(first).counts()).isEqualTo(Map.of(Counter.DROP_46_FRAGMENTED_ICMP, 1L));
        assertThat(h.run(later).counts()).isEqualTo(Map.of(Counter.DROP_46_FRAGMENTED_ICMP, 1L));
    }

    @Test
    void unfragmentedLargeDf0EchoIsFragmentedWithAChecksumOverTheWholeMessage() {
        byte[] in = PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").echoRequest(9, 1).payload(3000).build();
        Run r = h.run(in);
        assertThat(r.out()).hasSize(3);
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        for (byte[] f : r.out()) payload.write(f, 48, f.length - 48);
        byte[] whole = payload.toByteArray();
        assertThat(u8(whole, 0)).isEqualTo(128);
        byte[] first = r.out().get(0);
        var s = seg(first);
        int pseudo = Checksum.pseudo6(Bytes.i64(s, 8), Bytes.i64(s, 16), Bytes.i64(s, 24), Bytes.i64(s, 32), 58,
                whole.length);
        assertThat(Checksum.add(pseudo, Checksum.sum(whole, 0, whole.length))).isEqualTo(0xffff);
    }

    /** Recomputes the IPv4 header checksum after a builder override that left it stale. */
    static byte[] rechecksum(byte[] p) {
        int ihl = (p[0] & 0xf) * 4;
        p[10] = p[11] = 0;
        int c = Checksum.checksum(seg(p), 0, ihl);
        p[10] = (byte) (c >>> 8);
        p[11] = (byte) c;
        return p;
    }
}
