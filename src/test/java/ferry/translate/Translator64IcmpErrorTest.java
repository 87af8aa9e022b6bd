package ferry.translate;

import static ferry.translate.Translator64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Ipv4;
import ferry.addr.Prefix4;
import ferry.metrics.Counter;
import ferry.packet.Checksum;
import ferry.packet.IcmpTypes;
import ferry.packet.IpProto;
import ferry.packet.PacketBuilder;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 7915 §5.2 (error types) and §5.3: ICMPv6 error messages and the packet in error. */
class Translator64IcmpErrorTest {
    private final Harness h = new Harness();

    /** What H6 sent to R6 (hop limit already decremented on the way): the packet the error is about. */
    private static PacketBuilder offending() {
        return PacketBuilder.ipv6(H6, R6).hopLimit(61);
    }

    private static byte[] error(int type, int code, int rest, byte[] inner) {
        return PacketBuilder.ipv6(R6, H6).hopLimit(50).icmpError(type, code, rest, inner).build();
    }

    /** Checks the outer IPv4 and ICMPv4 headers and checksum of a translated error; returns the inner packet. */
    private static byte[] assertIcmp4Error(byte[] p, int type, int code) {
        assertIpv4(p);
        assertThat(p.length).isLessThanOrEqualTo(576);
        assertThat(u8(p, 9)).isEqualTo(IpProto.ICMP);
        assertThat(u16(p, 6)).as("DF clear").isZero();
        assertThat(u8(p, 8)).as("outer TTL = Hop Limit - 1").isEqualTo(49);
        assertThat(i32(p, 12)).isEqualTo(R4);
        assertThat(i32(p, 16)).isEqualTo(H4);
        assertThat(u8(p, 20)).isEqualTo(type);
        assertThat(u8(p, 21)).isEqualTo(code);
        assertThat(Checksum.sum(p, 20, p.length - 20)).as("ICMPv4 checksum").isEqualTo(0xffff);
        byte[] inner = slice(p, 28, p.length);
        assertThat(u8(inner, 0)).isEqualTo(0x45);
        assertThat(Checksum.sum(inner, 0, 20)).as("inner header checksum").isEqualTo(0xffff);
        assertThat(u8(inner, 8)).as("inner TTL not decremented").isEqualTo(61);
        assertThat(i32(inner, 12)).isEqualTo(H4);
        assertThat(i32(inner, 16)).isEqualTo(R4);
        return inner;
    }

    @Test
    void errorOf400BytesBecomesAnIcmpv4ErrorOf360() {
        // Jool graybox "bd": 40 + 8 + 40 + 8 + 304 -> 20 + 8 + 20 + 8 + 304
        byte[] quoted = offending().udp(4000, 53).payload(304).build();
        byte[] p = h.run(error(1, 4, 0, quoted)).translated();
        assertThat(p).hasSize(360);
        byte[] inner = assertIcmp4Error(p, 3, 3);
        assertThat(u16(inner, 2)).isEqualTo(332);
        assertThat(u16(inner, 6)).as("inner DF clear (332 <= 1260)").isZero();
        assertThat(u8(inner, 9)).isEqualTo(IpProto.UDP);
        assertThat(l4ChecksumValid4(inner)).as("inner UDP checksum follows the addresses").isTrue();
        assertThat(slice(inner, 20, inner.length)).as("inner UDP but checksum, and data")
                .startsWith(slice(quoted, 40, 46));
        assertThat(slice(inner, 28, inner.length)).isEqualTo(slice(quoted, 48, quoted.length));
    }

    @Test
    void errorOf700BytesIsCutTo576() {
        // Jool graybox "be": the inner packet is truncated; its Total Length still says what it was
        byte[] quoted = offending().udp(4000, 53).payload(604).build();
        byte[] p = h.run(error(3, 0, 0, quoted)).translated();
        assertThat(p).hasSize(576);
        byte[] inner = assertIcmp4Error(p, 11, 0);
        assertThat(u16(inner, 2)).isEqualTo(20 + 8 + 604);
        assertThat(slice(inner, 28, inner.length)).isEqualTo(slice(quoted, 48, 48 + 576 - 56));
    }

