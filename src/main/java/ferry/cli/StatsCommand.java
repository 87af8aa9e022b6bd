package ferry.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ferry stats display [--all] [--explain]}: the daemon's counters, summed over its workers. */
@Command(name = "stats", description = "Counters of the running translator (outcomes and named drop reasons).")
public final class StatsCommand {
    @Spec
    CommandSpec spec;

    @Command(name = "display", description = "Print the non-zero counters (every counter with --all).")
    int display(@Mixin Output o,
                @Option(names = "--all", description = "include counters that are zero") boolean all,
                @Option(names = "--explain", description = "add a column explaining each counter") boolean explain) {
        List<String> args = new ArrayList<>();
        if (all) args.add("--all");
        if (explain) args.add("--explain");
        return Daemon.call(spec, o, "stats", "display", args, explain ? -1 : 2);
    }
}
