package ferry.translate;

import static ferry.translate.Translator46Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.metrics.Counter;
import ferry.packet.PacketBuilder;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * RFC 7915 §4.2 (ICMPv4 error → ICMPv6 error) and §4.3 (the packet in error), with RFC 4884 extensions and
 * RFC 1191 plateaus. The error comes from router 203.0.113.5 about a packet 198.51.100.2 → 192.0.2.1 that the
 * translator had sent to the IPv4 side.
 */
class Translator46IcmpErrorTest {
    private final Harness h = new Harness();

    private static PacketBuilder innerUdp(int payload) {
        return PacketBuilder.ipv4("198.51.100.2", "192.0.2.1").ttl(61).identification(0x77).udp(53, 4000)
                .payload(payload);
    }

    private static PacketBuilder error(int type, int code, int rest, byte[] inner) {
        return PacketBuilder.ipv4("203.0.113.5", "198.51.100.2").ttl(50).icmpError(type, code, rest, inner);
    }

    /** The same packet as {@code innerUdp} had it been built in IPv6 from the start (checksum computed afresh). */
    private static byte[] innerUdpAsIpv6(int payload) {
        return PacketBuilder.ipv6(v6("198.51.100.2"), v6("192.0.2.1")).hopLimit(61).udp(53, 4000).payload(payload)
                .build();
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] r = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, r, at, p.length);
            at += p.length;
        }
        return r;
    }

    private static byte[] extension(int n) {
        byte[] e = new byte[n];
        e[0] = 0x20; // RFC 4884 extension header, version 2
        for (int i = 4; i < n; i++) e[i] = (byte) (0x40 + i);
        return e;
    }

    /** ICMPv6 message of a translated error (everything after the outer IPv6 header). */
    private static byte[] icmp6(byte[] out) {
        return slice(out, 40, out.length);
    }

    @Nested
    class PacketInError {
        @Test
        void portUnreachableIsTranslatedWithItsInnerPacket() {
            byte[] inner = innerUdp(24).build();
            Run r = h.run(error(3, 3, 0, inner).build());
            assertThat(r.verdict()).isEqualTo(Verdict.EMIT);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.XLAT_46_OK, 1L));
            byte[] out = r.only();
            assertWellFormedIpv6(out);
            assertThat(out).hasSize(40 + 8 + 40 + 8 + 24);
            assertThat(u8(out, 6)).isEqualTo(58);
            assertThat(u8(out, 7)).as("outer hop limit = TTL - 1").isEqualTo(49);
            assertThat(src6(out)).isEqualTo(v6("203.0.113.5"));
            assertThat(dst6(out)).isEqualTo(v6("198.51.100.2"));
            assertThat(u8(out, 40)).isEqualTo(1);
            assertThat(u8(out, 41)).isEqualTo(4);
            assertThat(u32(out, 44)).isZero();
            assertThat(l4ChecksumValid6(out)).as("ICMPv6 checksum").isTrue();
            byte[] inner6 = slice(out, 48, out.length);
            assertThat(inner6).as("inner packet as if built in IPv6, TTL not decremented")
                    .isEqualTo(innerUdpAsIpv6(24));
        }

        @Test
        void innerAddressesGoThroughTheMapperFlaggedInner() {
            h.run(error(3, 3, 0, innerUdp(4).build()).build());
            assertThat(h.mapper.calls).containsExactly(
                    "outer 203.0.113.5->198.51.100.2 proto 1 ports 0,0 icmpError",
                    "inner 198.51.100.2->192.0.2.1 proto 17 ports 53,4000 icmpError");
        }

        @Test
        void innerMappingFailureDropsWithTheMappersCounter() {
            h.mapper.failInner = Counter.DROP_WKP_NON_GLOBAL;
            Run r = h.run(error(3, 3, 0, innerUdp(4).build()).build());
            assertThat(r.verdict()).isEqualTo(Verdict.DROP);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_WKP_NON_GLOBAL, 1L));
        }

        @Test
        void truncatedInnerPacketKeepsItsTotalLengthAndAnUpdatedTransportChecksum() {
            byte[] full = innerUdp(1000).build();
            byte[] cut = slice(full, 0, 28 + 32); // a router quoted only the first 60 bytes
            byte[] out = h.run(error(3, 1, 0, cut).build()).only();
            assertThat(out).hasSize(48 + 40 + 8 + 32);
            assertThat(u16(out, 48 + 4)).as("inner payload length from the inner Total Length").isEqualTo(1008);
            assertThat(slice(out, 48 + 40, out.length)).as("inner UDP header: same checksum as a native IPv6 one")
                    .isEqualTo(slice(innerUdpAsIpv6(1000), 40, 40 + 8 + 32));
            assertThat(l4ChecksumValid6(out)).isTrue();
        }

        @Test
        void innerPacketWithOnly8BytesOfTcpIsTranslatedWithoutTouchingTheMissingChecksum() {
            byte[] full = PacketBuilder.ipv4("198.51.100.2", "192.0.2.1").tcp(40000, 443).payload(10).build();
            byte[] cut = slice(full, 0, 28); // RFC 792: IP header + 64 bits of data
            byte[] out = h.run(error(11, 0, 0, cut).build()).only();
            assertThat(out).hasSize(48 + 48);
            assertThat(u8(out, 40)).isEqualTo(3);
            assertThat(slice(out, 88, 96)).isEqualTo(slice(full, 20, 28));
            assertThat(l4ChecksumValid6(out)).isTrue();
        }

        @Test
        void innerHeaderWithOptionsLosesThemAndKeepsTheTransportBytes() {
            byte[] inner = innerUdp(12).options(new byte[] {1, 1, 1, 0}).build();
            byte[] out = h.run(error(3, 3, 0, inner).build()).only();
            assertThat(out).hasSize(48 + 40 + 8 + 12);
            assertThat(u16(out, 52)).isEqualTo(20);
            assertThat(slice(out, 48, out.length)).isEqualTo(innerUdpAsIpv6(12));
        }

        @Test
        void innerFirstFragmentGetsAFragmentHeader() {
            byte[] inner = innerUdp(16).mf(true).build();
            byte[] out = h.run(error(3, 3, 0, inner).build()).only();
            assertThat(out).hasSize(48 + 48 + 8 + 16);
            int i6 = 48;
            assertThat(u8(out, i6 + 6)).isEqualTo(44);
            assertThat(u16(out, i6 + 4)).as("payload length incl. Fragment header").isEqualTo(8 + 24);
            assertThat(u8(out, i6 + 40)).isEqualTo(17);
            assertThat(u16(out, i6 + 42)).isEqualTo(1); // offset 0, M
            assertThat(u32(out, i6 + 44)).isEqualTo(0x77);
            assertThat(l4ChecksumValid6(out)).isTrue();
        }

        @Test
        void innerNonFirstFragmentIsTranslatedWithoutTouchingItsBytes() {
            byte[] data = new byte[16];
            Arrays.fill(data, (byte) 0x5a);
            byte[] inner = PacketBuilder.ipv4("198.51.100.2", "192.0.2.1").identification(9).fragmentOffset(10)
                    .raw(17, data).build();
            byte[] out = h.run(error(11, 1, 0, inner).build()).only();
            assertThat(u8(out, 48 + 6)).isEqualTo(44);
            assertThat(u16(out, 48 + 42)).isEqualTo(80);
            assertThat(slice(out, 96, out.length)).isEqualTo(data);
        }

        @Test
        void errorAboutAnEchoRequestCarriesAnIcmpv6EchoRequest() {
            byte[] inner = PacketBuilder.ipv4("198.51.100.2", "192.0.2.1").ttl(61).echoRequest(0x1111, 3)
                    .payload(20).build();
            byte[] out = h.run(error(3, 1, 0, inner).build()).only();
            byte[] expected = PacketBuilder.ipv6(v6("198.51.100.2"), v6("192.0.2.1")).hopLimit(61)
                    .echoRequest(0x1111, 3).payload(20).build();
            assertThat(slice(out, 48, out.length)).isEqualTo(expected);
            assertThat(l4ChecksumValid6(out)).isTrue();
        }

        @Test
        void icmpErrorInsideAnIcmpErrorIsDropped() {
            byte[] innermost = innerUdp(4).build();
            byte[] inner = PacketBuilder.ipv4("198.51.100.2", "192.0.2.1").icmpError(3, 3, 0, innermost).build();
            Run r = h.run(error(3, 1, 0, inner).build());
            assertThat(r.verdict()).isEqualTo(Verdict.DROP);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_ICMP_ERROR_IN_ERROR, 1L));
        }

        @Test
        void innerPacketShorterThanAnIpv4HeaderIsDropped() {
            Run r = h.run(error(3, 1, 0, slice(innerUdp(4).build(), 0, 16)).build());
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_ICMP_BAD_INNER, 1L));
        }

        @Test
        void innerPacketThatIsNotIpv4IsDropped() {
            byte[] inner = innerUdp(4).build();
            inner[0] = 0x65;
            assertThat(h.run(error(3, 1, 0, inner).build()).counts())
                    .isEqualTo(Map.of(Counter.DROP_46_ICMP_BAD_INNER, 1L));
        }

        @Test
        void wrongIcmpv4ChecksumIsNotTurnedIntoAValidOne() {
            byte[] in = error(3, 3, 0, innerUdp(4).build()).checksum(0x1234).build();
            Run r = h.run(in);
            assertThat(r.verdict()).isEqualTo(Verdict.DROP);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_ICMP_CHECKSUM, 1L));
        }

        @Test
        void errorLargerThan1280BytesIsCutTo1280() {
            byte[] inner = innerUdp(1444).build();
            byte[] out = h.run(error(3, 3, 0, inner).df(true).build()).only();
            assertThat(out).hasSize(1280);
            assertThat(u16(out, 4)).isEqualTo(1240);
            assertThat(l4ChecksumValid6(out)).isTrue();
            assertThat(slice(out, 48, 1280)).isEqualTo(slice(innerUdpAsIpv6(1444), 0, 1232));
        }

        @Test
        void errorsNeverProduceErrorsEvenWhenTheirSourceRouteIsUnexpired() {
            byte[] lsrr = {(byte) 131, 7, 4, (byte) 198, 51, 100, 7, 0};
            Run r = h.run(error(3, 3, 0, innerUdp(4).build()).options(lsrr).build());
            assertThat(r.verdict()).isEqualTo(Verdict.DROP);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_SOURCE_ROUTE, 1L));
        }
    }

    @Nested
    class Rfc6791Sources {
        private final ferry.addr.Prefix6 pool = ferry.addr.Prefix6.parse("2001:db8:ffff::/64");

        private Run fromUnmappableRouter() {
            h.mapper.outerSrcUntranslatable = true;
            return h.run(error(3, 1, 0, innerUdp(8).build()).build());
        }

        @Test
        void errorFromAnUnmappableRouterIsSourcedFromARandomRfc6791v6Address() {
            h.config.rfc6791v6 = pool;
            java.util.Set<String> sources = new java.util.HashSet<>();
            h.mapper.outerSrcUntranslatable = true;
            for (Run r : h.runAll(20, i -> error(3, 1, 0, innerUdp(i).build()).build())) {
                byte[] out = r.only();
                assertThat(l4ChecksumValid6(out)).isTrue();
                assertThat(dst6(out)).isEqualTo(v6("198.51.100.2"));
                long[] a = ferry.addr.Ipv6.parse(src6(out));
                assertThat(pool.contains(a[0], a[1])).as(src6(out)).isTrue();
                sources.add(src6(out));
            }
            assertThat(sources).as("random within the pool").hasSizeGreaterThan(10);
        }

        @Test
        void withoutRandomizationTheRfc6791v6AddressCarriesTheTtl() {
            h.config.rfc6791v6 = pool;
            h.config.randomizeRfc6791 = false;
            assertThat(src6(fromUnmappableRouter().only())).isEqualTo("2001:db8:ffff::32"); // TTL 50 = 0x32
        }

        @Test
        void withoutAPoolTheTranslatorsOwnIpv6AddressIsUsed() {
            h.config.ipv6Address = ferry.addr.Prefix6.parse("2001:db8:1c0:2:1::/128");
            Run r = fromUnmappableRouter();
            assertThat(r.verdict()).isEqualTo(Verdict.EMIT);
            assertThat(src6(r.only())).isEqualTo("2001:db8:1c0:2:1::");
            assertThat(l4ChecksumValid6(r.only())).isTrue();
        }

        @Test
        void withNeitherTheErrorIsDropped() {
            Run r = fromUnmappableRouter();
            assertThat(r.verdict()).isEqualTo(Verdict.DROP);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_NO_RFC6791_SOURCE, 1L));
        }

        @Test
        void aNonErrorPacketFromAnUnmappableSourceIsDroppedWithTheMappersCounter() {
            h.config.rfc6791v6 = pool;
            h.mapper.outerSrcUntranslatable = true;
            Run r = h.run(innerUdp(8).build());
            assertThat(r.verdict()).isEqualTo(Verdict.DROP);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_SRC_UNTRANSLATABLE, 1L));
        }
    }

    @Nested
    class TypesAndCodes {
        @ParameterizedTest(name = "ICMPv4 {0}/{1} -> ICMPv6 {2}/{3}")
        @CsvSource({"3, 0, 1, 0", "3, 1, 1, 0", "3, 3, 1, 4", "3, 9, 1, 1", "3, 13, 1, 1", "3, 15, 1, 1",
                "11, 0, 3, 0", "11, 1, 3, 1"})
        void errorTypeAndCodeAreMapped(int type, int code, int type6, int code6) {
            byte[] out = h.run(error(type, code, 0, innerUdp(8).build()).build()).only();
            assertThat(u8(out, 40)).isEqualTo(type6);
            assertThat(u8(out, 41)).isEqualTo(code6);
            assertThat(l4ChecksumValid6(out)).isTrue();
        }

        @Test
        void protocolUnreachableBecomesParameterProblemPointingAtNextHeader() {
            byte[] out = h.run(error(3, 2, 0, innerUdp(8).build()).build()).only();
            assertThat(u8(out, 40)).isEqualTo(4);
            assertThat(u8(out, 41)).isEqualTo(1);
            assertThat(u32(out, 44)).isEqualTo(6);
            assertThat(l4ChecksumValid6(out)).isTrue();
        }

        @Test
        void hostPrecedenceViolationIsDropped() {
            Run r = h.run(error(3, 14, 0, innerUdp(8).build()).build());
            assertThat(r.verdict()).isEqualTo(Verdict.DROP);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_ICMP_UNTRANSLATABLE_CODE, 1L));
        }

        @ParameterizedTest(name = "IPv4 pointer {0} -> IPv6 pointer {1}")
        @CsvSource({"0, 0", "1, 1", "2, 4", "8, 7", "9, 6", "12, 8", "19, 24"})
        void parameterProblemPointerIsMapped(int ptr4, int ptr6) {
            byte[] out = h.run(error(12, 0, ptr4 << 24, innerUdp(8).build()).build()).only();
            assertThat(u8(out, 40)).isEqualTo(4);
            assertThat(u8(out, 41)).isZero();
            assertThat(u32(out, 44)).isEqualTo(ptr6);
            assertThat(l4ChecksumValid6(out)).isTrue();
        }

        @Test
        void badLengthParameterProblemIsMappedLikeCode0() {
            byte[] out = h.run(error(12, 2, 3 << 24, innerUdp(8).build()).build()).only();
            assertThat(u8(out, 41)).isZero();
            assertThat(u32(out, 44)).isEqualTo(4);
        }

        @ParameterizedTest(name = "pointer {0}")
        @CsvSource({"4", "6", "7", "10", "11", "20", "60"})
        void parameterProblemPointerWithNoMappingIsDropped(int ptr4) {
            Run r = h.run(error(12, 0, ptr4 << 24, innerUdp(8).build()).build());
            assertThat(r.verdict()).isEqualTo(Verdict.DROP);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_ICMP_PARAM_POINTER, 1L));
        }

        @Test
        void missingRequiredOptionIsDropped() {
            assertThat(h.run(error(12, 1, 0, innerUdp(8).build()).build()).counts())
                    .isEqualTo(Map.of(Counter.DROP_46_ICMP_UNTRANSLATABLE_CODE, 1L));
        }
    }

    @Nested
    class FragmentationNeeded {
        private long mtuOf(int advertised, int innerPayload) {
            byte[] out = h.run(error(3, 4, advertised & 0xffff, innerUdp(innerPayload).build()).build()).only();
            assertThat(u8(out, 40)).isEqualTo(2);
            assertThat(u8(out, 41)).isZero();
            assertThat(l4ChecksumValid6(out)).isTrue();
            return u32(out, 44);
        }

        @Test
        void mtuGrowsBy20() {
            assertThat(mtuOf(1400, 1472)).isEqualTo(1420);
        }

        @Test
        void mtu1024BecomesTheIpv6Minimum1280() {
            assertThat(mtuOf(1024, 1472)).isEqualTo(1280);
        }

        @Test
        void mtuIsCappedByTheIpv6Mtu() {
            h.config.ipv6Mtu = 1400;
            assertThat(mtuOf(1480, 1472)).isEqualTo(1400);
        }

        @Test
        void mtu0UsesTheGreatestPlateauBelowTheInnerTotalLength() {
            h.config.ipv6Mtu = 9000;
            h.config.ipv4Mtu = 9000;
            assertThat(mtuOf(0, 1472)).as("plateau 1492 + 20").isEqualTo(1512);
        }

        @Test
        void mtu0WithAJumboInnerPacketUsesPlateau8166() {
            h.config.ipv6Mtu = 9000;
            h.config.ipv4Mtu = 9000;
            // only the first bytes are quoted, but the inner Total Length says 8000+28
            byte[] cut = slice(innerUdp(8000).build(), 0, 548);
            byte[] out = h.run(error(3, 4, 0, cut).build()).only();
            assertThat(u32(out, 44)).isEqualTo(4352 + 20);
        }

        @Test
        void mtu0WithNoPlateauBelowFallsBackTo1280() {
            assertThat(mtuOf(0, 0)).isEqualTo(1280); // inner total length 28 < 68
        }
    }

    @Nested
    class Rfc4884Extensions {
        @Test
        void lengthIsConvertedFrom32BitTo64BitWords() {
            byte[] inner = innerUdp(104).build();          // 132 bytes = 33 words
            byte[] ext = extension(40);
            byte[] in = error(3, 3, 33 << 16, concat(inner, ext)).build();
            byte[] out = h.run(in).only();
            assertThat(out).hasSize(48 + 152 + 40);
            assertThat(u8(out, 44)).as("length in 64-bit words").isEqualTo(19);
            assertThat(slice(out, 48, 200)).isEqualTo(innerUdpAsIpv6(104));
            assertThat(slice(out, 200, out.length)).isEqualTo(ext);
            assertThat(l4ChecksumValid6(out)).isTrue();
        }

        @Test
        void innerPacketUnder128BytesIsZeroPaddedTo128() {
            byte[] inner = innerUdp(0).build();            // 28 bytes, length 7 (illegal but seen: Jool issue #396)
            byte[] ext = extension(40);
            byte[] out = h.run(error(11, 0, 7 << 16, concat(inner, ext)).build()).only();
            assertThat(out).hasSize(48 + 128 + 40);
            assertThat(u8(out, 44)).isEqualTo(16);
            assertThat(slice(out, 48, 96)).isEqualTo(innerUdpAsIpv6(0));
            assertThat(slice(out, 96, 176)).containsOnly(0);
            assertThat(slice(out, 176, out.length)).isEqualTo(ext);
            assertThat(l4ChecksumValid6(out)).isTrue();
        }

        @Test
        void innerPacketIsZeroPaddedToA64BitBoundary() {
            byte[] inner = concat(innerUdp(98).build(), new byte[2]); // 126 + 2 padding = 128 bytes = 32 words
            byte[] ext = extension(20);
            byte[] out = h.run(error(3, 3, 32 << 16, concat(inner, ext)).build()).only();
            assertThat(u8(out, 44)).isEqualTo(19);                    // 148 -> 152
            assertThat(out).hasSize(48 + 152 + 20);
            assertThat(slice(out, 48 + 148, 48 + 152)).containsOnly(0);
            assertThat(slice(out, 200, out.length)).isEqualTo(ext);
        }

        @Test
        void lengthPastThePayloadIsDropped() {
            byte[] in = error(3, 3, 64 << 16, innerUdp(20).build()).build(); // claims 256 bytes, has 48
            Run r = h.run(in);
            assertThat(r.verdict()).isEqualTo(Verdict.DROP);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_ICMP_EXTENSION_LENGTH, 1L));
        }

        @Test
        void lengthEqualToThePayloadMeansNoExtension() {
            byte[] inner = innerUdp(100).build(); // 128 bytes
            byte[] out = h.run(error(3, 3, 32 << 16, inner).build()).only();
            assertThat(u8(out, 44)).isZero();
            assertThat(out).hasSize(48 + 148);
        }

        @Test
        void extensionTooLargeToFitIsRemovedWhole() {
            byte[] inner = innerUdp(100).build(); // 128 bytes
            byte[] ext = extension(1105);
            byte[] out = h.run(error(3, 3, 32 << 16, concat(inner, ext)).build()).only();
            assertThat(u8(out, 44)).isZero();
            assertThat(out).hasSize(48 + 148);
            assertThat(slice(out, 48, out.length)).isEqualTo(innerUdpAsIpv6(100));
            assertThat(l4ChecksumValid6(out)).isTrue();
        }

        @Test
        void innerPacketIsCutToLeaveRoomForTheExtension() {
            h.config.ipv4Mtu = 9000;
            byte[] inner = innerUdp(992).build(); // 1020 bytes = 255 words
            byte[] ext = extension(200);
            byte[] out = h.run(error(3, 3, 255 << 16, concat(inner, ext)).build()).only();
            assertThat(out).hasSize(1280);
            assertThat(u8(out, 44)).isEqualTo(129);                     // 1032 bytes
            assertThat(slice(out, 48, 48 + 1032)).isEqualTo(slice(innerUdpAsIpv6(992), 0, 1032));
            assertThat(slice(out, 1080, 1280)).isEqualTo(ext);
            assertThat(l4ChecksumValid6(out)).isTrue();
        }

        @Test
        void packetTooBigCannotCarryAnExtension() {
            byte[] inner = innerUdp(104).build();
            byte[] out = h.run(error(3, 4, (33 << 16) | 1400, concat(inner, extension(40))).build()).only();
            assertThat(u8(out, 40)).isEqualTo(2);
            assertThat(u32(out, 44)).isEqualTo(1420);
            assertThat(out).hasSize(48 + 152);
            assertThat(l4ChecksumValid6(out)).isTrue();
        }

        @Test
        void parameterProblemCannotCarryAnExtension() {
            byte[] inner = innerUdp(104).build();
            byte[] out = h.run(error(12, 0, (9 << 24) | (33 << 16), concat(inner, extension(40))).build()).only();
            assertThat(u32(out, 44)).isEqualTo(6);
            assertThat(out).hasSize(48 + 152);
        }

        @Test
        void withoutTailRoomForThePaddingTheExtensionIsLeftOut() {
            h.tail = 0;
            byte[] inner = innerUdp(0).build();
            byte[] out = h.run(error(11, 0, 7 << 16, concat(inner, extension(40))).build()).only();
            assertThat(u8(out, 44)).isZero();
            assertThat(out).hasSize(48 + 48);
            assertThat(l4ChecksumValid6(out)).isTrue();
        }
    }
}