    @Test
    void innerPacketLargerThan1260KeepsItsDfFlag() {
        byte[] quoted = offending().tcp(1, 2).payload(1300).truncate(600).build();
        byte[] p = h.run(error(1, 0, 0, quoted)).translated();
        byte[] inner = assertIcmp4Error(p, 3, 1);
        assertThat(u16(inner, 2)).isEqualTo(20 + 20 + 1300);
        assertThat(u16(inner, 6)).isEqualTo(0x4000);
    }

    @Test
    void innerTcpChecksumIsUpdatedWhenTheInnerPacketIsWhole() {
        byte[] quoted = offending().tcp(443, 50000).seq(99).payload(40).build();
        byte[] inner = assertIcmp4Error(h.run(error(1, 1, 0, quoted)).translated(), 3, 10);
        assertThat(l4ChecksumValid4(inner)).isTrue();
    }

    @Test
    void errorCarryingAnEchoRequestTranslatesTheInnerEcho() {
        byte[] quoted = offending().echoRequest(77, 5).payload(24).build();
        byte[] inner = assertIcmp4Error(h.run(error(3, 0, 0, quoted)).translated(), 11, 0);
        assertThat(u8(inner, 9)).isEqualTo(IpProto.ICMP);
        assertThat(u8(inner, 20)).isEqualTo(IcmpTypes.V4_ECHO_REQUEST);
        assertThat(u16(inner, 24)).isEqualTo(77);
        assertThat(l4ChecksumValid4(inner)).as("inner ICMPv4 checksum").isTrue();
    }

    @Test
    void innerExtensionHeadersAreSkipped() {
        byte[] quoted = offending().hopByHop().destinationOptions().udp(1, 2).payload(10).build();
        byte[] p = h.run(error(1, 3, 0, quoted)).translated();
        byte[] inner = assertIcmp4Error(p, 3, 1);
        assertThat(inner).hasSize(20 + 18);
        assertThat(u16(inner, 2)).isEqualTo(38);
        assertThat(l4ChecksumValid4(inner)).isTrue();
    }

    @Test
    void innerFirstFragmentBecomesAnInnerIpv4Fragment() {
        byte[] quoted = offending().fragment(0, true, 0x00aa00bb).udp(1, 2).payload(64).build();
        byte[] inner = assertIcmp4Error(h.run(error(1, 4, 0, quoted)).translated(), 3, 3);
        assertThat(u16(inner, 4)).isEqualTo(0x00bb);
        assertThat(u16(inner, 6)).isEqualTo(0x2000);
    }

    @ParameterizedTest(name = "ICMPv6 {0}/{1} -> ICMPv4 {2}/{3}")
    @CsvSource({"1,0, 3,1", "1,1, 3,10", "1,2, 3,1", "1,3, 3,1", "1,4, 3,3", "3,0, 11,0", "3,1, 11,1",
            "4,1, 3,2"})
    void errorTypesAndCodesFollowSection52(int type6, int code6, int type4, int code4) {
        byte[] p = h.run(error(type6, code6, 0, offending().udp(1, 2).build())).translated();
        assertIcmp4Error(p, type4, code4);
        assertThat(i32(p, 24)).as("rest of header").isZero();
    }

    @Test
    void packetTooBigBecomesFragmentationNeededWithTheMtuLess20() {
        byte[] p = h.run(error(2, 0, 1400, offending().tcp(1, 2).build())).translated();
        assertIcmp4Error(p, 3, 4);
        assertThat(u16(p, 26)).isEqualTo(1380);
        assertThat(u16(p, 24)).isZero();
    }

    @ParameterizedTest(name = "advertised MTU {0} -> {1}")
    @CsvSource({"68, 68", "0, 68", "100, 80", "1280, 1260", "1500, 1480", "9000, 1480"})
    void packetTooBigWithSmallOrHugeMtu(long mtu, int expected) {
        byte[] p = h.run(error(2, 0, (int) mtu, offending().tcp(1, 2).build())).translated();
        assertIcmp4Error(p, 3, 4);
        assertThat(u16(p, 26)).isEqualTo(expected);
    }

