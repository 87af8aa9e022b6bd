package ferry.cli;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ferry address query ADDR}: how the running translator maps an address, and why. */
@Command(name = "address", description = "How an address translates.")
public final class AddressCommand {
    @Spec
    CommandSpec spec;

    @Command(name = "query", description = "Print what ADDRESS translates to (EAMT, pool6 or pool4) and through what.")
    int query(@Mixin Output o, @Parameters(paramLabel = "ADDRESS") String address) {
        return Daemon.call(spec, o, "address", "query", List.of(address));
    }
}
