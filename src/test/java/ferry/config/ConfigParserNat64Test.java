package ferry.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ferry.addr.Prefix4;
import ferry.addr.Prefix6;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Jool's NAT64 atomic configuration (pool4, bib, NAT64 globals), "ferry": {"mode": "nat64"} and --mode nat64. */
class ConfigParserNat64Test {
    /** Jool's sample NAT64 file (docs/en/config-atomic.md), with documentation addresses. */
    static final String JOOL_SAMPLE = """
            {
              "comment": "Sample full NAT64 configuration.",
              "instance": "instance name",
              "framework": "netfilter",
              "global": {
                "pool6": "64:ff9b::/96",
                "manually-enabled": false,
                "zeroize-traffic-class": true,
                "override-tos": false,
                "tos": 254,
                "mtu-plateaus": [1, 2, 3, 4, 5, 6],
                "maximum-simultaneous-opens": 16,
                "source-icmpv6-errors-better": true,
                "handle-rst-during-fin-rcv": true,
                "f-args": 10,
                "logging-bib": true,
                "logging-session": true,
                "address-dependent-filtering": true,
                "drop-icmpv6-info": true,
                "drop-externally-initiated-tcp": true,
                "udp-timeout": "1:00:00",
                "tcp-est-timeout": "10:00:00",
                "tcp-trans-timeout": "5:00",
                "icmp-timeout": "5:30",
                "ss-enabled": true,
                "ss-flush-asap": false,
                "ss-flush-deadline": 1000,
                "ss-capacity": 256,
                "ss-max-payload": 600
              },
              "pool4": [
                { "mark": 1, "protocol": "UDP", "prefix": "192.0.2.1", "port range": "61001-62000", "max-iterations": 1500 },
                { "comment": "mark, port range and max-iterations are optional.", "protocol": "TCP", "prefix": "192.0.2.2/31" },
                { "mark": 1, "protocol": "ICMP", "prefix": "192.0.2.1/32", "port range": "1000-2000" }
              ],
              "bib": [
                { "protocol": "TCP", "ipv6 address": "2001:db8::1#80", "ipv4 address": "192.0.2.2#80" },
                { "protocol": "UDP", "ipv6 address": "2001:db8::2#10000", "ipv4 address": "192.0.2.1#61500" },
                { "protocol": "ICMP", "ipv6 address": "2001:db8:AAAA::1#44", "ipv4 address": "192.0.2.1#1044" }
              ]
            }
            """;

    private static List<ConfigError> errors(String json, Mode mode) {
        try {
            ConfigParser.parse(json, "test.json", false, mode);
            throw new AssertionError("expected errors");
        } catch (ConfigException e) {
            return e.errors();
        }
    }

    @Test
    void joolsSampleNat64FileIsAcceptedUnchangedWithModeOverride() throws Exception {
        Config c = ConfigParser.parse(JOOL_SAMPLE, "jool.json", false, Mode.NAT64);
        assertThat(c.ferry().mode()).isEqualTo(Mode.NAT64);
        Nat64Section n = c.nat64();
        assertThat(n.udpTimeout()).isEqualTo(3600);
        assertThat(n.tcpEstTimeout()).isEqualTo(36000);
        assertThat(n.tcpTransTimeout()).isEqualTo(300);
        assertThat(n.icmpTimeout()).isEqualTo(330);
        assertThat(n.maximumSimultaneousOpens()).isEqualTo(16);
        assertThat(n.fArgs()).isEqualTo(10);
        assertThat(n.addressDependentFiltering()).isTrue();
        assertThat(n.dropIcmpv6Info()).isTrue();
        assertThat(n.dropExternallyInitiatedTcp()).isTrue();
        assertThat(n.handleRstDuringFinRcv()).isTrue();
        assertThat(n.pool4()).containsExactly(
                new Pool4Entry(17, Prefix4.parse("192.0.2.1/32"), 61001, 62000, 1, 1500),
                new Pool4Entry(6, Prefix4.parse("192.0.2.2/31"), 1, 65535, 0, 0),
                new Pool4Entry(1, Prefix4.parse("192.0.2.1/32"), 1000, 2000, 1, 0));
        assertThat(n.bib()).containsExactly(
                new BibEntry(6, Prefix6.parse("2001:db8::1/128"), 80, Prefix4.parse("192.0.2.2/32"), 80),
                new BibEntry(17, Prefix6.parse("2001:db8::2/128"), 10000, Prefix4.parse("192.0.2.1/32"), 61500),
                new BibEntry(1, Prefix6.parse("2001:db8:aaaa::1/128"), 44, Prefix4.parse("192.0.2.1/32"), 1044));
    }

