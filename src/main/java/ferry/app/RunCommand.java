package ferry.app;

import ferry.config.Config;
import ferry.config.ConfigError;
import ferry.config.ConfigException;
import ferry.config.ConfigParser;
import ferry.config.TunSection;
import ferry.io.tun.PacketHandler;
import ferry.io.tun.TunDataplane;
import ferry.io.tun.TunDevice;
import ferry.io.tun.TunException;
import ferry.io.tun.TunInterfaceSetup;
import ferry.io.tun.TunStat;
import ferry.metrics.Counter;
import ferry.metrics.Counters;
import ferry.translate.Translator;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ferry run --config FILE}: the live translator on a Linux TUN device.
 *
 * <p>Start: parse and validate the configuration (exit 2 on any error), open the device named in its
 * {@code "tun"} section (create it, or attach to an existing persistent one) with one queue per worker, set the
 * MTU, bring it up, add the addresses and routes the section lists (with {@code ip}), start the workers, print
 * {@code ready} on stderr.
 *
 * <p>Signals (through {@code sun.misc.Signal}, module jdk.unsupported): SIGTERM/SIGINT stop reading, let each
 * worker finish its packet in flight, close the queues (which removes the device when ferry created it) and exit 0;
 * a second SIGTERM/SIGINT exits at once (128 + signal number). SIGHUP re-reads the file, validates it completely,
 * and swaps the translator configuration atomically; an invalid file is logged and the old configuration kept. The
 * {@code "tun"} section itself is read only at start.
 *
 * <p>Control: the CLI's control socket ({@code /run/ferry/<instance>.sock}, or {@code --control-socket}) is served
 * by {@link ControlOps}; its changes and SIGHUP take the same validate-then-swap path ({@link LiveConfig}). A socket that
 * cannot be bound is logged and ferry runs without it. {@code --metrics HOST:PORT} (loopback only) serves Prometheus.
 *
 * <p>Faults: a device ferry created and someone removed ({@code ip link del}) is re-created with the same name,
 * queues and offloads, set up again (MTU, addresses, routes) and logged ({@code event=tun_device_recreated});
 * when that keeps failing for {@code --give-up-after} seconds ferry exits 1. A worker whose reads keep failing
 * otherwise (EIO; ENETDOWN; an attached device removed: EBADFD) backs off and retries for
 * {@code --give-up-after} seconds, then ferry exits 1 naming the device and errno.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Translate live traffic on a Linux TUN device (needs CAP_NET_ADMIN).",
                "SIGTERM/SIGINT stop cleanly (a second one exits at once); SIGHUP reloads the configuration."})
