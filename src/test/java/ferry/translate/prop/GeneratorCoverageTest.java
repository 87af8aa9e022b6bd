package ferry.translate.prop;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.metrics.Counter;
import ferry.translate.Verdict;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The generators are only worth what they reach: over a fixed-seed sample of valid and mutated packets, every
 * verdict occurs in both directions and the main outcome and drop counters move (a generator that silently produced
 * only dropped packets would make every property vacuous). Prints the distribution.
 */
class GeneratorCoverageTest {

    @Test
    void validAndMutatedPacketsReachEveryVerdictAndTheMainCounters() {
        Map<Counter, Long> counters = new EnumMap<>(Counter.class);
        Map<String, Integer> verdicts = new TreeMap<>();
        Choices c = Choices.random(20261126L);
        for (int i = 0; i < 6000; i++) {
            Setup s = Setup.random(c);
            PacketGen g = new PacketGen(s.pool6());
            byte[] in = i % 2 == 0 ? g.valid(c) : g.mutate(c, g.valid(c));
            Harness.Outcome o = new Harness(s).run(in, 2048);
            verdicts.merge((in.length > 0 ? "v" + ((in[0] & 0xff) >>> 4) : "empty") + " " + o.verdict(), 1, Integer::sum);
            o.delta().forEach((k, v) -> counters.merge(k, v, Long::sum));
        }
        System.out.println("verdicts: " + verdicts);
        counters.forEach((k, v) -> System.out.printf("  %-40s %d%n", k.id(), v));

        for (String v : new String[] {"v4 EMIT", "v4 DROP", "v4 ICMP_ERROR", "v6 EMIT", "v6 DROP", "v6 ICMP_ERROR"}) {
            assertThat(verdicts.getOrDefault(v, 0)).as(v).isGreaterThan(50);
        }
        for (Counter k : new Counter[] {Counter.XLAT_46_OK, Counter.XLAT_64_OK, Counter.ICMP4_ERROR_SENT,
                Counter.ICMP6_ERROR_SENT, Counter.XLAT_46_FRAGMENTED, Counter.XLAT_HAIRPIN,
                Counter.DROP_46_TTL_EXPIRED, Counter.DROP_64_HOP_LIMIT_EXPIRED, Counter.DROP_46_PACKET_TOO_BIG,
                Counter.DROP_64_PACKET_TOO_BIG, Counter.DROP_46_SOURCE_ROUTE, Counter.DROP_64_SEGMENTS_LEFT,
                Counter.DROP_46_BAD_HEADER_CHECKSUM, Counter.DROP_46_ICMP_CHECKSUM, Counter.DROP_64_ICMP_CHECKSUM,
                Counter.XLAT_46_UDP_CHECKSUM_AMENDED}) {
            assertThat(counters.getOrDefault(k, 0L)).as(k.id()).isGreaterThan(0);
        }
        assertThat(counters.getOrDefault(Counter.DROP_INTERNAL_ERROR, 0L)).as("internal errors").isZero();
        assertThat(Verdict.values()).hasSize(3);
    }
}
