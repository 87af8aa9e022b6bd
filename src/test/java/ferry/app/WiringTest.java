package ferry.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ferry.addr.Prefix4;
import ferry.addr.Prefix6;
import ferry.config.Config;
import ferry.config.ConfigParser;
import ferry.metrics.Counter;
import ferry.metrics.Counters;
import ferry.packet.PacketBuilder;
import ferry.translate.EamHairpinMode;
import ferry.translate.Translator;
import ferry.translate.TranslatorSettings;
import ferry.translate.Verdict;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WiringTest {
    static Config parse(String json) throws Exception {
        return ConfigParser.parse(json, "test.json");
    }

    @Test
    void everyGlobalAndFerryKeyReachesTheTranslatorSettings() throws Exception {
        Config c = parse("""
                { "global": { "pool6": "64:ff9b::/96", "lowest-ipv6-mtu": 1400, "zeroize-traffic-class": true,
                              "override-tos": true, "tos": 40, "mtu-plateaus": [9000, 1500, 1280],
                              "amend-udp-checksum-zero": true, "eam-hairpin-mode": "simple",
                              "randomize-rfc6791-addresses": false,
                              "rfc6791v4-prefix": "192.0.0.0/29", "rfc6791v6-prefix": "2001:db8:e::/64" },
                  "ferry": { "ipv4-address": "198.51.100.1", "ipv6-address": "2001:db8::1",
                             "ipv4-mtu": 1400, "ipv6-mtu": 9000 } }
                """);

        TranslatorSettings s = Wiring.settings(c);

        assertThat(s.zeroizeTrafficClass()).isTrue();
        assertThat(s.overrideTos()).isTrue();
        assertThat(s.tos()).isEqualTo(40);
        assertThat(s.mtuPlateaus()).containsExactly(9000, 1500, 1280);
        assertThat(s.amendUdpChecksumZero()).isTrue();
        assertThat(s.lowestIpv6Mtu()).isEqualTo(1400);
        assertThat(s.rfc6791v4()).isEqualTo(Prefix4.parse("192.0.0.0/29"));
        assertThat(s.rfc6791v6()).isEqualTo(Prefix6.parse("2001:db8:e::/64"));
        assertThat(s.randomizeRfc6791()).isFalse();
        assertThat(s.ipv4Address()).isEqualTo(Prefix4.parse("198.51.100.1/32"));
        assertThat(s.ipv6Address()).isEqualTo(Prefix6.parse("2001:db8::1/128"));
        assertThat(s.ipv4Mtu()).isEqualTo(1400);
        assertThat(s.ipv6Mtu()).isEqualTo(9000);
        assertThat(s.eamHairpinMode()).isEqualTo(EamHairpinMode.SIMPLE);
    }

    @Test
    void anEmptyConfigGivesJoolsDefaults() throws Exception {
        TranslatorSettings s = Wiring.settings(parse("{}"));
        TranslatorSettings d = TranslatorSettings.defaults();

        assertThat(s.mtuPlateaus()).containsExactly(d.mtuPlateaus());
        assertThat(s.lowestIpv6Mtu()).isEqualTo(d.lowestIpv6Mtu());
        assertThat(s.eamHairpinMode()).isEqualTo(d.eamHairpinMode());
        assertThat(s.randomizeRfc6791()).isEqualTo(d.randomizeRfc6791());
        assertThat(s.ipv4Mtu()).isEqualTo(d.ipv4Mtu());
        assertThat(s.ipv6Mtu()).isEqualTo(d.ipv6Mtu());
        assertThat(s.ipv4Address()).isNull();
        assertThat(s.ipv6Address()).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"off", "simple", "intrinsic"})
    void eachHairpinModeMapsByName(String mode) throws Exception {
        Config c = parse("{ \"global\": { \"eam-hairpin-mode\": \"" + mode + "\" } }");

        assertThat(Wiring.settings(c).eamHairpinMode().name()).isEqualToIgnoringCase(mode);
    }

    static Verdict translate(Translator t, byte[] p, List<byte[]> out) {
        MemorySegment buf = MemorySegment.ofArray(new byte[Translator.HEADROOM + 4096]);
        MemorySegment.copy(MemorySegment.ofArray(p), 0, buf, Translator.HEADROOM, p.length);
        return t.translate(buf, Translator.HEADROOM, p.length,
                (seg, off, len) -> out.add(seg.asSlice(off, len).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
    }

    @Test
    void wkpStrictAndPool6AndDenylistReachTheMapper() throws Exception {
        byte[] toPrivate = PacketBuilder.ipv6("2001:db8:3::10", "64:ff9b::10.0.0.1").udp(1, 2).payload(8).build();
        byte[] toDenied = PacketBuilder.ipv6("2001:db8:3::10", "64:ff9b::203.0.113.5").udp(1, 2).payload(8).build();
        String base = "\"global\": { \"pool6\": \"64:ff9b::/96\" }, \"eamt\": [ { \"ipv6 prefix\": \"2001:db8:3::/120\","
                + " \"ipv4 prefix\": \"192.0.2.0/24\" } ], \"denylist4\": [\"203.0.113.0/28\"]";
        Counters strictCounters = new Counters(), laxCounters = new Counters();
        Translator strict = Wiring.translator(parse("{" + base + "}"), strictCounters);
        Translator lax = Wiring.translator(parse("{" + base + ", \"ferry\": { \"wkp-strict\": false } }"), laxCounters);
        List<byte[]> out = new ArrayList<>();

        assertThat(translate(strict, toPrivate, out)).isEqualTo(Verdict.DROP);
        assertThat(strictCounters.get(Counter.DROP_WKP_NON_GLOBAL)).isEqualTo(1);
        assertThat(translate(lax, toPrivate, out)).isEqualTo(Verdict.EMIT);
        assertThat(out).hasSize(1);
        assertThat(out.getFirst()[0] >> 4).isEqualTo(4);
        assertThat(translate(lax, toDenied, out)).isEqualTo(Verdict.DROP);
        assertThat(laxCounters.snapshot()).containsKey(Counter.DROP_DENYLIST4);
    }

    @Test
    void aModeThatIsNotImplementedIsRefusedByName() throws Exception {
        Config siit = parse("{}");
        Config nat64 = new Config(siit.instance(), siit.framework(), siit.global(), siit.eamt(), siit.denylist4(),
                new ferry.config.FerrySection(ferry.config.Mode.CLAT, null, null, 1500, 1500, true), null);

        assertThatThrownBy(() -> Wiring.translator(nat64, new Counters()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"clat\"");
    }
}
