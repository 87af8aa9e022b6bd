package ferry.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code ferry session display}: the NAT64's sessions (nat64 mode). */
@Command(name = "session", description = "Sessions of the stateful NAT64 (RFC 6146 §3.1).")
public final class SessionCommand {
    @Spec
    CommandSpec spec;

    @Command(name = "display", description = "Print the sessions (every protocol unless --tcp/--udp/--icmp).")
    int display(@Mixin Output o, @Mixin Protocols p) {
        return Daemon.call(spec, o, "session", "display", p.flags());
    }
}
