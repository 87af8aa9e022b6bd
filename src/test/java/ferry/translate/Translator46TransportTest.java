package ferry.translate;

import static ferry.translate.Translator46Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Ipv4;
import ferry.metrics.Counter;
import ferry.packet.Bytes;
import ferry.packet.Checksum;
import ferry.packet.PacketBuilder;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 7915 §4.5 (Transport-Layer Header Translation) and the echo part of §4.2. */
class Translator46TransportTest {
    private final Harness h = new Harness();

    private static PacketBuilder v4() {
        return PacketBuilder.ipv4("192.0.2.1", "198.51.100.2");
    }

    /** The IPv4 verification sum of an upper layer (pseudo-header + bytes; 0xffff when the checksum is right). */
    private static int verificationSum4(byte[] p, boolean pseudo) {
        int ihl = (p[0] & 0xf) * 4;
        int len = p.length - ihl;
        var s = seg(p);
        int sum = Checksum.sum(s, ihl, len);
        if (!pseudo) return sum;
        return Checksum.add(sum, Checksum.pseudo4(Bytes.i32(s, 12), Bytes.i32(s, 16), u8(p, 9), len));
    }

    private static int verificationSum6(byte[] p) {
        int at = l4Offset6(p);
        var s = seg(p);
        int pseudo = Checksum.pseudo6(Bytes.i64(s, 8), Bytes.i64(s, 16), Bytes.i64(s, 24), Bytes.i64(s, 32),
                proto6(p), p.length - at);
        return Checksum.add(pseudo, Checksum.sum(s, at, p.length - at));
    }

    @Nested
    class Udp {
        @Test
        void checksumIsUpdatedForTheIpv6PseudoHeader() {
            byte[] out = h.run(v4().udp(4000, 53).payload(100).build()).only();
            assertThat(verificationSum6(out)).isEqualTo(0xffff);
            assertThat(u16(out, 40)).isEqualTo(4000);
            assertThat(u16(out, 42)).isEqualTo(53);
            assertThat(u16(out, 44)).isEqualTo(108);
        }

        @ParameterizedTest(name = "checksum off by {0}")
        @ValueSource(ints = {1, 0x100, 0x7777})
        void wrongChecksumStaysWrongByTheSameAmount(int error) {
            byte[] good = v4().udp(4000, 53).payload(64).build();
            int csum = u16(good, 26);
            byte[] bad = v4().udp(4000, 53).payload(64).checksum((csum + error) & 0xffff).build();
            int sum4 = verificationSum4(bad, true);
            assertThat(sum4).isNotEqualTo(0xffff);
            byte[] out = h.run(bad).only();
            assertThat(verificationSum6(out)).isEqualTo(sum4);
        }

        @Test
        void translatedChecksumThatComputesToZeroIsSentAsAllOnes() {
            // Choose the last two payload bytes so that the IPv6 checksum field comes out as zero.
            byte[] probe = v4().udp(4000, 53).payload(new byte[32]).build();
            long[] s6 = {POOL6.embedHi(Ipv4.parse("192.0.2.1")), POOL6.embedLo(Ipv4.parse("192.0.2.1")),
                    POOL6.embedHi(Ipv4.parse("198.51.100.2")), POOL6.embedLo(Ipv4.parse("198.51.100.2"))};
            byte[] udp6 = slice(probe, 20, probe.length);
            udp6[6] = udp6[7] = 0;
            int s0 = Checksum.add(Checksum.pseudo6(s6[0], s6[1], s6[2], s6[3], 17, udp6.length),
                    Checksum.sum(udp6, 0, udp6.length));
            int w = (0xffff - s0) & 0xffff; // makes the covered sum 0xffff, i.e. a computed checksum of 0
            byte[] payload = new byte[32];
            payload[30] = (byte) (w >>> 8);
            payload[31] = (byte) w;
            byte[] in = v4().udp(4000, 53).payload(payload).build();
            assertThat(verificationSum4(in, true)).isEqualTo(0xffff);
            byte[] out = h.run(in).only();
            assertThat(u16(out, 46)).isEqualTo(0xffff);
            assertThat(verificationSum6(out)).isEqualTo(0xffff);
        }

