package ferry.app;

import ferry.addr.Rfc6052;
import ferry.clat.ClatMapper;
import ferry.clat.PlatDiscovery;
import ferry.clat.PlatPrefixHolder;
import ferry.clat.PlatPrefixSelector;
import ferry.clat.RaSocket;
import ferry.clat.Rfc7050Client;
import ferry.clat.SourceMapping;
import ferry.config.ClatSection;
import ferry.config.Config;
import ferry.config.ConfigError;
import ferry.config.ConfigException;
import ferry.config.ConfigParser;
import ferry.config.Mode;
import ferry.config.TunSection;
import ferry.io.tun.PacketHandler;
import ferry.io.tun.TunDataplane;
import ferry.io.tun.TunDevice;
import ferry.io.tun.TunException;
import ferry.io.tun.TunInterfaceSetup;
import ferry.metrics.Counter;
import ferry.metrics.Counters;
import ferry.translate.IpTranslator;
import ferry.translate.Translator;
import ferry.translate.TranslatorSettings;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ferry clat --config FILE}: the CLAT of 464XLAT (RFC 6877) in the foreground, on the TUN data plane of
 * {@code ferry run} (same {@code "tun"} section and workers), with PLAT-prefix discovery and a status file.
 *
 * <p>Start: parse (exit 2 on any error; the mode must be "clat"), open the TUN device, set it up as {@code ferry run}
 * does, then give every IPv4 route into the device the IPv4 hosts' MTU ({@code ip route replace P dev D mtu M}, M =
 * min(ipv4-mtu, ipv6-mtu − 28)) so the kernel sends Fragmentation Needed for DF packets that would not fit once
 * translated, start the workers, start discovery (unless a prefix is configured), and rewrite the status file once a
 * second. SIGTERM/SIGINT stop; the status file is removed.
 */
@Command(name = "clat", mixinStandardHelpOptions = true, subcommands = {ClatStatusCommand.class},
        description = {"Run the CLAT of 464XLAT (RFC 6877) on a TUN device, with PLAT-prefix discovery (RFC 8781"
                + " PREF64, RFC 7050). Needs CAP_NET_ADMIN (and CAP_NET_RAW for PREF64).",
                "`ferry clat status` shows the prefix in use, its source and lifetime, the mappings and counters."})
