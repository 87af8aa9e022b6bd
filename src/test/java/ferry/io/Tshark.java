package ferry.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs tshark for tests; tests that need it are skipped with {@link #SKIP_REASON} when it is missing. */
public final class Tshark {
    public static final String SKIP_REASON =
            "tshark is not installed (apt-get install tshark; .ci/run installs it): skipping the Wireshark check";
    private static Boolean available;

    private Tshark() {
    }

    public static synchronized boolean available() {
        if (available == null) {
            boolean ok;
            try {
                Process p = new ProcessBuilder("tshark", "--version").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                ok = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
            } catch (IOException | InterruptedException e) {
                ok = false;
            }
            available = ok;
            if (!ok) System.out.println("SKIPPED: " + SKIP_REASON);
        }
        return available;
    }

    /** Runs tshark with {@code args}; returns stdout lines; fails on a non-zero exit with its stderr. */
    public static List<String> run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add("tshark");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        byte[] err;
        String out;
        try (var e = p.getErrorStream(); var o = p.getInputStream()) {
            var errF = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return e.readAllBytes();
                } catch (IOException x) {
                    return new byte[0];
                }
            });
            out = new String(o.readAllBytes(), StandardCharsets.UTF_8);
            err = errF.join();
        }
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("tshark timed out: " + cmd);
        }
        if (p.exitValue() != 0) {
            throw new IOException("tshark exited " + p.exitValue() + ": " + cmd + "\n" + new String(err,
                    StandardCharsets.UTF_8));
        }
        return out.lines().toList();
    }
}
