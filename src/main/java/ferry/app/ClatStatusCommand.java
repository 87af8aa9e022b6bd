package ferry.app;

import com.fasterxml.jackson.databind.JsonNode;
import ferry.config.ConfigException;
import ferry.config.ConfigParser;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ferry clat status}: what a running {@code ferry clat} wrote to its status file (see {@link ClatState}): the
 * PLAT prefix in use, where it came from and its lifetime, every prefix known, the address mappings, the MTUs and the
 * counters. Exit 0 when the daemon is running, 3 when it is not (no file, a dead pid, or a file older than 10 s),
 * 1 when the file cannot be read.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the running CLAT's PLAT prefix (and its source and lifetime), mappings and counters.")
final class ClatStatusCommand implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "read clat.state-file from this configuration")
    Path config;

    @Option(names = "--state-file", paramLabel = "PATH", description = "the status file (default: "
            + ferry.config.ClatSection.DEFAULT_STATE_FILE + ")")
    Path stateFile;

    @Option(names = "--json", description = "print the status file as it is")
    boolean json;

    PrintStream out = System.out;
    PrintStream err = System.err;

    @Override
    public Integer call() {
        Path file = stateFile;
        if (file == null && config != null) {
            try {
                var c = ConfigParser.parse(config);
                if (c.clat() != null) file = Path.of(c.clat().stateFile());
            } catch (ConfigException e) {
                err.println("ferry clat status: " + e.getMessage());
                return 2;
            }
        }
        if (file == null) file = Path.of(ferry.config.ClatSection.DEFAULT_STATE_FILE);
        if (!Files.exists(file)) {
            out.println("ferry clat: not running (no status file " + file + ")");
            return 3;
        }
        JsonNode s;
        try {
            s = ClatState.read(file);
        } catch (IOException e) {
            err.println("ferry clat status: cannot read " + file + ": " + e.getMessage());
            return 1;
        }
        if (json) {
            out.println(s.toPrettyString());
        }
        long pid = s.path("pid").asLong(-1);
        boolean alive = pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        long age;
        try {
            age = System.currentTimeMillis() - Instant.parse(s.path("updated").asText()).toEpochMilli();
        } catch (DateTimeParseException e) {
            err.println("ferry clat status: " + file + " has no valid \"updated\" time");
            return 1;
        }
        boolean running = alive && age < ClatState.STALE_MS;
        if (json) return running ? 0 : 3;
        out.println("ferry clat: " + (running ? "running" : alive ? "stale (no update for " + age / 1000 + " s)"
                : "not running (pid " + pid + " is gone)") + ", pid " + pid + ", device " + s.path("device").asText()
                + ", updated " + s.path("updated").asText());
        JsonNode p = s.path("plat-prefix");
        out.println("PLAT prefix:   " + p.path("prefix").asText() + "  from " + p.path("source").asText()
                + lifetime(p));
        for (JsonNode k : s.path("known-prefixes"))
            out.println("  known:       " + k.path("prefix").asText() + "  from " + k.path("source").asText()
                    + lifetime(k));
        out.println("discovery:     " + (s.path("discovery").isEmpty() ? "off" : join(s.path("discovery"))));
        out.println("source mode:   " + s.path("source-mode").asText());
        for (JsonNode m : s.path("mappings")) out.println("  mapping:     " + m.asText());
        out.println("MTU:           IPv4 side " + s.path("ipv4-mtu").asInt() + ", IPv6 side " + s.path("ipv6-mtu").asInt());
        out.println("counters:");
        for (Iterator<Map.Entry<String, JsonNode>> it = s.path("counters").properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.printf("  %-40s %d%n", e.getKey(), e.getValue().asLong());
        }
        return running ? 0 : 3;
    }

    private static String lifetime(JsonNode p) {
        JsonNode l = p.path("lifetime-left-s");
        return l.isNull() || l.isMissingNode() ? "  (no expiry)" : "  (" + l.asLong() + " s left)";
    }

    private static String join(JsonNode arr) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode n : arr) sb.append(sb.isEmpty() ? "" : "; ").append(n.asText());
        return sb.toString();
    }
}