    @Test
    void packetTooBigAboutAFragmentSubtracts28() {
        byte[] quoted = offending().fragment(0, true, 5).tcp(1, 2).payload(16).build();
        byte[] p = h.run(error(2, 0, 1400, quoted)).translated();
        assertIcmp4Error(p, 3, 4);
        assertThat(u16(p, 26)).isEqualTo(1372);
    }

    @Test
    void packetTooBigMtuIsBoundedByTheIpv6Mtu() {
        h.config.ipv6Mtu = 1400;
        byte[] p = h.run(error(2, 0, 9000, offending().tcp(1, 2).build())).translated();
        assertThat(u16(p, 26)).isEqualTo(1380);
    }

    @ParameterizedTest(name = "pointer {0} -> {1}")
    @CsvSource({"0,0", "1,1", "4,2", "5,2", "6,9", "7,8", "8,12", "23,12", "24,16", "39,16"})
    void parameterProblemPointerIsTranslated(int ptr6, int ptr4) {
        byte[] p = h.run(error(4, 0, ptr6, offending().udp(1, 2).build())).translated();
        assertIcmp4Error(p, 12, 0);
        assertThat(u8(p, 24)).isEqualTo(ptr4);
        assertThat(slice(p, 25, 28)).containsOnly(0);
    }

    @ParameterizedTest(name = "pointer {0}")
    @ValueSource(ints = {2, 3, 40, 48, 1000})
    void parameterProblemPointerWithoutAnIpv4CounterpartIsDropped(int ptr6) {
        h.run(error(4, 0, ptr6, offending().udp(1, 2).build())).droppedWith(Counter.DROP_64_ICMP_PARAM_POINTER);
    }

    @Test
    void unrecognizedOptionParameterProblemIsDropped() {
        h.run(error(4, 2, 40, offending().udp(1, 2).build())).droppedWith(Counter.DROP_64_ICMP_UNTRANSLATABLE_CODE);
    }

    @Test
    void errorInsideAnErrorIsDropped() {
        // RFC 7915 §5.3: "This process MUST stop at the first embedded header and drop the packet if it contains
        // more embedded headers."
        byte[] innermost = offending().udp(1, 2).build();
        byte[] middle = PacketBuilder.ipv6(H6, R6).icmpError(1, 4, 0, innermost).build();
        h.run(error(1, 4, 0, middle)).droppedWith(Counter.DROP_64_ICMP_ERROR_IN_ERROR);
    }

    @ParameterizedTest(name = "{0} bytes of inner packet")
    @ValueSource(ints = {0, 1, 8, 39})
    void errorWithLessThanAnIpv6HeaderOfInnerPacketIsDropped(int n) {
        byte[] quoted = Arrays.copyOf(offending().udp(1, 2).payload(20).build(), n);
        h.run(error(1, 4, 0, quoted)).droppedWith(Counter.DROP_64_ICMP_BAD_INNER);
    }

    @Test
    void innerPacketWithoutItsWholeTransportHeaderIsDropped() {
        byte[] tcp = offending().tcp(1, 2).build();
        h.run(error(1, 4, 0, Arrays.copyOf(tcp, 40 + 8))).droppedWith(Counter.DROP_64_ICMP_BAD_INNER);
        byte[] udp = offending().udp(1, 2).build();
        h.run(error(1, 4, 0, Arrays.copyOf(udp, 40 + 4))).droppedWith(Counter.DROP_64_ICMP_BAD_INNER);
    }

    @Test
    void innerPacketThatIsNotIpv6OrNotAFirstFragmentIsDropped() {
        byte[] v4 = PacketBuilder.ipv4("192.0.2.5", "198.51.100.9").udp(1, 2).payload(40).build();
        h.run(error(1, 4, 0, v4)).droppedWith(Counter.DROP_64_ICMP_BAD_INNER);
        byte[] later = offending().fragment(3, true, 1).raw(IpProto.UDP, new byte[16]).build();
        h.run(error(1, 4, 0, later)).droppedWith(Counter.DROP_64_ICMP_BAD_INNER);
    }

