package ferry.translate;

import static ferry.translate.Translator64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.metrics.Counter;
import ferry.packet.IcmpTypes;
import ferry.packet.IpProto;
import org.junit.jupiter.api.Test;

/** RFC 7915 §5.1.1: IPv6 fragment processing; RFC 8200 §4.5 fragment sanity; RFC 8021 atomic fragments. */
class Translator64FragmentTest {
    private final Harness h = new Harness();

    @Test
    void laterFragmentBecomesAnIpv4FragmentWithTheLow16BitsOfTheIdentification() {
        // Jool graybox "cj": identification 16909320 (0x01020408) -> 1032 (0x0408); DF clear; MF and offset copied.
        byte[] data = new byte[1240];
        for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 7);
        for (boolean more : new boolean[] {true, false}) {
            byte[] in = v6().fragment(80, more, 16909320).raw(IpProto.TCP, data).build();
            byte[] p = h.run(in).translated();
            assertIpv4(p);
            assertThat(p).hasSize(20 + 1240);
            assertThat(u16(p, 4)).isEqualTo(1032);
            assertThat(u16(p, 6)).isEqualTo((more ? 0x2000 : 0) | 80);
            assertThat(u8(p, 8)).isEqualTo(63);
            assertThat(u8(p, 9)).as("protocol = the Fragment header's Next Header").isEqualTo(IpProto.TCP);
            assertThat(slice(p, 20, p.length)).as("fragment data untouched").isEqualTo(data);
        }
    }

    @Test
    void firstFragmentKeepsItsTransportHeaderWithTheChecksumUpdated() {
        byte[] in = v6().fragment(0, true, 0xabcd1234).udp(7, 9).payload(64).build();
        byte[] p = h.run(in).translated();
        assertIpv4(p);
        assertThat(u16(p, 4)).isEqualTo(0x1234);
        assertThat(u16(p, 6)).isEqualTo(0x2000);
        // the builder computed the UDP checksum over this fragment alone, so it verifies over it alone
        assertThat(l4ChecksumValid4(p)).isTrue();
    }

    @Test
    void fragmentLargerThan1260IsStillSentWithDfClear() {
        byte[] in = v6().fragment(0, true, 5).tcp(1, 2).payload(1404).build(); // 1424 bytes of data
        byte[] p = h.run(in).translated();
        assertThat(p.length).isGreaterThan(1260);
        assertThat(u16(p, 6) & 0x4000).isZero();
    }

    @Test
    void atomicFragmentBecomesAnUnfragmentedPacketWithDfClearAndItsIdentification() {
        // RFC 8021 / RFC 6946: an atomic fragment (offset 0, M 0) is processed on its own; RFC 7915 §5.1.1 gives
        // it the Fragment header's identification and DF = 0.
        byte[] in = v6().fragment(0, false, 0x55667788).udp(1, 2).payload(30).build();
        byte[] p = h.run(in).translated();
        assertIpv4(p);
        assertThat(p).hasSize(20 + 38);
        assertThat(u16(p, 4)).isEqualTo(0x7788);
        assertThat(u16(p, 6)).isZero();
        assertThat(l4ChecksumValid4(p)).isTrue();
    }

    @Test
    void atomicFragmentCarryingIcmpv6IsTranslated() {
        byte[] p = h.run(v6().fragment(0, false, 3).echoRequest(1, 2).payload(8).build()).translated();
        assertThat(u8(p, 20)).isEqualTo(IcmpTypes.V4_ECHO_REQUEST);
        assertThat(l4ChecksumValid4(p)).isTrue();
    }

    @Test
    void firstFragmentWithoutItsWholeTransportHeaderIsDropped() {
        // RFC 7112: the first fragment must hold the whole header chain; Jool drops it as truncated.
        h.run(v6().fragment(0, true, 1).raw(IpProto.TCP, new byte[16]).build())
                .droppedWith(Counter.DROP_64_TRUNCATED_L4);
        h.run(v6().fragment(0, true, 1).raw(IpProto.ICMPV6, new byte[8]).build())
                .droppedWith(Counter.DROP_64_FRAGMENTED_ICMP);
    }

    @Test
    void fragmentedIcmpv6IsDropped() {
        // RFC 7915 §1.2: "Fragmented ICMP/ICMPv6 packets will not be translated by IP/ICMP translators."
        h.run(v6().fragment(0, true, 1).echoRequest(1, 2).payload(64).build())
                .droppedWith(Counter.DROP_64_FRAGMENTED_ICMP);
        h.run(v6().fragment(9, false, 1).raw(IpProto.ICMPV6, new byte[24]).build())
                .droppedWith(Counter.DROP_64_FRAGMENTED_ICMP);
    }

    @Test
    void nonFinalFragmentNotAMultipleOf8IsAnsweredWithParameterProblemAtPayloadLength() {
        // RFC 8200 §4.5: "...that fragment must be discarded and an ICMP Parameter Problem, Code 0, message should
        // be sent to the source of the fragment, pointing to the Payload Length field of the fragment packet."
        byte[] in = v6().fragment(10, true, 1).raw(IpProto.UDP, new byte[1239]).build();
        byte[] err = h.run(in).answeredWith(Counter.DROP_64_FRAGMENT_NOT_MULTIPLE_OF_8);
        assertThat(assertIcmp6(err)).isEqualTo(IcmpTypes.V6_PARAM_PROBLEM);
        assertThat(u8(err, 41)).isZero();
        assertThat(i32(err, 44)).isEqualTo(4);
        // the final fragment may have any length
        byte[] last = h.run(v6().fragment(10, false, 1).raw(IpProto.UDP, new byte[1239]).build()).translated();
        assertThat(last).hasSize(20 + 1239);
    }

    @Test
    void fragmentEndingPast65535IsAnsweredWithParameterProblemAtFragmentOffset() {
        // RFC 8200 §4.5: "...pointing to the Fragment Offset field of the fragment packet."
        byte[] in = v6().fragment(8189, false, 1).raw(IpProto.UDP, new byte[32]).build(); // 65512 + 32 > 65535-20
        byte[] err = h.run(in).answeredWith(Counter.DROP_64_FRAGMENT_TOO_LONG);
        assertThat(assertIcmp6(err)).isEqualTo(IcmpTypes.V6_PARAM_PROBLEM);
        assertThat(i32(err, 44)).isEqualTo(40 + 2);
        // 20 + 8185 * 8 + 32 = 65532: the IPv4 datagram it belongs to stays within 65535
        byte[] fits = h.run(v6().fragment(8185, false, 1).raw(IpProto.UDP, new byte[32]).build()).translated();
        assertThat(u16(fits, 6)).isEqualTo(8185);
    }

    @Test
    void fragmentHeaderPointerCountsTheHeadersBeforeIt() {
        byte[] in = v6().hopByHop().fragment(8191, false, 1).raw(IpProto.UDP, new byte[16]).build();
        byte[] err = h.run(in).answeredWith(Counter.DROP_64_FRAGMENT_TOO_LONG);
        assertThat(i32(err, 44)).isEqualTo(48 + 2);
    }

    @Test
    void laterFragmentsCarryNoPortsToTheMapper() {
        int[] ports = new int[2];
        AddressMapper base = h.mapper;
        h.mapper = new AddressMapper() {
            @Override
            public Counter map64(Tuple t) {
                ports[0] = t.srcPort;
                ports[1] = t.dstPort;
                return base.map64(t);
            }

            @Override
            public Counter map46(Tuple t) {
                return base.map46(t);
            }
        };
        h.run(v6().fragment(1, false, 1).raw(IpProto.UDP, new byte[] {0x12, 0x34, 0x56, 0x78, 0, 8, 0, 0}).build())
                .translated();
        assertThat(ports).containsExactly(0, 0);
    }
}
