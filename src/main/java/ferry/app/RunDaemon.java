package ferry.app;

import ferry.config.ConfigError;
import ferry.config.ConfigException;
import ferry.metrics.MetricsEndpoint;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The process of {@code ferry run} (and {@code ferry clat}): several {@link RunInstance}s, one per configuration file,
 * one metrics endpoint, the signals.
 *
 * <ul>
 *   <li>Start: every file is parsed and validated first; any invalid file, two files with the same instance name or
 *       the same TUN device, or metrics keys that disagree: every error printed, exit 2, nothing started. Then the
 *       instances start in file order; one that cannot start (its device cannot be opened or set up, its DNS64 server
 *       cannot listen) stops the ones already started and ferry exits 1.</li>
 *   <li>{@code event=ready instance=NAME ...} is logged once per instance, then {@code event=ready instances=N
 *       names=A,B pid=P} once all are up.</li>
 *   <li>SIGHUP reloads every file, each validated completely first: a bad file keeps its instance's running
 *       configuration (logged), the others are applied.</li>
 *   <li>SIGTERM/SIGINT stop every instance cleanly and exit 0; a second one exits at once (128 + signal number).</li>
 *   <li>A fatal TUN failure of one instance (a worker whose reads kept failing for {@code --give-up-after}) stops
 *       every instance and exits 1: a router half up is worse than one that a service manager restarts whole.</li>
 * </ul>
 */
final class RunDaemon {
    private final List<RunInstance> instances;
    private final CountDownLatch done = new CountDownLatch(1);
    private final AtomicReference<String> failure = new AtomicReference<>();
    private final AtomicInteger stopSignals = new AtomicInteger();

    private RunDaemon(List<RunInstance> instances) {
        this.instances = instances;
    }

    /**
     * Validates every file, then runs them until a signal or a fatal failure.
     *
     * @param metricsFlag {@code --metrics} (wins over the files' {@code "ferry": {"metrics"}}), or null
     * @return the exit code: 0 stopped by a signal, 1 a failure at start or while running, 2 bad configuration
     */
    static int run(List<Path> files, RunInstance.Options options, String metricsFlag) {
        PrintStream err = System.err;
        if (options.giveUpAfter() < 1) {
            Log.event(Log.Level.ERROR, "usage_error", "error",
                    "--give-up-after must be at least 1 second, got " + options.giveUpAfter());
            return 2;
        }
        if (options.controlSocket() != null && files.size() > 1) {
            Log.event(Log.Level.ERROR, "usage_error", "error", "--control-socket names one socket; with "
                    + files.size() + " --config files each instance takes /run/ferry/<instance>.sock");
            return 2;
        }
        List<String> errors = new ArrayList<>();
        InetSocketAddress metrics = null;
        if (metricsFlag != null) {
            try {
                metrics = MetricsEndpoint.loopback(metricsFlag);
            } catch (IllegalArgumentException e) {
                errors.add("--" + e.getMessage());
            }
        }
        List<RunInstance> instances = new ArrayList<>();
        for (Path f : files) {
            try {
                instances.add(RunInstance.prepare(f, options));
            } catch (ConfigException e) {
                for (ConfigError ce : e.errors()) errors.add(ce.format(e.source()));
            } catch (IllegalArgumentException e) {
                errors.add(f + ": " + e.getMessage());
            }
        }
        errors.addAll(conflicts(instances));
        if (metricsFlag == null) {
            String[] chosen = metricsKey(instances, errors);
            if (chosen != null) metrics = MetricsEndpoint.loopback(chosen[0]); // validated by prepare
        }
        if (!errors.isEmpty() || instances.size() != files.size()) {
            for (String e : errors) err.println(e);
            return 2;
        }
        return new RunDaemon(instances).run(metrics);
    }

    /** Two files with one instance name or one TUN device: each error names both files. */
    static List<String> conflicts(List<RunInstance> instances) {
        List<String> errors = new ArrayList<>();
        Map<String, RunInstance> names = new LinkedHashMap<>(), devices = new LinkedHashMap<>();
        for (RunInstance i : instances) {
            RunInstance other = names.putIfAbsent(i.name(), i);
            if (other != null) {
                errors.add(i.file() + ": instance: \"" + i.name() + "\" is also the instance of " + other.file()
                        + "; each file is one instance and names its control socket: give each file its own \"instance\"");
            }
            if (i.device() == null) continue;
            other = devices.putIfAbsent(i.device(), i);
            if (other != null) {
                errors.add(i.file() + ": tun.device: \"" + i.device() + "\" is also the device of " + other.file()
                        + "; each instance needs its own TUN device");
            }
        }
        return errors;
    }

    /**
     * The files' {@code "ferry": {"metrics"}} value, when any file has one; files that name different endpoints are
     * an error (one process serves one endpoint). Returns {value, file} or null.
     */
    static String[] metricsKey(List<RunInstance> instances, List<String> errors) {
        String[] chosen = null;
        for (RunInstance i : instances) {
            String m = i.config().ferry().metrics();
            if (m == null) continue;
            if (chosen == null) {
                chosen = new String[] {m, i.file().toString()};
            } else if (!chosen[0].equals(m)) {
                errors.add(i.file() + ": ferry.metrics: \"" + m + "\" differs from \"" + chosen[0] + "\" in " + chosen[1]
                        + "; one ferry run serves one metrics endpoint for all its instances (or pass --metrics)");
            }
        }
        return chosen;
    }

