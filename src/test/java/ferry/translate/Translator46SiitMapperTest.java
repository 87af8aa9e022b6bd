package ferry.translate;

import static ferry.translate.Translator46Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Denylist4;
import ferry.addr.EamEntry;
import ferry.addr.Eamt;
import ferry.addr.Prefix6;
import ferry.addr.Rfc6052;
import ferry.metrics.Counter;
import ferry.metrics.Counters;
import ferry.packet.PacketBuilder;
import ferry.siit.SiitMapper;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** RFC 7915 §4 through the real stateless mapper: pool6 64:ff9b::/96 (wkp-strict), an EAMT entry, RFC 6791. */
class Translator46SiitMapperTest {
    private final Config config = new Config();
    private final SiitMapper mapper = new SiitMapper(Rfc6052.parse("64:ff9b::/96"),
            Eamt.of(List.of(EamEntry.parse("2001:db8:3::/120", "203.0.113.0/24"))), Denylist4.EMPTY, true);

    private Run run(byte[] in) {
        Counters counters = new Counters();
        Translator46 t = new Translator46(config.build(), mapper, counters, 7);
        MemorySegment seg = MemorySegment.ofArray(new byte[Translator.HEADROOM + in.length + TAIL]);
        MemorySegment.copy(MemorySegment.ofArray(in), 0, seg, Translator.HEADROOM, in.length);
        List<byte[]> out = new ArrayList<>();
        Verdict v = t.translate(seg, Translator.HEADROOM, in.length,
                (b, o, l) -> out.add(b.asSlice(o, l).toArray(ValueLayout.JAVA_BYTE)));
        return new Run(v, out, counters);
    }

    @Test
    void pool6AndEamtAddressesAreUsed() {
        byte[] out = run(PacketBuilder.ipv4("192.0.2.1", "203.0.113.9").udp(4000, 53).payload(8).build()).only();
        assertThat(src6(out)).isEqualTo("64:ff9b::c000:201");
        assertThat(dst6(out)).isEqualTo("2001:db8:3::9");
        assertThat(l4ChecksumValid6(out)).isTrue();
    }

    @Test
    void nonGlobalSourceUnderTheWellKnownPrefixIsRefused() {
        Run r = run(PacketBuilder.ipv4("192.0.0.1", "203.0.113.9").udp(4000, 53).build());
        assertThat(r.verdict()).isEqualTo(Verdict.DROP);
        assertThat(r.counts()).isEqualTo(Map.of(Counter.DROP_WKP_NON_GLOBAL, 1L));
    }

    @Test
    void errorFromANonGlobalRouterIsSourcedFromTheRfc6791v6Pool() {
        config.rfc6791v6 = Prefix6.parse("2001:db8:ffff::/120");
        config.randomizeRfc6791 = false;
        byte[] inner = PacketBuilder.ipv4("203.0.113.9", "192.0.2.1").udp(53, 4000).payload(8).build();
        byte[] in = PacketBuilder.ipv4("192.0.0.1", "203.0.113.9").ttl(60).icmpError(11, 0, 0, inner).build();
        Run r = run(in);
        assertThat(r.verdict()).isEqualTo(Verdict.EMIT);
        byte[] out = r.only();
        assertThat(src6(out)).isEqualTo("2001:db8:ffff::3c");
        assertThat(dst6(out)).isEqualTo("2001:db8:3::9");
        assertThat(src6(slice(out, 48, out.length))).isEqualTo("2001:db8:3::9");
        assertThat(dst6(slice(out, 48, out.length))).isEqualTo("64:ff9b::c000:201");
        assertThat(l4ChecksumValid6(out)).isTrue();
    }
}
