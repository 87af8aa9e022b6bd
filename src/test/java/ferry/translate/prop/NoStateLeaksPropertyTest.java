package ferry.translate.prop;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.translate.TranslatorSettings;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * A worker reuses one translator for every packet, and the translators keep per-packet state in fields (so the
 * packet path allocates nothing). That state must not leak: translating a packet after a sequence of other
 * (valid, mutated, random) packets gives the same verdict, the same counter movements and the same packets as
 * translating it with a fresh translator.
 *
 * <p>Compared up to what is generated afresh per packet by design: the IPv4 Identification the translator
 * generates (RFC 7915 §5.1, and the ICMPv4 errors it sends) and with it the IPv4 header checksum, and in ICMPv4
 * errors the inner Identification, inner header checksum and ICMP checksum. RFC 6791 address randomisation is off.
 */
class NoStateLeaksPropertyTest {

    record Sequence(Setup setup, List<byte[]> inputs, int tail) {
        @Override
        public String toString() {
            return "Sequence[" + setup + " tail=" + tail + inputs.stream().map(Harness::hex)
                    .collect(Collectors.joining("\n  in=", "\n  in=", "]"));
        }
    }

    @Provide
    Arbitrary<Sequence> sequences() {
        return Gens.choices().map(a -> {
            Choices c = Choices.of(a);
            Setup s = Setup.random(c);
            TranslatorSettings t = s.settings();
            Setup fixed = new Setup(s.pool6(), new TranslatorSettings(t.zeroizeTrafficClass(), t.overrideTos(), t.tos(),
                    t.mtuPlateaus(), t.amendUdpChecksumZero(), t.lowestIpv6Mtu(), t.rfc6791v4(), t.rfc6791v6(), false,
                    t.ipv4Address(), t.ipv6Address(), t.ipv4Mtu(), t.ipv6Mtu(), t.eamHairpinMode()), s.wkpStrict());
            PacketGen g = new PacketGen(s.pool6());
            int n = c.between(2, 6);
            List<byte[]> inputs = new ArrayList<>();
            for (int i = 0; i < n; i++) inputs.add(g.any(c));
            return new Sequence(fixed, inputs, c.oneOf(0, 2048));
        });
    }

    @Property(tries = 1500)
    void aPacketTranslatesTheSameWhateverWasTranslatedBeforeIt(@ForAll("sequences") Sequence s) {
        Harness shared = new Harness(s.setup());
        for (byte[] in : s.inputs()) {
            Harness.Outcome reused = shared.run(in, s.tail());
            Harness.Outcome fresh = new Harness(s.setup()).run(in, s.tail());
            String what = s + "\nreused: " + reused + "\nfresh: " + fresh;
            assertThat(reused.verdict()).as(what).isEqualTo(fresh.verdict());
            assertThat(reused.delta()).as(what).isEqualTo(fresh.delta());
            assertThat(normalized(reused.emitted())).as(what).isEqualTo(normalized(fresh.emitted()));
        }
    }

    /** Hex of each packet with the generated IPv4 fields zeroed (see the class comment). */
    static List<String> normalized(List<byte[]> packets) {
        List<String> out = new ArrayList<>();
        for (byte[] p : packets) {
            byte[] q = Arrays.copyOf(p, p.length);
            if (Oracle.version(q) == 4 && q.length >= 20) {
                q[4] = q[5] = q[10] = q[11] = 0;
                int ihl = (q[0] & 0x0f) * 4;
                if (Oracle.isIcmpError(q) && q.length >= ihl + 8 + 20) {
                    q[ihl + 2] = q[ihl + 3] = 0;
                    int inner = ihl + 8;
                    q[inner + 4] = q[inner + 5] = q[inner + 10] = q[inner + 11] = 0;
                }
            }
            out.add(Harness.hex(q));
        }
        return out;
    }
}
