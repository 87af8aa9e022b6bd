package ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.testkit.Await;
import ferry.testkit.NetnsHarness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The shared fixture of the {@code ferry run --mode nat64} end-to-end tests ({@link Nat64RunEndToEndTest},
 * {@link Nat64IslandEndToEndTest}): the {@link NetnsHarness#xlatLine} of three namespaces ({@code ferry-*}, removed
 * afterwards) with the IPv6 host {@value #V6_HOST}, the IPv4 host {@value #V4_HOST} and ferry in the middle with the
 * one-address pool4 {@value #POOL4}; ferry's output collected in {@link #ferryErr}; and the small helpers both use.
 */
abstract class Nat64LineHarness extends NetnsHarness {
    static final String V6_HOST = "2001:db8:6::2";
    static final String V4_HOST = "198.51.100.2";
    static final String POOL4 = "203.0.113.1";
    /** The pool4 both tests use: TCP 1024-65535 and 80 (for a static BIB entry), UDP and ICMP, all on POOL4. */
    static final String POOL4_JSON = """
            [ { "protocol": "TCP", "prefix": "203.0.113.1/32", "port range": "1024-65535" },
                             { "protocol": "TCP", "prefix": "203.0.113.1/32", "port range": "80-80" },
                             { "protocol": "UDP", "prefix": "203.0.113.1/32", "port range": "1024-65535" },
                             { "protocol": "ICMP", "prefix": "203.0.113.1/32" } ]""";

    final String prefix = newPrefix(6);
    final String nsV6 = prefix + "-v6", nsX = prefix + "-xlat", nsV4 = prefix + "-v4";
    /** This class's temporary folder (deleted afterwards). */
    Path dir;
    /** The running {@code ferry run}. */
    Process ferry;
    /** Everything ferry printed so far. */
    final StringBuffer ferryErr = new StringBuffer();

    /** ferry's TUN device: {@code ferry} and four hex digits of this run's prefix (no other run uses it). */
    String device() {
        return "ferry" + prefix.substring(6, 10);
    }

    /**
     * Skips the class unless root with {@code ip ping curl python3} ({@code who} names it), builds the line with
     * {@code pool6} routed to ferry, writes {@code configJson} (given the new {@link #dir}) to {@code nat64.json}
     * there and starts {@code ferry run --mode nat64 [extraArgs] --config nat64.json}, waiting 40 s for its ready
     * event.
     */
    void startNat64(String who, String pool6, Function<Path, String> configJson, String... extraArgs) throws Exception {
        assumeRootWith(who, "ip", "ping", "curl", "python3");
        dir = tempDir("ferry-" + who);
        xlatLine(nsV6, nsX, nsV4, pool6, "203.0.113.0/24"); // V6_HOST, V4_HOST
        Path config = dir.resolve("nat64.json");
        Files.writeString(config, configJson.apply(dir));
        List<String> args = new ArrayList<>(List.of("run", "--mode", "nat64"));
        args.addAll(List.of(extraArgs));
        args.addAll(List.of("--config", config.toString()));
        ferry = spawn(nsX, ferryJvm("256m", args.toArray(String[]::new)).toArray(String[]::new));
        new Child(ferry, ferryErr).awaitStderr("event=ready instances=", 40);
    }

    /**
     * Serves the folder {@code www} over HTTP ({@code python3 -m http.server PORT --bind BIND}) in {@code serverNs},
     * fetches {@code url} from {@code clientNs} with curl (retrying while the server starts), then stops the server;
     * returns curl's result.
     */
    Result fetchServed(String serverNs, Path www, int port, String bind, String clientNs, String url) throws Exception {
        Process s = spawn(serverNs, "python3", "-m", "http.server", Integer.toString(port), "--bind", bind, "-d",
                www.toString());
        try {
            return in(clientNs, 60, "curl", "-sS", "--retry", "5", "--retry-connrefused", "--retry-delay", "1", "-m",
                    "10", url);
        } finally {
            s.destroy();
            s.waitFor(5, TimeUnit.SECONDS);
        }
    }

    /** Sends SIGHUP to ferry and waits (15 s at most) for one more {@code event=config_reloaded} than before. */
    void sighupAndAwaitReload() throws Exception {
        int reloads = count(ferryErr.toString(), "event=config_reloaded");
        Process k = new ProcessBuilder("kill", "-HUP", Long.toString(ferry.pid())).start();
        assertThat(k.waitFor(5, TimeUnit.SECONDS) && k.exitValue() == 0).as("kill -HUP").isTrue();
        Await.until("one more event=config_reloaded", 15,
                () -> count(ferryErr.toString(), "event=config_reloaded") > reloads, ferryErr::toString);
    }

    /** How often {@code what} occurs in {@code text}. */
    static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) n++;
        return n;
    }
}
