package ferry.app;

import ferry.config.Config;
import ferry.io.tun.PacketHandler;
import ferry.io.tun.PacketOutput;
import ferry.metrics.Counters;
import ferry.translate.PacketSink;
import ferry.translate.Translator;

/**
 * One immutable translator configuration of {@code ferry run}, as the TUN workers see it: each worker makes its own
 * {@link Translator} from it (translators are single-threaded) and keeps incrementing its own queue's
 * {@link Counters} across configuration swaps. A SIGHUP builds a new instance and publishes it through a volatile
 * reference; the workers pick it up between packets.
 */
final class RunTranslators implements PacketHandler.Factory {
    private final Config config;
    private final Counters[] counters;

    /**
     * Builds the factory and one throw-away translator, so an unsupported configuration fails here, before the swap.
     *
     * @throws IllegalArgumentException the configuration cannot be run (the message names the field)
     */
    RunTranslators(Config config, Counters[] counters) {
        this.config = config;
        this.counters = counters;
        Wiring.translator(config, new Counters());
    }

    Counters[] counters() {
        return counters;
    }

    Config config() {
        return config;
    }

    @Override
    public PacketHandler newHandler(int queue, PacketOutput out) {
        Translator t = Wiring.translator(config, counters[queue]);
        PacketSink sink = out::send;
        return (buf, off, len) -> t.translate(buf, off, len, sink);
    }
}
