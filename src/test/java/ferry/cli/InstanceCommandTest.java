package ferry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.app.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ferry instance add|remove} without a daemon (no root needed): what is refused before anything starts, and
 * the command line of the daemon it would start. The real start and stop are in {@link CliEndToEndTest}.
 */
class InstanceCommandTest {
    @TempDir
    Path dir;

    record Cli(int exit, String out, String err) {
    }

    static synchronized Cli ferry(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = Main.run(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Cli(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void anInvalidFileIsRefusedWithEveryErrorAndNothingStarts() throws Exception {
        Path f = dir.resolve("bad.json");
        Files.writeString(f, "{ \"instance\": \"t1\", \"global\": { \"pool6\": \"64:ff9b::/96\", \"tos\": 300, "
                + "\"lowest-ipv6-mtu\": 5 } }");
        Path log = dir.resolve("t1.log");
        Cli c = ferry("--socket", dir.resolve("t1.sock").toString(), "instance", "add", "--config", f.toString(),
                "--log", log.toString());
        assertThat(c.exit()).isEqualTo(2);
        assertThat(c.out()).isEmpty();
        assertThat(c.err().lines().toList()).anyMatch(l -> l.startsWith("ferry instance add: " + f) && l.contains("global.tos"))
                .anyMatch(l -> l.contains("global.lowest-ipv6-mtu"))
                .contains("hint: nothing was started; fix the file (ferry run would refuse it too)");
        assertThat(log).doesNotExist();
    }

    @Test
    void theInstanceNameMustBeTheFilesAndTheModeSiitOrNat64() throws Exception {
        Path f = dir.resolve("ok.json");
        Files.writeString(f, "{ \"instance\": \"t2\", \"global\": { \"pool6\": \"64:ff9b::/96\" } }");
        Cli other = ferry("-i", "t3", "instance", "add", "--config", f.toString());
        assertThat(other.exit()).isEqualTo(2);
        assertThat(other.err()).contains("\"instance\" is \"t2\", not \"t3\" (-i)").contains("hint: set \"instance\": \"t3\"");
        Cli mode = ferry("-i", "t2", "instance", "add", "--config", f.toString(), "--mode", "clat");
        assertThat(mode.exit()).isEqualTo(2);
        assertThat(mode.err()).contains("--mode: \"clat\" is not siit or nat64");
    }

    @Test
    void removingAnInstanceThatDoesNotRunIsOneLineAndAHint() {
        Path sock = dir.resolve("absent.sock");
        Cli c = ferry("--socket", sock.toString(), "instance", "remove");
        assertThat(c.exit()).isEqualTo(2);
        assertThat(c.out()).isEmpty();
        assertThat(c.err().lines().toList()).containsExactly(
                "ferry instance remove: no ferry daemon listening on " + sock,
                "hint: there is no running instance \"absent\" to remove (ferry -i absent instance add --config FILE"
                        + " starts one)");
    }

    @Test
    void theDaemonRunsOnTheSameJavaAndClassPathWithoutAgents() {
        List<String> c = InstanceCommand.command(Path.of("x.json"), true, "nat64", Path.of("/tmp/s.sock"));
        String java = ProcessHandle.current().info().command().orElseThrow();
        assertThat(c).contains(java);
        int cp = c.indexOf("-cp");
        assertThat(c.get(cp + 1)).isEqualTo(System.getProperty("java.class.path"));
        assertThat(c.subList(cp + 2, c.size())).containsExactly(InstanceCommand.MAIN_CLASS, "run", "--config",
                Path.of("x.json").toAbsolutePath().toString(), "--force", "--mode", "nat64", "--control-socket", "/tmp/s.sock");
        assertThat(c).noneMatch(a -> a.startsWith("-javaagent") || a.startsWith("-agentlib"));
        assertThat(c).anyMatch(a -> a.startsWith("--enable-native-access"));
    }
}
