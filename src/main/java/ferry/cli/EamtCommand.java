package ferry.cli;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ferry eamt display|add|remove|flush}: the Explicit Address Mapping Table (RFC 7757). */
@Command(name = "eamt", description = "The Explicit Address Mapping Table (RFC 7757).")
public final class EamtCommand {
    @Spec
    CommandSpec spec;

    @Command(name = "display", description = "Print the EAMT.")
    int display(@Mixin Output o) {
        return Daemon.call(spec, o, "eamt", "display", List.of());
    }

    @Command(name = "add", description = "Add an entry (both prefixes the same size).")
    int add(@Parameters(index = "0", paramLabel = "IPV6-PREFIX") String v6,
            @Parameters(index = "1", paramLabel = "IPV4-PREFIX") String v4) {
        return Daemon.call(spec, null, "eamt", "add", List.of(v6, v4));
    }

    @Command(name = "remove", description = "Remove the entry with this IPv6 and/or IPv4 prefix.")
    int remove(@Parameters(arity = "1..2", paramLabel = "PREFIX") List<String> prefixes) {
        return Daemon.call(spec, null, "eamt", "remove", prefixes);
    }

    @Command(name = "flush", description = "Remove every entry.")
    int flush() {
        return Daemon.call(spec, null, "eamt", "flush", List.of());
    }
}
