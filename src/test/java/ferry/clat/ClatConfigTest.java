package ferry.clat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ferry.addr.Prefix4;
import ferry.addr.Prefix6;
import ferry.addr.Rfc6052;
import ferry.config.ClatSection;
import ferry.config.Config;
import ferry.config.ConfigError;
import ferry.config.ConfigException;
import ferry.config.ConfigParser;
import ferry.config.Mode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The "clat" object of the configuration and mode "clat". */
class ClatConfigTest {
    static Config parse(String json) throws ConfigException {
        return ConfigParser.parse(json, "test.json");
    }

    static List<ConfigError> errors(String json) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> parse(json));
        assertThat(e).as("expected errors for " + json).isNotNull();
        return e.errors();
    }

    @Test
    void aMinimalSingleAddressClatHasEveryDefault() throws Exception {
        Config c = parse("{\"ferry\": {\"mode\": \"clat\"}, \"clat\": {\"ipv6-address\": \"2001:db8:1::c1a7\"}}");
        assertThat(c.ferry().mode()).isEqualTo(Mode.CLAT);
        ClatSection s = c.clat();
        assertThat(s.platPrefix()).as("discover").isNull();
        assertThat(s.pref64()).isTrue();
        assertThat(s.rfc7050()).isTrue();
        assertThat(s.uplink()).isNull();
        assertThat(s.resolvers()).isEmpty();
        assertThat(s.ipv6Address()).isEqualTo(Prefix6.parse("2001:db8:1::c1a7/128"));
        assertThat(s.ipv4Address()).isEqualTo(Prefix4.parse("192.0.0.1/32"));
        assertThat(s.dedicated()).isFalse();
        assertThat(s.stateFile()).isEqualTo(ClatSection.DEFAULT_STATE_FILE);
        assertThat(s.proxyNdp()).isFalse();
    }

    @Test
    void proxyNdpIsForASingleAddressOnANamedUplink() throws Exception {
        assertThat(parse("{\"clat\": {\"ipv6-address\": \"2001:db8:1::c1a7\", \"uplink\": \"eth0\", \"proxy-ndp\": true}}")
                .clat().proxyNdp()).isTrue();
        assertThat(errors("{\"clat\": {\"ipv6-address\": \"2001:db8:1::c1a7\", \"proxy-ndp\": true}}"))
                .singleElement().satisfies(e -> assertThat(e.message()).contains("needs \"uplink\""));
        assertThat(errors("{\"clat\": {\"dedicated-prefix\": \"2001:db8:1:2::/64\", \"island\": [\"192.0.2.0/24\"],"
                + " \"uplink\": \"eth0\", \"proxy-ndp\": true}}"))
                .singleElement().satisfies(e -> assertThat(e.path()).isEqualTo("clat.proxy-ndp"));
    }

    @Test
    void everyKeyIsRead() throws Exception {
        ClatSection s = parse("""
                {"ferry": {"mode": "clat"}, "clat": {"plat-prefix": "2001:db8:64::/64", "pref64": false,
                 "uplink": "eth0", "rfc7050": false, "resolvers": ["192.0.2.53", "[2001:db8::53]:5353"],
                 "dedicated-prefix": "2001:db8:1:2::/64", "island": ["192.0.2.0/24", "198.51.100.0/25"],
                 "state-file": "/tmp/x.json", "comment": "ignored"}}""").clat();
        assertThat(s.platPrefix()).isEqualTo(Rfc6052.parse("2001:db8:64::/64"));
        assertThat(s.pref64()).isFalse();
        assertThat(s.rfc7050()).isFalse();
        assertThat(s.uplink()).isEqualTo("eth0");
        assertThat(s.resolvers()).extracting(a -> a.getAddress().getHostAddress() + "/" + a.getPort())
                .containsExactly("192.0.2.53/53", "2001:db8:0:0:0:0:0:53/5353");
        assertThat(s.dedicatedPrefix()).isEqualTo(Prefix6.parse("2001:db8:1:2::/64"));
        assertThat(s.island()).containsExactly(Prefix4.parse("192.0.2.0/24"), Prefix4.parse("198.51.100.0/25"));
        assertThat(s.stateFile()).isEqualTo("/tmp/x.json");
    }

    @Test
    void modeClatWithoutAClatObjectIsAnError() {
        assertThat(errors("{\"ferry\": {\"mode\": \"clat\"}}")).singleElement()
                .satisfies(e -> assertThat(e.path()).isEqualTo("ferry.mode"));
    }

    @Test
    void badValuesNameTheKeyAndValue() {
        List<ConfigError> errs = errors("""
                {"ferry": {"mode": "clat"}, "clat": {"plat-prefix": "2001:db8::/80", "pref64": "yes",
                 "resolvers": ["dns.example"], "ipv6-address": "2001:db8::/64", "bogus": 1}}""");
        assertThat(errs).extracting(ConfigError::path)
                .contains("clat.plat-prefix", "clat.pref64", "clat.resolvers[0]", "clat.ipv6-address", "clat.bogus");
        assertThat(errs.getFirst().message()).contains("2001:db8::/80");
    }

    @Test
    void modesAreExclusiveAndComplete() {
        assertThat(errors("{\"clat\": {}}").getFirst().message()).contains("ipv6-address").contains("dedicated-prefix");
        assertThat(errors("{\"clat\": {\"ipv6-address\": \"2001:db8::1\", \"dedicated-prefix\": \"2001:db8:1::/64\","
                + " \"island\": [\"192.0.2.0/24\"]}}")).extracting(ConfigError::message)
                .anyMatch(m -> m.contains("not both"));
        assertThat(errors("{\"clat\": {\"dedicated-prefix\": \"2001:db8:1::/64\"}}")).extracting(ConfigError::message)
                .anyMatch(m -> m.contains("needs \"island\""));
        assertThat(errors("{\"clat\": {\"ipv6-address\": \"2001:db8::1\", \"island\": [\"192.0.2.0/24\"]}}"))
                .extracting(ConfigError::path).containsExactly("clat.island");
        assertThat(errors("{\"clat\": {\"dedicated-prefix\": \"2001:db8:1::/120\", \"island\": [\"192.0.2.0/24\"]}}"))
                .extracting(ConfigError::path).containsExactly("clat.dedicated-prefix");
        assertThat(errors("{\"clat\": {\"dedicated-prefix\": \"2001:db8:1::/64\", \"island\": [\"192.0.2.0/24\"],"
                + " \"ipv4-address\": \"192.0.0.1\"}}")).extracting(ConfigError::path)
                .containsExactly("clat.ipv4-address");
    }
}
