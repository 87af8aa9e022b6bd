package ferry.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import ferry.clat.PlatPrefix;
import ferry.clat.SourceMapping;
import ferry.metrics.Counter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The status file of a running {@code ferry clat}: there is no control socket yet, so the daemon rewrites a small
 * JSON document once a second (written to a temporary file and renamed, so a reader never sees half of it) and
 * {@code ferry clat status} reads it. The CLI reads JSON only; it does not link the data plane.
 */
final class ClatState {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** A status older than this is stale: the daemon is gone or stuck. */
    static final long STALE_MS = 10_000;

    private ClatState() {
    }

    /** The document, in the order {@code ferry clat status} prints it. */
    static Map<String, Object> snapshot(long pid, String device, long now, PlatPrefix inUse, List<PlatPrefix> known,
                                        SourceMapping source, int ipv4Mtu, int ipv6Mtu, List<String> discovery,
                                        Map<Counter, Long> counters) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pid", pid);
        m.put("device", device);
        m.put("updated", Instant.ofEpochMilli(now).toString());
        m.put("plat-prefix", prefix(inUse, now));
        List<Object> k = new ArrayList<>();
        for (PlatPrefix p : known) k.add(prefix(p, now));
        m.put("known-prefixes", k);
        m.put("discovery", discovery);
        m.put("source-mode", source.dedicated() ? "dedicated-prefix" : "single-address");
        m.put("mappings", source.describe());
        m.put("ipv4-mtu", ipv4Mtu);
        m.put("ipv6-mtu", ipv6Mtu);
        Map<String, Object> c = new LinkedHashMap<>();
        for (Map.Entry<Counter, Long> e : counters.entrySet()) c.put(e.getKey().id(), e.getValue());
        m.put("counters", c);
        return m;
    }

    private static Map<String, Object> prefix(PlatPrefix p, long now) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("prefix", p.prefix().toString());
        m.put("source", p.source().label());
        m.put("lifetime-left-s", p.permanent() ? null : Math.max(0, (p.expiresAtMillis() - now) / 1000));
        return m;
    }

    /** Writes the document atomically (temporary file + rename in the same directory). */
    static void write(Path file, Map<String, Object> doc) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        JSON.writeValue(tmp.toFile(), doc);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static JsonNode read(Path file) throws IOException {
        return JSON.readTree(file.toFile());
    }
}
