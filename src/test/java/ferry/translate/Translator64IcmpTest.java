package ferry.translate;

import static ferry.translate.Translator64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.metrics.Counter;
import ferry.packet.Checksum;
import ferry.packet.IcmpTypes;
import ferry.packet.PacketBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 7915 §5.2: ICMPv6 informational messages on the packet path (errors: {@link Translator64IcmpErrorTest}). */
class Translator64IcmpTest {
    private final Harness h = new Harness();

    @Test
    void echoRequestBecomesType8WithTheSameIdSequenceAndData() {
        byte[] in = v6().echoRequest(0x1234, 0x5678).payload(56).build();
        byte[] p = h.run(in).translated();
        assertIpv4(p);
        assertThat(p).hasSize(20 + 8 + 56);
        assertThat(u8(p, 20)).isEqualTo(8);
        assertThat(u8(p, 21)).isZero();
        assertThat(u16(p, 24)).isEqualTo(0x1234);
        assertThat(u16(p, 26)).isEqualTo(0x5678);
        assertThat(slice(p, 28, p.length)).isEqualTo(slice(in, 48, in.length));
        // "adjust the ICMP checksum both to take the type change into account and to exclude the ICMPv6
        // pseudo-header": the ICMPv4 checksum verifies on its own
        assertThat(l4ChecksumValid4(p)).isTrue();
    }

    @Test
    void echoReplyBecomesType0() {
        byte[] p = h.run(v6().echoReply(7, 8).payload(3).build()).translated();
        assertThat(u8(p, 20)).isEqualTo(0);
        assertThat(l4ChecksumValid4(p)).isTrue();
    }

    @Test
    void wrongEchoChecksumStaysWrongByTheSameAmount() {
        byte[] good = v6().echoRequest(1, 2).payload(20).build();
        int c = u16(good, 42);
        byte[] bad = v6().echoRequest(1, 2).payload(20).checksum(Checksum.add(c, 1)).build();
        byte[] pGood = h.run(good).translated();
        byte[] pBad = h.run(bad).translated();
        assertThat(l4ChecksumValid4(pBad)).isFalse();
        assertThat(u16(pBad, 22)).isEqualTo(Checksum.add(u16(pGood, 22), 1));
    }

    @ParameterizedTest(name = "MLD type {0}")
    @ValueSource(ints = {130, 131, 132, 143})
    void mldIsSilentlyDropped(int type) {
        // RFC 7915 §5.2: "MLD Multicast Listener Query/Report/Done (Type 130, 131, 132): Single-hop message.
        // Silently drop."
        h.run(v6().icmp(type, 0, 0).payload(16).build()).droppedWith(Counter.DROP_64_ICMP_MLD);
    }

    @ParameterizedTest(name = "ND type {0}")
    @ValueSource(ints = {133, 134, 135, 136, 137})
    void neighborDiscoveryAndRedirectAreSilentlyDropped(int type) {
        // RFC 7915 §5.2: "Neighbor Discover messages (Type 133 through 137): Single-hop message. Silently drop."
        h.run(v6().icmp(type, 0, 0).payload(32).build()).droppedWith(Counter.DROP_64_ICMP_ND);
    }

    @ParameterizedTest(name = "type {0}")
    @ValueSource(ints = {138, 139, 144, 200, 255, 0, 5, 100, 127})
    void unknownInformationalAndErrorTypesAreSilentlyDropped(int type) {
        // "Unknown informational messages: Silently drop." / "Unknown error messages: Silently drop."
        h.run(v6().icmp(type, 0, 0).payload(48).build()).droppedWith(Counter.DROP_64_ICMP_UNKNOWN_TYPE);
    }

    @Test
    void truncatedIcmpv6HeaderIsDropped() {
        h.run(v6().raw(58, new byte[] {(byte) 128, 0, 0, 0}).build()).droppedWith(Counter.DROP_64_TRUNCATED_L4);
    }

    @Test
    void echoIdentifierRewrittenByAStatefulMapperIsWrittenAndChecksummed() {
        AddressMapper base = h.mapper;
        h.mapper = new AddressMapper() {
            @Override
            public Counter map64(Tuple t) {
                Counter c = base.map64(t);
                t.srcPort = 0xbeef;
                return c;
            }

            @Override
            public Counter map46(Tuple t) {
                return base.map46(t);
            }
        };
        byte[] p = h.run(v6().echoRequest(0x1111, 3).payload(10).build()).translated();
        assertThat(u16(p, 24)).isEqualTo(0xbeef);
        assertThat(l4ChecksumValid4(p)).isTrue();
    }

    @Test
    void echoRequestToAnUntranslatableSourceIsAnsweredNotTranslated() {
        byte[] in = PacketBuilder.ipv6(ROUTER6, R6).echoRequest(1, 1).build();
        byte[] err = h.run(in).answeredWith(Counter.DROP_SRC_UNTRANSLATABLE);
        assertThat(assertIcmp6(err)).isEqualTo(IcmpTypes.V6_DEST_UNREACH);
    }
}
