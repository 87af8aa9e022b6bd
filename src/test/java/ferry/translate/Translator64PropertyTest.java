package ferry.translate;

import static ferry.translate.Translator64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.metrics.Counter;
import ferry.packet.Checksum;
import ferry.packet.PacketBuilder;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Properties of 6->4 over random and mutated input: nothing throws (no internal error), and every emitted packet is
 * valid: an IPv4 packet with IHL 5, matching Total Length and a valid header checksum, at most ipv4-mtu bytes (576
 * for ICMP errors), fragments multiples of 8; or one generated ICMPv6 error of at most 1280 bytes with a valid
 * checksum. At most one ICMP error per input, none about an ICMPv6 error.
 */
class Translator64PropertyTest {
    private static final byte[][] SEEDS = {
            v6().udp(4000, 53).payload(64).build(),
            v6().tcp(40000, 443).payload(100).build(),
            v6().echoRequest(1, 2).payload(24).build(),
            v6().hopByHop().routing(1).fragment(0, true, 9).udp(1, 2).payload(16).build(),
            v6().fragment(3, false, 9).raw(17, new byte[40]).build(),
            PacketBuilder.ipv6(R6, H6).icmpError(1, 4, 0, PacketBuilder.ipv6(H6, R6).udp(1, 2).payload(30).build())
                    .build(),
            PacketBuilder.ipv6(ROUTER6, H6).icmpError(3, 0, 10 << 24,
                    java.util.Arrays.copyOf(PacketBuilder.ipv6(H6, R6).tcp(1, 2).payload(40).build(), 96)).build(),
            PacketBuilder.ipv6(R6, H6).icmpError(4, 0, 7, PacketBuilder.ipv6(H6, R6).echoRequest(1, 1).build())
                    .build(),
    };

    @Provide
    Arbitrary<byte[]> mutated() {
        return Arbitraries.integers().between(0, SEEDS.length - 1).flatMap(i -> {
            byte[] seed = SEEDS[i];
            return Arbitraries.integers().between(0, seed.length - 1).list().ofMaxSize(6).flatMap(positions ->
                    Arbitraries.bytes().list().ofSize(positions.size()).flatMap(values ->
                            Arbitraries.integers().between(0, seed.length).map(cut -> mutate(seed, positions, values,
                                    cut))));
        });
    }

    private static byte[] mutate(byte[] seed, List<Integer> positions, List<Byte> values, int cut) {
        byte[] p = seed.clone();
        for (int k = 0; k < positions.size(); k++) p[positions.get(k)] = values.get(k);
        return cut < 8 ? p : java.util.Arrays.copyOf(p, cut);
    }

    @Property(tries = 3000)
    void mutatedPacketsNeverFailInternallyAndOnlyValidPacketsComeOut(@ForAll("mutated") byte[] packet) {
        Verdict v = check(packet);
        // the property is not vacuous: translations, drops and generated errors all occur
        net.jqwik.api.statistics.Statistics.label("verdict").collect(v).coverage(c -> {
            c.check(Verdict.EMIT).percentage(x -> x > 10);
            c.check(Verdict.DROP).percentage(x -> x > 10);
            c.check(Verdict.ICMP_ERROR).count(x -> x > 0);
        });
    }

    @Property(tries = 2000)
    void randomBytesNeverFailInternally(@ForAll @Size(max = 2000) byte[] packet,
                                        @ForAll @IntRange(min = 0, max = 1) int forceVersion6) {
        if (forceVersion6 == 1 && packet.length > 0) packet[0] = (byte) (0x60 | (packet[0] & 0x0f));
        check(packet);
    }

    private static Verdict check(byte[] packet) {
        Harness h = new Harness();
        h.config.ipv4Mtu = 1400;
        Run r = h.run(packet);
        assertThat(r.counts()).doesNotContainKey(Counter.DROP_INTERNAL_ERROR);
        switch (r.verdict()) {
            case DROP -> assertThat(r.out()).isEmpty();
            case ICMP_ERROR -> {
                byte[] err = r.only();
                assertThat(err.length).isLessThanOrEqualTo(1280);
                assertThat(assertIcmp6(err)).isLessThan(128);
                assertThat(packet.length).isGreaterThanOrEqualTo(48);
                assertThat(u8(packet, 6) == 58 && u8(packet, 40) < 128).as("no error about an ICMPv6 error")
                        .isFalse();
            }
            case EMIT -> {
                byte[] p = r.only();
                assertIpv4(p);
                boolean icmpError = u8(p, 9) == 1 && p.length >= 21 && ferry.packet.IcmpTypes.isError4(u8(p, 20))
                        && u16(p, 6) == 0;
                assertThat(p.length).isLessThanOrEqualTo(icmpError ? 576 : 1400);
                if ((u16(p, 6) & 0x2000) != 0) assertThat((p.length - 20) % 8).as("fragment data").isZero();
                if (u8(p, 9) == 1 && (u16(p, 6) & 0x3fff) == 0) {
                    // a whole ICMP message: its checksum verifies when the input's did (errors always)
                    if (icmpError) assertThat(Checksum.sum(p, 20, p.length - 20)).isEqualTo(0xffff);
                }
            }
        }
        return r.verdict();
    }
}
