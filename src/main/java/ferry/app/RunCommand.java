package ferry.app;

import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ferry run --config FILE [--config FILE ...]}: the live translators of one router, in one process.
 *
 * <p>Each file is one instance ({@link RunInstance}): its {@code "instance"} name (unique across the files), its own
 * TUN device from its {@code "tun"} section, translators in its mode (siit, nat64 or clat), counters, control socket
 * ({@code /run/ferry/<instance>.sock}) and SIGHUP reload of its own file; a {@code "dns64"} section is served beside
 * the translator, and a file with only {@code "dns64"} (plus {@code "ferry"}/{@code "instance"}) is a DNS64 server
 * alone. {@code --mode} and {@code --force} apply to every file (except that {@code --mode} leaves a DNS64-only file
 * alone). The process's life (validation of every file before anything starts, ready events, signals, exit codes) is
 * {@link RunDaemon}'s.
 *
 * <p>Start of one instance: open the device named in its {@code "tun"} section (create it, or attach to an existing
 * persistent one) with one queue per worker, set the MTU, bring it up, add the addresses and routes the section lists
 * (with {@code ip}), start the workers, log {@code event=ready instance=NAME ...}.
 *
 * <p>Control: the CLI's changes and SIGHUP take the same validate-then-swap path ({@link LiveConfig}). A socket that
 * cannot be bound is logged and the instance runs without it. {@code --metrics HOST:PORT} (loopback only), or the
 * files' {@code "ferry": {"metrics"}}, serves Prometheus for every instance, labelled {@code instance="NAME"}.
 *
 * <p>Faults: a worker whose reads keep failing (device removed: EBADFD; EIO; ENETDOWN) backs off and retries for
 * {@code --give-up-after} seconds, then every instance stops and ferry exits 1 naming the instance, device and errno.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Translate live traffic on Linux TUN devices (needs CAP_NET_ADMIN): one instance per --config file.",
                "SIGTERM/SIGINT stop cleanly (a second one exits at once); SIGHUP reloads every file."})
final class RunCommand implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "FILE",
            description = "configuration of one instance (Jool's JSON plus ferry's \"ferry\", \"tun\", \"clat\" and"
                    + " \"dns64\" objects); repeat for several instances, each with its own \"instance\" name and TUN"
                    + " device")
    List<Path> configs;

    @Option(names = "--force", description = "accept what Jool accepts with --force: nested EAM entries,"
            + " denylist4/rfc6791v4 prefixes touching never-translated ranges, and a /96 pool6 whose bits 64-71"
            + " (the u-octet) are not zero, e.g. 2001:db8:8011:fda4:4444::/96 (applies to every --config)")
    boolean force;

    @Option(names = "--mode", paramLabel = "MODE", converter = TranslateCommand.ModeConverter.class,
            description = "siit or nat64: overrides the \"ferry\": {\"mode\"} of every --config (not of a DNS64-only"
                    + " file), so that Jool's NAT64 atomic configuration works unchanged")
    ferry.config.Mode mode;

    @Option(names = "--give-up-after", paramLabel = "SECONDS", defaultValue = "10",
            description = "how long TUN read errors may persist (retried with backoff) before ferry exits 1 "
                    + "(default: ${DEFAULT-VALUE})")
    int giveUpAfter;

    @Option(names = "--control-socket", paramLabel = "PATH",
            description = "control socket of the ferry CLI, with one --config only (default: /run/ferry/<instance>.sock,"
                    + " mode 0600)")
    Path controlSocket;

    @Option(names = "--metrics", paramLabel = "HOST:PORT",
            description = "serve Prometheus metrics of every instance on http://HOST:PORT/metrics (loopback only, e.g."
                    + " 127.0.0.1:9464; wins over the files' \"ferry\": {\"metrics\"}; off by default)")
    String metrics;

    @Override
    public Integer call() {
        return RunDaemon.run(configs, new RunInstance.Options(force, mode, giveUpAfter, controlSocket, null), metrics);
    }
}
