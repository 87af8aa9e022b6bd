package ferry.translate;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import ferry.metrics.Counter;
import ferry.metrics.Counters;
import ferry.packet.Bytes;
import java.lang.foreign.MemorySegment;

/**
 * Jazzer fuzz target for RFC 7915 §4 (IPv4 → IPv6). Without {@code JAZZER_FUZZ=1} it replays the inputs under
 * {@code src/test/resources/ferry/translate/Translator46FuzzTestInputs/} (a regression test); with it, it fuzzes for
 * at most the given duration. Invariants: no exception, no internal-error counter, the verdict matches the
 * emitted packets, every emitted packet has a consistent length field.
 */
class Translator46FuzzTest {
    private final Translator46Fixture.Config config = new Translator46Fixture.Config();
    private final Counters counters = new Counters();
    private final Translator46 translator;
    private int emitted;
    private boolean bad;

    Translator46FuzzTest() {
        config.amendUdpChecksumZero = true;
        translator = new Translator46(config.build(), new Translator46Fixture.PrefixMapperQuiet(), counters, 3);
    }

    @FuzzTest(maxDuration = "60s")
    void translateNeverFails(byte[] data) {
        MemorySegment seg = MemorySegment.ofArray(new byte[Translator.HEADROOM + data.length + 256]);
        MemorySegment.copy(MemorySegment.ofArray(data), 0, seg, Translator.HEADROOM, data.length);
        emitted = 0;
        bad = false;
        long internal = counters.get(Counter.DROP_INTERNAL_ERROR);
        Verdict v = translator.translate(seg, Translator.HEADROOM, data.length, (b, o, l) -> {
            emitted++;
            int version = Bytes.u8(b, o) >>> 4;
            if (version == 6 && Bytes.u16(b, o + 4) != l - 40) bad = true;
            if (version == 4 && Bytes.u16(b, o + 2) != l) bad = true;
            if (version != 4 && version != 6) bad = true;
        });
        assertThat(counters.get(Counter.DROP_INTERNAL_ERROR)).isEqualTo(internal);
        assertThat(bad).isFalse();
        switch (v) {
            case DROP -> assertThat(emitted).isZero();
            case ICMP_ERROR -> assertThat(emitted).isEqualTo(1);
            case EMIT -> assertThat(emitted).isPositive();
        }
    }
}
