package ferry.app;

import ferry.dns64.Dns64Server;
import ferry.dns64.Dns64Settings;
import ferry.addr.AddressFormatException;
import ferry.addr.Prefix6;
import ferry.config.Config;
import ferry.config.ConfigException;
import ferry.config.ConfigParser;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code ferry dns64}: runs a DNS64 server (RFC 6147) in the foreground until SIGTERM or SIGINT. */
@Command(name = "dns64", mixinStandardHelpOptions = true,
        description = "Run a DNS64 server (RFC 6147) in the foreground; SIGTERM/SIGINT stop it and print its counters.")
public final class Dns64Command implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
            description = "take the settings from the \"dns64\" section (and ferry.wkp-strict) of a config file; --listen/--upstream/--prefix then replace the file's values")
    Path config;

    @Option(names = "--listen", paramLabel = "ADDR:PORT", description = "address to serve on, UDP and TCP (repeatable; IPv6 as [ADDR]:PORT)")
    List<String> listen = new ArrayList<>();

    @Option(names = "--upstream", paramLabel = "ADDR:PORT", description = "recursive resolver to ask, in failover order (repeatable)")
    List<String> upstream = new ArrayList<>();

    @Option(names = "--prefix", paramLabel = "PREFIX[=V4RANGE,...]",
            description = "RFC 6052 prefix to synthesize with, optionally only for some IPv4 ranges (repeatable; default 64:ff9b::/96)")
    List<String> prefixes = new ArrayList<>();

    @Option(names = "--exclude", paramLabel = "PREFIX6", description = "AAAA ranges that do not count as real (repeatable; default ::ffff:0:0/96)")
    List<String> exclude = new ArrayList<>();

    @Option(names = "--parallel-queries", description = "ask for A and AAAA at once (RFC 6147 §5.1.8)")
    boolean parallel;

    @Option(names = "--cache-size", paramLabel = "SIZE", defaultValue = "16m",
            description = "bytes the answer cache may hold: a number, or with k/m/g, e.g. 64m (0 = no cache; default ${DEFAULT-VALUE})")
    String cacheSize;

    @Option(names = "--metrics", paramLabel = "HOST:PORT",
            description = "serve Prometheus metrics on http://HOST:PORT/metrics (loopback addresses only; off by default)")
    String metrics;

    @Option(names = "--timeout-ms", paramLabel = "MS", defaultValue = "1000", description = "wait per upstream attempt (default ${DEFAULT-VALUE})")
    int timeoutMs;

    @Option(names = "--retries", paramLabel = "N", defaultValue = "1", description = "extra rounds over the upstream list (default ${DEFAULT-VALUE})")
    int retries;

    @Option(names = "--max-inflight", paramLabel = "N", defaultValue = "1024", description = "upstream queries pending at once (default ${DEFAULT-VALUE})")
    int maxInflight;

    @Option(names = "--wkp-strict", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "never synthesize non-global IPv4 under 64:ff9b::/96 (RFC 6052 §3.1; default on)")
    boolean wkpStrict;

    @Option(names = "--prefetch", paramLabel = "TRIGGER:ELIGIBILITY|off",
            description = "a cache hit on an answer with at most TRIGGER seconds of TTL left, cached with a TTL of at least ELIGIBILITY seconds, refreshes it from the upstream in the background (BIND's prefetch; default 2:9; off: answers expire and the next query waits for the upstream)")
    String prefetch;

    @Option(names = "--warm-up", paramLabel = "N",
            description = "at start, resolve N made-up names through a throwaway server on loopback, in the background, so that the JIT compiles the miss path before clients need it (0 = off; default 20000)")
    Integer warmUp;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "UDP receive threads per listen address (0 = one per core)")
    int threads;

    @Override
    public Integer call() throws Exception {
        Dns64Settings settings;
        java.net.InetSocketAddress metricsAt;
        try {
            metricsAt = metrics == null ? null : metricsAddress(metrics);
            if (warmUp != null) ferry.config.Dns64Section.checkWarmUp("--warm-up", warmUp);
            settings = config != null ? fromFile() : settings();
        } catch (IllegalArgumentException e) { // AddressFormatException included
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        try {
            return serve(settings, metricsAt);
        } catch (java.io.IOException e) { // e.g. a listen port that is taken or privileged
            System.err.println("ferry dns64: " + e.getMessage());
            return 2;
        }
    }

    /** The config file's dns64 section, with any --listen/--upstream/--prefix given on the command line on top. */
    Dns64Settings fromFile() throws ConfigException {
        Config c = ConfigParser.parse(config);
        if (c.dns64() == null) throw new IllegalArgumentException("--config: " + config + " has no \"dns64\" section");
        Dns64Settings s = settingsOf(c);
        List<InetSocketAddress> l = new ArrayList<>(), u = new ArrayList<>();
        for (String x : listen) l.add(Dns64Settings.parseSocketAddress("--listen", x));
        for (String x : upstream) u.add(Dns64Settings.parseSocketAddress("--upstream", x));
        List<Dns64Settings.PrefixRule> p = new ArrayList<>();
        for (String x : prefixes) p.add(Dns64Settings.PrefixRule.parse(x));
        int[] pf = prefetch == null ? new int[] {s.prefetchTrigger(), s.prefetchMinTtl()} : Dns64Settings.parsePrefetch("--prefetch", prefetch);
        return new Dns64Settings(l.isEmpty() ? s.listen() : l, u.isEmpty() ? s.upstream() : u, p.isEmpty() ? s.prefixes() : p,
                s.exclude(), s.parallelQueries() || parallel, s.cacheSize(), s.timeoutMs(), s.retries(), s.maxInflight(),
                s.wkpStrict(), threads, s.clientBudgetMs(), pf[0], pf[1], warmUp == null ? s.warmUp() : warmUp);
    }

    /** The server settings of a configuration's "dns64" section (and ferry.wkp-strict); ferry run serves them too. */
    static Dns64Settings settingsOf(Config c) {
        return Dns64Settings.fromConfig(c.dns64(), c.ferry() == null || c.ferry().wkpStrict());
    }

    Dns64Settings settings() {
        if (listen.isEmpty()) throw new IllegalArgumentException("--listen: at least one ADDR:PORT is needed, e.g. --listen 127.0.0.1:5353");
        if (upstream.isEmpty()) throw new IllegalArgumentException("--upstream: at least one ADDR:PORT is needed, e.g. --upstream 127.0.0.1:53");
        List<InetSocketAddress> l = new ArrayList<>(), u = new ArrayList<>();
        for (String s : listen) l.add(Dns64Settings.parseSocketAddress("--listen", s));
        for (String s : upstream) u.add(Dns64Settings.parseSocketAddress("--upstream", s));
        List<Dns64Settings.PrefixRule> p = new ArrayList<>();
        for (String s : prefixes.isEmpty() ? List.of("64:ff9b::/96") : prefixes) {
            try {
                p.add(Dns64Settings.PrefixRule.parse(s));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--prefix: " + e.getMessage(), e);
            }
        }
        List<Prefix6> ex = new ArrayList<>();
        for (String s : exclude) {
            try {
                ex.add(Prefix6.parse(s));
            } catch (AddressFormatException e) {
                throw new IllegalArgumentException("--exclude: '" + s + "': " + e.getMessage(), e);
            }
        }
        int[] pf = prefetch == null
                ? new int[] {Dns64Settings.DEFAULT_PREFETCH_TRIGGER, Dns64Settings.DEFAULT_PREFETCH_MIN_TTL}
                : Dns64Settings.parsePrefetch("--prefetch", prefetch);
        return Dns64Settings.of(l, u, p)
                .withExclude(ex.isEmpty() ? Dns64Settings.DEFAULT_EXCLUDE : ex)
                .withParallelQueries(parallel).withCacheSize(Dns64Settings.parseSize("--cache-size", cacheSize)).withTimeout(timeoutMs, retries)
                .withMaxInflight(maxInflight).withWkpStrict(wkpStrict).withUdpThreads(threads)
                .withPrefetch(pf[0], pf[1]).withWarmUp(warmUp == null ? Dns64Settings.DEFAULT_WARM_UP : warmUp);
    }

    /** The --metrics value as a loopback socket address; the error names the option and the value. */
    static InetSocketAddress metricsAddress(String text) {
        try {
            return ferry.metrics.MetricsEndpoint.loopback(text);
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            throw new IllegalArgumentException(m.startsWith("metrics:") ? "--" + m : "--metrics: " + m, e);
        }
    }

    private static String metrics(InetSocketAddress a) {
        String h = a.getAddress().getHostAddress();
        return (h.contains(":") ? "[" + h + "]" : h) + ":" + a.getPort();
    }

    /** One line on how the warm-up went. */
    static String warmUpText(ferry.dns64.Dns64WarmUp.Result w) {
        return "warm-up " + (w.skipped() == null ? "done" : "stopped (" + w.skipped() + ")") + ": " + w.names()
                + " names resolved, " + w.answered() + " answers, " + w.millis() + " ms";
    }

    /** Runs a server until the JVM is asked to stop, then prints the counters. */
    static int serve(Dns64Settings settings) throws Exception {
        return serve(settings, null);
    }

    /** Runs a server (and its metrics endpoint when {@code metricsAt} is not null) until the JVM is asked to stop. */
    static int serve(Dns64Settings settings, InetSocketAddress metricsAt) throws Exception {
        Dns64Server server = Dns64Server.start(settings);
        Dns64Metrics.Endpoint endpoint;
        try {
            endpoint = metricsAt == null ? null : Dns64Metrics.serve(metricsAt, server);
        } catch (java.io.IOException e) {
            server.close();
            throw new java.io.IOException("--metrics: cannot serve on " + metrics(metricsAt) + ": " + e.getMessage(), e);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            if (endpoint != null) endpoint.close();
            server.close();
            System.out.println("ferry dns64: stopped; counters:");
            System.out.print(server.counters().format());
            System.out.flush();
            stopped.countDown();
        }, "dns64-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        System.out.println("ferry dns64: serving on " + server.addresses() + " (UDP+TCP), upstream " + settings.upstream()
                + ", prefixes " + settings.prefixes());
        if (endpoint != null) System.out.println("ferry dns64: metrics on http://"
                + metrics(new InetSocketAddress(metricsAt.getAddress(), endpoint.port())) + "/metrics");
        System.out.flush();
        server.warmUp().thenAccept(w -> {
            if (w.names() == 0 && "off".equals(w.skipped())) return;
            System.out.println("ferry dns64: " + warmUpText(w));
            System.out.flush();
        });
        stopped.await(); // SIGTERM/SIGINT run the hook, which closes the server
        return 0;
    }
}
