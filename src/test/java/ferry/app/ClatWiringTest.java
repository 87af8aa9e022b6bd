package ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Prefix4;
import ferry.addr.Prefix6;
import ferry.config.Config;
import ferry.config.ConfigParser;
import ferry.translate.TranslatorSettings;
import org.junit.jupiter.api.Test;

/** Mode "clat" as the translator settings see it (own addresses, IPv4-side MTU). */
class ClatWiringTest {
    @Test
    void defaultsAreTheHostSideAddressesAndTheMtuMinus28() throws Exception {
        Config c = ConfigParser.parse("{\"ferry\": {\"mode\": \"clat\"}, \"clat\": {\"ipv6-address\": \"2001:db8:1::c1a7\"}}",
                "t");
        TranslatorSettings s = ClatWiring.settings(c, ClatWiring.sourceMapping(c.clat()));
        assertThat(s.ipv4Address()).isEqualTo(Prefix4.parse("192.0.0.2/32"));
        assertThat(s.ipv6Address()).isEqualTo(Prefix6.parse("2001:db8:1::c1a7/128"));
        assertThat(s.ipv4Mtu()).as("the island link").isEqualTo(1500);
        assertThat(ClatWiring.routeMtu(c)).as("IPv6 MTU - 28").isEqualTo(1472);
        assertThat(s.ipv6Mtu()).isEqualTo(1500);
    }

    @Test
    void dedicatedModeSourcesErrorsFromTheImageOf192_0_0_2AndExplicitValuesWin() throws Exception {
        Config c = ConfigParser.parse("""
                {"ferry": {"mode": "clat", "ipv4-mtu": 1400, "ipv6-mtu": 1280},
                 "clat": {"dedicated-prefix": "2001:db8:1:2::/64", "island": ["192.0.2.0/24"]}}""", "t");
        TranslatorSettings s = ClatWiring.settings(c, ClatWiring.sourceMapping(c.clat()));
        assertThat(s.ipv6Address()).isEqualTo(Prefix6.parse("2001:db8:1:2::c000:2/128"));
        assertThat(ClatWiring.routeMtu(c)).as("min(1400, 1280 - 28)").isEqualTo(1252);
        assertThat(s.ipv4Mtu()).isEqualTo(1400);
        Config d = ConfigParser.parse("""
                {"ferry": {"mode": "clat", "ipv4-address": "192.0.0.6", "ipv4-mtu": 1200},
                 "clat": {"ipv6-address": "2001:db8:1::c1a7"}}""", "t");
        TranslatorSettings t = ClatWiring.settings(d, ClatWiring.sourceMapping(d.clat()));
        assertThat(t.ipv4Address()).isEqualTo(Prefix4.parse("192.0.0.6/32"));
        assertThat(ClatWiring.routeMtu(d)).isEqualTo(1200);
    }

    @Test
    void modeClatRunsThroughWiringWithTheConfiguredPrefix() throws Exception {
        Config c = ConfigParser.parse("""
                {"ferry": {"mode": "clat"}, "clat": {"ipv6-address": "2001:db8:1::c1a7", "plat-prefix": "2001:db8:64::/96"}}""",
                "t");
        var t = Wiring.translator(c, new ferry.metrics.Counters());
        byte[] in = ferry.packet.PacketBuilder.ipv4("192.0.0.1", "198.51.100.7").udp(1, 2).build();
        var buf = java.lang.foreign.MemorySegment.ofArray(new byte[ferry.translate.Translator.HEADROOM + in.length + 64]);
        java.lang.foreign.MemorySegment.copy(java.lang.foreign.MemorySegment.ofArray(in), 0, buf,
                ferry.translate.Translator.HEADROOM, in.length);
        byte[][] out = new byte[1][];
        t.translate(buf, ferry.translate.Translator.HEADROOM, in.length,
                (b, o, l) -> out[0] = b.asSlice(o, l).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        var s = java.lang.foreign.MemorySegment.ofArray(out[0]);
        assertThat(ferry.addr.Ipv6.format(ferry.packet.Bytes.i64(s, 24), ferry.packet.Bytes.i64(s, 32)))
                .isEqualTo("2001:db8:64::c633:6407");
        assertThat(ferry.addr.Ipv6.format(ferry.packet.Bytes.i64(s, 8), ferry.packet.Bytes.i64(s, 16)))
                .isEqualTo("2001:db8:1::c1a7");
    }
}
