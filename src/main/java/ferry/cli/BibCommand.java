package ferry.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ferry bib display|add|remove}: the NAT64's Binding Information Base (nat64 mode). */
@Command(name = "bib", description = "Binding Information Base of the stateful NAT64 (RFC 6146 §3.1).")
public final class BibCommand {
    @Spec
    CommandSpec spec;

    @Command(name = "display", description = "Print the BIB entries, static and dynamic (every protocol unless "
            + "--tcp/--udp/--icmp).")
    int display(@Mixin Output o, @Mixin Protocols p) {
        return Daemon.call(spec, o, "bib", "display", p.flags());
    }

    @Command(name = "add", description = "Add a static entry: bib add --tcp 2001:db8::1#80 203.0.113.1#80")
    int add(@Mixin Protocols p, @Parameters(index = "0", paramLabel = "IPV6#PORT") String v6,
            @Parameters(index = "1", paramLabel = "IPV4#PORT") String v4) {
        List<String> a = new ArrayList<>(p.flags());
        a.add(v6);
        a.add(v4);
        return Daemon.call(spec, null, "bib", "add", a);
    }

    @Command(name = "remove", description = "Remove a static entry, named by either or both transport addresses.")
    int remove(@Mixin Protocols p, @Parameters(arity = "1..2", paramLabel = "ADDRESS#PORT") List<String> t) {
        List<String> a = new ArrayList<>(p.flags());
        a.addAll(t);
        return Daemon.call(spec, null, "bib", "remove", a);
    }
}
