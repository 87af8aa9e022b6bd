package ferry.translate;

import static ferry.translate.Translator46Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.metrics.Counter;
import ferry.packet.Bytes;
import ferry.packet.Checksum;
import ferry.packet.PacketBuilder;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * Properties of every 4→6 translation, over random bytes and over mutated valid packets: nothing throws or counts
 * an internal error, the verdict matches what was emitted, every IPv6 packet is well formed and fits its MTU, and
 * the transport checksum of a translation is valid exactly when the input's was.
 */
class Translator46PropertyTest {

    private static final byte[] INNER = PacketBuilder.ipv4("198.51.100.2", "192.0.2.1").udp(53, 4000).payload(40)
            .build();

    private static final List<byte[]> SEEDS = List.of(
            PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").udp(4000, 53).payload(64).build(),
            PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").udp(4000, 53).payload(2000).build(),
            PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").df(true).udp(4000, 53).payload(1600).build(),
            PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").tcp(40000, 443).dataOffset(7).payload(300).build(),
            PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").echoRequest(7, 9).payload(56).build(),
            PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").mf(true).identification(5).udp(4000, 53).payload(56).build(),
            PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").fragmentOffset(20).raw(6, new byte[100]).build(),
            PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").options(new byte[] {1, 7, 7, 4, 0, 0, 0, 0})
                    .udp(4000, 53).payload(10).build(),
            PacketBuilder.ipv4("203.0.113.5", "198.51.100.2").icmpError(3, 3, 0, INNER).build(),
            PacketBuilder.ipv4("203.0.113.5", "198.51.100.2").icmpError(3, 4, 1000, INNER).build(),
            PacketBuilder.ipv4("203.0.113.5", "198.51.100.2").icmpError(11, 0, 17 << 16,
                    concat(INNER, new byte[68 - INNER.length], new byte[32])).build(),
            PacketBuilder.ipv4("203.0.113.5", "198.51.100.2").icmpError(12, 0, 9 << 24, INNER).build(),
            PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").ttl(1).udp(4000, 53).payload(8).build());

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }

    @Property(tries = 3000)
    void randomBytesNeverThrowNorCountAnInternalError(@ForAll @Size(max = 2000) byte[] bytes) {
        check(bytes);
    }

    @Property(tries = 6000)
    void mutatedValidPacketsKeepEveryInvariant(@ForAll("mutated") byte[] packet) {
        Run r = check(packet);
        // how deep the mutations reach, printed by jqwik
        net.jqwik.api.statistics.Statistics.collect(r.verdict(), r.counts().keySet().stream().findFirst().orElse(null));
    }

    @Provide
    Arbitrary<byte[]> mutated() {
        Arbitrary<byte[]> seed = Arbitraries.of(SEEDS);
        Arbitrary<int[]> flips = Arbitraries.integers().between(0, 4000).array(int[].class).ofMaxSize(4);
        Arbitrary<Integer> cut = Arbitraries.integers().between(-1, 2100);
        Arbitrary<Boolean> fixHeader = Arbitraries.of(true, true, true, false);
        return Combinators.combine(seed, flips, cut, fixHeader).as((s, f, c, fix) -> {
            byte[] p = s.clone();
            for (int x : f) {
                int at = x % p.length;
                p[at] ^= (byte) (1 + (x >>> 3) % 255);
            }
            if (c >= 0 && c < p.length) p = java.util.Arrays.copyOf(p, c);
            if (fix && p.length >= 20) {
                int ihl = (p[0] & 0xf) * 4;
                if (ihl >= 20 && ihl <= p.length) {
                    p[10] = p[11] = 0;
                    int sum = Checksum.checksum(seg(p), 0, ihl);
                    p[10] = (byte) (sum >>> 8);
                    p[11] = (byte) sum;
                }
            }
            return p;
        });
    }

    private static Run check(byte[] in) {
        Harness h = new Harness();
        h.config.amendUdpChecksumZero = true;
        Run r = h.run(in);
        assertThat(r.counts()).doesNotContainKey(Counter.DROP_INTERNAL_ERROR);
        switch (r.verdict()) {
            case DROP -> assertThat(r.out()).isEmpty();
            case ICMP_ERROR -> {
                byte[] err = r.only();
                assertThat(err.length).isLessThanOrEqualTo(576);
                assertThat(Checksum.sum(seg(err), 0, 20)).isEqualTo(0xffff);
                assertThat(Checksum.sum(seg(err), 20, err.length - 20)).isEqualTo(0xffff);
                // never in reply to an ICMP error
                assertThat(in[9] == 1 && in.length > ((in[0] & 0xf) * 4)
                        && Icmp46Tables.isError(in[(in[0] & 0xf) * 4] & 0xff)).isFalse();
            }
            case EMIT -> {
                assertThat(r.out()).isNotEmpty();
                for (byte[] p : r.out()) {
                    assertWellFormedIpv6(p);
                    assertThat(p.length).isLessThanOrEqualTo(1500);
                    if (u8(p, 6) == 44 && (u16(p, 42) & 1) == 1) assertThat((p.length - 48) % 8).isZero();
                    if (proto6(p) == 58 && u8(p, l4Offset6(p)) < 128) assertThat(p.length).isLessThanOrEqualTo(1280);
                }
                if (r.out().size() == 1 && u8(r.out().get(0), 6) != 44) checksumValidExactlyWhenInputWas(in, r.only());
            }
        }
        return r;
    }

    /** For an unfragmented UDP/TCP/ICMP translation: output checksum valid iff input checksum valid. */
    private static void checksumValidExactlyWhenInputWas(byte[] in, byte[] out) {
        int proto = u8(in, 9);
        int ihl = (in[0] & 0xf) * 4;
        int len = u16(in, 2) - ihl;
        var s = seg(in);
        boolean inValid;
        if (proto == 6 || proto == 17) {
            if (proto == 17 && Bytes.u16(s, ihl + 6) == 0) return; // amended: computed afresh
            int pseudo = Checksum.pseudo4(Bytes.i32(s, 12), Bytes.i32(s, 16), proto, len);
            inValid = Checksum.add(pseudo, Checksum.sum(s, ihl, len)) == 0xffff;
        } else if (proto == 1) {
            inValid = Checksum.sum(s, ihl, len) == 0xffff;
        } else {
            return;
        }
        assertThat(l4ChecksumValid6(out)).as("output checksum valid iff input's was").isEqualTo(inValid);
        if (proto == 17) assertThat(u16(out, 46)).as("no IPv6 UDP checksum 0").isNotZero();
    }
}
