package ferry.cli;

import static org.assertj.core.api.Assertions.assertThat;

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

    /** The in-process CLI runner of the end-to-end test (no daemon is needed for what these tests check). */
    static CliEndToEndTest.Cli ferry(String... args) {
        return CliEndToEndTest.ferry(args);
    }

    @Test
    void anInvalidFileIsRefusedWithEveryErrorAndNothingStarts() throws Exception {
        Path f = dir.resolve("bad.json");
        Files.writeString(f, "{ \"instance\": \"t1\", \"global\": { \"pool6\": \"64:ff9b::/96\", \"tos\": 300, "
                + "\"lowest-ipv6-mtu\": 5 } }");
        Path log = dir.resolve("t1.log");
        CliEndToEndTest.Cli c = ferry("--socket", dir.resolve("t1.sock").toString(), "instance", "add", "--config", f.toString(),
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
        CliEndToEndTest.Cli other = ferry("-i", "t3", "instance", "add", "--config", f.toString());
        assertThat(other.exit()).isEqualTo(2);
        assertThat(other.err()).contains("\"instance\" is \"t2\", not \"t3\" (-i)").contains("hint: set \"instance\": \"t3\"");
        CliEndToEndTest.Cli mode = ferry("-i", "t2", "instance", "add", "--config", f.toString(), "--mode", "clat");
        assertThat(mode.exit()).isEqualTo(2);
        assertThat(mode.err()).contains("--mode: \"clat\" is not siit or nat64");
    }

    @Test
    void removingAnInstanceThatDoesNotRunIsOneLineAndAHint() {
        Path sock = dir.resolve("absent.sock");
        CliEndToEndTest.Cli c = ferry("--socket", sock.toString(), "instance", "remove");
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