    @Test
    void theSameFileWithoutTheModeIsRefusedNamingEveryNat64Key() {
        List<ConfigError> errs = errors(JOOL_SAMPLE, null);
        assertThat(errs).extracting(ConfigError::path).contains("pool4", "bib", "global.udp-timeout", "global.f-args");
        assertThat(errs).allMatch(e -> e.message().contains("--mode nat64"));
    }

    @Test
    void modeInTheFerryObjectWorksLikeTheOverride() throws Exception {
        Config c = ConfigParser.parse("""
                {"global": {"pool6": "64:ff9b::/96"},
                 "pool4": [{"protocol": "UDP", "prefix": "203.0.113.1/32"}],
                 "ferry": {"mode": "nat64", "max-sessions": 5000, "max-sessions-per-subscriber": 2000,
                           "max-ports-per-subscriber": 1000, "subscriber-prefix-length": 64, "fragment-timeout": "0:10"}}
                """, "t", false, null);
        assertThat(c.ferry().mode()).isEqualTo(Mode.NAT64);
        assertThat(c.nat64().maxSessions()).isEqualTo(5000);
        assertThat(c.nat64().maxSessionsPerSubscriber()).isEqualTo(2000);
        assertThat(c.nat64().maxPortsPerSubscriber()).isEqualTo(1000);
        assertThat(c.nat64().subscriberPrefixLength()).isEqualTo(64);
        assertThat(c.nat64().fragmentTimeout()).isEqualTo(10);
        assertThat(c.nat64().udpTimeout()).isEqualTo(300); // Jool's defaults
        assertThat(c.nat64().tcpEstTimeout()).isEqualTo(7440);
        assertThat(c.nat64().tcpTransTimeout()).isEqualTo(240);
        assertThat(c.nat64().icmpTimeout()).isEqualTo(60);
        assertThat(c.nat64().fArgs()).isEqualTo(11);
    }

    @Test
    void nat64ModeNeedsPool6AndANonEmptyPool4() {
        List<ConfigError> errs = errors("{\"pool4\": []}", Mode.NAT64);
        assertThat(errs).extracting(ConfigError::path).containsExactlyInAnyOrder("global.pool6", "pool4");
        assertThat(errs).anyMatch(e -> e.message().contains("pool4 is empty"));
        assertThat(errors("{\"global\": {\"pool6\": \"64:ff9b::/96\"}}", Mode.NAT64))
                .singleElement().satisfies(e -> assertThat(e.message()).contains("needs \"pool4\""));
    }

    @Test
    void overlappingPool4EntriesAreAnErrorNamingBoth() {
        List<ConfigError> errs = errors("""
                {"global": {"pool6": "64:ff9b::/96"},
                 "pool4": [{"protocol": "TCP", "prefix": "203.0.113.0/30", "port range": "1000-2000"},
                           {"protocol": "TCP", "prefix": "203.0.113.2/32", "port range": "2000-3000"},
                           {"protocol": "UDP", "prefix": "203.0.113.2/32", "port range": "2000-3000"}]}
                """, Mode.NAT64);
        assertThat(errs).singleElement().satisfies(e -> {
            assertThat(e.path()).isEqualTo("pool4[1]");
            assertThat(e.message()).contains("overlaps").contains("203.0.113.0/30").contains("203.0.113.2/32");
            assertThat(e.line()).isEqualTo(3);
        });
    }

