package ferry.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ferry pool4 display|add|remove|flush}: the NAT64's IPv4 transport addresses (nat64 mode). */
@Command(name = "pool4", description = "IPv4 addresses and ports of the stateful NAT64 (nat64 mode).")
public final class Pool4Command {
    @Spec
    CommandSpec spec;

    @Command(name = "display", description = "Print pool4.")
    int display(@Mixin Output o) {
        return Daemon.call(spec, o, "pool4", "display", List.of());
    }

    @Command(name = "add", description = "Add addresses (all three protocols unless --tcp/--udp/--icmp).")
    int add(@Mixin Protocols p, @Parameters(index = "0", paramLabel = "IPV4-PREFIX") String prefix,
            @Parameters(index = "1", arity = "0..1", paramLabel = "PORT-RANGE") String ports) {
        return Daemon.call(spec, null, "pool4", "add", args(p, prefix, ports));
    }

    @Command(name = "remove", description = {"Remove the matching entries (all three protocols unless "
            + "--tcp/--udp/--icmp).", "Sessions on them end: the NAT64 tables are rebuilt."})
    int remove(@Mixin Protocols p, @Parameters(index = "0", paramLabel = "IPV4-PREFIX") String prefix,
               @Parameters(index = "1", arity = "0..1", paramLabel = "PORT-RANGE") String ports) {
        return Daemon.call(spec, null, "pool4", "remove", args(p, prefix, ports));
    }

    @Command(name = "flush", description = "Remove every entry.")
    int flush() {
        return Daemon.call(spec, null, "pool4", "flush", List.of());
    }

    private static List<String> args(Protocols p, String prefix, String ports) {
        List<String> a = new ArrayList<>(p.flags());
        a.add(prefix);
        if (ports != null) a.add(ports);
        return a;
    }
}
