package ferry.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point: {@code ferry <command>}. Usage errors exit with code 2. */
@Command(name = "ferry", mixinStandardHelpOptions = true, version = "ferry 0.1.0",
        description = "IPv4-as-a-Service for IPv6-only networks: SIIT (RFC 7915), NAT64, CLAT, DNS64.",
        subcommands = {CommandLine.HelpCommand.class,
                SamplePcapCommand.class,
                TranslateCommand.class,
                Dns64Command.class,
                RunCommand.class,
                ClatCommand.class,
                LabCommand.class,
                ferry.cli.InstanceCommand.class,
                ferry.cli.StatsCommand.class,
                ferry.cli.GlobalCommand.class,
                ferry.cli.EamtCommand.class,
                ferry.cli.Denylist4Command.class,
                ferry.cli.Pool4Command.class,
                ferry.cli.BibCommand.class,
                ferry.cli.SessionCommand.class,
                ferry.cli.AddressCommand.class,
                ferry.cli.FileCommand.class,
                picocli.AutoComplete.GenerateCompletion.class,
        })
public final class Main {
    @picocli.CommandLine.Option(names = {"-i", "--instance"}, paramLabel = "INSTANCE",
            description = "the daemon the CLI commands talk to (socket /run/ferry/INSTANCE.sock; default: default)")
    String instance;

    @picocli.CommandLine.Option(names = "--socket", paramLabel = "PATH",
            description = "the control socket of the CLI commands (overrides -i)")
    java.nio.file.Path socket;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code (2 for usage errors). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExitCodeExceptionMapper(e -> 2);
        return cl.execute(args);
    }
}