final class RunCommand implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "FILE",
            description = "configuration (Jool's SIIT JSON plus ferry's \"ferry\" and \"tun\" objects)")
    Path config;

    @Option(names = "--force", description = "accept what Jool accepts with --force: nested EAM entries,"
            + " denylist4/rfc6791v4 prefixes touching never-translated ranges, and a /96 pool6 whose bits 64-71"
            + " (the u-octet) are not zero, e.g. 2001:db8:8011:fda4:4444::/96")
    boolean force;

    @Option(names = "--mode", paramLabel = "MODE", converter = TranslateCommand.ModeConverter.class,
            description = "siit or nat64: overrides the file's \"ferry\": {\"mode\"}, so that Jool's NAT64 atomic"
                    + " configuration works unchanged")
    ferry.config.Mode mode;

    @Option(names = "--give-up-after", paramLabel = "SECONDS", defaultValue = "10",
            description = "how long TUN read errors may persist (retried with backoff) before ferry exits 1 "
                    + "(default: ${DEFAULT-VALUE})")
    int giveUpAfter;

    @Option(names = "--control-socket", paramLabel = "PATH",
            description = "control socket of the ferry CLI (default: /run/ferry/<instance>.sock, mode 0600)")
    Path controlSocket;

    @Option(names = "--metrics", paramLabel = "HOST:PORT",
            description = "serve Prometheus metrics on http://HOST:PORT/metrics (loopback only, e.g. 127.0.0.1:9464;"
                    + " off by default)")
    String metrics;

    private LiveConfig live;
    private ferry.metrics.MetricsEndpoint metricsEndpoint;
    private ControlOps ops;

    private final PrintStream err = System.err;
    private final AtomicReference<RunTranslators> current = new AtomicReference<>();
    private final CountDownLatch done = new CountDownLatch(1);
    private final AtomicReference<String> failure = new AtomicReference<>();
    private final AtomicInteger stopSignals = new AtomicInteger();

    @Override
    public Integer call() {
        Config cfg;
        try {
            cfg = ConfigParser.parse(config, force, mode);
        } catch (ConfigException e) {
            for (ConfigError ce : e.errors()) err.println(ce.format(e.source()));
            return 2;
        }
        if (giveUpAfter < 1) {
            err.println("ferry run: --give-up-after must be at least 1 second, got " + giveUpAfter);
            return 2;
        }
        java.net.InetSocketAddress metricsAddress = null;
        if (metrics != null) {
            try {
                metricsAddress = ferry.metrics.MetricsEndpoint.loopback(metrics);
            } catch (IllegalArgumentException e) {
                err.println("ferry run: --" + e.getMessage());
                return 2;
            }
        }
        if (cfg.ferry().mode() == ferry.config.Mode.CLAT) return ClatCommand.run(config, giveUpAfter); // clat mode
        TunSection tun = cfg.tun();
        int queues = tun.queues() > 0 ? tun.queues() : Runtime.getRuntime().availableProcessors();
        Counters[] counters = new Counters[queues];
        Arrays.setAll(counters, i -> new Counters());
        try {
            current.set(new RunTranslators(cfg, counters));
        } catch (IllegalArgumentException e) {
            err.println(config + ": " + e.getMessage());
            return 2;
        }

        try {
            live = new LiveConfig(config.toAbsolutePath(), mode, force, current, java.nio.file.Files.readString(config), Log::raw);
        } catch (java.io.IOException e) {
            err.println("ferry run: " + config + ": cannot read: " + e.getMessage());
            return 2;
        }
        ferry.control.ControlServer control = startControl(cfg);

        TunDevice dev;
        try {
            dev = TunDevice.open(tun.device(), queues, tun.vnetHeader(),
                    tun.vnetHeader() ? TunDevice.OFFLOAD_CSUM | TunDevice.OFFLOAD_TSO | TunDevice.OFFLOAD_USO : 0);
        } catch (TunException e) {
            err.println("ferry run: " + e.getMessage());
            if (control != null) control.close();
            return 1;
        }
        TunDataplane plane = null;
        try {
            TunDataplane.Setup setup = d -> TunInterfaceSetup.configure(d, tun.mtu(),
                    tun.addresses().stream().map(TunSection.Address::text).toList(),
                    tun.routes().stream().map(TunSection.Route::prefix).toList());
            setup.apply(dev);
            installSignals();
            // the workers read the (volatile) current configuration between packets; a device ferry created is
            // re-created (and set up again) when it is removed under it
            plane = TunDataplane.start(dev, Translator.HEADROOM, this::factory,
                    this::workerFailed, giveUpAfter, TimeUnit.SECONDS, setup, Log::raw);
            if (ops != null) ops.tunStats(plane::stats);
            if (metricsAddress != null) {
                try {
                    metricsEndpoint = Metrics.start(metricsAddress, live, plane);
                } catch (java.io.IOException e) {
                    failure.compareAndSet(null, "--metrics " + metrics + ": cannot listen: " + e.getMessage());
                    done.countDown();
                }
            }
            err.println("ferry run: ready: device " + dev.name() + (dev.created() ? " (created)" : " (attached)")
                    + ", " + queues + " queue" + (queues == 1 ? "" : "s") + ", vnet header "
                    + (!dev.vnetHeader() ? "off" : "on (partial checksums, TSO4/TSO6"
                            + ((dev.offload() & TunDevice.OFFLOAD_USO) != 0 ? ", USO)" : "; no USO: kernel < 6.2)"))
                    + ", interface set up with ip(8)");
            done.await();
        } catch (TunException e) {
            failure.compareAndSet(null, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure.compareAndSet(null, "interrupted");
        }

        if (control != null) control.close();
        if (metricsEndpoint != null) metricsEndpoint.close();
        boolean stopped = true;
        if (plane != null) {
            try {
                stopped = plane.stop(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                stopped = false;
            }
        }
        if (stopped) dev.close(); // after the workers exited; removes the device when ferry created it
        else err.println("ferry run: a worker did not stop within 5 s; leaving its queue open");
        printSummary(plane, counters);
        String f = failure.get();
        if (f != null) {
            err.println("ferry run: " + f);
            return 1;
        }
        err.println("ferry run: stopped" + (dev.created() ? "; device " + dev.name() + " removed" : ""));
        return 0;
    }

    private PacketHandler.Factory factory() {
        return current.get();
    }

    private void workerFailed(int queue, String message) {
        failure.compareAndSet(null, message);
        done.countDown();
    }

    private void installSignals() {
        sun.misc.SignalHandler stop = sig -> {
            if (stopSignals.incrementAndGet() > 1) {
                err.println("ferry run: second SIG" + sig.getName() + ": exiting at once");
                Runtime.getRuntime().halt(128 + sig.getNumber());
            }
            err.println("ferry run: SIG" + sig.getName() + ": stopping (finishing packets in flight)");
            done.countDown();
        };
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), stop);
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), stop);
        sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> reload());
    }

    /**
     * SIGHUP: parse and validate the whole file, then swap (through {@link LiveConfig}, the path the CLI's changes
     * take too); keep the old configuration when anything is wrong.
     */
    private synchronized void reload() {
        LiveConfig.Outcome o = live.reloadFile();
        if (!o.applied()) {
            err.println("ferry run: SIGHUP: " + config + " is invalid; keeping the running configuration:");
            for (String e : o.errors()) err.println("  " + e);
            return;
        }
        for (String n : o.notes()) err.println("ferry run: SIGHUP: " + n);
        err.println("ferry run: SIGHUP: configuration reloaded from " + config);
    }

    /** Serves the CLI; a socket that cannot be bound is logged and ferry runs on without it. */
    private ferry.control.ControlServer startControl(Config cfg) {
        Path path;
        try {
            path = controlSocket != null ? controlSocket : ferry.control.ControlPaths.socket(cfg.instance());
        } catch (IllegalArgumentException e) {
            Log.event(Log.Level.WARN, "control_socket_unavailable", "error", e.getMessage());
            return null;
        }
        ops = new ControlOps(live, path.toString());
        try {
            ferry.control.ControlServer s = ferry.control.ControlServer.start(path, ops, Log::raw);
            Log.event(Log.Level.INFO, "control_socket_listening", "path", path, "instance", cfg.instance());
            return s;
        } catch (java.io.IOException | RuntimeException e) {
            Log.event(Log.Level.WARN, "control_socket_unavailable", "path", path, "error", e.getMessage(),
                    "hint", "the ferry CLI cannot reach this daemon");
            return null;
        }
    }

    private void printSummary(TunDataplane plane, Counters[] counters) {
        StringBuilder sb = new StringBuilder("ferry run: counters:");
        if (plane != null) {
            for (Map.Entry<TunStat, Long> e : plane.stats().entrySet())
                sb.append(' ').append(e.getKey().id()).append('=').append(e.getValue());
        }
        for (Map.Entry<Counter, Long> e : Counters.sum(List.of(counters)).entrySet())
            sb.append(' ').append(e.getKey().id()).append('=').append(e.getValue());
        err.println(sb);
    }
}
