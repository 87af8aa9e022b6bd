package ferry.cli;

import ferry.config.Config;
import ferry.config.ConfigError;
import ferry.config.ConfigException;
import ferry.config.ConfigParser;
import ferry.config.Mode;
import ferry.control.ControlClient;
import ferry.control.ControlException;
import ferry.control.ControlPaths;
import ferry.control.Request;
import ferry.control.Response;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ferry [-i INSTANCE] instance display|status|add|remove}. Jool's {@code instance add|remove} create and
 * destroy a translator inside the kernel; a ferry instance is a daemon ({@code ferry run}, serving
 * {@code /run/ferry/INSTANCE.sock}), so here:
 *
 * <ul>
 *   <li>{@code add --config FILE [--force] [--mode M] [--log FILE] [--timeout S]} validates the file exactly as
 *       {@code ferry run} would (errors: exit 2, nothing started), refuses when the instance's socket already
 *       answers (exit 2), starts {@code ferry run --config FILE} detached ({@code setsid}, the same Java and class
 *       path as this CLI; its output appended to {@code /run/ferry/INSTANCE.log} or {@code --log FILE}), waits until
 *       its control socket answers and prints its PID on stdout. A daemon that exits or does not answer in time is
 *       reported with its log's name (exit 1; one that hangs is stopped).</li>
 *   <li>{@code remove} asks the daemon over the socket to stop (control request {@code instance remove}); it stops as
 *       on SIGTERM (packets in flight finished, device removed, socket removed), and the CLI waits until the socket
 *       is gone. No daemon: one line and a hint, exit 2.</li>
 * </ul>
 *
 * The CLI still links no data-plane class: it parses the file with {@code ferry.config} and starts a process.
 * The systemd unit {@code ferry@INSTANCE} is the other way to run an instance.
 */
@Command(name = "instance", description = "Start, stop and show ferry daemons (Jool's instances).")
public final class InstanceCommand {
    static final long WAIT_STEP_MILLIS = 100;
    /** The daemon's main class, named, not linked (the CLI links no data-plane class, see CliImportsTest). */
    static final String MAIN_CLASS = "ferry.app.Main";

    @Spec
    CommandSpec spec;

    @Command(name = "display", description = "Print the instance: name, mode, PID, configuration file, socket.")
    int display(@Mixin Output o) {
        return Daemon.call(spec, o, "instance", "display", List.of());
    }

    @Command(name = "status", description = "Print Running, or fail (exit 2) when no daemon answers.")
    int status(@Mixin Output o) {
        return Daemon.call(spec, o, "instance", "status", List.of());
    }

