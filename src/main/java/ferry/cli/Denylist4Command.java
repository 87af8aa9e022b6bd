package ferry.cli;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ferry denylist4 display|add|remove|flush}: IPv4 prefixes never translated through pool6. */
@Command(name = "denylist4", description = "IPv4 prefixes that pool6 does not translate.")
public final class Denylist4Command {
    @Spec
    CommandSpec spec;

    @Command(name = "display", description = "Print denylist4.")
    int display(@Mixin Output o) {
        return Daemon.call(spec, o, "denylist4", "display", List.of());
    }

    @Command(name = "add", description = "Add a prefix.")
    int add(@Parameters(paramLabel = "IPV4-PREFIX") String p) {
        return Daemon.call(spec, null, "denylist4", "add", List.of(p));
    }

    @Command(name = "remove", description = "Remove a prefix.")
    int remove(@Parameters(paramLabel = "IPV4-PREFIX") String p) {
        return Daemon.call(spec, null, "denylist4", "remove", List.of(p));
    }

    @Command(name = "flush", description = "Remove every prefix.")
    int flush() {
        return Daemon.call(spec, null, "denylist4", "flush", List.of());
    }
}