    @Test
    void badPool4AndBibValuesNameTheFieldAndValue() {
        List<ConfigError> errs = errors("""
                {"global": {"pool6": "64:ff9b::/96", "udp-timeout": "1:00", "tcp-est-timeout": "abc"},
                 "pool4": [{"protocol": "SCTP", "prefix": "203.0.113.1/32"},
                           {"protocol": "TCP", "prefix": "203.0.113.1/32", "port range": "2000-1000"},
                           {"protocol": "TCP", "prefix": "203.0.113.9/32", "max-iterations": "lots"},
                           {"protocol": "UDP"},
                           {"protocol": "TCP", "prefix": "203.0.113.5/32"}],
                 "bib": [{"protocol": "TCP", "ipv6 address": "2001:db8::1", "ipv4 address": "203.0.113.5#22"},
                         {"protocol": "TCP", "ipv6 address": "2001:db8::1#22", "ipv4 address": "198.51.100.1#22"}]}
                """, Mode.NAT64);
        assertThat(errs).extracting(ConfigError::message).anyMatch(m -> m.contains("\"1:00\" is 60 s; the minimum is 120 s"))
                .anyMatch(m -> m.contains("\"abc\" is not a duration"))
                .anyMatch(m -> m.contains("\"SCTP\" is not a protocol"))
                .anyMatch(m -> m.contains("\"2000-1000\" is not a port range"))
                .anyMatch(m -> m.contains("\"lots\" is not a max-iterations value"))
                .anyMatch(m -> m.contains("no \"prefix\""))
                .anyMatch(m -> m.contains("\"2001:db8::1\" is not a transport address"))
                .anyMatch(m -> m.contains("198.51.100.1#22 is not in pool4"));
    }

    @Test
    void eamtAndDenylistDoNotBelongInNat64Mode() {
        List<ConfigError> errs = errors("""
                {"global": {"pool6": "64:ff9b::/96"},
                 "pool4": [{"protocol": "TCP", "prefix": "203.0.113.1/32"}],
                 "eamt": [], "denylist4": []}
                """, Mode.NAT64);
        assertThat(errs).extracting(ConfigError::path).containsExactly("eamt", "denylist4");
    }

    @Test
    void durationsAcceptEveryJoolForm() throws Exception {
        Config c = ConfigParser.parse("""
                {"global": {"pool6": "64:ff9b::/96", "udp-timeout": 600, "tcp-est-timeout": "2:04:00.5",
                            "tcp-trans-timeout": "240", "icmp-timeout": "0:30"},
                 "pool4": [{"protocol": "TCP", "prefix": "203.0.113.1/32"}]}
                """, "t", false, Mode.NAT64);
        assertThat(c.nat64().udpTimeout()).isEqualTo(600);
        assertThat(c.nat64().tcpEstTimeout()).isEqualTo(7441);
        assertThat(c.nat64().tcpTransTimeout()).isEqualTo(240);
        assertThat(c.nat64().icmpTimeout()).isEqualTo(30);
    }

