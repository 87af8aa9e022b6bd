package ferry.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The Prometheus endpoint: names, sums over workers, live values, loopback only. */
class MetricsEndpointTest {
    static String scrape(int port) throws Exception {
        return ferry.testkit.Prometheus.scrape(port);
    }

    @Test
    void everyCounterIsExportedByNameSummedOverWorkersAndReadAtScrapeTime() throws Exception {
        Counters a = new Counters(), b = new Counters();
        a.add(Counter.XLAT_46_OK, 5);
        b.add(Counter.XLAT_46_OK, 7);
        AtomicLong sessions = new AtomicLong(3);
        try (MetricsEndpoint m = MetricsEndpoint.builder().counters(() -> Counters.sum(List.of(a, b)))
                .counter("tun_rx_packets", "packets read", () -> 42)
                .gauge("nat64_sessions", "sessions", "protocol", "tcp", sessions::get)
                .gauge("nat64_sessions", "sessions", "protocol", "udp", () -> 1)
                .start(MetricsEndpoint.loopback("127.0.0.1:0"))) {
            String text = scrape(m.port());
            assertThat(text).contains("ferry_xlat_46_ok_total 12.0").contains("ferry_drop_46_igmp_total 0.0")
                    .contains("# HELP ferry_xlat_46_ok_total IPv4 packets translated to IPv6")
                    .contains("ferry_tun_rx_packets_total 42.0")
                    .contains("ferry_nat64_sessions{protocol=\"tcp\"} 3.0")
                    .contains("ferry_nat64_sessions{protocol=\"udp\"} 1.0");
            for (Counter c : Counter.values()) assertThat(text).contains(MetricsEndpoint.metricName(c.id()) + "_total ");
            assertThat(text).contains("ferry_drop_nat64_icmpv6_info_events_total 0.0"); // _info is reserved
            a.inc(Counter.XLAT_46_OK);
            sessions.set(9);
            assertThat(scrape(m.port())).contains("ferry_xlat_46_ok_total 13.0")
                    .contains("ferry_nat64_sessions{protocol=\"tcp\"} 9.0");
        }
    }

    @Test
    void severalInstancesShareOneEndpointAndEachSeriesCarriesItsInstanceLabel() throws Exception {
        Counters siit = new Counters(), nat = new Counters();
        siit.add(Counter.XLAT_46_OK, 4);
        nat.add(Counter.XLAT_46_OK, 9);
        try (MetricsEndpoint m = MetricsEndpoint.builder()
                .instance("edge").counters(() -> Counters.sum(List.of(siit)))
                .counter("tun_rx_packets", "packets read", () -> 1)
                .gauge("nat64_sessions", "sessions", "protocol", "tcp", () -> 0)
                .instance("core").counters(() -> Counters.sum(List.of(nat)))
                .counter("tun_rx_packets", "packets read", () -> 2)
                .gauge("nat64_sessions", "sessions", "protocol", "tcp", () -> 5)
                .start(MetricsEndpoint.loopback("127.0.0.1:0"))) {
            String text = scrape(m.port());
            assertThat(text).contains("ferry_xlat_46_ok_total{instance=\"edge\"} 4.0")
                    .contains("ferry_xlat_46_ok_total{instance=\"core\"} 9.0")
                    .contains("ferry_tun_rx_packets_total{instance=\"edge\"} 1.0")
                    .contains("ferry_tun_rx_packets_total{instance=\"core\"} 2.0")
                    .contains("ferry_nat64_sessions{instance=\"core\",protocol=\"tcp\"} 5.0")
                    .contains("ferry_nat64_sessions{instance=\"edge\",protocol=\"tcp\"} 0.0")
                    .doesNotContain("ferry_xlat_46_ok_total 13.0");
            assertThat(text.lines().filter(l -> l.startsWith("# HELP ferry_xlat_46_ok_total"))).as("one family").hasSize(1);
        }
    }

    @Test
    void onlyLoopbackAddressesAreAccepted() {
        assertThat(MetricsEndpoint.loopback("127.0.0.1:9464").getPort()).isEqualTo(9464);
        assertThat(MetricsEndpoint.loopback("[::1]:9464").getAddress().isLoopbackAddress()).isTrue();
        assertThatThrownBy(() -> MetricsEndpoint.loopback("192.0.2.1:9464"))
                .hasMessageContaining("\"192.0.2.1:9464\"").hasMessageContaining("loopback");
        assertThatThrownBy(() -> MetricsEndpoint.loopback("127.0.0.1:70000")).hasMessageContaining("port");
        assertThatThrownBy(() -> MetricsEndpoint.loopback("9464")).hasMessageContaining("HOST:PORT");
        assertThatThrownBy(() -> MetricsEndpoint.loopback("example.org:9464")).hasMessageContaining("literal");
    }
}
