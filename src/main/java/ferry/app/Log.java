package ferry.app;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The daemon's event log: one line per event, {@code ts=... level=... event=... key=value ...}, on stderr
 * (journald keeps it). Values with spaces, quotes or '=' are quoted. No framework, no buffering.
 */
final class Log {
    enum Level { DEBUG, INFO, WARN, ERROR }

    private Log() {
    }

    /** One event: {@code kv} alternates keys and values. */
    static void event(Level level, String event, Object... kv) {
        // System.err as it is now, not as it was when this class was loaded: an in-process caller (the tests'
        // E2e.main) that redirects stderr must get the events, whichever test happened to load the class first
        System.err.println(line(Instant.now(), level, event, kv));
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
        System.err.println("ts=" + Instant.now().truncatedTo(ChronoUnit.MILLIS) + " " + keyValues);
    }
}
