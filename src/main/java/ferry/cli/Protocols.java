package ferry.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Jool's protocol flags {@code --tcp --udp --icmp}. */
public final class Protocols {
    @Option(names = "--tcp", description = "TCP")
    boolean tcp;
    @Option(names = "--udp", description = "UDP")
    boolean udp;
    @Option(names = "--icmp", description = "ICMP")
    boolean icmp;

    List<String> flags() {
        List<String> f = new ArrayList<>();
        if (tcp) f.add("--tcp");
        if (udp) f.add("--udp");
        if (icmp) f.add("--icmp");
        return f;
    }
}
