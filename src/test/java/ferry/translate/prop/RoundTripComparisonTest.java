package ferry.translate.prop;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.packet.PacketBuilder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The round-trip comparison of {@link RoundTripPropertyTest} accepts exactly the documented differences. */
class RoundTripComparisonTest {

    private static byte[] tcp4() {
        return PacketBuilder.ipv4("192.0.2.1", "203.0.113.2").ttl(64).tos(0x28).identification(7).df(true)
                .tcp(1, 2).payload(10).build();
    }

    private static List<String> diff4(byte[] in, byte[] out) {
        List<String> v = new ArrayList<>();
        RoundTripPropertyTest.diff4(in, out, v);
        return v;
    }

    private static List<String> diff6(byte[] in, byte[] out) {
        List<String> v = new ArrayList<>();
        RoundTripPropertyTest.diff6(in, out, v);
        return v;
    }

    private static byte[] ttlMinus2(byte[] p, int at) {
        byte[] q = p.clone();
        q[at] -= 2;
        return q;
    }

    @Test
    void ipv4WithTtlMinusTwoAndAnotherIdentificationAndDfIsTheSame() {
        byte[] in = tcp4();
        byte[] out = ttlMinus2(in, 8);
        out[4] = 0x55;
        out[6] = 0;
        assertThat(diff4(in, out)).isEmpty();
    }

    @Test
    void ipv4WithTheSameTtlOrAnotherTosOrPayloadByteDiffers() {
        byte[] in = tcp4();
        assertThat(diff4(in, in.clone())).anyMatch(s -> s.startsWith("TTL"));
        byte[] tos = ttlMinus2(in, 8);
        tos[1] = 0;
        assertThat(diff4(in, tos)).anyMatch(s -> s.startsWith("TOS"));
        byte[] data = ttlMinus2(in, 8);
        data[data.length - 1] ^= 1;
        assertThat(diff4(in, data)).anyMatch(s -> s.contains("after the checksum"));
    }

    @Test
    void tcpChecksumZeroAndAllOnesAreTheSameButUdpChecksumZeroIsNot() {
        byte[] in = tcp4();
        in[20 + 16] = 0;
        in[20 + 17] = 0;
        byte[] out = ttlMinus2(in, 8);
        out[20 + 16] = (byte) 0xff;
        out[20 + 17] = (byte) 0xff;
        assertThat(diff4(in, out)).isEmpty();

        byte[] udp = PacketBuilder.ipv4("192.0.2.1", "203.0.113.2").udp(1, 2).checksum(0xffff).build();
        byte[] udpOut = ttlMinus2(udp, 8);
        udpOut[26] = 0;
        udpOut[27] = 0;
        assertThat(diff4(udp, udpOut)).anyMatch(s -> s.startsWith("transport checksum"));
    }

    @Test
    void ipv6FlowLabelMustBeZeroAndFragmentIdentificationKeepsItsLow16Bits() {
        byte[] in = PacketBuilder.ipv6("2001:db8:6::1", "2001:db8:4::2").flowLabel(0x12345).trafficClass(0x28)
                .fragment(0, true, 0xabcd1234).udp(1, 2).payload(16).build();
        byte[] out = ttlMinus2(in, 7);
        out[1] &= (byte) 0xf0;
        out[2] = out[3] = 0;
        out[44] = out[45] = 0;
        assertThat(diff6(in, out)).isEmpty();

        byte[] keptFlow = ttlMinus2(in, 7);
        keptFlow[44] = keptFlow[45] = 0;
        assertThat(diff6(in, keptFlow)).contains("flow label not 0");
        byte[] keptHigh = out.clone();
        keptHigh[44] = (byte) 0xab;
        assertThat(diff6(in, keptHigh)).anyMatch(s -> s.startsWith("fragment identification"));
    }
}
