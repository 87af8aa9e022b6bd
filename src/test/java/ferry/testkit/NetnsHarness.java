package ferry.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;

/**
 * The shared base of the root-only end-to-end tests: network namespaces ({@code ferry-*}) and veth pairs, commands
 * run inside a namespace with a timeout and their output captured, background processes (ferry itself, servers)
 * remembered by their {@link Process} (so by PID), and everything it made removed after the class: the processes it
 * started are killed by PID (none other), the namespaces it added are deleted (their veths with them), its temporary
 * folders are deleted — also when setup or a test fails, as {@link #removeEverything()} is an {@code @AfterAll}
 * that JUnit runs after the subclass's own {@code @AfterAll} methods.
 *
 * <p>Subclasses are {@code PER_CLASS} test classes that build their topology in a {@code @BeforeAll}, which starts
 * with {@link #assumeRootWith(String, String...)}: off Linux, without root, {@code ip netns} or a needed tool the
 * class is skipped with the reason printed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class NetnsHarness {
    /** A finished command: its exit code ({@code -1} when it was killed after its timeout) and combined output. */
    public record Result(int exit, String out) {
    }

    /**
     * The processes this test started that may still run (a command that finished in time is taken out again);
     * a test may add a process it starts itself. Killed by PID, and only these, after the class.
     */
    protected final List<Process> started = Collections.synchronizedList(new ArrayList<>());
    private final List<String> namespaces = new ArrayList<>();
    private final List<Path> dirs = new ArrayList<>();

    /** {@code ferry-} and {@code hexDigits} random hex digits: a namespace prefix no other run uses. */
    public static String newPrefix(int hexDigits) {
        return "ferry-" + HexFormat.of().toHexDigits(new Random().nextInt()).substring(8 - hexDigits);
    }

    /**
     * Why the root-only tests cannot run here (not Linux, no TUN, not root, no working {@code ip netns}, one of
     * {@code tools} missing), or null.
     */
    public static String whyNot(String... tools) throws Exception {
        if (!System.getProperty("os.name").equals("Linux")) return "not Linux";
        if (!Files.exists(Path.of("/dev/net/tun"))) return "no /dev/net/tun";
        Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
        String uid = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        if (!p.waitFor(5, TimeUnit.SECONDS) || !uid.equals("0")) return "not root (uid " + uid + ")";
        List<String> all = new ArrayList<>(List.of("ip"));
        for (String t : tools) if (!all.contains(t)) all.add(t);
        for (String tool : all) {
            Process w = new ProcessBuilder("sh", "-c", "command -v " + tool).start();
            if (!w.waitFor(5, TimeUnit.SECONDS) || w.exitValue() != 0) return tool + " is not installed";
        }
        Process n = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
        n.getInputStream().readAllBytes();
        if (!n.waitFor(5, TimeUnit.SECONDS) || n.exitValue() != 0) return "ip netns does not work here";
        return null;
    }

    /** Skips the class, printing {@code "<who> skipped: <reason>"}, unless {@link #whyNot(String...)} finds nothing. */
    protected static void assumeRootWith(String who, String... tools) throws Exception {
        String why = whyNot(tools);
        if (why != null) System.err.println(who + " skipped: " + why);
        assumeTrue(why == null, why);
    }

    /** A new temporary folder, deleted with its contents after the class. */
    protected Path tempDir(String prefix) throws IOException {
        Path d = Files.createTempDirectory(prefix);
        dirs.add(d);
        return d;
    }

    /** Adds the namespaces (each must start with {@code ferry-}); each is deleted after the class. */
    protected void addNamespaces(String... names) throws Exception {
        for (String ns : names) {
            assertThat(ns).startsWith("ferry-");
            namespaces.add(ns); // before adding: a half-done add is removed too
            sh("ip", "netns", "add", ns);
        }
    }

    /** A veth pair: {@code a} in {@code nsA}, its peer {@code b} in {@code nsB} (both go with their namespace). */
    protected void veth(String nsA, String a, String nsB, String b) throws Exception {
        sh("ip", "link", "add", a, "netns", nsA, "type", "veth", "peer", "name", b, "netns", nsB);
    }

    /**
     * The line most tests translate over, three namespaces and two veth pairs, all links up, forwarding on in the
     * middle, and each host routing what it reaches through the translator to its router:
     *
     * <pre>
     *  nsV6                       nsX                                      nsV4
     *  2001:db8:6::2 v6a ── v6b 2001:db8:6::1   198.51.100.1 v4b ── v4a 198.51.100.2
     *  route6 via 2001:db8:6::1                                         route4 via 198.51.100.1
     * </pre>
     */
    protected void xlatLine(String nsV6, String nsX, String nsV4, String route6, String route4) throws Exception {
        addNamespaces(nsV6, nsX, nsV4);
        veth(nsV6, "v6a", nsX, "v6b");
        veth(nsV4, "v4a", nsX, "v4b");
        for (String[] l : new String[][] {{nsV6, "lo"}, {nsV6, "v6a"}, {nsX, "lo"}, {nsX, "v6b"}, {nsX, "v4b"},
                {nsV4, "lo"}, {nsV4, "v4a"}}) {
            in(l[0], "ip", "link", "set", "dev", l[1], "up");
        }
        in(nsV6, "ip", "-6", "addr", "add", "2001:db8:6::2/64", "dev", "v6a", "nodad");
        in(nsX, "ip", "-6", "addr", "add", "2001:db8:6::1/64", "dev", "v6b", "nodad");
        in(nsV4, "ip", "addr", "add", "198.51.100.2/24", "dev", "v4a");
        in(nsX, "ip", "addr", "add", "198.51.100.1/24", "dev", "v4b");
        in(nsV6, "ip", "-6", "route", "add", route6, "via", "2001:db8:6::1");
        in(nsV4, "ip", "route", "add", route4, "via", "198.51.100.1");
        // (through /proc/sys rather than sysctl(8): procps may be missing on a minimal CI image)
        in(nsX, "sh", "-c",
                "echo 1 > /proc/sys/net/ipv4/ip_forward && echo 1 > /proc/sys/net/ipv6/conf/all/forwarding");
    }

    /** Starts a command in a namespace in the background (output and errors in one stream), remembered. */
    public Process spawn(String ns, String... cmd) throws IOException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(List.of(cmd));
        Process p = new ProcessBuilder(c).redirectErrorStream(true).start();
        started.add(p);
        return p;
    }

    /** Runs a command in a namespace (bounded); returns its exit code and output. */
    public Result in(String ns, int seconds, String... cmd) throws Exception {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(List.of(cmd));
        return run(seconds, c);
    }

    /** Runs a setup command in a namespace; it must succeed within 20 s. */
    public void in(String ns, String... cmd) throws Exception {
        Result r = in(ns, 20, cmd);
        assertThat(r.exit()).as("%s in %s: %s", String.join(" ", cmd), ns, r.out()).isZero();
    }

    /** Runs a setup command on the host; it must succeed within 20 s. */
    public void sh(String... cmd) throws Exception {
        Result r = run(20, List.of(cmd));
        assertThat(r.exit()).as("%s: %s", String.join(" ", cmd), r.out()).isZero();
    }

    /** Runs a command; killed (by PID) when it takes longer than {@code seconds}, with a note in the output. */
    public Result run(int seconds, List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        started.add(p);
        StringBuffer out = new StringBuffer();
        Thread reader = Thread.ofPlatform().daemon(true).start(() -> {
            try (InputStream in = p.getInputStream()) {
                out.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                out.append("[output reader: ").append(e).append(']');
            }
        });
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
            reader.join(2000);
            return new Result(-1, out + "\n[timed out after " + seconds + " s: " + String.join(" ", cmd) + "]");
        }
        reader.join(5000);
        started.remove(p);
        return new Result(p.exitValue(), out.toString());
    }

    /**
     * Waits until a server in {@code ns} listens on {@code port} ({@code proto} "tcp" or "udp", as {@code ss} shows
     * it), so a client started next is not refused; fails after {@code seconds} with what {@code ss} showed. A fixed
     * pause after starting the server assumed it had bound by then, which a loaded machine does not promise.
     */
    public void awaitListening(String ns, String proto, int port, int seconds) throws Exception {
        String flag = proto.equals("udp") ? "-uln" : "-tln";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            Result r = in(ns, 10, "ss", "-H", flag);
            if (r.out().lines().anyMatch(l -> l.matches(".*[:\\]]" + port + "\\s.*"))) return;
            if (System.nanoTime() - deadline > 0)
                throw new AssertionError("nothing listens on " + proto + " port " + port + " in " + ns + " within "
                        + seconds + " s; ss " + flag + ":\n" + r.out());
            Thread.sleep(50);
        }
    }

    /** {@code java --enable-native-access=ALL-UNNAMED [-Xmx] -cp <this class path> ferry.app.Main args}, mutable. */
    public static List<String> ferryJvm(String xmx, String... args) {
        List<String> c = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED"));
        if (xmx != null) c.add("-Xmx" + xmx);
        c.addAll(List.of("-cp", System.getProperty("java.class.path"), "ferry.app.Main"));
        c.addAll(List.of(args));
        return c;
    }

    /** Stops what this test started (by PID), deletes its namespaces and temporary folders; runs after failures too. */
    @AfterAll
    protected final void removeEverything() throws Exception {
        List<Process> left;
        synchronized (started) {
            left = new ArrayList<>(started);
        }
        for (Process p : left) { // only what this test started, by PID
            if (p.isAlive()) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        }
        for (String ns : namespaces) {
            Process p = new ProcessBuilder("ip", "netns", "del", ns).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        for (Path d : dirs) {
            try (var files = Files.walk(d)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** A background process (usually a ferry JVM in a namespace) whose combined output is collected as it comes. */
    public static class Child {
        public final Process process;
        public final StringBuffer err;
        private final Thread reader;

        public Child(Process process) {
            this(process, new StringBuffer());
        }

        /** Collects the output into {@code err} (a buffer the test may hold on its own). */
        public Child(Process process, StringBuffer err) {
            this.process = process;
            this.err = err;
            reader = Thread.ofPlatform().daemon(true).start(() -> {
                try (InputStream in = process.getInputStream()) {
                    byte[] b = new byte[4096];
                    for (int n; (n = in.read(b)) > 0; ) err.append(new String(b, 0, n, StandardCharsets.UTF_8));
                } catch (IOException e) {
                    err.append("[stderr reader: ").append(e).append(']');
                }
            });
        }

        /** Starts {@code ferry args} (128 MB heap: NAT64 allocates its tables for the default max-sessions, ~57 MB) in a namespace of {@code t} and waits 30 s for {@code ready}. */
        public static Child start(NetnsHarness t, String ns, String ready, String... args) throws Exception {
            Child c = new Child(t.spawn(ns, ferryJvm("128m", args).toArray(String[]::new)));
            c.awaitStderr(ready, 30);
            return c;
        }

        /**
         * The output so far; once the process has exited, all of it: the reader thread may still be appending the
         * last lines (the counters and "stopped" events printed at exit) when {@code waitFor} returns, so this waits
         * for the reader to reach the end of the stream (5 s at most) before answering.
         */
        public String stderr() {
            if (!process.isAlive()) {
                try {
                    reader.join(5000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return err.toString();
        }

        /** Waits for {@code text} in the output; fails, showing it, after {@code seconds} or at an exit without it. */
        public void awaitStderr(String text, int seconds) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (!err.toString().contains(text)) {
                if (System.nanoTime() > deadline || !process.isAlive()) {
                    reader.join(2000); // let the reader drain
                    if (err.toString().contains(text)) return;
                    throw new AssertionError("did not print \"" + text + "\" within " + seconds + " s (alive: "
                            + process.isAlive() + "); output:\n" + err);
                }
                Thread.sleep(50);
            }
        }

        /** Sends a signal to this process, by PID (the child of {@code ip netns exec} is exec'd: same PID). */
        public void signal(String sig) throws Exception {
            // the shell's kill builtin: /bin/kill comes with procps, which a minimal image may lack
            Process k = new ProcessBuilder("sh", "-c", "kill -" + sig + " " + process.pid()).start();
            boolean sent = k.waitFor(5, TimeUnit.SECONDS) && k.exitValue() == 0;
            assertThat(sent || !process.isAlive()).as("kill -" + sig + " " + process.pid()).isTrue();
        }
    }
}
