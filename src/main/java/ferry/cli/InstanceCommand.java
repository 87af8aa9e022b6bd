package ferry.cli;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code ferry instance display|status}: the running daemon of {@code -i INSTANCE}. (Jool's {@code instance
 * add|remove} start and stop translators; in ferry an instance is a {@code ferry run} process, e.g. the systemd
 * unit {@code ferry@INSTANCE}.)
 */
@Command(name = "instance", description = "The running ferry daemon (start one with ferry run or ferry@INSTANCE).")
public final class InstanceCommand {
    @Spec
    CommandSpec spec;

    @Command(name = "display", description = "Print the instance: name, mode, PID, configuration file, socket.")
    int display(@Mixin Output o) {
        return Daemon.call(spec, o, "instance", "display", List.of());
    }

    @Command(name = "status", description = "Print Running, or fail (exit 2) when no daemon answers.")
    int status(@Mixin Output o) {
        return Daemon.call(spec, o, "instance", "status", List.of());
    }
}