        @Test
        void zeroChecksumUnfragmentedIsAnsweredWithAdminProhibitedWhenAmendingIsOff() {
            byte[] in = v4().udp(4000, 53).payload(4).checksum(0).build();
            Run r = h.run(in);
            assertThat(r.verdict()).isEqualTo(Verdict.ICMP_ERROR);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_UDP_ZERO_CHECKSUM, 1L, Counter.ICMP4_ERROR_SENT, 1L));
            byte[] err = r.only();
            assertValidIcmp4Error(err, 3, 13);
            assertThat(slice(err, 28, err.length)).isEqualTo(in);
        }

        @Test
        void zeroChecksumUnfragmentedIsComputedWhenAmendingIsOn() {
            h.config.amendUdpChecksumZero = true;
            byte[] in = v4().udp(4000, 53).payload(37).checksum(0).build();
            Run r = h.run(in);
            assertThat(r.verdict()).isEqualTo(Verdict.EMIT);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.XLAT_46_OK, 1L, Counter.XLAT_46_UDP_CHECKSUM_AMENDED, 1L));
            byte[] out = r.only();
            assertThat(u16(out, 46)).isNotZero();
            assertThat(verificationSum6(out)).isEqualTo(0xffff);
        }

        @Test
        void zeroChecksumInAFirstFragmentIsAnsweredWhateverTheAmendSetting() {
            for (boolean amend : new boolean[] {false, true}) {
                h.config.amendUdpChecksumZero = amend;
                Run r = h.run(v4().udp(4000, 53).payload(8).checksum(0).mf(true).build());
                assertThat(r.verdict()).isEqualTo(Verdict.ICMP_ERROR);
                assertThat(r.counts()).containsEntry(Counter.DROP_46_UDP_ZERO_CHECKSUM_FRAGMENTED, 1L);
                assertValidIcmp4Error(r.only(), 3, 13);
            }
        }

        @Test
        void truncatedUdpHeaderIsDropped() {
            byte[] in = v4().raw(17, new byte[] {0x0f, (byte) 0xa0, 0, 53}).build();
            Run r = h.run(in);
            assertThat(r.verdict()).isEqualTo(Verdict.DROP);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_TRUNCATED_L4, 1L));
        }

        @Test
        void portsRewrittenByAStatefulMapperAreWrittenAndCoveredByTheChecksum() {
            h.mapper.portDelta = 1000;
            byte[] out = h.run(v4().udp(4000, 53).payload(10).build()).only();
            assertThat(u16(out, 40)).isEqualTo(5000);
            assertThat(u16(out, 42)).isEqualTo(1053);
            assertThat(verificationSum6(out)).isEqualTo(0xffff);
        }
    }

    @Nested
    class Tcp {
        @Test
        void checksumIsUpdatedForTheIpv6PseudoHeader() {
            byte[] in = v4().tcp(40000, 443).seq(123456).payload(500).build();
            byte[] out = h.run(in).only();
            assertThat(u8(out, 6)).isEqualTo(6);
            assertThat(verificationSum6(out)).isEqualTo(0xffff);
            assertThat(slice(out, 40, 56)).isEqualTo(slice(in, 20, 36));
        }

        @Test
        void wrongChecksumStaysWrongByTheSameAmount() {
            byte[] good = v4().tcp(40000, 443).payload(40).build();
            byte[] bad = v4().tcp(40000, 443).payload(40).checksum(u16(good, 36) ^ 0x0f0f).build();
            int sum4 = verificationSum4(bad, true);
            assertThat(verificationSum6(h.run(bad).only())).isEqualTo(sum4).isNotEqualTo(0xffff);
        }

        @ParameterizedTest(name = "data offset {0}")
        @ValueSource(ints = {0, 1, 4})
        void dataOffsetBelow5IsDropped(int words) {
            Run r = h.run(v4().tcp(40000, 443).dataOffset(words).payload(8).build());
            assertThat(r.verdict()).isEqualTo(Verdict.DROP);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_TCP_BAD_DATA_OFFSET, 1L));
        }

        @Test
        void truncatedTcpHeaderIsDropped() {
            byte[] in = v4().raw(6, new byte[12]).build();
            assertThat(h.run(in).counts()).isEqualTo(Map.of(Counter.DROP_46_TRUNCATED_L4, 1L));
        }

        @Test
        void dataOffsetPastThePacketIsDroppedAsTruncated() {
            byte[] tcp = new byte[24];
            tcp[12] = (byte) 0xf0; // 60-byte header claimed in 24 bytes
            assertThat(h.run(v4().raw(6, tcp).build()).counts()).isEqualTo(Map.of(Counter.DROP_46_TRUNCATED_L4, 1L));
        }

        @Test
        void tcpOptionsAreCarriedUnchanged() {
            byte[] in = v4().tcp(40000, 443).dataOffset(8).payload(5).build();
            byte[] out = h.run(in).only();
            assertThat(slice(out, 60, 72)).isEqualTo(slice(in, 40, 52));
            assertThat(verificationSum6(out)).isEqualTo(0xffff);
        }
    }

    @Nested
    class Echo {
        @Test
        void echoRequestBecomesType128WithAChecksumThatCoversThePseudoHeader() {
            byte[] in = v4().echoRequest(0x4242, 7).payload(56).build();
            Run r = h.run(in);
            byte[] out = r.only();
            assertThat(u8(out, 6)).isEqualTo(58);
            assertThat(u8(out, 40)).isEqualTo(128);
            assertThat(u8(out, 41)).isZero();
            assertThat(u16(out, 44)).isEqualTo(0x4242);
            assertThat(u16(out, 46)).isEqualTo(7);
            assertThat(slice(out, 48, out.length)).isEqualTo(slice(in, 28, in.length));
            assertThat(verificationSum6(out)).isEqualTo(0xffff);
        }

        @Test
        void echoReplyBecomesType129() {
            byte[] out = h.run(v4().echoReply(1, 2).payload(8).build()).only();
            assertThat(u8(out, 40)).isEqualTo(129);
            assertThat(verificationSum6(out)).isEqualTo(0xffff);
        }

        @Test
        void wrongEchoChecksumStaysWrongByTheSameAmount() {
            byte[] good = v4().echoRequest(1, 1).payload(20).build();
            byte[] bad = v4().echoRequest(1, 1).payload(20).checksum(u16(good, 22) ^ 0x00ff).build();
            int sum4 = verificationSum4(bad, false);
            assertThat(verificationSum6(h.run(bad).only())).isEqualTo(sum4).isNotEqualTo(0xffff);
        }

        @Test
        void identifierRewrittenByAStatefulMapperIsCoveredByTheChecksum() {
            h.mapper.portDelta = 3;
            byte[] out = h.run(v4().echoRequest(100, 1).payload(8).build()).only();
            assertThat(u16(out, 44)).isEqualTo(103);
            assertThat(verificationSum6(out)).isEqualTo(0xffff);
        }

        @Test
        void truncatedIcmpHeaderIsDropped() {
            byte[] in = v4().raw(1, new byte[] {8, 0, 0, 0}).build();
            assertThat(h.run(in).counts()).isEqualTo(Map.of(Counter.DROP_46_TRUNCATED_L4, 1L));
        }

        @ParameterizedTest(name = "ICMPv4 type {0}")
        @ValueSource(ints = {13, 14, 17, 18, 15, 16})
        void timestampAddressMaskAndInformationMessagesAreDropped(int type) {
            Run r = h.run(v4().icmp(type, 0, 0).payload(12).build());
            assertThat(r.verdict()).isEqualTo(Verdict.DROP);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_ICMP_OBSOLETE_TYPE, 1L));
        }

        @ParameterizedTest(name = "ICMPv4 type {0}")
        @ValueSource(ints = {5, 9, 10})
        void redirectAndRouterDiscoveryAreDropped(int type) {
            byte[] inner = PacketBuilder.ipv4("198.51.100.2", "192.0.2.1").udp(53, 4000).build();
            Run r = h.run(v4().icmp(type, 0, 0).payload(inner).build());
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_ICMP_SINGLE_HOP_TYPE, 1L));
        }

        @Test
        void unknownIcmpTypeIsDropped() {
            assertThat(h.run(v4().icmp(42, 0, 0).build()).counts())
                    .isEqualTo(Map.of(Counter.DROP_46_ICMP_UNKNOWN_TYPE, 1L));
        }
    }
}