    @Command(name = "add", description = {"Validate FILE, start ferry run --config FILE as a detached daemon, wait"
            + " until its control socket answers, print its PID.",
            "Errors in FILE or a running instance: exit 2 (nothing started); a daemon that fails to start: exit 1."})
    int add(@Option(names = "--config", required = true, paramLabel = "FILE", description = "the configuration") Path file,
            @Option(names = "--force", description = "as ferry run --force") boolean force,
            @Option(names = "--mode", paramLabel = "MODE", description = "as ferry run --mode: siit or nat64") String mode,
            @Option(names = "--log", paramLabel = "FILE",
                    description = "where the daemon's output goes (appended; default /run/ferry/INSTANCE.log)") Path log,
            @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
                    description = "how long to wait for the daemon's socket (default: ${DEFAULT-VALUE})") int timeout) {
        String op = "ferry instance add: ";
        Mode m = null;
        if (mode != null) {
            for (Mode x : Mode.values()) if (x.jsonName().equals(mode)) m = x;
            if (m == null || m == Mode.CLAT) {
                System.err.println(op + "--mode: \"" + mode + "\" is not siit or nat64");
                return 2;
            }
        }
        if (timeout < 1) {
            System.err.println(op + "--timeout must be at least 1 second, got " + timeout);
            return 2;
        }
        Config cfg;
        try {
            cfg = ConfigParser.parse(file, force, m);
        } catch (ConfigException e) {
            for (ConfigError ce : e.errors()) System.err.println(op + ce.format(e.source()));
            System.err.println("hint: nothing was started; fix the file (ferry run would refuse it too)");
            return 2;
        }
        String name = explicitInstance();
        if (name != null && !name.equals(cfg.instance())) {
            System.err.println(op + file + ": \"instance\" is \"" + cfg.instance() + "\", not \"" + name
                    + "\" (-i): the daemon names its control socket after its file");
            System.err.println("hint: set \"instance\": \"" + name + "\" in the file, or leave out -i");
            return 2;
        }
        name = cfg.instance();
        Path socket;
        try {
            socket = socketOption() != null ? socketOption() : ControlPaths.socket(name);
        } catch (IllegalArgumentException e) {
            System.err.println("ferry: " + e.getMessage());
            return 2;
        }
        Response running = ask(socket, "instance", "display");
        if (running != null) {
            String pid = running.ok() && !running.rows().isEmpty() && running.rows().get(0).size() > 2
                    ? " (PID " + running.rows().get(0).get(2) + ")" : "";
            System.err.println(op + "instance \"" + name + "\" is already running" + pid + " on " + socket);
            System.err.println("hint: stop it first with: ferry -i " + name + " instance remove");
            return 2;
        }
        Path logFile = log != null ? log : ControlPaths.RUN_DIR.resolve(name + ".log");
        Process p;
        try {
            Path dir = logFile.toAbsolutePath().getParent();
            if (dir != null && !Files.isDirectory(dir)) { // as the daemon makes /run/ferry: 0700
                Files.createDirectories(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            }
            ProcessBuilder pb = new ProcessBuilder(command(file, force, mode, socketOption()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
            p = pb.start();
        } catch (IOException e) {
            System.err.println(op + "cannot start ferry run: " + e.getMessage());
            return 1;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeout);
        while (true) {
            Response r = ask(socket, "instance", "status");
            if (r != null && r.ok()) break;
            if (!p.isAlive() && p.exitValue() != 0) {
                System.err.println(op + "ferry run exited with code " + p.exitValue() + " before its control socket"
                        + " answered; its output is in " + logFile);
                return 1;
            }
            if (System.nanoTime() > deadline) {
                p.destroy(); // ours, by PID: SIGTERM, as a clean stop
                System.err.println(op + "ferry run (PID " + p.pid() + ") did not answer on " + socket + " within "
                        + timeout + " s; stopped it; its output is in " + logFile);
                return 1;
            }
            if (!pause()) return 1;
        }
        // the daemon's own word for its PID (setsid execs in place, so it is normally p.pid())
        Response d = ask(socket, "instance", "display");
        String pid = d != null && d.ok() && !d.rows().isEmpty() && d.rows().get(0).size() > 2 ? d.rows().get(0).get(2)
                : Long.toString(p.pid());
        System.out.println(pid);
        System.err.println("ferry instance add: instance \"" + name + "\" running (PID " + pid + "), socket "
                + socket + ", log " + logFile);
        return 0;
    }

    @Command(name = "remove", description = {"Ask the daemon to stop (as on SIGTERM: packets in flight finished,"
            + " its TUN device removed) and wait until its control socket is gone.",
            "No such instance: exit 2."})
    int remove(@Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "20",
            description = "how long to wait for the daemon to stop (default: ${DEFAULT-VALUE})") int timeout) {
        Path socket;
        try {
            socket = Daemon.socket(spec);
        } catch (IllegalArgumentException e) {
            System.err.println("ferry: " + e.getMessage());
            return 2;
        }
        Response r;
        try {
            r = new ControlClient(socket, Daemon.TIMEOUT_MILLIS).send(Request.of("instance", "remove"));
        } catch (ControlException e) {
            System.err.println("ferry instance remove: " + e.getMessage());
            String name = socket.getFileName().toString().replaceFirst("\\.sock$", "");
            System.err.println(e.getMessage().startsWith("no ferry daemon")
                    ? "hint: there is no running instance \"" + name + "\" to remove (ferry -i " + name
                    + " instance add --config FILE starts one)" : "hint: " + e.hint());
            return 2;
        }
        if (!r.ok()) {
            for (String e : r.errors()) System.err.println("ferry instance remove: " + e);
            return 2;
        }
        for (String m : r.messages()) System.err.println(m);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.max(1, timeout));
        while (Files.exists(socket)) {
            if (System.nanoTime() > deadline) {
                System.err.println("ferry instance remove: the daemon on " + socket + " did not stop within " + timeout
                        + " s (see its log)");
                return 1;
            }
            if (!pause()) return 1;
        }
        System.err.println("ferry instance remove: stopped");
        return 0;
    }

    /** The reply to a request, or null when nobody answers (no socket, nobody listening, or no reply). */
    private static Response ask(Path socket, String noun, String verb) {
        try {
            return new ControlClient(socket, 2000).send(Request.of(noun, verb));
        } catch (ControlException e) {
            return null;
        }
    }

    /** -i as given on the command line, or null. */
    private String explicitInstance() {
        OptionSpec i = spec.root().findOption("-i");
        return i != null ? i.getValue() : null;
    }

    private Path socketOption() {
        OptionSpec s = spec.root().findOption("--socket");
        return s != null ? s.getValue() : null;
    }

    /**
     * {@code [setsid] JAVA [JVM options of this JVM] -cp CLASSPATH MAIN run --config FILE ...}: the same Java
     * and class path, so the daemon is the same release as this CLI. Agents are left out (a test's coverage agent
     * must not be shared).
     */
    static List<String> command(Path file, boolean force, String mode, Path socket) {
        List<String> c = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) c.add("/usr/bin/setsid"); // its own session: no SIGINT from our terminal
        c.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        boolean nativeAccess = false;
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("-javaagent") || a.startsWith("-agentlib") || a.startsWith("-agentpath")) continue;
            if (a.startsWith("--enable-native-access")) nativeAccess = true;
            c.add(a);
        }
        if (!nativeAccess) c.add("--enable-native-access=ALL-UNNAMED"); // the TUN device through FFM
        c.addAll(List.of("-cp", System.getProperty("java.class.path"), MAIN_CLASS, "run", "--config",
                file.toAbsolutePath().toString()));
        if (force) c.add("--force");
        if (mode != null) c.addAll(List.of("--mode", mode));
        if (socket != null) c.addAll(List.of("--control-socket", socket.toAbsolutePath().toString()));
        return c;
    }

    /** Waits one polling step; false when interrupted (the interrupt status is kept). */
    private static boolean pause() {
        try {
            Thread.sleep(WAIT_STEP_MILLIS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
