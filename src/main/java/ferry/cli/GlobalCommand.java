package ferry.cli;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ferry global display|update KEY VALUE}: Jool's global settings of the running translator. */
@Command(name = "global", description = "Jool's global settings (and the NAT64 globals in nat64 mode).")
public final class GlobalCommand {
    @Spec
    CommandSpec spec;

    @Command(name = "display", description = "Print every global setting and its value.")
    int display(@Mixin Output o) {
        return Daemon.call(spec, o, "global", "display", List.of());
    }

    @Command(name = "update", description = {"Change one setting: validated like the configuration file, applied "
            + "atomically; an invalid value changes nothing (exit 2).",
            "Lists are comma-separated: global update mtu-plateaus 1500,1280"})
    int update(@Parameters(index = "0", paramLabel = "KEY") String key,
               @Parameters(index = "1", paramLabel = "VALUE") String value) {
        return Daemon.call(spec, null, "global", "update", List.of(key, value));
    }
}
