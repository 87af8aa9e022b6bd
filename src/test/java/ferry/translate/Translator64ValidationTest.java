package ferry.translate;

import static ferry.translate.Translator64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Denylist4;
import ferry.addr.Prefix4;
import ferry.metrics.Counter;
import ferry.packet.ExtHeaderWalker;
import ferry.packet.IcmpTypes;
import ferry.packet.IpProto;
import ferry.packet.PacketBuilder;
import ferry.siit.SiitMapper;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Before translation: the IPv6 header, the extension-header chain and the addresses (RFC 8200, RFC 7915 §5.1). */
class Translator64ValidationTest {
    private final Harness h = new Harness();

    @Test
    void readsOf0To39BytesAreDroppedAsTruncated() {
        byte[] in = v6().udp(1, 2).payload(8).build();
        for (int n = 0; n < 40; n++) {
            h.run(in, n).droppedWith(Counter.DROP_TRUNCATED);
        }
    }

    @Test
    void versionOtherThan6IsDropped() {
        byte[] in = v6().udp(1, 2).build();
        in[0] = 0x45;
        h.run(in).droppedWith(Counter.DROP_UNKNOWN_VERSION);
    }

    @Test
    void payloadLengthPastTheBufferIsDropped() {
        h.run(v6().udp(1, 2).payload(100).truncate(100).build()).droppedWith(Counter.DROP_64_PAYLOAD_LENGTH);
        h.run(v6().payloadLength(9).raw(59, new byte[8]).build()).droppedWith(Counter.DROP_64_PAYLOAD_LENGTH);
    }

    @Test
    void jumbogramWithPayloadLength0IsDropped() {
        h.run(v6().hopByHop().udp(1, 2).payloadLength(0).build()).droppedWith(Counter.DROP_64_PAYLOAD_LENGTH);
    }

    @Test
    void extensionHeaderRunningPastThePayloadIsDropped() {
        // a 64-byte Destination Options header in a packet whose Payload Length says 32
        h.run(v6().payloadLength(32).options6(IpProto.IPV6_OPTS, 64).raw(59, new byte[0]).truncate(72).build())
                .droppedWith(Counter.DROP_64_EXT_TRUNCATED);
    }

    @Test
    void chainOf100ExtensionHeadersIsDropped() {
        PacketBuilder b = v6();
        for (int i = 0; i < 100; i++) b.destinationOptions();
        h.run(b.udp(1, 2).build()).droppedWith(Counter.DROP_64_TOO_MANY_EXT_HEADERS);
    }

    @Test
    void chainOf16ExtensionHeadersIsTranslated() {
        PacketBuilder b = v6();
        for (int i = 0; i < ExtHeaderWalker.MAX_HEADERS; i++) b.destinationOptions();
        byte[] p = h.run(b.udp(1, 2).payload(4).build()).translated();
        assertThat(p).hasSize(20 + 12);
        assertThat(l4ChecksumValid4(p)).isTrue();
    }

    @Test
    void hopByHopAfterAnotherHeaderIsDropped() {
        h.run(v6().destinationOptions().hopByHop().udp(1, 2).build())
                .droppedWith(Counter.DROP_64_HOP_BY_HOP_NOT_FIRST);
    }

    @Test
    void twoFragmentHeadersAreDropped() {
        h.run(v6().fragment(0, false, 1).fragment(0, false, 1).udp(1, 2).build())
                .droppedWith(Counter.DROP_64_TWO_FRAGMENT_HEADERS);
    }

    @ParameterizedTest(name = "header {0} after the Fragment header")
    @ValueSource(ints = {IpProto.HOPOPT, IpProto.IPV6_ROUTE, IpProto.IPV6_OPTS, IpProto.AH})
    void extensionHeaderAfterTheFragmentHeaderIsAnsweredWithAdminProhibited(int type) {
        // RFC 7915 §5.1.1: "If the Next Header field of the Fragment Header is an extension header (except ESP,
        // but including the Authentication Header (AH)), then the packet SHOULD be dropped and logged." §5.4: the
        // default error is Type 1 Code 1 (what Jool sends, its graybox test "ac").
        byte[] ext = new byte[8];
        ext[1] = 0; // one 8-byte unit
        byte[] in = v6().fragment(0, false, 7).extension(type, ext).udp(1, 2).build();
        byte[] err = h.run(in).answeredWith(Counter.DROP_64_EXT_AFTER_FRAGMENT);
        assertThat(assertIcmp6(err)).isEqualTo(IcmpTypes.V6_DEST_UNREACH);
        assertThat(u8(err, 41)).isEqualTo(IcmpTypes.V6_ADMIN_PROHIBITED);
        assertThat(slice(err, 48, err.length)).isEqualTo(in);
    }