final class ClatCommand implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "configuration with \"ferry\": {\"mode\": \"clat\"}"
            + " and a \"clat\" object (and usually a \"tun\" object)")
    Path config;

    @Option(names = "--state-file", paramLabel = "PATH", description = "status file (default: clat.state-file)")
    Path stateFile;

    @Option(names = "--give-up-after", paramLabel = "SECONDS", defaultValue = "10",
            description = "how long TUN read errors may persist before ferry exits 1 (default: ${DEFAULT-VALUE})")
    int giveUpAfter;

    private final PrintStream err = System.err;
    private final CountDownLatch done = new CountDownLatch(1);
    private final AtomicReference<String> failure = new AtomicReference<>();
    private final AtomicInteger stopSignals = new AtomicInteger();

    /** {@code ferry run} with a configuration in mode "clat" runs this (discovery, route MTU, status file). */
    static int run(Path config, int giveUpAfter) {
        ClatCommand c = new ClatCommand();
        c.config = config;
        c.giveUpAfter = giveUpAfter;
        return c.call();
    }

    private void log(String line) {
        err.println(Instant.now() + " ferry clat: " + line);
    }

    @Override
    public Integer call() {
        if (config == null) {
            err.println("ferry clat: --config FILE is required (or use `ferry clat status`)");
            return 2;
        }
        Config cfg;
        try {
            cfg = ConfigParser.parse(config);
        } catch (ConfigException e) {
            for (ConfigError ce : e.errors()) err.println(ce.format(e.source()));
            return 2;
        }
        if (cfg.ferry().mode() != Mode.CLAT || cfg.clat() == null) {
            err.println(config + ": ferry clat needs \"ferry\": {\"mode\": \"clat\"} and a \"clat\" object");
            return 2;
        }
        if (giveUpAfter < 1) {
            err.println("ferry clat: --give-up-after must be at least 1 second, got " + giveUpAfter);
            return 2;
        }
        ClatSection cs = cfg.clat();
        Path state = stateFile != null ? stateFile : Path.of(cs.stateFile());
        SourceMapping source;
        try {
            source = ClatWiring.sourceMapping(cs);
        } catch (IllegalArgumentException e) {
            err.println(config + ": clat: " + e.getMessage());
            return 2;
        }
        TranslatorSettings settings = ClatWiring.settings(cfg, source);
        Rfc6052 configured = cs.platPrefix();
        PlatPrefixHolder holder = PlatPrefixSelector.initialHolder(configured);
        PlatPrefixSelector selector = new PlatPrefixSelector(configured, holder, this::log);
        ClatMapper mapper = new ClatMapper(holder, source, cfg.ferry().wkpStrict());
        int routeMtu = ClatWiring.routeMtu(cfg);
        log("source mapping " + source + "; IPv4 route MTU " + routeMtu + " (IPv6-side MTU " + settings.ipv6Mtu()
                + " - 28), island link MTU " + settings.ipv4Mtu());

        TunSection tun = cfg.tun();
        int queues = tun.queues() > 0 ? tun.queues() : Runtime.getRuntime().availableProcessors();
        Counters[] counters = new Counters[queues];
        Arrays.setAll(counters, i -> new Counters());
        // the handler of ferry run: whole packets, and GSO super-packets (vnet headers) translated once by a second
        // translator whose MTUs are 65535, with the MTU rules applied to the segment length
        TranslatorSettings gsoSettings = RunTranslators.withMtus(settings, 65535, 65535, 65535);
        PacketHandler.Factory factory = (queue, out) -> new RunTranslators.Handler(
                new IpTranslator(settings, mapper, counters[queue]), new IpTranslator(gsoSettings, mapper, counters[queue]),
                out, settings, false);

        TunDevice dev;
        try {
            // as ferry run: with vnet headers, partial checksums and TCP/UDP segmentation offload (super-packets)
            dev = TunDevice.open(tun.device(), queues, tun.vnetHeader(),
                    tun.vnetHeader() ? TunDevice.OFFLOAD_CSUM | TunDevice.OFFLOAD_TSO | TunDevice.OFFLOAD_USO : 0);
        } catch (TunException e) {
            err.println("ferry clat: " + e.getMessage());
            return 1;
        }
        TunDataplane plane = null;
        PlatDiscovery discovery = null;
        ScheduledExecutorService status = null;
        try {
            TunInterfaceSetup.configure(dev.name(), tun.mtu(),
                    tun.addresses().stream().map(TunSection.Address::text).toList(),
                    tun.routes().stream().map(TunSection.Route::prefix).toList());
            // RFC 6877 §7 / RFC 7915 §5.2: IPv4 packets grow by 20 bytes (28 with a Fragment header) on the way out
            for (TunSection.Route r : tun.routes()) {
                if (!r.ipv6()) TunInterfaceSetup.ip("-4", "route", "replace", r.prefix(), "dev", dev.name(), "mtu",
                        Integer.toString(routeMtu));
            }
            if (cs.proxyNdp()) proxyNdp(cs, true);
            installSignals();
            plane = TunDataplane.start(dev, Translator.HEADROOM, () -> factory, this::workerFailed, giveUpAfter,
                    TimeUnit.SECONDS);
            List<String> sources = new ArrayList<>();
            discovery = startDiscovery(cs, selector, sources);
            PlatDiscovery d = discovery;
            TunDataplane p = plane;
            status = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("ferry-clat-status").factory());
            status.scheduleAtFixedRate(() -> writeState(state, dev.name(), selector, source, routeMtu,
                    settings.ipv6Mtu(), sources, d, counters), 0, 1, TimeUnit.SECONDS);
            log("ready: device " + dev.name() + ", " + queues + " queue" + (queues == 1 ? "" : "s") + ", PLAT prefix "
                    + holder.get() + ", discovery " + (sources.isEmpty() ? "off" : String.join(" + ", sources))
                    + ", status in " + state);
            done.await();
        } catch (TunException e) {
            failure.compareAndSet(null, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure.compareAndSet(null, "interrupted");
        }

        if (status != null) status.shutdownNow();
        if (discovery != null) discovery.close();
        boolean stopped = true;
        if (plane != null) {
            try {
                stopped = plane.stop(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                stopped = false;
            }
        }
        if (stopped) dev.close();
        else err.println("ferry clat: a worker did not stop within 5 s; leaving its queue open");
        if (cs.proxyNdp()) {
            try {
                proxyNdp(cs, false);
            } catch (TunException e) {
                log("removing the proxy NDP entry: " + e.getMessage());
            }
        }
        try {
            Files.deleteIfExists(state);
        } catch (IOException e) {
            log("cannot remove " + state + ": " + e.getMessage());
        }
        StringBuilder sb = new StringBuilder("counters:");
        if (plane != null) {
            for (Map.Entry<ferry.io.tun.TunStat, Long> e : plane.stats().entrySet())
                sb.append(' ').append(e.getKey().id()).append('=').append(e.getValue());
        }
        for (Map.Entry<Counter, Long> e : Counters.sum(List.of(counters)).entrySet())
            sb.append(' ').append(e.getKey().id()).append('=').append(e.getValue());
        log(sb.toString());
        String f = failure.get();
        if (f != null) {
            err.println("ferry clat: " + f);
            return 1;
        }
        log("stopped" + (dev.created() ? "; device " + dev.name() + " removed" : ""));
        return 0;
    }

    /**
     * Proxy NDP for the CLAT /128 on the uplink, for a CLAT address taken from the uplink's on-link prefix (then the
     * upstream router resolves it with neighbour discovery): net.ipv6.conf.UPLINK.proxy_ndp = 1 and
     * {@code ip -6 neigh replace proxy ADDR dev UPLINK}; removed again at stop.
     */
    private void proxyNdp(ClatSection cs, boolean add) throws TunException {
        String addr = ferry.addr.Ipv6.format(cs.ipv6Address().hi(), cs.ipv6Address().lo());
        if (add) {
            try {
                Files.writeString(Path.of("/proc/sys/net/ipv6/conf", cs.uplink(), "proxy_ndp"), "1");
            } catch (IOException e) {
                throw new TunException("cannot enable proxy_ndp on " + cs.uplink() + ": " + e.getMessage(), 0);
            }
            TunInterfaceSetup.ip("-6", "neigh", "replace", "proxy", addr, "dev", cs.uplink());
            log("proxy NDP for " + addr + " on " + cs.uplink());
        } else {
            TunInterfaceSetup.ip("-6", "neigh", "del", "proxy", addr, "dev", cs.uplink());
        }
    }

    /** Starts PREF64 and RFC 7050 discovery as configured; a configured prefix needs none. */
    private PlatDiscovery startDiscovery(ClatSection cs, PlatPrefixSelector selector, List<String> sources) {
        if (cs.platPrefix() != null) return null;
        RaSocket ra = null;
        if (cs.pref64()) {
            try {
                ra = RaSocket.open(cs.uplink());
                sources.add("PREF64 on " + (cs.uplink() == null ? "any interface" : cs.uplink()));
            } catch (IOException e) {
                log("PREF64 discovery off: " + e.getMessage());
            }
        }
        Rfc7050Client dns = null;
        if (cs.rfc7050()) {
            try {
                dns = new Rfc7050Client(cs.resolvers(), Duration.ofSeconds(2));
                sources.add("RFC 7050 via " + dns.servers());
            } catch (RuntimeException e) {
                log("RFC 7050 discovery off: " + e.getMessage());
            }
        }
        PlatDiscovery d = new PlatDiscovery(selector, dns, ra, System::currentTimeMillis, this::log);
        d.start();
        return d;
    }

    private void writeState(Path state, String device, PlatPrefixSelector selector, SourceMapping source,
                            int ipv4Mtu, int ipv6Mtu, List<String> sources, PlatDiscovery discovery,
                            Counters[] counters) {
        try {
            Map<Counter, Long> c = Counters.sum(List.of(counters));
            if (discovery != null) discovery.counters().forEach((k, v) -> c.merge(k, v, Long::sum));
            else selector.counters().forEach((k, v) -> c.merge(k, v, Long::sum));
            long now = System.currentTimeMillis();
            ClatState.write(state, ClatState.snapshot(ProcessHandle.current().pid(), device, now, selector.current(),
                    selector.known(), source, ipv4Mtu, ipv6Mtu, sources, c));
        } catch (IOException | RuntimeException e) {
            log("cannot write the status file " + state + ": " + e.getMessage());
        }
    }

    private void workerFailed(int queue, String message) {
        failure.compareAndSet(null, message);
        done.countDown();
    }

    private void installSignals() {
        sun.misc.SignalHandler stop = sig -> {
            if (stopSignals.incrementAndGet() > 1) {
                err.println("ferry clat: second SIG" + sig.getName() + ": exiting at once");
                Runtime.getRuntime().halt(128 + sig.getNumber());
            }
            log("SIG" + sig.getName() + ": stopping");
            done.countDown();
        };
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), stop);
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), stop);
        sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> log("SIGHUP: ferry clat does not reload its"
                + " configuration yet (restart it); the PLAT prefix follows discovery without a restart"));
    }
}
