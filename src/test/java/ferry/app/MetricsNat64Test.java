package ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.config.ConfigParser;
import ferry.metrics.Counters;
import ferry.metrics.MetricsEndpoint;
import ferry.nat64.Nat64Mapper;
import ferry.packet.PacketBuilder;
import ferry.translate.Translator;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The nat64 gauges of {@code ferry run --metrics} (issue 7 item 4), read from live tables at scrape time. */
class MetricsNat64Test {
    static final String CONFIG = """
            { "ferry": { "mode": "nat64" }, "global": { "pool6": "64:ff9b::/96" },
              "pool4": [ { "protocol": "TCP", "prefix": "203.0.113.0/31", "port range": "1000-1099" },
                         { "protocol": "UDP", "prefix": "203.0.113.1/32", "port range": "2000-2009" },
                         { "protocol": "ICMP", "prefix": "203.0.113.1/32", "port range": "0-99" } ],
              "bib": [ { "protocol": "TCP", "ipv6 address": "2001:db8::9#22", "ipv4 address": "203.0.113.1#1022" } ] }
            """;

    static String scrape(int port) throws Exception {
        return ferry.testkit.Prometheus.scrape(port);
    }

    void send(Translator t, byte[] p) {
        MemorySegment buf = MemorySegment.ofArray(new byte[Translator.HEADROOM + p.length + 256]);
        MemorySegment.copy(MemorySegment.ofArray(p), 0, buf, Translator.HEADROOM, p.length);
        t.translate(buf, Translator.HEADROOM, p.length, 1_000_000_000_000L, (b, o, l) -> { });
    }

    @Test
    void pool4UseHeldFragmentsAndHeldSynsAreExportedAndFollowTheTables() throws Exception {
        var config = ConfigParser.parse(CONFIG, "t");
        Nat64Mapper m = Wiring.nat64Mapper(config);
        Translator t = Wiring.translator(config, new Counters(), m);
        AtomicReference<Nat64Mapper> current = new AtomicReference<>(m);
        MetricsEndpoint.Builder b = MetricsEndpoint.builder().counters(java.util.Map::of);
        Metrics.nat64Gauges(b, current::get);
        try (MetricsEndpoint e = b.start(MetricsEndpoint.loopback("127.0.0.1:0"))) {
            String text = scrape(e.port());
            assertThat(text).contains("ferry_nat64_pool4_ports{protocol=\"tcp\"} 200.0")
                    .contains("ferry_nat64_pool4_ports{protocol=\"udp\"} 10.0")
                    .contains("ferry_nat64_pool4_ports{protocol=\"icmp\"} 100.0")
                    .contains("ferry_nat64_pool4_ports_in_use{protocol=\"tcp\"} 1.0") // the static entry
                    .contains("ferry_nat64_pool4_ports_in_use{protocol=\"udp\"} 0.0")
                    .contains("ferry_nat64_fragments_held{reason=\"awaiting_first_fragment\"} 0.0")
                    .contains("ferry_nat64_tcp_syns_held{reason=\"simultaneous_open\"} 0.0");
            send(t, PacketBuilder.ipv6("2001:db8::1", "64:ff9b::198.51.100.7").udp(4000, 53).build());
            send(t, PacketBuilder.ipv6("2001:db8::1", "64:ff9b::198.51.100.7").udp(4001, 53).build());
            byte[] later = PacketBuilder.ipv6("2001:db8::1", "64:ff9b::198.51.100.7").fragment(13, false, 7)
                    .raw(17, new byte[40]).build();
            send(t, later);
            send(t, PacketBuilder.ipv4("198.51.100.7", "203.0.113.1").tcp(80, 1050).tcpFlags(0x02).build());
            text = scrape(e.port());
            assertThat(text).contains("ferry_nat64_pool4_ports_in_use{protocol=\"udp\"} 2.0")
                    .contains("ferry_nat64_fragments_held{reason=\"awaiting_first_fragment\"} 1.0")
                    .contains("ferry_nat64_fragment_bytes_held{reason=\"awaiting_first_fragment\"} " + later.length + ".0")
                    .contains("ferry_nat64_tcp_syns_held{reason=\"simultaneous_open\"} 1.0");
            current.set(null); // not nat64 (any more)
            assertThat(scrape(e.port())).contains("ferry_nat64_pool4_ports{protocol=\"tcp\"} 0.0");
        }
    }
}
