package ferry.app;

import java.io.PrintStream;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The daemon's event log: one line per event, {@code ts=... level=... event=... key=value ...}, on stderr
 * (journald keeps it). Values with spaces, quotes or '=' are quoted. No framework, no buffering.
 */
final class Log {
    enum Level { DEBUG, INFO, WARN, ERROR }

    private static volatile PrintStream out = System.err;

    private Log() {
    }

    /** One event: {@code kv} alternates keys and values. */
    static void event(Level level, String event, Object... kv) {
        out.println(line(Instant.now(), level, event, kv));
    }

    static String line(Instant ts, Level level, String event, Object... kv) {
        StringBuilder sb = new StringBuilder("ts=").append(ts.truncatedTo(ChronoUnit.MILLIS))
                .append(" level=").append(level.name().toLowerCase()).append(" event=").append(event);
        for (int i = 0; i + 1 < kv.length; i += 2) sb.append(' ').append(kv[i]).append('=').append(quote(String.valueOf(kv[i + 1])));
        return sb.toString();
    }

    static String quote(String v) {
        if (!v.isEmpty() && v.chars().noneMatch(c -> c == ' ' || c == '"' || c == '=' || c == '\n' || c == '\\')) return v;
        return '"' + v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
    }

    /** A pre-formatted {@code level=... event=... ...} line (from packages that cannot see this class). */
    static void raw(String keyValues) {
        out.println("ts=" + Instant.now().truncatedTo(ChronoUnit.MILLIS) + " " + keyValues);
    }
}