    @Test
    void innerNeighborDiscoveryIsDropped() {
        h.run(error(1, 4, 0, offending().icmp(135, 0, 0).payload(16).build()))
                .droppedWith(Counter.DROP_64_ICMP_BAD_INNER);
    }

    @Test
    void errorWithAWrongChecksumIsDroppedRatherThanGivenAValidOne() {
        byte[] in = error(1, 4, 0, offending().udp(1, 2).build());
        in[in.length - 1] ^= 0x40;
        h.run(in).droppedWith(Counter.DROP_64_ICMP_CHECKSUM);
    }

    @Test
    void innerAddressWithoutMappingDropsTheError() {
        byte[] quoted = PacketBuilder.ipv6(H6, "2001:db8:77::1").udp(1, 2).build();
        h.run(error(1, 4, 0, quoted)).droppedWith(Counter.DROP_DST_UNTRANSLATABLE);
    }

    @Nested
    class Rfc6791Sources {
        private byte[] fromRouter(String router, int hop) {
            byte[] quoted = offending().udp(1, 2).build();
            return PacketBuilder.ipv6(router, H6).hopLimit(hop).icmpError(3, 0, 0, quoted).build();
        }

        @Test
        void errorFromAnUntranslatableRouterIsSourcedFromTheRfc6791v4Pool() {
            // RFC 7915 §5.1 / RFC 6791: the pool address whose host part is the Hop Limit (Jool, not randomized)
            h.config.rfc6791v4 = Prefix4.parse("203.0.113.0/24");
            byte[] p = h.run(fromRouter(ROUTER6, 64)).translated();
            assertIpv4(p);
            assertThat(Ipv4.format(i32(p, 12))).isEqualTo("203.0.113.64");
            assertThat(i32(p, 16)).isEqualTo(H4);
            assertThat(Checksum.sum(p, 20, p.length - 20)).isEqualTo(0xffff);
        }

        @Test
        void randomizedPoolAddressesStayInThePool() {
            h.config.rfc6791v4 = Prefix4.parse("203.0.113.0/28");
            h.config.randomizeRfc6791 = true;
            for (int seed = 1; seed < 20; seed++) {
                h.seed = seed;
                byte[] p = h.run(fromRouter(ROUTER6, 64)).translated();
                assertThat(Prefix4.parse("203.0.113.0/28").contains(i32(p, 12))).isTrue();
            }
        }

        @Test
        void withoutAPoolTheTranslatorsOwnIpv4AddressIsUsed() {
            byte[] p = h.run(fromRouter(ROUTER6, 64)).translated();
            assertThat(i32(p, 12)).isEqualTo(OWN4);
        }

        @Test
        void withoutPoolNorOwnAddressTheErrorIsDropped() {
            h.config.ipv4Address = null;
            h.run(fromRouter(ROUTER6, 64)).droppedWith(Counter.DROP_64_NO_RFC6791_SOURCE);
        }

        @Test
        void linkLocalSourceOfAnErrorIsReplacedToo() {
            byte[] p = h.run(fromRouter("fe80::1", 64)).translated();
            assertThat(i32(p, 12)).isEqualTo(OWN4);
        }
    }

    @Nested
    class Rfc4884Extensions {
        /** An ICMP extension structure (RFC 4884 §7): version 2 header and one object, {@code n} bytes in all. */
        private byte[] extension(int n) {
            byte[] e = new byte[n];
            e[0] = 0x20;
            for (int i = 4; i < n; i++) e[i] = (byte) (0xa0 + i);
            e[4] = 0;
            e[5] = (byte) (n - 4);
            return e;
        }

        /** Time Exceeded whose original datagram is {@code original} bytes (64-bit words) and then {@code ext}. */
        private byte[] extended(byte[] quoted, int original, byte[] ext) {
            byte[] body = new byte[original + ext.length];
            System.arraycopy(quoted, 0, body, 0, Math.min(quoted.length, original));
            System.arraycopy(ext, 0, body, original, ext.length);
            return PacketBuilder.ipv6(R6, H6).hopLimit(50).icmpError(3, 0, (original / 8) << 24, body).build();
        }

