package ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The daemon's key=value event lines. */
class LogTest {
    @Test
    void oneLineWithTimestampLevelEventAndQuotedValuesWhereNeeded() {
        String l = Log.line(Instant.parse("2026-01-01T00:00:00.123456Z"), Log.Level.WARN, "control_refused",
                "user", "nobody", "error", "permission denied: \"x\"", "empty", "");
        assertThat(l).isEqualTo("ts=2026-01-01T00:00:00.123Z level=warn event=control_refused user=nobody "
                + "error=\"permission denied: \\\"x\\\"\" empty=\"\"");
        assertThat(Log.line(Instant.EPOCH, Log.Level.INFO, "e", "multi", "a\nb")).doesNotContain("\n")
                .endsWith("multi=\"a\\nb\"");
    }
}
