package ferry.app;

import ferry.clat.PlatDiscovery;
import ferry.clat.PlatPrefixHolder;
import ferry.clat.PlatPrefixSelector;
import ferry.clat.RaSocket;
import ferry.clat.Rfc7050Client;
import ferry.clat.SourceMapping;
import ferry.config.ClatSection;
import ferry.config.Config;
import ferry.config.TunSection;
import ferry.io.tun.TunException;
import ferry.io.tun.TunInterfaceSetup;
import ferry.metrics.Counter;
import ferry.metrics.Counters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What a CLAT instance (mode "clat", RFC 6877) runs beside its translator: the IPv4 routes' MTU (min(ipv4-mtu,
 * ipv6-mtu − 28), so the kernel answers oversized DF packets with Fragmentation Needed before they reach the
 * translator), proxy NDP for the CLAT /128 when asked, PLAT-prefix discovery (RFC 8781 PREF64, RFC 7050) feeding the
 * {@link PlatPrefixHolder} the workers read, and the status file of {@code ferry clat status}, rewritten once a
 * second. Set up after the TUN device, torn down before it.
 */
final class ClatSide {
    private final Config cfg;
    private final ClatSection cs;
    private final Path stateFile;
    private final Consumer<String> log;
    private final PlatPrefixSelector selector;
    private final SourceMapping source;
    private final int routeMtu;
    private final List<String> sources = new ArrayList<>();
    private PlatDiscovery discovery;
    private ScheduledExecutorService status;
    private boolean proxyNdp;

    ClatSide(Config cfg, PlatPrefixHolder holder, Path stateFileOverride, Consumer<String> log) {
        this.cfg = cfg;
        this.cs = cfg.clat();
        this.stateFile = stateFileOverride != null ? stateFileOverride : Path.of(cs.stateFile());
        this.log = log;
        this.selector = new PlatPrefixSelector(cs.platPrefix(), holder, log);
        this.source = ClatWiring.sourceMapping(cs);
        this.routeMtu = ClatWiring.routeMtu(cfg);
    }

    /** Route MTUs and proxy NDP, once the device is up (before the workers start). */
    void setUpRoutes(String device) throws TunException {
        log.accept("source mapping " + source + "; IPv4 route MTU " + routeMtu + " (IPv6-side MTU "
                + cfg.ferry().ipv6Mtu() + " - 28), island link MTU " + cfg.ferry().ipv4Mtu());
        // RFC 6877 §7 / RFC 7915 §5.2: IPv4 packets grow by 20 bytes (28 with a Fragment header) on the way out
        for (TunSection.Route r : cfg.tun().routes()) {
            if (!r.ipv6()) TunInterfaceSetup.ip("-4", "route", "replace", r.prefix(), "dev", device, "mtu",
                    Integer.toString(routeMtu));
        }
        if (cs.proxyNdp()) {
            proxyNdp(true);
            proxyNdp = true;
        }
    }

    /** Discovery (unless a prefix is configured) and the status file, once the workers run. */
    void start(String device, Counters[] counters) {
        discovery = startDiscovery();
        PlatDiscovery d = discovery;
        status = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("ferry-clat-status").factory());
        status.scheduleAtFixedRate(() -> writeState(device, d, counters), 0, 1, TimeUnit.SECONDS);
    }

    /** What the ready event says about the CLAT. */
    Object[] readyFields() {
        return new Object[] {"plat_prefix", selector.current(), "discovery", sources.isEmpty() ? "off" : String.join(" + ", sources), "state_file", stateFile};
    }

    /** Stops discovery and the status file, removes the proxy NDP entry and the status file. */
    void stop() {
        if (status != null) status.shutdownNow();
        if (discovery != null) discovery.close();
        if (proxyNdp) {
            try {
                proxyNdp(false);
            } catch (TunException e) {
                log.accept("removing the proxy NDP entry: " + e.getMessage());
            }
        }
        try {
            Files.deleteIfExists(stateFile);
        } catch (IOException e) {
            log.accept("cannot remove " + stateFile + ": " + e.getMessage());
        }
    }

    /**
     * Proxy NDP for the CLAT /128 on the uplink, for a CLAT address taken from the uplink's on-link prefix (then the
     * upstream router resolves it with neighbour discovery): net.ipv6.conf.UPLINK.proxy_ndp = 1 and
     * {@code ip -6 neigh replace proxy ADDR dev UPLINK}; removed again at stop.
     */
    private void proxyNdp(boolean add) throws TunException {
        String addr = ferry.addr.Ipv6.format(cs.ipv6Address().hi(), cs.ipv6Address().lo());
        if (add) {
            try {
                Files.writeString(Path.of("/proc/sys/net/ipv6/conf", cs.uplink(), "proxy_ndp"), "1");
            } catch (IOException e) {
                throw new TunException("cannot enable proxy_ndp on " + cs.uplink() + ": " + e.getMessage(), 0);
            }
            TunInterfaceSetup.ip("-6", "neigh", "replace", "proxy", addr, "dev", cs.uplink());
            log.accept("proxy NDP for " + addr + " on " + cs.uplink());
        } else {
            TunInterfaceSetup.ip("-6", "neigh", "del", "proxy", addr, "dev", cs.uplink());
        }
    }

    /** Starts PREF64 and RFC 7050 discovery as configured; a configured prefix needs none. */
    private PlatDiscovery startDiscovery() {
        if (cs.platPrefix() != null) return null;
        RaSocket ra = null;
        if (cs.pref64()) {
            try {
                ra = RaSocket.open(cs.uplink());
                sources.add("PREF64 on " + (cs.uplink() == null ? "any interface" : cs.uplink()));
            } catch (IOException e) {
                log.accept("PREF64 discovery off: " + e.getMessage());
            }
        }
        Rfc7050Client dns = null;
        if (cs.rfc7050()) {
            try {
                dns = new Rfc7050Client(cs.resolvers(), Duration.ofSeconds(2));
                sources.add("RFC 7050 via " + dns.servers());
            } catch (RuntimeException e) {
                log.accept("RFC 7050 discovery off: " + e.getMessage());
            }
        }
        PlatDiscovery d = new PlatDiscovery(selector, dns, ra, System::currentTimeMillis, log);
        d.start();
        return d;
    }

    private void writeState(String device, PlatDiscovery d, Counters[] counters) {
        try {
            Map<Counter, Long> c = Counters.sum(List.of(counters));
            if (d != null) d.counters().forEach((k, v) -> c.merge(k, v, Long::sum));
            else selector.counters().forEach((k, v) -> c.merge(k, v, Long::sum));
            long now = System.currentTimeMillis();
            ClatState.write(stateFile, ClatState.snapshot(ProcessHandle.current().pid(), device, now,
                    selector.current(), selector.known(), source, routeMtu, cfg.ferry().ipv6Mtu(), sources, c));
        } catch (IOException | RuntimeException e) {
            log.accept("cannot write the status file " + stateFile + ": " + e.getMessage());
        }
    }
}
