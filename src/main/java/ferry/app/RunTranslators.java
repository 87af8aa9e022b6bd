package ferry.app;

import ferry.config.Config;
import ferry.io.tun.GsoPackets;
import ferry.io.tun.PacketHandler;
import ferry.io.tun.PacketOutput;
import ferry.metrics.Counters;
import ferry.translate.IpTranslator;
import ferry.translate.PacketSink;
import ferry.translate.Translator;
import ferry.translate.TranslatorSettings;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One immutable translator configuration of {@code ferry run}, as the TUN workers see it: each worker makes its own
 * translators from it (translators are single-threaded) and keeps incrementing its own queue's {@link Counters}
 * across configuration swaps. A SIGHUP builds a new instance and publishes it through a volatile reference; the
 * workers pick it up between packets.
 *
 * <p>TCP super-packets (GSO) go to a second translator whose MTUs are 65535, so the length of the whole
 * super-packet is not held against the link MTUs; the MTU rules are applied here to the segment length instead
 * (RFC 7915 §4.1/§5.1 apply per packet on the wire, and each segment is such a packet).
 */
final class RunTranslators implements PacketHandler.Factory {
    private final Config config;
    private final Counters[] counters;
    private final TranslatorSettings settings;
    private final TranslatorSettings gsoSettings;

    /**
     * Builds the factory and one throw-away translator, so an unsupported configuration fails here, before the swap.
     *
     * @throws IllegalArgumentException the configuration cannot be run (the message names the field)
     */
    RunTranslators(Config config, Counters[] counters) {
        this.config = config;
        this.counters = counters;
        Wiring.translator(config, new Counters());
        this.settings = Wiring.settings(config);
        this.gsoSettings = withMtus(settings, 65535, 65535);
    }

    static TranslatorSettings withMtus(TranslatorSettings s, int ipv4Mtu, int ipv6Mtu) {
        return new TranslatorSettings(s.zeroizeTrafficClass(), s.overrideTos(), s.tos(), s.mtuPlateaus(),
                s.amendUdpChecksumZero(), s.lowestIpv6Mtu(), s.rfc6791v4(), s.rfc6791v6(), s.randomizeRfc6791(),
                s.ipv4Address(), s.ipv6Address(), ipv4Mtu, ipv6Mtu, s.eamHairpinMode());
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
        Translator gso = new IpTranslator(gsoSettings, Wiring.siitMapper(config), counters[queue]);
        PacketSink sink = out::send;
        int ipv4Mtu = settings.ipv4Mtu();
        int ipv6Mtu = settings.ipv6Mtu();
        return new PacketHandler() {
            @Override
            public void handle(MemorySegment buf, long off, int len) {
                t.translate(buf, off, len, sink);
            }

            @Override
            public void handleGso(MemorySegment buf, long off, int len, int segmentLength) {
                boolean v4 = (buf.get(ValueLayout.JAVA_BYTE, off) & 0xf0) == 0x40;
                // each translated segment grows (4->6) or shrinks (6->4) by the 20-byte header difference
                boolean fits = v4 ? segmentLength + 20 <= ipv6Mtu : segmentLength - 20 <= ipv4Mtu;
                if (fits) {
                    gso.translate(buf, off, len, sink);
                } else {
                    // answered as its first segment would be: Fragmentation Needed / Packet Too Big
                    t.translate(buf, off, GsoPackets.firstSegment(buf, off, len, segmentLength), sink);
                }
            }
        };
    }
}
