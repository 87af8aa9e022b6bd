package ferry.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ferry.config.Config;
import ferry.config.ConfigException;
import ferry.config.ConfigParser;
import ferry.config.Mode;
import ferry.config.TunSection;
import ferry.control.ControlServer;
import ferry.dns64.Dns64Counter;
import ferry.dns64.Dns64Server;
import ferry.dns64.Dns64Settings;
import ferry.io.tun.TunDataplane;
import ferry.io.tun.TunDevice;
import ferry.io.tun.TunException;
import ferry.io.tun.TunInterfaceSetup;
import ferry.io.tun.TunStat;
import ferry.metrics.Counter;
import ferry.metrics.Counters;
import ferry.metrics.MetricsEndpoint;
import ferry.translate.Translator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

/**
 * One instance of {@code ferry run}: one configuration file, with its own name, TUN device, translators, counters,
 * {@link LiveConfig} (SIGHUP and the CLI), control socket, and, when the file has a {@code "dns64"} section, its own
 * DNS64 server (the one {@code ferry dns64} runs). Modes siit, nat64 and clat; a clat instance adds a {@link ClatSide}
 * (route MTUs, PLAT-prefix discovery, status file).
 *
 * <p>A file whose only top-level keys are {@code "dns64"}, {@code "ferry"}, {@code "instance"}, {@code "framework"}
 * and comments is a DNS64-only instance: no TUN device, no translator, no control socket; SIGHUP re-reads its
 * {@code "dns64"} section. {@code --mode} does not apply to it (it has no translator).
 *
 * <p>Life: {@link #prepare} parses and validates (nothing started), {@link #start} opens and sets up the device and
 * starts everything, {@link #reload} applies the file again (SIGHUP), {@link #stop} stops everything and removes what
 * start created.
 */
final class RunInstance {
    /** What the command line sets for every instance. */
    record Options(boolean force, Mode mode, int giveUpAfter, Path controlSocket, Path clatStateFile) {
    }

    private static final Set<String> DNS64_ONLY_KEYS = Set.of("instance", "framework", "ferry", "dns64", "comment");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final Options options;
    private final String name;
    private final boolean dns64Only;
    private final Counters[] counters;
    private final AtomicReference<RunTranslators> current = new AtomicReference<>();
    private final LiveConfig live;
    /** The running configuration of a DNS64-only instance (a translator's is {@code live.current().config()}). */
    private volatile Config dnsConfig;

    private ControlServer control;
    private ControlOps ops;
    private volatile TunDevice dev;
    private volatile TunDataplane plane;
    private volatile Dns64Server dns64;
    /** The metrics endpoint's DNS64 latency recorder (seconds), handed to every DNS64 server this instance starts. */
    private volatile java.util.function.DoubleConsumer latency;
    private ClatSide clat;
    /** Set when start reaches the DNS64 server (under this object's lock): a reload before that leaves it to start. */
    private boolean dns64Started;

    private RunInstance(Path file, Options options, Config cfg, boolean dns64Only, String text) {
        this.file = file;
        this.options = options;
        this.name = cfg.instance();
        this.dns64Only = dns64Only;
        if (dns64Only) {
            this.counters = null;
            this.live = null;
            this.dnsConfig = cfg;
            return;
        }
        TunSection tun = cfg.tun();
        int queues = tun.queues() > 0 ? tun.queues() : Runtime.getRuntime().availableProcessors();
        this.counters = new Counters[queues];
        Arrays.setAll(counters, i -> new Counters());
        current.set(new RunTranslators(cfg, counters, null));
        this.live = new LiveConfig(file.toAbsolutePath(), options.mode(), options.force(), current, text,
                line -> Log.raw(line + " instance=" + Log.quote(name)));
        live.onApplied((old, next) -> applyDns64(next.config()));
    }