    private int run(InetSocketAddress metricsAddress) {
        installSignals();
        List<RunInstance> started = new ArrayList<>();
        MetricsEndpoint endpoint = null;
        try {
            for (RunInstance i : instances) {
                if (failure.get() != null || done.getCount() == 0) break;
                started.add(i);
                i.onRemove(this::remove);
                try {
                    i.start(this::fatal);
                } catch (IOException | RuntimeException e) { // TunException included
                    fatal(i, e.getMessage());
                }
            }
            if (metricsAddress != null && failure.get() == null) {
                try {
                    endpoint = Metrics.start(metricsAddress, instances);
                } catch (IOException e) {
                    failure.compareAndSet(null, "metrics " + metricsAddress + ": cannot listen: " + e.getMessage());
                    Log.event(Log.Level.ERROR, "fatal", "error", failure.get(), "action", "stopping every instance");
                    done.countDown();
                }
            }
            if (failure.get() == null && done.getCount() > 0) {
                Log.event(Log.Level.INFO, "ready", "instances", instances.size(),
                        "names", String.join(",", instances.stream().map(RunInstance::name).toList()),
                        "pid", ProcessHandle.current().pid());
            }
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure.compareAndSet(null, "interrupted");
        }
        if (endpoint != null) endpoint.close();
        for (int k = started.size() - 1; k >= 0; k--) if (!removed.contains(started.get(k))) started.get(k).stop();
        String f = failure.get();
        if (f != null) {
            Log.event(Log.Level.ERROR, "exit", "code", 1, "error", f);
            return 1;
        }
        Log.event(Log.Level.INFO, "exit", "code", 0);
        return 0;
    }

    /** Instances stopped by {@code ferry instance remove}. */
    private final java.util.Set<RunInstance> removed = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * {@code ferry -i NAME instance remove}: that instance stops as on SIGTERM (its device and socket go); the others
     * run on. Removing the last one stops the process (exit 0).
     */
    private void remove(RunInstance i) {
        synchronized (this) {
            if (!removed.add(i)) return;
            if (removed.size() < instances.size()) {
                i.log(Log.Level.INFO, "removing", "reason", "ferry instance remove",
                        "action", "finishing packets in flight");
                i.stop();
                return;
            }
        }
        Log.event(Log.Level.INFO, "stopping", "reason", "ferry instance remove", "instance", i.name(),
                "action", "finishing packets in flight");
        removed.remove(i); // stopped below with the others, in order
        done.countDown();
    }

    /** One instance failed for good: everything stops and ferry exits 1. */
    private void fatal(RunInstance i, String message) {
        if (failure.compareAndSet(null, i.name() + ": " + message))
            i.log(Log.Level.ERROR, "fatal", "error", message, "action", "stopping every instance");
        done.countDown();
    }

    private synchronized void reloadAll() {
        for (RunInstance i : instances) {
            try {
                i.reload();
            } catch (RuntimeException e) {
                i.log(Log.Level.ERROR, "reload_failed", "error", String.valueOf(e));
            }
        }
    }

    private void installSignals() {
        sun.misc.SignalHandler stop = sig -> {
            if (stopSignals.incrementAndGet() > 1) {
                Log.event(Log.Level.WARN, "exiting_at_once", "signal", "SIG" + sig.getName());
                Runtime.getRuntime().halt(128 + sig.getNumber());
            }
            Log.event(Log.Level.INFO, "stopping", "signal", "SIG" + sig.getName(),
                    "action", "finishing packets in flight");
            done.countDown();
        };
        warnIfIgnored("TERM", sun.misc.Signal.handle(new sun.misc.Signal("TERM"), stop));
        warnIfIgnored("INT", sun.misc.Signal.handle(new sun.misc.Signal("INT"), stop));
        warnIfIgnored("HUP", sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> {
            Log.event(Log.Level.INFO, "reloading", "signal", "SIGHUP", "files", instances.size());
            reloadAll();
        }));
    }

    /**
     * A signal ignored when the JVM started (SIGHUP under {@code nohup}, SIGINT for a background job of a
     * non-interactive shell) stays ignored: the JVM does not install a handler for it and says so only by handing
     * back SIG_IGN. Say it in the log, so that an operator whose reload signal does nothing knows why.
     */
    private static void warnIfIgnored(String name, sun.misc.SignalHandler before) {
        if (before == sun.misc.SignalHandler.SIG_IGN) {
            Log.event(Log.Level.WARN, "signal_ignored", "signal", "SIG" + name, "reason", "ignored_when_ferry_started",
                    "hint", "HUP".equals(name) ? "reload_with_ferry_file_handle_or_start_without_nohup" : "stop_with_another_signal");
        }
    }
}
