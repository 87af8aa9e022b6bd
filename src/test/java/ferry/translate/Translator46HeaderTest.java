package ferry.translate;

import static ferry.translate.Translator46Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Ipv4;
import ferry.addr.Ipv6;
import ferry.addr.Prefix4;
import ferry.metrics.Counter;
import ferry.packet.PacketBuilder;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 7915 §4.1 (Translating IPv4 Headers into IPv6 Headers) and §4.4 (Generation of ICMPv4 Error Messages). */
class Translator46HeaderTest {
    private final Harness h = new Harness();

    private static PacketBuilder udp() {
        return PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").ttl(64).udp(4000, 53).payload(16);
    }

    @Nested
    class HeaderFields {
        @Test
        void udpPacketBecomesAnIpv6PacketWithEveryFieldPerSection41() {
            byte[] in = udp().tos(0xb8).identification(0x1234).build();
            Run r = h.run(in);
            assertThat(r.verdict()).isEqualTo(Verdict.EMIT);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.XLAT_46_OK, 1L));
            byte[] out = r.only();
            assertWellFormedIpv6(out);
            assertThat(out).hasSize(40 + 8 + 16);
            assertThat((u32(out, 0) >>> 20) & 0xff).as("traffic class = TOS").isEqualTo(0xb8);
            assertThat(u8(out, 6)).as("next header").isEqualTo(17);
            assertThat(u8(out, 7)).as("hop limit = TTL - 1").isEqualTo(63);
            assertThat(src6(out)).isEqualTo("2001:db8:1c0:2:1::").isEqualTo(v6("192.0.2.1"));
            assertThat(dst6(out)).isEqualTo("2001:db8:1c6:3364:2::");
            assertThat(slice(out, 40, out.length)).as("UDP header and payload except the checksum")
                    .startsWith(slice(in, 20, 26));
            assertThat(slice(out, 48, out.length)).isEqualTo(slice(in, 28, in.length));
            assertThat(l4ChecksumValid6(out)).isTrue();
        }

        @Test
        void zeroizeTrafficClassSetsTrafficClassToZero() {
            h.config.zeroizeTrafficClass = true;
            byte[] out = h.run(udp().tos(0xb8).build()).only();
            assertThat(u32(out, 0) >>> 20 & 0xff).isZero();
        }

        @Test
        void dfPacketWithoutFragmentationGetsNoFragmentHeader() {
            byte[] out = h.run(udp().df(true).build()).only();
            assertThat(u8(out, 6)).isEqualTo(17);
            assertThat(out).hasSize(64);
        }

        @Test
        void ttl2GivesHopLimit1() {
            assertThat(u8(h.run(udp().ttl(2).build()).only(), 7)).isEqualTo(1);
        }

        @Test
        void mapperSeesBothIpv4AddressesProtocolAndPorts() {
            h.run(udp().build());
            assertThat(h.mapper.calls).containsExactly("outer 192.0.2.1->198.51.100.2 proto 17 ports 4000,53");
        }

        @Test
        void mapperFailureDropsWithTheMappersCounter() {
            h.mapper.failOuter = Counter.DROP_WKP_NON_GLOBAL;
            Run r = h.run(udp().build());
            assertThat(r.verdict()).isEqualTo(Verdict.DROP);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_WKP_NON_GLOBAL, 1L));
            assertThat(r.out()).isEmpty();
        }

        @Test
        void unknownProtocolIsPassedThroughUnchanged() {
            byte[] dccp = new byte[16];
            for (int i = 0; i < dccp.length; i++) dccp[i] = (byte) (0xa0 + i);
            byte[] in = PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").raw(33, dccp).build();
            byte[] out = h.run(in).only();
            assertThat(u8(out, 6)).isEqualTo(33);
            assertThat(slice(out, 40, out.length)).isEqualTo(dccp);
        }

        @Test
        void igmpIsSilentlyDropped() {
            byte[] in = PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").raw(2, new byte[8]).build();
            Run r = h.run(in);
            assertThat(r.verdict()).isEqualTo(Verdict.DROP);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_IGMP, 1L));
        }

        @ParameterizedTest(name = "IPv4 protocol {0}")
        @ValueSource(ints = {0, 43, 44, 58, 60, 135})
        void ipv4ProtocolsThatAreIpv6ExtensionHeadersOrIcmpv6AreDropped(int proto) {
            byte[] in = PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").raw(proto, new byte[16]).build();
            Run r = h.run(in);
            assertThat(r.verdict()).isEqualTo(Verdict.DROP);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_IPV6_ONLY_PROTOCOL, 1L));
            assertThat(r.out()).isEmpty();
        }
    }

    @Nested
    class TimeToLive {
        @ParameterizedTest(name = "TTL {0}")
        @ValueSource(ints = {0, 1})
        void expiredTtlIsAnsweredWithTimeExceededAndNotTranslated(int ttl) {
            byte[] in = udp().ttl(ttl).build();
            Run r = h.run(in);
            assertThat(r.verdict()).isEqualTo(Verdict.ICMP_ERROR);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_TTL_EXPIRED, 1L, Counter.ICMP4_ERROR_SENT, 1L));
            byte[] err = r.only();
            assertValidIcmp4Error(err, 11, 0);
            assertThat(src4(err)).isEqualTo("198.51.100.1");
            assertThat(dst4(err)).isEqualTo("192.0.2.1");
            assertThat(u32(err, 24)).as("unused").isZero();
            assertThat(slice(err, 28, err.length)).as("the offending packet as received").isEqualTo(in);
        }

        @Test
        void expiredIcmpErrorIsDroppedWithoutAnError() {
            byte[] inner = PacketBuilder.ipv4("198.51.100.2", "192.0.2.1").udp(53, 4000).payload(8).build();
            byte[] in = PacketBuilder.ipv4("203.0.113.5", "198.51.100.2").ttl(1).icmpError(3, 3, 0, inner).build();
            Run r = h.run(in);
            assertThat(r.verdict()).isEqualTo(Verdict.DROP);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_TTL_EXPIRED, 1L));
            assertThat(r.out()).isEmpty();
        }

        @Test
        void expiredNonFirstFragmentIsDroppedWithoutAnError() {
            byte[] in = udp().ttl(1).fragmentOffset(8).build();
            Run r = h.run(in);
            assertThat(r.verdict()).isEqualTo(Verdict.DROP);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_TTL_EXPIRED, 1L));
        }

        @Test
        void errorIsNotSentWhenNoSourceAddressIsConfigured() {
            h.config.ipv4Address = null;
            Run r = h.run(udp().ttl(1).build());
            assertThat(r.verdict()).isEqualTo(Verdict.DROP);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_TTL_EXPIRED, 1L, Counter.ICMP4_ERROR_NO_SOURCE, 1L));
            assertThat(r.out()).isEmpty();
        }

        @Test
        void rfc6791PoolIsPreferredAndPicksRandomAddressesInsideIt() {
            h.config.rfc6791v4 = Prefix4.parse("192.0.2.64/28");
            Set<String> sources = new HashSet<>();
            for (Run r : h.runAll(40, i -> udp().ttl(1).identification(i).build())) {
                assertThat(r.verdict()).isEqualTo(Verdict.ICMP_ERROR);
                assertValidIcmp4Error(r.only(), 11, 0);
                sources.add(src4(r.only()));
            }
            assertThat(sources).allSatisfy(
                    s -> assertThat(Prefix4.parse("192.0.2.64/28").contains(Ipv4.parse(s))).as(s).isTrue());
            assertThat(sources).as("random within the pool, not always the same").hasSizeGreaterThan(4);
        }

        @Test
        void rfc6791PoolWithoutRandomizationUsesItsFirstAddress() {
            h.config.rfc6791v4 = Prefix4.parse("192.0.2.64/28");
            h.config.randomizeRfc6791 = false;
            assertThat(src4(h.run(udp().ttl(1).build()).only())).isEqualTo("192.0.2.64");
        }

        @Test
        void generatedErrorCarriesAtMost576BytesInTotal() {
            byte[] in = udp().ttl(1).payload(1400).build();
            byte[] err = h.run(in).only();
            assertThat(err).hasSize(576);
            assertValidIcmp4Error(err, 11, 0);
            assertThat(slice(err, 28, 576)).isEqualTo(slice(in, 0, 548));
        }
    }

    @Nested
    class Options {
        @Test
        void nopRecordRouteAndTimestampOptionsAreIgnored() {
            byte[] opts = {
                    1, 1,                                            // NOP NOP
                    7, 11, 8, (byte) 198, 51, 100, 2, 0, 0, 0, 0,   // Record Route, one slot used
                    68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0,           // Timestamp, two empty slots
                    0};                                              // End of Option List
            byte[] in = udp().options(opts).build();
            byte[] plain = udp().build();
            Run r = h.run(in);
            assertThat(r.verdict()).isEqualTo(Verdict.EMIT);
            assertThat(r.only()).as("same as without options").isEqualTo(h.run(plain).only());
        }

        @Test
        void expiredSourceRouteIsTranslated() {
            byte[] lsrr = {(byte) 131, 11, 12, (byte) 198, 51, 100, 7, (byte) 198, 51, 100, 8, 0};
            Run r = h.run(udp().options(lsrr).build());
            assertThat(r.verdict()).isEqualTo(Verdict.EMIT);
        }

        @ParameterizedTest(name = "option type {0}")
        @ValueSource(ints = {131, 137})
        void unexpiredLooseOrStrictSourceRouteIsAnsweredWithSourceRouteFailed(int type) {
            byte[] sr = {(byte) type, 11, 8, (byte) 198, 51, 100, 7, (byte) 198, 51, 100, 8, 0};
            byte[] in = udp().options(sr).build();
            Run r = h.run(in);
            assertThat(r.verdict()).isEqualTo(Verdict.ICMP_ERROR);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_SOURCE_ROUTE, 1L, Counter.ICMP4_ERROR_SENT, 1L));
            byte[] err = r.only();
            assertValidIcmp4Error(err, 3, 5);
            assertThat(slice(err, 28, err.length)).isEqualTo(in);
        }

        @Test
        void optionLengthZeroIsAnsweredWithParameterProblemPointingAtIt() {
            byte[] bad = {1, 7, 0, 0}; // NOP, then Record Route with length 0 at header offset 21
            Run r = h.run(udp().options(bad).build());
            assertThat(r.verdict()).isEqualTo(Verdict.ICMP_ERROR);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_BAD_OPTIONS, 1L, Counter.ICMP4_ERROR_SENT, 1L));
            byte[] err = r.only();
            assertValidIcmp4Error(err, 12, 0);
            assertThat(u8(err, 24)).as("pointer").isEqualTo(21);
        }

        @Test
        void optionLengthPastTheHeaderIsAParameterProblem() {
            byte[] bad = {68, 40, 5, 0}; // Timestamp claiming 40 bytes in a 4-byte options area
            Run r = h.run(udp().options(bad).build());
            assertThat(r.counts()).containsEntry(Counter.DROP_46_BAD_OPTIONS, 1L);
            assertThat(u8(r.only(), 24)).isEqualTo(20);
        }

        @Test
        void optionWithoutRoomForItsLengthOctetIsAParameterProblem() {
            byte[] bad = {1, 1, 1, 7}; // Record Route type in the last octet
            Run r = h.run(udp().options(bad).build());
            assertThat(r.counts()).containsEntry(Counter.DROP_46_BAD_OPTIONS, 1L);
            assertThat(u8(r.only(), 24)).isEqualTo(23);
        }

        @Test
        void sourceRouteWithPointerBelow4IsMalformed() {
            byte[] bad = {(byte) 131, 7, 3, (byte) 198, 51, 100, 7, 0};
            Run r = h.run(udp().options(bad).build());
            assertThat(r.counts()).containsEntry(Counter.DROP_46_BAD_OPTIONS, 1L);
            assertThat(u8(r.only(), 24)).isEqualTo(22);
        }
    }

    @Nested
    class NeverTranslatedAddresses {
        @ParameterizedTest(name = "source {0}")
        @ValueSource(strings = {"0.0.0.0", "0.1.2.3", "127.0.0.1", "169.254.1.1", "224.0.0.1", "239.255.255.255",
                "255.255.255.255"})
        void sourceInANeverTranslatedRangeIsDropped(String src) {
            byte[] in = PacketBuilder.ipv4(src, "198.51.100.2").udp(4000, 53).build();
            Run r = h.run(in);
            assertThat(r.verdict()).isEqualTo(Verdict.DROP);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_SRC_NEVER_TRANSLATED, 1L));
            assertThat(r.out()).isEmpty();
        }

        @ParameterizedTest(name = "destination {0}")
        @ValueSource(strings = {"0.0.0.0", "127.0.0.1", "169.254.1.1", "224.0.0.251", "232.1.1.1",
                "255.255.255.255"})
        void destinationInANeverTranslatedRangeIsDropped(String dst) {
            byte[] in = PacketBuilder.ipv4("192.0.2.1", dst).udp(4000, 53).build();
            Run r = h.run(in);
            assertThat(r.verdict()).isEqualTo(Verdict.DROP);
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_DST_NEVER_TRANSLATED, 1L));
        }

        @Test
        void multicastDestinationWithExpiredTtlGetsNoErrorEither() {
            Run r = h.run(PacketBuilder.ipv4("192.0.2.1", "224.0.0.1").ttl(1).udp(4000, 53).build());
            assertThat(r.out()).isEmpty();
            assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_DST_NEVER_TRANSLATED, 1L));
        }

        @Test
        void icmpErrorFromAnIllegalSourceIsStillTranslatedForTroubleshooting() {
            byte[] inner = PacketBuilder.ipv4("198.51.100.2", "192.0.2.1").udp(53, 4000).payload(4).build();
            byte[] in = PacketBuilder.ipv4("127.0.0.1", "198.51.100.2").icmpError(3, 3, 0, inner).build();
            Run r = h.run(in);
            assertThat(r.verdict()).isEqualTo(Verdict.EMIT);
            assertThat(src6(r.only())).isEqualTo(v6("127.0.0.1"));
        }

        @Test
        void sourceMappedToAnIpv6MulticastAddressIsDropped() {
            h.mapper.forceSrc6 = Ipv6.parse("ff02::1");
            assertThat(h.run(udp().build()).counts()).isEqualTo(Map.of(Counter.DROP_46_SRC6_NEVER_TRANSLATED, 1L));
        }

        @Test
        void destinationMappedToALinkLocalAddressIsDropped() {
            h.mapper.forceDst6 = Ipv6.parse("fe80::1");
            assertThat(h.run(udp().build()).counts()).isEqualTo(Map.of(Counter.DROP_46_DST6_NEVER_TRANSLATED, 1L));
        }

        @Test
        void destinationMappedToTheUnspecifiedAddressIsDropped() {
            h.mapper.forceDst6 = new long[] {0, 0};
            assertThat(h.run(udp().build()).counts()).isEqualTo(Map.of(Counter.DROP_46_DST6_NEVER_TRANSLATED, 1L));
        }
    }
}