    @Test
    void siitConfigurationsAreUnaffected() throws Exception {
        Config c = ConfigParser.parse("{\"global\": {\"pool6\": \"64:ff9b::/96\"}}", "t");
        assertThat(c.nat64()).isNull();
        assertThat(c.ferry().mode()).isEqualTo(Mode.SIIT);
        assertThatThrownBy(() -> ConfigParser.parse("{\"ferry\": {\"max-sessions\": 5}}", "t"))
                .isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> ConfigParser.parse("{\"ferry\": {\"fragment-timeout\": 5, \"max-ports-per-subscriber\": 9}}", "t"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("ferry.fragment-timeout")
                .hasMessageContaining("ferry.max-ports-per-subscriber").hasMessageContaining("--mode nat64");
    }

    static final String BASE = """
            {"global": {"pool6": "64:ff9b::/96"},
             "pool4": [{"protocol": "TCP", "prefix": "203.0.113.1/32"}],
             "ferry": %s}
            """;

    @Test
    void nat64LogIsStderrByDefaultOrAnAbsoluteFile() throws Exception {
        assertThat(ConfigParser.parse(BASE.formatted("{}"), "t", false, Mode.NAT64).nat64().logFile()).isNull();
        assertThat(ConfigParser.parse(BASE.formatted("{\"nat64-log\": \"stderr\"}"), "t", false, Mode.NAT64)
                .nat64().logFile()).isNull();
        assertThat(ConfigParser.parse(BASE.formatted("{\"nat64-log\": {\"file\": \"/var/log/ferry/nat64.log\"}}"),
                "t", false, Mode.NAT64).nat64().logFile()).isEqualTo("/var/log/ferry/nat64.log");
    }

    @Test
    void aBadNat64LogValueNamesTheKeyAndTheValue() {
        assertThat(errors(BASE.formatted("{\"nat64-log\": \"syslog\"}"), Mode.NAT64)).singleElement()
                .satisfies(e -> {
                    assertThat(e.path()).isEqualTo("ferry.nat64-log");
                    assertThat(e.message()).contains("\"syslog\"").contains("\"stderr\"");
                });
        assertThat(errors(BASE.formatted("{\"nat64-log\": {\"file\": \"nat64.log\"}}"), Mode.NAT64)).singleElement()
                .satisfies(e -> {
                    assertThat(e.path()).isEqualTo("ferry.nat64-log.file");
                    assertThat(e.message()).contains("\"nat64.log\"").contains("absolute");
                });
        assertThat(errors(BASE.formatted("{\"nat64-log\": {\"file\": \"/tmp\"}}"), Mode.NAT64)).singleElement()
                .satisfies(e -> assertThat(e.message()).contains("\"/tmp\" is a directory"));
        assertThat(errors(BASE.formatted("{\"nat64-log\": {\"path\": \"/x\"}}"), Mode.NAT64))
                .extracting(ConfigError::path).contains("ferry.nat64-log.path", "ferry.nat64-log");
        // a NAT64 setting: refused in SIIT mode like the other ferry NAT64 keys
        assertThatThrownBy(() -> ConfigParser.parse("{\"ferry\": {\"nat64-log\": \"stderr\"}}", "t"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("ferry.nat64-log");
    }

    @Test
    void nat64AllowListsProtocolsAndPortRanges() throws Exception {
        Config c = ConfigParser.parse(BASE.formatted("""
                {"nat64-allow": [{"protocol": "TCP", "ports": "22, 80,8000-8080"}, {"protocol": "udp", "ports": 53},
                                 {"protocol": "UDP", "ports": ["123", 5000]}, {"protocol": "ICMP"}]}"""),
                "t", false, Mode.NAT64);
        assertThat(c.nat64().allow()).containsExactly(
                new Nat64Allow(6, List.of(new Nat64Allow.Range(22, 22), new Nat64Allow.Range(80, 80),
                        new Nat64Allow.Range(8000, 8080))),
                new Nat64Allow(17, List.of(new Nat64Allow.Range(53, 53))),
                new Nat64Allow(17, List.of(new Nat64Allow.Range(123, 123), new Nat64Allow.Range(5000, 5000))),
                new Nat64Allow(1, List.of()));
        assertThat(ConfigParser.parse(BASE.formatted("{}"), "t", false, Mode.NAT64).nat64().allow()).isNull();
        assertThat(ConfigParser.parse(BASE.formatted("{\"nat64-allow\": []}"), "t", false, Mode.NAT64).nat64().allow())
                .isEmpty();
        // only nat64-log / nat64-allow changed: the tables' part of the section is the same
        assertThat(c.nat64().tables()).isEqualTo(ConfigParser.parse(BASE.formatted("{}"), "t", false, Mode.NAT64)
                .nat64().tables());
    }

    @Test
    void badNat64AllowRulesNameTheFieldAndTheValue() {
        List<ConfigError> errs = errors(BASE.formatted("""
                {"nat64-allow": [{"protocol": "SCTP"}, {"ports": "22"}, {"protocol": "TCP", "ports": "22,0"},
                                 {"protocol": "TCP", "ports": "90-80"}, {"protocol": "ICMP", "ports": "8"},
                                 {"protocol": "UDP", "ports": true}, {"protocol": "TCP", "port": "22"}]}"""),
                Mode.NAT64);
        assertThat(errs).extracting(e -> e.path() + ": " + e.message())
                .anyMatch(m -> m.startsWith("ferry.nat64-allow[0].protocol: ") && m.contains("\"SCTP\""))
                .anyMatch(m -> m.startsWith("ferry.nat64-allow[1]: ") && m.contains("no \"protocol\""))
                .anyMatch(m -> m.startsWith("ferry.nat64-allow[2].ports: ") && m.contains("\"0\" in \"22,0\""))
                .anyMatch(m -> m.startsWith("ferry.nat64-allow[3].ports: ") && m.contains("\"90-80\""))
                .anyMatch(m -> m.startsWith("ferry.nat64-allow[4].ports: ") && m.contains("ICMP has no ports"))
                .anyMatch(m -> m.startsWith("ferry.nat64-allow[5].ports: ") && m.contains("true"))
                .anyMatch(m -> m.startsWith("ferry.nat64-allow[6].port: ") && m.contains("unknown key"));
        assertThat(errs).hasSize(7);
    }
}
