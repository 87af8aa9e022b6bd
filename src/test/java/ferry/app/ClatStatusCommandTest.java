package ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Prefix4;
import ferry.addr.Prefix6;
import ferry.addr.Rfc6052;
import ferry.clat.PlatPrefix;
import ferry.clat.PlatSource;
import ferry.clat.SourceMapping;
import ferry.metrics.Counter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code ferry clat status} reads the status file a running {@code ferry clat} writes. */
class ClatStatusCommandTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private int status(String... args) {
        ClatStatusCommand c = new ClatStatusCommand();
        c.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        c.err = c.out;
        return new CommandLine(c).execute(args);
    }

    private Map<String, Object> doc(long pid, long now) {
        PlatPrefix ra = new PlatPrefix(Rfc6052.parse("2001:db8:64::/96"), PlatSource.PREF64_RA, now + 1_795_000);
        Map<Counter, Long> c = new LinkedHashMap<>();
        c.put(Counter.XLAT_46_OK, 12L);
        c.put(Counter.CLAT_PREF64_OK, 1L);
        return ClatState.snapshot(pid, "clat0", now, ra, List.of(ra, PlatPrefix.FALLBACK),
                SourceMapping.single(Prefix4.parse("192.0.0.1/32"), Prefix6.parse("2001:db8:1::c1a7/128")), 1472, 1500,
                List.of("PREF64 on eth0"), c);
    }

    @Test
    void aRunningClatShowsPrefixSourceLifetimeMappingsMtuAndCounters() throws Exception {
        Path f = dir.resolve("clat.json");
        ClatState.write(f, doc(ProcessHandle.current().pid(), System.currentTimeMillis()));
        assertThat(status("--state-file", f.toString())).isEqualTo(0);
        String s = out.toString(StandardCharsets.UTF_8);
        assertThat(s).contains("ferry clat: running", "device clat0")
                .contains("PLAT prefix:   2001:db8:64::/96  from pref64-ra  (1795 s left)")
                .contains("known:       64:ff9b::/96  from fallback-wkp  (no expiry)")
                .contains("discovery:     PREF64 on eth0")
                .contains("mapping:     192.0.0.1/32 <-> 2001:db8:1::c1a7/128")
                .contains("MTU:           IPv4 side 1472, IPv6 side 1500")
                .containsPattern("xlat_46_ok +12").containsPattern("clat_pref64_ok +1");
        assertThat(Files.list(dir).toList()).as("no temporary file left behind").containsExactly(f);
    }

    @Test
    void aStaleOrOrphanedFileOrNoFileSaysNotRunningWithExit3() throws Exception {
        Path f = dir.resolve("clat.json");
        ClatState.write(f, doc(ProcessHandle.current().pid(), System.currentTimeMillis() - 60_000));
        assertThat(status("--state-file", f.toString())).isEqualTo(3);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("stale");
        out.reset();
        ClatState.write(f, doc(Long.MAX_VALUE / 2, System.currentTimeMillis()));
        assertThat(status("--state-file", f.toString())).isEqualTo(3);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("not running");
        out.reset();
        assertThat(status("--state-file", dir.resolve("none.json").toString())).isEqualTo(3);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("no status file");
    }

    @Test
    void jsonPrintsTheFileAndAGarbledFileIsExit1() throws Exception {
        Path f = dir.resolve("clat.json");
        ClatState.write(f, doc(ProcessHandle.current().pid(), System.currentTimeMillis()));
        assertThat(status("--state-file", f.toString(), "--json")).isEqualTo(0);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("\"plat-prefix\"", "\"source\" : \"pref64-ra\"");
        Files.writeString(f, "{not json");
        assertThat(status("--state-file", f.toString())).isEqualTo(1);
    }

    @Test
    void statusIsASubcommandOfClat() {
        assertThat(Main.run("clat", "status", "--state-file", dir.resolve("absent.json").toString())).isEqualTo(3);
    }

    @Test
    void clatWithoutConfigOrWithTheWrongModeIsAUsageError() throws Exception {
        assertThat(Main.run("clat")).isEqualTo(2);
        Path cfg = dir.resolve("siit.json");
        Files.writeString(cfg, "{\"global\": {\"pool6\": \"64:ff9b::/96\"}}");
        assertThat(Main.run("clat", "--config", cfg.toString())).isEqualTo(2);
        Files.writeString(cfg, "{\"ferry\": {\"mode\": \"clat\"}, \"clat\": {\"ipv6-address\": \"2001:db8::/64\"}}");
        assertThat(Main.run("clat", "--config", cfg.toString())).isEqualTo(2);
    }
}
