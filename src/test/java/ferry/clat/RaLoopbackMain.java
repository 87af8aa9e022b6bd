package ferry.clat;

import java.util.HexFormat;
import java.util.List;

/**
 * Run inside a test network namespace (by {@link RaSocketNetnsTest}): opens an {@link RaSocket} on {@code args[0]},
 * sends each following argument ("HOPLIMIT:HEX" of an ICMPv6 message) to ff02::1 out of {@code args[1]}, and prints
 * what the socket read for each: "OPTIONS [..]" or "IGNORED", then "COUNTERS {..}".
 */
public final class RaLoopbackMain {
    public static void main(String[] args) throws Exception {
        try (RaSocket rx = RaSocket.open(args[0])) {
            for (int i = 2; i < args.length; i++) {
                String[] hp = args[i].split(":");
                RaSocket.sendToAllNodes(args[1], HexFormat.of().parseHex(hp[1]), Integer.parseInt(hp[0]));
                List<Pref64Option> got = null;
                long deadline = System.nanoTime() + 3_000_000_000L;
                boolean counted = false;
                while (System.nanoTime() < deadline) {
                    long before = rx.counters().getOrDefault(ferry.metrics.Counter.CLAT_RA_RECEIVED, 0L);
                    got = rx.receive();
                    if (rx.counters().getOrDefault(ferry.metrics.Counter.CLAT_RA_RECEIVED, 0L) > before) {
                        counted = true;
                        break;
                    }
                }
                System.out.println(!counted ? "NOTHING" : got == null ? "IGNORED" : "OPTIONS " + got);
            }
            System.out.println("COUNTERS " + rx.counters());
        }
    }
}
