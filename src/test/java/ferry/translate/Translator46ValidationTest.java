package ferry.translate;

import static ferry.translate.Translator46Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.metrics.Counter;
import ferry.packet.PacketBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Regression inputs for the IPv4 header checks that precede RFC 7915 §4 translation (RFC 791, RFC 1812 §5.2.2). */
class Translator46ValidationTest {
    private final Harness h = new Harness();

    private static byte[] udp() {
        return PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").udp(4000, 53).payload(16).build();
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1, 2, 10, 19})
    void readsOfFewerThan20BytesAreDroppedAsTruncated(int n) {
        Run r = h.run(slice(udp(), 0, n));
        assertThat(r.verdict()).isEqualTo(Verdict.DROP);
        assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_TRUNCATED, 1L));
        assertThat(r.out()).isEmpty();
    }

    @Test
    void versionOtherThan4IsDropped() {
        byte[] p = udp();
        p[0] = 0x65;
        assertThat(h.run(p).counts()).isEqualTo(Map.of(Counter.DROP_UNKNOWN_VERSION, 1L));
    }

    @ParameterizedTest(name = "IHL {0}")
    @ValueSource(ints = {0, 1, 4})
    void ihlBelow5IsDropped(int ihl) {
        byte[] p = PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").ihl(ihl).udp(4000, 53).payload(16).build();
        Run r = h.run(p);
        assertThat(r.verdict()).isEqualTo(Verdict.DROP);
        assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_BAD_IHL, 1L));
    }

    @Test
    void ihlPastTheBufferIsDropped() {
        byte[] p = PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").ihl(15).udp(4000, 53).build(); // 60 > 28 bytes
        assertThat(h.run(p).counts()).isEqualTo(Map.of(Counter.DROP_46_BAD_IHL, 1L));
    }

    @Test
    void totalLengthLargerThanTheBufferIsDropped() {
        byte[] p = PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").udp(4000, 53).payload(16).truncate(40).build();
        Run r = h.run(p);
        assertThat(r.verdict()).isEqualTo(Verdict.DROP);
        assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_BAD_TOTAL_LENGTH, 1L));
    }

    @Test
    void totalLengthSmallerThanTheHeaderIsDropped() {
        byte[] p = PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").totalLength(19).udp(4000, 53).build();
        assertThat(h.run(p).counts()).isEqualTo(Map.of(Counter.DROP_46_BAD_TOTAL_LENGTH, 1L));
    }

    @Test
    void bytesPastTotalLengthAreTrimmedLikeLinkPadding() {
        byte[] p = udp(); // 20 + 8 + 16 = 44 bytes
        byte[] padded = java.util.Arrays.copyOf(p, 60); // Ethernet minimum frame padding
        padded[59] = 0x55;
        Run r = h.run(padded);
        assertThat(r.verdict()).isEqualTo(Verdict.EMIT);
        byte[] out = r.only();
        assertThat(out).hasSize(40 + 24);
        assertThat(u16(out, 4)).isEqualTo(24);
        assertThat(l4ChecksumValid6(out)).isTrue();
    }

    @Test
    void wrongHeaderChecksumIsDropped() {
        byte[] p = PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").headerChecksum(0x1234).udp(4000, 53).build();
        Run r = h.run(p);
        assertThat(r.verdict()).isEqualTo(Verdict.DROP);
        assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_46_BAD_HEADER_CHECKSUM, 1L));
    }

    @Test
    void aHeaderChecksumBrokenByOneBitIsDropped() {
        byte[] p = udp();
        p[8] ^= 1; // TTL changed after the checksum was computed
        assertThat(h.run(p).counts()).isEqualTo(Map.of(Counter.DROP_46_BAD_HEADER_CHECKSUM, 1L));
    }

    @Test
    void aBufferWithoutHeadroomIsAnInternalErrorNotAnException() {
        byte[] p = udp();
        java.lang.foreign.MemorySegment seg = java.lang.foreign.MemorySegment.ofArray(p);
        ferry.metrics.Counters c = new ferry.metrics.Counters();
        Translator46 t2 = new Translator46(h.config.build(), h.mapper, c);
        assertThat(t2.translate(seg, 0, p.length, (b, o, l) -> { })).isEqualTo(Verdict.DROP);
        assertThat(c.snapshot()).isEqualTo(Map.of(Counter.DROP_INTERNAL_ERROR, 1L));
    }
}
