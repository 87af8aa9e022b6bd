package ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.config.ConfigParser;
import ferry.control.Request;
import ferry.control.Response;
import ferry.metrics.Counter;
import ferry.metrics.Counters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@code ferry stats display --all --explain} (the daemon's side, {@link ControlOps}) lists the NAT64 counters this
 * branch added, each with its one-line explanation, and their values summed over the workers.
 */
class StatsNat64CountersTest {
    @Test
    void theNewNat64CountersAreListedWithTheirExplanationsAndValues() throws Exception {
        String text = """
                { "ferry": { "mode": "nat64" }, "global": { "pool6": "64:ff9b::/96" },
                  "pool4": [ { "protocol": "TCP", "prefix": "203.0.113.1/32" } ] }
                """;
        Path file = Files.createTempFile("ferry-stats", ".json");
        try {
            Files.writeString(file, text);
            Counters[] workers = {new Counters(), new Counters()};
            workers[0].add(Counter.DROP_NAT64_PORT_FILTERED, 2);
            workers[1].add(Counter.DROP_NAT64_PORT_FILTERED, 3);
            workers[1].add(Counter.DROP_NAT64_FRAGMENT_TIMEOUT, 1);
            AtomicReference<RunTranslators> current =
                    new AtomicReference<>(new RunTranslators(ConfigParser.parse(text, "t"), workers));
            ControlOps ops = new ControlOps(new LiveConfig(file, null, false, current, text, s -> { }), "test.sock");
            Response r = ops.handle(Request.of("stats", "display", "--all", "--explain"));
            assertThat(r.ok()).as(r.errors().toString()).isTrue();
            for (Counter c : List.of(Counter.NAT64_TCP_SYN4_EXPIRED, Counter.NAT64_TCP_SYN4_SUPERSEDED,
                    Counter.DROP_NAT64_FRAGMENT_TIMEOUT, Counter.NAT64_ANSWER_RATE_LIMITED,
                    Counter.DROP_NAT64_LOG_QUEUE_FULL, Counter.NAT64_LOG_WRITE_ERROR, Counter.DROP_NAT64_PORT_FILTERED,
                    Counter.NAT64_TCP_RESET_SENT)) {
                assertThat(r.rows()).as(c.id()).anySatisfy(row -> {
                    assertThat(row.get(0)).isEqualTo(c.id());
                    assertThat(row.get(2)).isEqualTo(c.explanation()).isNotBlank();
                });
            }
            assertThat(r.rows()).anySatisfy(row -> assertThat(row).containsExactly("drop_nat64_port_filtered", "5",
                    Counter.DROP_NAT64_PORT_FILTERED.explanation()));
            // without --all only non-zero counters
            Response nonZero = ops.handle(Request.of("stats", "display"));
            assertThat(nonZero.rows()).extracting(row -> row.get(0))
                    .contains("drop_nat64_port_filtered", "drop_nat64_fragment_timeout")
                    .doesNotContain("nat64_log_write_error");
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
