package ferry.cli;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ferry session display|follow}: the NAT64's sessions (nat64 mode). */
@Command(name = "session", description = "Sessions of the stateful NAT64 (RFC 6146 §3.1).")
public final class SessionCommand {
    @Spec
    CommandSpec spec;

    @Command(name = "display", description = "Print the sessions (every protocol unless --tcp/--udp/--icmp).")
    int display(@Mixin Output o, @Mixin Protocols p) {
        return Daemon.call(spec, o, "session", "display", p.flags());
    }

    @Command(name = "follow", description = {"Print sessions as they appear (+) and end (-), polling the daemon.",
            "Each line: +|- and the session as session display --csv prints it (without the expiry column)."})
    int follow(@Mixin Protocols p,
               @Option(names = "--interval-ms", defaultValue = "1000", description = "poll period (default: ${DEFAULT-VALUE})")
               long intervalMs,
               @Option(names = "--polls", defaultValue = "0", description = "stop after this many polls (0: until"
                       + " interrupted)") long polls) throws InterruptedException {
        if (intervalMs < 50) {
            System.err.println("ferry session follow: --interval-ms must be at least 50, got " + intervalMs);
            return 2;
        }
        Set<String> known = new LinkedHashSet<>();
        for (long i = 0; polls == 0 || i < polls; i++) {
            if (i > 0) Thread.sleep(intervalMs);
            List<List<String>> rows = new ArrayList<>();
            int code = Daemon.fetch(spec, "session", "display", p.flags(), rows);
            if (code != 0) return code;
            Set<String> now = new LinkedHashSet<>();
            for (List<String> r : rows) now.add(Output.csvLine(r.subList(0, r.size() - 1))); // without "expires in"
            for (String s : now) if (!known.contains(s)) System.out.println("+ " + s);
            for (String s : known) if (!now.contains(s)) System.out.println("- " + s);
            System.out.flush();
            known = now;
        }
        return 0;
    }
}
