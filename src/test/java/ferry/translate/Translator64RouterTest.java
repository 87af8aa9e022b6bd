package ferry.translate;

import static ferry.translate.Translator64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Prefix6;
import ferry.metrics.Counter;
import ferry.packet.IcmpTypes;
import ferry.packet.PacketBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The translator's duties as a router (RFC 7915 §5.1, §5.1.1, §5.4): Hop Limit, Routing header, Packet Too Big,
 * and the ICMPv6 errors it generates (RFC 4443).
 */
class Translator64RouterTest {
    private final Harness h = new Harness();

    /** Checks a generated ICMPv6 error: from the translator, to the offending source, quoting the packet. */
    private static void assertGeneratedError(byte[] err, byte[] offending, int type, int code, int rest) {
        assertThat(assertIcmp6(err)).isEqualTo(type);
        assertThat(u8(err, 41)).isEqualTo(code);
        assertThat(i32(err, 44)).isEqualTo(rest);
        assertThat(u8(err, 7)).as("hop limit").isEqualTo(Icmp64Errors.HOP_LIMIT);
        assertThat(hi(err, 8)).isEqualTo(a6(OWN6)[0]);
        assertThat(hi(err, 16)).isEqualTo(a6(OWN6)[1]);
        assertThat(slice(err, 24, 40)).as("destination = offending source").isEqualTo(slice(offending, 8, 24));
        int quoted = Math.min(offending.length, 1280 - 48);
        assertThat(err).hasSize(48 + quoted);
        assertThat(slice(err, 48, err.length)).isEqualTo(slice(offending, 0, quoted));
    }

    @Test
    void hopLimit1Or0IsAnsweredWithTimeExceededAndNotTranslated() {
        for (int hop : new int[] {0, 1}) {
            byte[] in = v6().hopLimit(hop).udp(1, 2).payload(10).build();
            byte[] err = h.run(in).answeredWith(Counter.DROP_64_HOP_LIMIT_EXPIRED);
            assertGeneratedError(err, in, IcmpTypes.V6_TIME_EXCEEDED, 0, 0);
        }
    }

    @Test
    void expiredIcmpv6ErrorIsDroppedWithoutAnError() {
        // RFC 4443 §2.4 (e.1): no ICMPv6 error message is sent as a result of receiving an ICMPv6 error message
        byte[] inner = PacketBuilder.ipv6(H6, R6).udp(1, 2).build();
        byte[] in = PacketBuilder.ipv6(R6, H6).hopLimit(1).icmpError(1, 4, 0, inner).build();
        h.run(in).droppedWith(Counter.DROP_64_HOP_LIMIT_EXPIRED);
    }

    @Test
    void expiredEchoRequestIsAnsweredSoTracerouteWorks() {
        byte[] in = v6().hopLimit(1).echoRequest(9, 1).build();
        byte[] err = h.run(in).answeredWith(Counter.DROP_64_HOP_LIMIT_EXPIRED);
        assertGeneratedError(err, in, IcmpTypes.V6_TIME_EXCEEDED, 0, 0);
    }

    @Test
    void withoutAnOwnAddressTheErrorIsSourcedFromTheRfc6791v6Pool() {
        h.config.ipv6Address = null;
        h.config.rfc6791v6 = Prefix6.parse("2001:db8:e::/64");
        byte[] in = v6().hopLimit(1).udp(1, 2).build();
        byte[] err = h.run(in).answeredWith(Counter.DROP_64_HOP_LIMIT_EXPIRED);
        assertIcmp6(err);
        assertThat(hi(err, 8)).isEqualTo(a6("2001:db8:e::")[0]);
        assertThat(hi(err, 16)).as("host part = the Hop Limit").isEqualTo(1L);
        h.config.randomizeRfc6791 = true;
        byte[] random = h.run(in).answeredWith(Counter.DROP_64_HOP_LIMIT_EXPIRED);
        assertIcmp6(random);
        assertThat(hi(random, 8)).isEqualTo(a6("2001:db8:e::")[0]);
    }

    @Test
    void theRfc6791v6PoolTakesPrecedenceOverTheOwnAddressForGeneratedErrors() {
        h.config.rfc6791v6 = Prefix6.parse("2001:db8:e::/64");
        h.config.randomizeRfc6791 = false;
        byte[] err = h.run(v6().hopLimit(1).udp(1, 2).build()).answeredWith(Counter.DROP_64_HOP_LIMIT_EXPIRED);
        assertIcmp6(err);
        assertThat(h.config.ipv6Address).as("own address configured too").isNotNull();
        assertThat(hi(err, 8)).isEqualTo(a6("2001:db8:e::")[0]);
    }

    @Test
    void withoutAnySourceAddressNoErrorIsSent() {
        h.config.ipv6Address = null;
        Translator64Fixture.Run r = h.run(v6().hopLimit(1).udp(1, 2).build());
        assertThat(r.verdict()).isEqualTo(Verdict.DROP);
        assertThat(r.out()).isEmpty();
        assertThat(r.counts()).containsOnly(Map.entry(Counter.DROP_64_HOP_LIMIT_EXPIRED, 1L),
                Map.entry(Counter.ICMP6_ERROR_NO_SOURCE, 1L));
    }

