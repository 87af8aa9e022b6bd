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
        })
public final class Main {
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