    @Test
    void extensionHeaderBeforeTheFragmentHeaderIsFine() {
        byte[] p = h.run(v6().hopByHop().destinationOptions().fragment(0, false, 0x10203).udp(1, 2).build())
                .translated();
        assertThat(u16(p, 4)).isEqualTo(0x0203);
    }

    @Test
    void espAfterTheFragmentHeaderIsTranslated() {
        byte[] p = h.run(v6().fragment(0, false, 5).raw(IpProto.ESP, new byte[16]).build()).translated();
        assertThat(u8(p, 9)).isEqualTo(IpProto.ESP);
    }

    @Nested
    class NeverTranslatedAddresses {
        private final Harness lax = new Harness();

        {
            lax.mapper = new SiitMapper(POOL6, EAMT, Denylist4.EMPTY, false);
        }

        @ParameterizedTest(name = "source {0}")
        @ValueSource(strings = {"ff02::1", "ff0e::1234", "fe80::1", "febf::1", "::", "::1"})
        void ipv6SourceNeverTranslatedIsDropped(String src) {
            h.run(PacketBuilder.ipv6(src, R6).udp(1, 2).build()).droppedWith(Counter.DROP_64_SRC_NEVER_TRANSLATED);
        }

        @ParameterizedTest(name = "destination {0}")
        @ValueSource(strings = {"ff02::1", "ff05::2", "fe80::5", "::", "::1"})
        void ipv6DestinationNeverTranslatedIsDropped(String dst) {
            h.run(PacketBuilder.ipv6(H6, dst).udp(1, 2).build()).droppedWith(Counter.DROP_64_DST_NEVER_TRANSLATED);
        }

        @ParameterizedTest(name = "destination {0}")
        @ValueSource(strings = {"0.0.0.1", "127.0.0.1", "169.254.1.1", "224.0.0.5", "239.1.2.3", "255.255.255.255"})
        void destinationMappedIntoANeverTranslatedIpv4RangeIsDropped(String v4) {
            lax.run(PacketBuilder.ipv6(H6, "64:ff9b::" + v4).udp(1, 2).build())
                    .droppedWith(Counter.DROP_64_DST4_NEVER_TRANSLATED);
        }

        @ParameterizedTest(name = "source {0}")
        @ValueSource(strings = {"0.0.0.1", "127.0.0.1", "169.254.1.1", "224.0.0.5", "255.255.255.255"})
        void sourceMappedIntoANeverTranslatedIpv4RangeIsDropped(String v4) {
            lax.run(PacketBuilder.ipv6("64:ff9b::" + v4, R6).udp(1, 2).build())
                    .droppedWith(Counter.DROP_64_SRC4_NEVER_TRANSLATED);
        }

        @Test
        void underTheWellKnownPrefixNonGlobalAddressesAreRefusedFirst() {
            h.run(PacketBuilder.ipv6(H6, "64:ff9b::127.0.0.1").udp(1, 2).build())
                    .droppedWith(Counter.DROP_WKP_NON_GLOBAL);
            h.run(PacketBuilder.ipv6(H6, "64:ff9b::10.1.2.3").udp(1, 2).build())
                    .droppedWith(Counter.DROP_WKP_NON_GLOBAL);
        }
    }

    @Test
    void untranslatableSourceIsAnsweredWithSourceAddressFailedPolicy() {
        // RFC 7915 §5.1 Source Address: "the translator SHOULD drop the packet and respond with an ICMPv6
        // "Destination Unreachable, Source address failed ingress/egress policy" (Type 1, Code 5)."
        byte[] in = PacketBuilder.ipv6(ROUTER6, R6).udp(1, 2).build();
        byte[] err = h.run(in).answeredWith(Counter.DROP_SRC_UNTRANSLATABLE);
        assertThat(assertIcmp6(err)).isEqualTo(1);
        assertThat(u8(err, 41)).isEqualTo(5);
        assertThat(slice(err, 24, 40)).isEqualTo(slice(in, 8, 24)); // to the offending source
    }

    @Test
    void untranslatableDestinationIsDropped() {
        h.run(PacketBuilder.ipv6(H6, "2001:db8:77::1").udp(1, 2).build())
                .droppedWith(Counter.DROP_DST_UNTRANSLATABLE);
    }

    @Test
    void destinationInDenylist4IsDropped() {
        h.mapper = new SiitMapper(POOL6, EAMT, Denylist4.of(List.of(Prefix4.parse("198.51.100.0/28"))), true);
        h.run(v6().udp(1, 2).build()).droppedWith(Counter.DROP_DENYLIST4);
    }
}