    @Test
    void routingHeaderWithSegmentsLeftIsAnsweredWithParameterProblemAtSegmentsLeft() {
        // RFC 7915 §5.1: "an ICMPv6 "parameter problem/erroneous header field encountered" (Type 4, Code 0) error
        // message, with the Pointer field indicating the first byte of the Segments Left field"
        byte[] in = v6().routing(2).udp(1, 2).build();
        byte[] err = h.run(in).answeredWith(Counter.DROP_64_SEGMENTS_LEFT);
        assertGeneratedError(err, in, IcmpTypes.V6_PARAM_PROBLEM, 0, 40 + 3);
        byte[] in2 = v6().hopByHop().destinationOptions().routing(1).tcp(1, 2).build();
        byte[] err2 = h.run(in2).answeredWith(Counter.DROP_64_SEGMENTS_LEFT);
        assertGeneratedError(err2, in2, IcmpTypes.V6_PARAM_PROBLEM, 0, 40 + 8 + 8 + 3);
    }

    @Test
    void routingHeaderWithSegmentsLeft0IsTranslated() {
        byte[] p = h.run(v6().routing(0).udp(1, 2).build()).translated();
        assertIpv4(p);
    }

    @Test
    void packetTooBigForTheIpv4MtuIsAnsweredWithPacketTooBigOfMtuPlus20() {
        // Jool graybox "cg": IPv4 MTU 1400, a 1421-byte IPv6 packet (1401 as IPv4) -> PTB MTU 1420, 1280 bytes.
        h.config.ipv4Mtu = 1400;
        byte[] in = v6().tcp(1, 2).payload(1361).build();
        assertThat(in).hasSize(1421);
        byte[] err = h.run(in).answeredWith(Counter.DROP_64_PACKET_TOO_BIG);
        assertGeneratedError(err, in, IcmpTypes.V6_PACKET_TOO_BIG, 0, 1420);
        assertThat(err).hasSize(1280);
        // the largest packet that fits is translated
        byte[] fits = h.run(v6().tcp(1, 2).payload(1360).build()).translated();
        assertThat(fits).hasSize(1400);
    }

    @Test
    void firstFragmentTooBigIsAnsweredWithPacketTooBigCountingItsFragmentHeader() {
        // a packet with a Fragment header shrinks by 28 when translated: 1428 bytes of it make 1400 of IPv4
        h.config.ipv4Mtu = 1400;
        byte[] in = v6().fragment(0, true, 1234).tcp(1, 2).payload(1364).build(); // 1432 bytes
        byte[] err = h.run(in).answeredWith(Counter.DROP_64_PACKET_TOO_BIG);
        assertGeneratedError(err, in, IcmpTypes.V6_PACKET_TOO_BIG, 0, 1428);
        // the largest first fragment whose data is a multiple of 8 that fits: 1376 bytes of data
        byte[] fits = h.run(v6().fragment(0, true, 1234).tcp(1, 2).payload(1356).build()).translated();
        assertThat(fits).hasSize(1396);
    }

    @Test
    void laterFragmentTooBigIsDroppedSilently() {
        h.config.ipv4Mtu = 1400;
        byte[] in = v6().fragment(100, true, 1234).raw(6, new byte[1384]).build();
        h.run(in).droppedWith(Counter.DROP_64_FRAGMENT_TOO_BIG);
    }

    @Test
    void packetTooBigNeverAdvertisesLessThan1280() {
        // RFC 8200 §5: IPv6 links have an MTU of at least 1280; RFC 8021: no atomic fragments are asked for.
        h.config.ipv4Mtu = 1000;
        byte[] in = v6().udp(1, 2).payload(1000).build();
        byte[] err = h.run(in).answeredWith(Counter.DROP_64_PACKET_TOO_BIG);
        assertGeneratedError(err, in, IcmpTypes.V6_PACKET_TOO_BIG, 0, 1280);
    }

    @Test
    void oversizedIcmpv6ErrorIsTranslatedAndCutRatherThanAnswered() {
        h.config.ipv4Mtu = 600;
        byte[] inner = PacketBuilder.ipv6(H6, R6).udp(1, 2).payload(1000).build();
        byte[] in = PacketBuilder.ipv6(R6, H6).icmpError(1, 4, 0, inner).build();
        byte[] p = h.run(in).translated();
        assertThat(p).hasSize(576);
    }

    @Test
    void generatedErrorsQuoteAtMost1232BytesOfTheOffendingPacket() {
        byte[] in = v6().hopLimit(1).udp(1, 2).payload(1400).build();
        byte[] err = h.run(in).answeredWith(Counter.DROP_64_HOP_LIMIT_EXPIRED);
        assertThat(err).hasSize(1280);
        assertGeneratedError(err, in, IcmpTypes.V6_TIME_EXCEEDED, 0, 0);
    }

    @Test
    void noErrorGoesToAMulticastOrUnspecifiedSource() {
        // the packet is refused for its source before anything else, and never answered
        h.run(PacketBuilder.ipv6("ff02::1", R6).hopLimit(1).udp(1, 2).build())
                .droppedWith(Counter.DROP_64_SRC_NEVER_TRANSLATED);
        h.run(PacketBuilder.ipv6("::", R6).routing(1).udp(1, 2).build())
                .droppedWith(Counter.DROP_64_SRC_NEVER_TRANSLATED);
    }
}
