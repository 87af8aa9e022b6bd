package ferry.clat;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import ferry.metrics.Counter;
import ferry.metrics.Counters;
import ferry.translate.Translator;
import ferry.translate.Verdict;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Jazzer fuzz targets of the CLAT: Router Advertisement parsing, and the translator with the CLAT mapper in
 * dedicated-prefix mode. Without {@code JAZZER_FUZZ=1} they replay the inputs under
 * {@code src/test/resources/ferry/clat/ClatFuzzTestInputs/} (regression); with it they fuzz for at most the duration.
 * Invariants: nothing throws, no internal error is counted, a parsed RA's options are well-formed, the verdict
 * matches the emitted packets.
 */
class ClatFuzzTest {
    private final Counters counters = new Counters();
    private final ClatHarness harness = new ClatHarness("2001:db8:64::/64", ClatMapperTest.DEDICATED, true);

    @FuzzTest(maxDuration = "30s")
    void routerAdvertisementsNeverFail(byte[] data) {
        List<Pref64Option> o = RouterAdvertisements.pref64Options(data, 0, data.length, counters);
        if (o != null) {
            for (Pref64Option p : o) {
                assertThat(p.lifetimeSeconds()).isBetween(0, 65528);
                assertThat(p.prefix().len()).isIn(32, 40, 48, 56, 64, 96);
            }
        }
    }

    @FuzzTest(maxDuration = "30s")
    void clatTranslationNeverFails(byte[] data) {
        MemorySegment seg = MemorySegment.ofArray(new byte[Translator.HEADROOM + data.length + 256]);
        MemorySegment.copy(MemorySegment.ofArray(data), 0, seg, Translator.HEADROOM, data.length);
        int[] emitted = {0};
        long internal = harness.counters.get(Counter.DROP_INTERNAL_ERROR);
        Verdict v = harness.translator.translate(seg, Translator.HEADROOM, data.length, (b, off, l) -> emitted[0]++);
        assertThat(harness.counters.get(Counter.DROP_INTERNAL_ERROR)).isEqualTo(internal);
        switch (v) {
            case DROP -> assertThat(emitted[0]).isZero();
            case ICMP_ERROR -> assertThat(emitted[0]).isEqualTo(1);
            case EMIT -> assertThat(emitted[0]).isPositive();
        }
    }
}