    /**
     * Parses and validates {@code file} completely; starts nothing.
     *
     * @throws ConfigException          the file is invalid (every error, with its location)
     * @throws IllegalArgumentException the file is valid JSON configuration but cannot be run (message names the key)
     */
    static RunInstance prepare(Path file, Options options) throws ConfigException {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            ConfigParser.parse(file, options.force(), options.mode()); // throws, naming the problem
            throw new IllegalArgumentException("cannot read the file: " + e.getMessage());
        }
        boolean dnsOnly = dns64Only(text);
        Config cfg = ConfigParser.parse(text, file.toString(), options.force(), dnsOnly ? null : options.mode());
        if (cfg.ferry().metrics() != null) {
            try {
                MetricsEndpoint.loopback(cfg.ferry().metrics());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("ferry." + e.getMessage(), e);
            }
        }
        return new RunInstance(file, options, cfg, dnsOnly, text);
    }

    /** True when the document holds a "dns64" section and nothing of a translator (see the class comment). */
    static boolean dns64Only(String text) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (IOException e) {
            return false; // the parser reports it
        }
        if (root == null || !root.isObject()) return false;
        boolean dns = false;
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String k = it.next().toLowerCase(Locale.ROOT);
            if (!DNS64_ONLY_KEYS.contains(k)) return false;
            dns |= k.equals("dns64");
        }
        return dns;
    }

    String name() {
        return name;
    }

    Path file() {
        return file;
    }

    boolean dns64Only() {
        return dns64Only;
    }

    /** The configuration in use. */
    Config config() {
        return dns64Only ? dnsConfig : current.get().config();
    }

    /** The TUN device the file names (null for a DNS64-only instance). */
    String device() {
        return dns64Only ? null : config().tun().device();
    }

    /** What {@code ferry instance remove} does to this instance: set by {@link RunDaemon} before {@link #start}. */
    private volatile java.util.function.Consumer<RunInstance> removed = i -> { };

    void onRemove(java.util.function.Consumer<RunInstance> hook) {
        this.removed = hook;
    }

    /**
     * Starts the instance: control socket, TUN device and its setup, workers, the CLAT's extras, the DNS64 server;
     * then logs its {@code ready} event.
     *
     * @param fatal told (instance, message) when a worker gives up (persistent TUN read errors)
     * @throws TunException the device cannot be opened or set up
     * @throws IOException  the DNS64 server cannot listen
     */
    void start(BiConsumer<RunInstance, String> fatal) throws TunException, IOException {
        Config cfg = config();
        if (dns64Only) {
            startDns64IfConfigured();
            log(Log.Level.INFO, "ready", "mode", "dns64", "dns64", addresses(dns64.addresses()));
            return;
        }
        control = startControl();
        TunSection tun = cfg.tun();
        dev = TunDevice.open(tun.device(), counters.length, tun.vnetHeader(),
                tun.vnetHeader() ? TunDevice.OFFLOAD_CSUM | TunDevice.OFFLOAD_TSO | TunDevice.OFFLOAD_USO : 0);
        TunDataplane.Setup setup = d -> TunInterfaceSetup.configure(d, tun.mtu(),
                tun.addresses().stream().map(TunSection.Address::text).toList(),
                tun.routes().stream().map(TunSection.Route::prefix).toList());
        setup.apply(dev);
        if (cfg.ferry().mode() == Mode.CLAT) {
            clat = new ClatSide(cfg, current.get().platHolder(), options.clatStateFile(),
                    m -> log(Log.Level.INFO, "clat", "message", m));
            clat.setUpRoutes(dev.name());
        }
        // the workers read the (volatile) current configuration between packets
        // a device ferry created is re-created (and set up again) when it is removed under it
        plane = TunDataplane.start(dev, Translator.HEADROOM, current::get, (q, m) -> fatal.accept(this, m),
                options.giveUpAfter(), TimeUnit.SECONDS, setup, line -> Log.raw(line + " instance=" + Log.quote(name)),
                ferry.io.tun.TunIo.of(tun.io()));
        if (ops != null) ops.tunStats(plane::stats);
        if (clat != null) clat.start(dev.name(), counters);
        startDns64IfConfigured();
        List<Object> kv = new ArrayList<>(List.of("mode", cfg.ferry().mode().jsonName(), "device", dev.name(),
                "created", dev.created(), "queues", counters.length, "vnet_header", dev.vnetHeader() ? "on" : "off", "io", tun.io()));
        if (dev.vnetHeader()) kv.addAll(List.of("offload", "csum,tso4,tso6"
                + ((dev.offload() & TunDevice.OFFLOAD_USO) != 0 ? ",uso" : " (no USO: kernel < 6.2)")));
        if (clat != null) kv.addAll(List.of(clat.readyFields()));
        if (dns64 != null) kv.addAll(List.of("dns64", addresses(dns64.addresses())));
        log(Log.Level.INFO, "ready", kv.toArray());
    }

    /** SIGHUP: read the file again, validate it completely, then swap; an invalid file keeps the running one. */
    void reload() {
        if (dns64Only) {
            reloadDns64Only();
            return;
        }
        current.get().reopenNat64Log(); // logrotate: let go of the renamed mapping-log file whatever comes next
        LiveConfig.Outcome o = live.reloadFile();
        if (!o.applied()) {
            invalid(o.errors());
            return;
        }
        for (String n : o.notes()) log(Log.Level.INFO, "config_note", "note", n);
        log(Log.Level.INFO, "config_reloaded", "file", file);
    }

    private void invalid(List<String> errors) {
        log(Log.Level.ERROR, "config_invalid", "file", file, "errors", errors.size(),
                "action", "keeping the running configuration");
        for (String e : errors) log(Log.Level.ERROR, "config_error", "file", file, "error", e);
    }

    private void reloadDns64Only() {
        Config cfg;
        try {
            String text = Files.readString(file);
            if (!dns64Only(text)) {
                invalid(List.of(file + ": this instance started as a DNS64-only file (only \"dns64\", \"ferry\" and"
                        + " \"instance\"); a translator needs a restart"));
                return;
            }
            cfg = ConfigParser.parse(text, file.toString(), options.force(), null);
        } catch (IOException e) {
            invalid(List.of(file + ": cannot read: " + e.getMessage()));
            return;
        } catch (ConfigException e) {
            invalid(e.errors().stream().map(ce -> ce.format(e.source())).toList());
            return;
        }
        if (!cfg.instance().equals(name)) {
            invalid(List.of("instance: \"" + cfg.instance() + "\" is not the running instance \"" + name + "\""));
            return;
        }
        dnsConfig = cfg;
        applyDns64(cfg);
        log(Log.Level.INFO, "config_reloaded", "file", file);
    }

    /** Starts, restarts or stops the DNS64 server when the configuration's "dns64" section changed. */
    private synchronized void applyDns64(Config cfg) {
        if (!dns64Started) return; // start will serve the section in use then
        Dns64Settings want = cfg.dns64() == null ? null : Dns64Command.settingsOf(cfg);
        Dns64Server running = dns64;
        if (running == null && want == null || running != null && running.settings().equals(want)) return;
        stopDns64();
        if (want == null) return;
        try {
            startDns64(cfg);
        } catch (IOException e) {
            log(Log.Level.ERROR, "dns64_failed", "error", e.getMessage(), "action",
                    running == null ? "no DNS64 server" : "restarting the previous settings");
            if (running == null) return;
            try {
                dns64 = Dns64Server.start(running.settings());
                observeLatency(dns64);
                log(Log.Level.INFO, "dns64_serving", "listen", addresses(dns64.addresses()), "upstream",
                        addresses(running.settings().upstream()));
            } catch (IOException again) {
                log(Log.Level.ERROR, "dns64_failed", "error", again.getMessage(), "action", "no DNS64 server");
            }
        }
    }

    /** At start: the server of the configuration in use then (a reload may have changed it since prepare). */
    private synchronized void startDns64IfConfigured() throws IOException {
        dns64Started = true;
        Config cfg = config();
        if (cfg.dns64() != null) startDns64(cfg);
    }

    /** The DNS64 server of the "dns64" section: the same server and settings as {@code ferry dns64 --config}. */
    private void startDns64(Config cfg) throws IOException {
        Dns64Settings s = Dns64Command.settingsOf(cfg);
        dns64 = Dns64Server.start(s);
        observeLatency(dns64);
        log(Log.Level.INFO, "dns64_serving", "listen", addresses(dns64.addresses()), "upstream",
                addresses(s.upstream()), "prefixes", String.join(",", s.prefixes().stream()
                        .map(p -> p.prefix() + (p.ipv4().isEmpty() ? "" : "=" + p.ipv4())).toList()));
        dns64.warmUp().thenAccept(w -> {
            if (w.names() == 0 && "off".equals(w.skipped())) return;
            log(w.skipped() == null || w.skipped().equals("the server closed") ? Log.Level.INFO : Log.Level.WARN,
                    "dns64_warm_up", "names", Integer.toString(w.names()), "answers", Integer.toString(w.answered()),
                    "ms", Long.toString(w.millis()), "stopped", w.skipped() == null ? "no" : w.skipped());
        });
    }

    private synchronized void stopDns64() {
        Dns64Server s = dns64;
        if (s == null) return;
        dns64 = null;
        s.close();
        List<Object> kv = new ArrayList<>();
        for (Map.Entry<Dns64Counter, Long> e : s.counters().snapshot().entrySet())
            kv.addAll(List.of(e.getKey().id(), e.getValue()));
        log(Log.Level.INFO, "dns64_counters", kv.toArray());
    }

    /**
     * Stops everything start set up, in reverse: control socket, DNS64, the CLAT's extras, workers (each finishes its
     * packet in flight), the device (removed when ferry created it); logs the counters and a {@code stopped} event.
     *
     * @return false when a worker did not stop in time (its queue is left open)
     */
    boolean stop() {
        if (control != null) control.close();
        stopDns64();
        if (clat != null) clat.stop();
        boolean stopped = true;
        TunDataplane p = plane;
        if (p != null) {
            try {
                stopped = p.stop(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stopped = false;
            }
        }
        TunDevice d = dev;
        if (d != null) {
            if (stopped) d.close(); // after the workers exited; removes the device when ferry created it
            else log(Log.Level.WARN, "worker_stuck", "error", "a worker did not stop within 5 s; leaving its queue open");
        }
        if (counters != null) {
            List<Object> kv = new ArrayList<>();
            if (p != null) for (Map.Entry<TunStat, Long> e : p.stats().entrySet()) kv.addAll(List.of(e.getKey().id(), e.getValue()));
            for (Map.Entry<Counter, Long> e : Counters.sum(List.of(live.current().counters())).entrySet())
                kv.addAll(List.of(e.getKey().id(), e.getValue()));
            log(Log.Level.INFO, "counters", kv.toArray());
        }
        if (d != null) log(Log.Level.INFO, "stopped", "device", d.name(), "removed", stopped && d.created());
        else log(Log.Level.INFO, "stopped");
        return stopped;
    }

    private void latencyObserver(java.util.function.DoubleConsumer seconds) {
        latency = seconds;
        observeLatency(dns64);
    }

    private void observeLatency(Dns64Server s) {
        java.util.function.DoubleConsumer l = latency;
        if (s != null && l != null) s.setLatencyObserver(nanos -> l.accept(nanos * 1e-9));
    }

    /** Registers this instance's series (the builder is already set to this instance's label). */
    void metrics(MetricsEndpoint.Builder b) {
        if (!dns64Only) Metrics.translator(b, live, () -> plane);
        if (dns64Only || config().dns64() != null) Metrics.dns64(b, () -> dns64, this::latencyObserver);
    }

    /** Serves the CLI; a socket that cannot be bound is logged and the instance runs on without it. */
    private ControlServer startControl() {
        Path path;
        try {
            path = options.controlSocket() != null ? options.controlSocket() : ferry.control.ControlPaths.socket(name);
        } catch (IllegalArgumentException e) {
            log(Log.Level.WARN, "control_socket_unavailable", "error", e.getMessage());
            return null;
        }
        ops = new ControlOps(live, path.toString());
        ops.onStop(() -> removed.accept(this)); // ferry instance remove
        try {
            ControlServer s = ControlServer.start(path, ops, Log::raw);
            log(Log.Level.INFO, "control_socket_listening", "path", path);
            return s;
        } catch (IOException | RuntimeException e) {
            log(Log.Level.WARN, "control_socket_unavailable", "path", path, "error", e.getMessage(),
                    "hint", "the ferry CLI cannot reach this instance");
            return null;
        }
    }

    /** ADDR:PORT,[ADDR6]:PORT (no host names, no lookups). */
    static String addresses(List<java.net.InetSocketAddress> l) {
        return String.join(",", l.stream().map(a -> (a.getAddress() instanceof java.net.Inet6Address
                ? "[" + a.getAddress().getHostAddress() + "]" : a.getAddress().getHostAddress()) + ":" + a.getPort()).toList());
    }

    /** An event of this instance: {@code instance=NAME} first. */
    void log(Log.Level level, String event, Object... kv) {
        Object[] all = new Object[kv.length + 2];
        all[0] = "instance";
        all[1] = name;
        System.arraycopy(kv, 0, all, 2, kv.length);
        Log.event(level, event, all);
    }

    @Override
    public String toString() {
        return name + " (" + file + ")";
    }
}