        @Test
        void originalDatagramOf128BytesIsTranslatedPaddedTo128AndTheExtensionFollows() {
            byte[] quoted = offending().udp(1, 2).payload(80).build(); // 128 bytes
            byte[] ext = extension(16);
            byte[] p = h.run(extended(quoted, 128, ext)).translated();
            assertIcmp4Error(p, 11, 0);
            assertThat(u8(p, 25)).as("RFC 4884 length in 32-bit words").isEqualTo(128 / 4);
            assertThat(p).hasSize(20 + 8 + 128 + 16);
            assertThat(slice(p, 28 + 108, 28 + 128)).as("zero padding").containsOnly(0);
            assertThat(slice(p, 28 + 128, p.length)).isEqualTo(ext);
            assertThat(slice(p, 28 + 28, 28 + 108)).isEqualTo(slice(quoted, 48, 128));
        }

        @Test
        void originalDatagramUnder128BytesIsPaddedTo128() {
            // RFC 4884 requires 128; some routers send less (Jool issue 396): translated and padded to 128
            byte[] quoted = offending().udp(1, 2).payload(16).build(); // 64 bytes
            byte[] ext = extension(8);
            byte[] p = h.run(extended(quoted, 64, ext)).translated();
            assertIcmp4Error(p, 11, 0);
            assertThat(u8(p, 25)).isEqualTo(32);
            assertThat(p).hasSize(20 + 8 + 128 + 8);
            assertThat(slice(p, 28 + 44, 28 + 128)).containsOnly(0);
            assertThat(slice(p, 28 + 128, p.length)).isEqualTo(ext);
        }

        @Test
        void largeOriginalDatagramIsCutToAMultipleOf4SoTheExtensionFitsIn576() {
            byte[] quoted = offending().udp(1, 2).payload(700).build();
            byte[] ext = extension(20);
            byte[] p = h.run(extended(quoted, 600, ext)).translated();
            assertIcmp4Error(p, 11, 0);
            int innerOut = (576 - 20 - 28) & ~3;
            assertThat(p).hasSize(28 + innerOut + 20);
            assertThat(u8(p, 25)).isEqualTo(innerOut / 4);
            assertThat(slice(p, 28 + innerOut, p.length)).isEqualTo(ext);
        }

        @Test
        void extensionTooLargeFor576IsRemoved() {
            byte[] quoted = offending().udp(1, 2).payload(200).build();
            byte[] ext = extension(448);
            byte[] p = h.run(extended(quoted, 248, ext)).translated();
            assertIcmp4Error(p, 11, 0);
            assertThat(u8(p, 25)).isZero();
            assertThat(p).hasSize(28 + 248 - 20);
        }

        @Test
        void lengthEqualToThePayloadMeansNoExtension() {
            byte[] quoted = offending().udp(1, 2).payload(80).build(); // 128
            byte[] in = PacketBuilder.ipv6(R6, H6).hopLimit(50).icmpError(1, 4, 16 << 24, quoted).build();
            byte[] p = h.run(in).translated();
            assertIcmp4Error(p, 3, 3);
            assertThat(u8(p, 25)).isZero();
            assertThat(p).hasSize(28 + 108);
        }

        @Test
        void lengthPastThePayloadIsDropped() {
            byte[] quoted = offending().udp(1, 2).payload(80).build(); // 128
            byte[] in = PacketBuilder.ipv6(R6, H6).icmpError(1, 4, 17 << 24, quoted).build();
            h.run(in).droppedWith(Counter.DROP_64_ICMP_EXTENSION_LENGTH);
        }
    }

    @Test
    void errorsAreNeverAnsweredEvenWhenUntranslatable() {
        byte[] quoted = offending().udp(1, 2).build();
        byte[] in = PacketBuilder.ipv6(R6, H6).icmpError(1, 6, 0, quoted).build();
        Translator64Fixture.Run r = h.run(in);
        r.droppedWith(Counter.DROP_64_ICMP_UNTRANSLATABLE_CODE);
        assertThat(r.counts()).doesNotContainKey(Counter.ICMP6_ERROR_SENT);
        assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_64_ICMP_UNTRANSLATABLE_CODE, 1L));
    }
}
