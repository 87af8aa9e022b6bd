package ferry.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A {@code ferry run --config FILE} child process for tests that need no root: started, its output in a file. */
final class RunProcess {
    private RunProcess() {
    }

    /**
     * Starts {@code ferry run --config config} in a JVM like this one (its class path, {@code -Xmx64m}), stdout and
     * stderr into {@code log}; under {@code nohup} (SIGHUP ignored) when asked.
     */
    static Process start(Path config, Path log, boolean nohup) throws java.io.IOException {
        List<String> cmd = new ArrayList<>();
        if (nohup) cmd.add("nohup");
        cmd.addAll(List.of(ProcessHandle.current().info().command().orElse("java"), "--enable-native-access=ALL-UNNAMED",
                "-Xmx64m", "-cp", System.getProperty("java.class.path"), "ferry.app.Main", "run", "--config", config.toString()));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** The file's text so far, or "" when it cannot be read (yet). */
    static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
