package ferry.app;

import ferry.config.Config;
import ferry.config.ConfigError;
import ferry.config.ConfigException;
import ferry.config.ConfigParser;
import ferry.config.Mode;
import java.nio.file.Path;
import java.util.List;
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
 * second. SIGTERM/SIGINT stop; the status file is removed. It is one {@link RunInstance} run by {@link RunDaemon}, as
 * {@code ferry run --config FILE} runs it (same events, control socket and SIGHUP reload); this command adds only the
 * check that the file is in mode "clat" and {@code --state-file}.
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

    /** {@code ferry run} with a configuration in mode "clat" is the same instance (discovery, route MTU, status file). */
    @Override
    public Integer call() {
        if (config == null) {
            Log.event(Log.Level.ERROR, "usage_error", "error", "--config FILE is required (or use `ferry clat status`)");
            return 2;
        }
        Config cfg;
        try {
            cfg = ConfigParser.parse(config);
        } catch (ConfigException e) {
            for (ConfigError ce : e.errors()) System.err.println(ce.format(e.source()));
            return 2;
        }
        if (cfg.ferry().mode() != Mode.CLAT || cfg.clat() == null) {
            System.err.println(config + ": ferry clat needs \"ferry\": {\"mode\": \"clat\"} and a \"clat\" object");
            return 2;
        }
        return RunDaemon.run(List.of(config), new RunInstance.Options(false, null, giveUpAfter, null, stateFile), null);
    }
}
