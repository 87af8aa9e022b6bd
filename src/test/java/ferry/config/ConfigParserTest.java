package ferry.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ferry.addr.EamEntry;
import ferry.addr.Ipv4;
import ferry.addr.Prefix4;
import ferry.addr.Prefix6;
import ferry.addr.Rfc6052;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Jool-compatible SIIT configuration files plus ferry's own sections: values, defaults and every kind of error. */
class ConfigParserTest {

    /** A full SIIT atomic-configuration file in the shape Jool's documentation describes (config-atomic). */
    static final String JOOL_SIIT = """
            {
            \t"comment": "Sample full SIIT configuration.",

            \t"instance": "instance name",
            \t"framework": "netfilter",

            \t"global": {
            \t\t"comment": "pool6 and the RFC6791v4 pool belong here, ever since Jool 4.",
            \t\t"pool6": "64:ff9b::/96",
            \t\t"manually-enabled": false,
            \t\t"lowest-ipv6-mtu": 1400,
            \t\t"logging-debug": true,
            \t\t"zeroize-traffic-class": true,
            \t\t"override-tos": false,
            \t\t"tos": 254,
            \t\t"mtu-plateaus": [1, 2, 3, 4, 5, 6],
            \t\t"amend-udp-checksum-zero": true,
            \t\t"eam-hairpin-mode": "simple",
            \t\t"randomize-rfc6791-addresses": false,
            \t\t"rfc6791v6-prefix": null,
            \t\t"rfc6791v4-prefix": null
            \t},

            \t"eamt": [
            \t\t{
            \t\t\t"comment": {
            \t\t\t\t"text": "Here's a compound comment.",
            \t\t\t\t"more": "Its type is not checked, after all.",
            \t\t\t\t"whatever": 1234
            \t\t\t},
            \t\t\t"ipv6 prefix": "2001:db8:1::/128",
            \t\t\t"ipv4 prefix": "192.0.2.0"
            \t\t}, {
            \t\t\t"ipv6 prefix": "2001:db8:2::",
            \t\t\t"ipv4 prefix": "192.0.2.1/32"
            \t\t}, {
            \t\t\t"ipv6 prefix": "2001:db8:3::/124",
            \t\t\t"ipv4 prefix": "192.0.2.16/28"
            \t\t}
            \t],

            \t"comment": "This comment is relevant to denylist4 maybe.",
            \t"denylist4": [
            \t\t"198.51.100.0",
            \t\t"198.51.100.2/32",
            \t\t"198.51.100.32/27"
            \t]
            }
            """;

    static Config ok(String json) {
        try {
            return ConfigParser.parse(json, "test.json");
        } catch (ConfigException e) {
            throw new AssertionError("expected no errors, got:\n" + e.getMessage(), e);
        }
    }

    static List<ConfigError> errors(String json) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigParser.parse(json, "test.json"));
        assertThat(e).as("a ConfigException").isNotNull();
        assertThat(e.source()).isEqualTo("test.json");
        return e.errors();
    }

    static ConfigError onlyError(String json) {
        List<ConfigError> errs = errors(json);
        assertThat(errs).hasSize(1);
        return errs.get(0);
    }

    // ------------------------------------------------------------------------------------------ Jool's file

    @Test
    void joolSiitAtomicFileParsesUnchangedWithEveryGlobal() {
        Config c = ok(JOOL_SIIT);
        assertThat(c.instance()).isEqualTo("instance name");
        assertThat(c.framework()).isEqualTo("netfilter");
        Globals g = c.global();
        assertThat(g.pool6()).isEqualTo(Rfc6052.parse("64:ff9b::/96"));
        assertThat(g.manuallyEnabled()).isFalse();
        assertThat(g.lowestIpv6Mtu()).isEqualTo(1400);
        assertThat(g.loggingDebug()).isTrue();
        assertThat(g.zeroizeTrafficClass()).isTrue();
        assertThat(g.overrideTos()).isFalse();
        assertThat(g.tos()).isEqualTo(254);
        assertThat(g.mtuPlateaus()).containsExactly(6, 5, 4, 3, 2, 1); // Jool sorts them descending
        assertThat(g.amendUdpChecksumZero()).isTrue();
        assertThat(g.eamHairpinMode()).isEqualTo(HairpinMode.SIMPLE);
        assertThat(g.randomizeRfc6791Addresses()).isFalse();
        assertThat(g.rfc6791v6Prefix()).isNull();
        assertThat(g.rfc6791v4Prefix()).isNull();
        assertThat(c.eamt()).containsExactly(
                EamEntry.parse("2001:db8:1::/128", "192.0.2.0/32"),
                EamEntry.parse("2001:db8:2::/128", "192.0.2.1/32"),
                EamEntry.parse("2001:db8:3::/124", "192.0.2.16/28"));
        assertThat(c.denylist4()).containsExactly(
                Prefix4.parse("198.51.100.0/32"), Prefix4.parse("198.51.100.2/32"), Prefix4.parse("198.51.100.32/27"));
        assertThat(c.ferry()).isEqualTo(FerrySection.defaults());
        assertThat(c.dns64()).isNull();
        assertThat(c.eamtTable().find4(Ipv4.parse("192.0.2.20"))).isEqualTo(2);
        assertThat(c.denylist().contains(Ipv4.parse("198.51.100.40"))).isTrue();
    }

    @Test
    void issueExampleParses() {
        Config c = ok("""
                { "instance": "default", "framework": "netfilter",
                  "global": { "pool6": "2001:db8:100::/40", "lowest-ipv6-mtu": 1280 },
                  "eamt": [ { "ipv6 prefix": "2001:db8:3::/120", "ipv4 prefix": "192.0.2.0/24" } ],
                  "denylist4": [ "203.0.113.0/28" ],
                  "ferry": { "mode": "siit", "ipv4-address": "198.51.100.1", "ipv6-address": "2001:db8:1c0:2:1::",
                             "ipv4-mtu": 1500, "ipv6-mtu": 1500 } }
                """);
        assertThat(c.global().pool6()).isEqualTo(Rfc6052.parse("2001:db8:100::/40"));
        assertThat(c.global().lowestIpv6Mtu()).isEqualTo(1280);
        assertThat(c.eamt()).containsExactly(EamEntry.parse("2001:db8:3::/120", "192.0.2.0/24"));
        assertThat(c.denylist4()).containsExactly(Prefix4.parse("203.0.113.0/28"));
        assertThat(c.ferry().mode()).isEqualTo(Mode.SIIT);
        assertThat(c.ferry().ipv4Address()).isEqualTo(Prefix4.parse("198.51.100.1/32"));
        assertThat(c.ferry().ipv6Address()).isEqualTo(Prefix6.parse("2001:db8:1c0:2:1::/128"));
        assertThat(c.ferry().ipv4Mtu()).isEqualTo(1500);
        assertThat(c.ferry().ipv6Mtu()).isEqualTo(1500);
        assertThat(c.ferry().wkpStrict()).isTrue();
    }

    @Test
    void emptyObjectGivesJoolsDefaults() {
        Config c = ok("{}");
        assertThat(c.instance()).isEqualTo("default");
        assertThat(c.framework()).isEqualTo("netfilter");
        Globals g = c.global();
        assertThat(g).isEqualTo(Globals.defaults());
        assertThat(g.manuallyEnabled()).isTrue();
        assertThat(g.pool6()).isNull();
        assertThat(g.lowestIpv6Mtu()).isEqualTo(1280);
        assertThat(g.loggingDebug()).isFalse();
        assertThat(g.zeroizeTrafficClass()).isFalse();
        assertThat(g.overrideTos()).isFalse();
        assertThat(g.tos()).isZero();
        assertThat(g.mtuPlateaus()).containsExactly(65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68);
        assertThat(g.amendUdpChecksumZero()).isFalse();
        assertThat(g.eamHairpinMode()).isEqualTo(HairpinMode.INTRINSIC);
        assertThat(g.randomizeRfc6791Addresses()).isTrue();
        assertThat(g.rfc6791v6Prefix()).isNull();
        assertThat(g.rfc6791v4Prefix()).isNull();
        assertThat(c.eamt()).isEmpty();
        assertThat(c.denylist4()).isEmpty();
        assertThat(c.ferry()).isEqualTo(new FerrySection(Mode.SIIT, null, null, 1500, 1500, true));
        assertThat(c.dns64()).isNull();
    }

    @Test
    void keysAreCaseInsensitiveAsInJool() {
        Config c = ok("""
                {"Instance": "x", "GLOBAL": {"Pool6": "64:ff9b::/96", "TOS": 7}, "Comment": 1}
                """);
        assertThat(c.instance()).isEqualTo("x");
        assertThat(c.global().pool6()).isEqualTo(Rfc6052.parse("64:ff9b::/96"));
        assertThat(c.global().tos()).isEqualTo(7);
    }

    @Test
    void olderNameBlacklist4IsAccepted() {
        Config c = ok("""
                {"blacklist4": ["192.0.2.0/24"]}
                """);
        assertThat(c.denylist4()).containsExactly(Prefix4.parse("192.0.2.0/24"));
    }

    @Test
    void denylist4AndBlacklist4TogetherAreRefused() {
        ConfigError e = onlyError("""
                {"denylist4": ["192.0.2.0/24"],
                 "blacklist4": ["198.51.100.0/24"]}
                """);
        assertThat(e.path()).isEqualTo("blacklist4");
        assertThat(e.line()).isEqualTo(2);
        assertThat(e.message()).contains("\"blacklist4\"").contains("\"denylist4\"");
    }

    @Test
    void pool6NullAndRfc6791PrefixesAreTyped() {
        Config c = ok("""
                {"global": {"pool6": null, "rfc6791v6-prefix": "2001:db8:ffff::/64",
                            "rfc6791v4-prefix": "198.51.100.0/24"}}
                """);
        assertThat(c.global().pool6()).isNull();
        assertThat(c.global().rfc6791v6Prefix()).isEqualTo(Prefix6.parse("2001:db8:ffff::/64"));
        assertThat(c.global().rfc6791v4Prefix()).isEqualTo(Prefix4.parse("198.51.100.0/24"));
    }

    @Test
    void plateausAreSortedDescendingWithoutZerosOrDuplicates() {
        Config c = ok("""
                {"global": {"mtu-plateaus": [1280, 0, 68, 65535, 1280, 9000]}}
                """);
        assertThat(c.global().mtuPlateaus()).containsExactly(65535, 9000, 1280, 68);
    }

    @Test
    void everyHairpinModeNameIsAccepted() {
        for (HairpinMode m : HairpinMode.values())
            assertThat(ok("{\"global\": {\"eam-hairpin-mode\": \"" + m.jsonName() + "\"}}").global().eamHairpinMode())
                    .isEqualTo(m);
    }

    @Test
    void frameworkIptablesIsAccepted() {
        assertThat(ok("{\"framework\": \"iptables\"}").framework()).isEqualTo("iptables");
    }

    // ------------------------------------------------------------------------------------------ errors

    @Test
    void badPool6NamesKeyValueAndPosition() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigParser.parse("""
                {
                  "instance": "default",
                  "global": {
                    "pool6": "2001:db8::/33"
                  }
                }
                """, "siit.json"));
        assertThat(e.errors()).containsExactly(new ConfigError("global.pool6", 4, 14,
                "\"2001:db8::/33\" is not a valid RFC 6052 prefix: length must be 32, 40, 48, 56, 64 or 96"));
        assertThat(e.getMessage()).isEqualTo("siit.json:4:14: global.pool6: \"2001:db8::/33\" is not a valid RFC 6052"
                + " prefix: length must be 32, 40, 48, 56, 64 or 96");
    }

    @Test
    void forceAcceptsASlash96Pool6WithANonZeroUOctet() throws ConfigException {
        String json = "{\"global\": {\"pool6\": \"2001:db8:8011:fda4:4444::/96\"}}";
        assertThat(onlyError(json).message()).contains("u-octet").contains("--force");
        Config c = ConfigParser.parse(json, "island.json", true);
        assertThat(c.global().pool6().prefix()).isEqualTo(ferry.addr.Prefix6.parse("2001:db8:8011:fda4:4444::/96"));
    }

    @Test
    void pool6WithNonZeroUOctetOrHostBitsIsRefused() {
        assertThat(onlyError("{\"global\": {\"pool6\": \"2001:db8:0:0:100::/96\"}}").message())
                .contains("\"2001:db8:0:0:100::/96\"").contains("u-octet");
        assertThat(onlyError("{\"global\": {\"pool6\": \"2001:db8::1/96\"}}").message())
                .contains("\"2001:db8::1/96\"").contains("host bits");
        assertThat(onlyError("{\"global\": {\"pool6\": \"64:ff9b::/128\"}}").message())
                .contains("\"64:ff9b::/128\"").contains("length must be");
        assertThat(onlyError("{\"global\": {\"pool6\": \"not-a-prefix\"}}").message())
                .contains("\"not-a-prefix\"");
    }

    @Test
    void unknownKeyNamesTheKeyAndItsPosition() {
        ConfigError e = onlyError("""
                {
                  "global": { "pool7": "64:ff9b::/96" }
                }
                """);
        assertThat(e.path()).isEqualTo("global.pool7");
        assertThat(e.line()).isEqualTo(2);
        assertThat(e.column()).isEqualTo(15);
        assertThat(e.message()).contains("unknown key \"pool7\"").contains("pool6");
    }

    @Test
    void unknownTopLevelKeyIsRefused() {
        ConfigError e = onlyError("{\"instanse\": \"x\"}");
        assertThat(e.path()).isEqualTo("instanse");
        assertThat(e.message()).contains("unknown key \"instanse\"").contains("instance");
    }

    @Test
    void nat64KeysAreRefusedWithAHint() {
        List<ConfigError> errs = errors("""
                {"global": {"udp-timeout": "1:00:00"},
                 "pool4": []}
                """);
        assertThat(errs).hasSize(2);
        assertThat(errs.get(0).path()).isEqualTo("global.udp-timeout");
        assertThat(errs.get(0).message()).contains("stateful NAT64");
        assertThat(errs.get(1).path()).isEqualTo("pool4");
        assertThat(errs.get(1).message()).contains("NAT64").contains("--mode nat64");
    }

    @Test
    void wrongTypesNameTheValue() {
        List<ConfigError> errs = errors("""
                {"instance": 7,
                 "global": {"manually-enabled": "yes", "tos": "254", "mtu-plateaus": "1500,1280",
                            "lowest-ipv6-mtu": true, "rfc6791v6-prefix": 5},
                 "eamt": {},
                 "denylist4": [1]}
                """);
        assertThat(errs).extracting(ConfigError::path).containsExactly("instance", "global.manually-enabled",
                "global.tos", "global.mtu-plateaus", "global.lowest-ipv6-mtu", "global.rfc6791v6-prefix", "eamt",
                "denylist4[0]");
        assertThat(errs.get(0).message()).isEqualTo("expected a string, got 7");
        assertThat(errs.get(1).message()).isEqualTo("expected true or false, got \"yes\"");
        assertThat(errs.get(2).message()).isEqualTo("expected an integer 0..255, got \"254\"");
        assertThat(errs.get(3).message()).isEqualTo("expected an array, got \"1500,1280\"");
        assertThat(errs.get(4).message()).isEqualTo("expected an integer 1280..65535, got true");
        assertThat(errs.get(5).message()).contains("got 5");
        assertThat(errs.get(6).message()).isEqualTo("expected an array, got an object");
        assertThat(errs.get(7).message()).contains("got 1");
    }

    @Test
    void outOfRangeNumbersAreRefused() {
        List<ConfigError> errs = errors("""
                {"global": {"tos": 256, "lowest-ipv6-mtu": 1279, "mtu-plateaus": [1500, 65536, -1, 1.5]},
                 "ferry": {"ipv4-mtu": 67, "ipv6-mtu": 70000}}
                """);
        assertThat(errs).extracting(ConfigError::path).containsExactly("global.tos", "global.lowest-ipv6-mtu",
                "global.mtu-plateaus[1]", "global.mtu-plateaus[2]", "global.mtu-plateaus[3]", "ferry.ipv4-mtu",
                "ferry.ipv6-mtu");
        assertThat(errs.get(0).message()).isEqualTo("256 is out of range 0..255");
        assertThat(errs.get(1).message()).isEqualTo("1279 is out of range 1280..65535");
        assertThat(errs.get(2).message()).isEqualTo("65536 is out of range 0..65535");
        assertThat(errs.get(3).message()).isEqualTo("-1 is out of range 0..65535");
        assertThat(errs.get(4).message()).isEqualTo("1.5 is not an integer (expected 0..65535)");
        assertThat(errs.get(5).message()).isEqualTo("67 is out of range 68..65535");
        assertThat(errs.get(6).message()).isEqualTo("70000 is out of range 1280..65535");
    }

    @Test
    void hugeNumbersAreOutOfRangeNotCrashes() {
        assertThat(onlyError("{\"global\": {\"tos\": 99999999999999999999999999}}").message())
                .isEqualTo("99999999999999999999999999 is out of range 0..255");
    }

    @Test
    void duplicateKeyIsReportedAtTheSecondOccurrence() {
        ConfigError e = onlyError("""
                {"global": {"tos": 1,
                            "tos": 2}}
                """);
        assertThat(e.path()).isEqualTo("global.tos");
        assertThat(e.line()).isEqualTo(2);
        assertThat(e.column()).isEqualTo(13);
        assertThat(e.message()).isEqualTo("duplicate key \"tos\" (first given at line 1)");
    }

    @Test
    void invalidJsonReportsItsPosition() {
        ConfigError e = onlyError("""
                {
                  "global": {
                    "pool6": "64:ff9b::/96",
                  }
                }
                """);
        assertThat(e.path()).isEmpty();
        assertThat(e.line()).isEqualTo(4);
        assertThat(e.message()).startsWith("invalid JSON: ");
    }

    @Test
    void truncatedJsonAndTrailingGarbageAreSyntaxErrors() {
        assertThat(onlyError("{\"global\": {").message()).startsWith("invalid JSON");
        ConfigError trailing = onlyError("{}\n{}");
        assertThat(trailing.line()).isEqualTo(2);
        assertThat(trailing.message()).contains("after the end");
        assertThat(onlyError("").message()).contains("empty");
        assertThat(onlyError("   ").message()).contains("empty");
    }

    @Test
    void deepNestingIsAnErrorNotAStackOverflow() {
        ConfigError e = onlyError("{\"comment\": " + "[".repeat(5000) + "]".repeat(5000) + "}");
        assertThat(e.message()).startsWith("invalid JSON");
    }

    @Test
    void rootMustBeAnObject() {
        ConfigError e = onlyError("[1, 2]");
        assertThat(e.path()).isEmpty();
        assertThat(e.message()).isEqualTo("expected an object, got an array");
    }

    @Test
    void badEamEntriesNameTheEntry() {
        List<ConfigError> errs = errors("""
                {"eamt": [
                  {"ipv6 prefix": "2001:db8::/120", "ipv4 prefix": "192.0.2.0/24"},
                  {"ipv6 prefix": "2001:db8:1::/120"},
                  {"ipv6 prefix": "2001:db8:2::/120", "ipv4 prefix": "192.0.2.300/24"},
                  {"ipv6 prefix": "2001:db8:3::/124", "ipv4 prefix": "198.51.100.0/24"},
                  {"ipv6 prefix": "2001:db8:4::/120", "ipv4 prefix": "203.0.113.0/24", "ipv4 prefixes": 1},
                  "2001:db8:5::/120"
                ]}
                """);
        assertThat(errs).extracting(ConfigError::path).containsExactly("eamt[1]", "eamt[2].\"ipv4 prefix\"",
                "eamt[3]", "eamt[4].\"ipv4 prefixes\"", "eamt[5]");
        assertThat(errs.get(0).message()).isEqualTo("the EAM entry has no \"ipv4 prefix\"");
        assertThat(errs.get(0).line()).isEqualTo(3);
        assertThat(errs.get(0).column()).isEqualTo(3);
        assertThat(errs.get(1).message()).contains("\"192.0.2.300/24\"");
        assertThat(errs.get(1).line()).isEqualTo(4);
        assertThat(errs.get(1).column()).isEqualTo(54);
        assertThat(errs.get(2).message()).contains("2001:db8:3::/124").contains("198.51.100.0/24")
                .contains("IPv4 suffix");
        assertThat(errs.get(3).message()).contains("unknown key \"ipv4 prefixes\"");
        assertThat(errs.get(4).message()).isEqualTo("expected an object, got \"2001:db8:5::/120\"");
    }

    @Test
    void overlappingEamEntriesAreRefusedUnlessForced() throws ConfigException {
        String json = """
                {"eamt": [
                  {"ipv6 prefix": "2001:db8:aaaa::/120", "ipv4 prefix": "192.0.2.0/24"},
                  {"ipv6 prefix": "2001:db8:bbbb::/125", "ipv4 prefix": "192.0.2.8/29"}
                ]}
                """;
        ConfigError e = onlyError(json);
        assertThat(e.path()).isEqualTo("eamt[1]");
        assertThat(e.line()).isEqualTo(3);
        assertThat(e.message()).contains("192.0.2.8/29").contains("192.0.2.0/24").contains("--force");

        Config forced = ConfigParser.parse(json, "test.json", true);
        assertThat(forced.eamt()).hasSize(2);
        assertThat(forced.eamtTable().entry(forced.eamtTable().find4(Ipv4.parse("192.0.2.9"))).v4())
                .isEqualTo(Prefix4.parse("192.0.2.8/29"));
    }

    @Test
    void identicalEamPrefixesAreRefusedEvenWhenForced() {
        String json = """
                {"eamt": [
                  {"ipv6 prefix": "2001:db8::1", "ipv4 prefix": "198.51.100.8"},
                  {"ipv6 prefix": "2001:db8::1", "ipv4 prefix": "198.51.100.9"}
                ]}
                """;
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigParser.parse(json, "t", true));
        assertThat(e.errors()).hasSize(1);
        assertThat(e.errors().get(0).path()).isEqualTo("eamt[1]");
        assertThat(e.errors().get(0).message()).contains("same IPv6 prefix 2001:db8::1/128");
    }

    @Test
    void subnetScopedDenylistAndRfc6791v4AreRefusedUnlessForced() throws ConfigException {
        String json = """
                {"global": {"rfc6791v4-prefix": "169.254.0.0/24"},
                 "denylist4": ["192.0.2.0/24", "127.0.0.0/8", "0.0.0.0/0"]}
                """;
        List<ConfigError> errs = errors(json);
        assertThat(errs).extracting(ConfigError::path)
                .containsExactly("global.rfc6791v4-prefix", "denylist4[1]", "denylist4[2]");
        assertThat(errs.get(0).message()).contains("\"169.254.0.0/24\"").contains("169.254.0.0/16");
        assertThat(errs.get(1).message()).contains("127.0.0.0/8");
        Config forced = ConfigParser.parse(json, "t", true);
        assertThat(forced.denylist4()).hasSize(3);
        assertThat(forced.global().rfc6791v4Prefix()).isEqualTo(Prefix4.parse("169.254.0.0/24"));
    }

    @Test
    void badValuesOfEnumsNameTheValue() {
        List<ConfigError> errs = errors("""
                {"framework": "nftables", "instance": "this-name-is-too-long",
                 "global": {"eam-hairpin-mode": 2},
                 "ferry": {"mode": "nat46"}}
                """);
        assertThat(errs).extracting(ConfigError::path)
                .containsExactly("framework", "instance", "global.eam-hairpin-mode", "ferry.mode");
        assertThat(errs.get(0).message()).contains("\"nftables\"").contains("netfilter");
        assertThat(errs.get(1).message()).contains("\"this-name-is-too-long\"").contains("15");
        assertThat(errs.get(2).message()).contains("2 is not a hairpinning mode").contains("not the number");
        assertThat(errs.get(3).message()).contains("\"nat46\" is not a mode");
    }

    @Test
    void clatModeNeedsAClatObject() {
        assertThat(onlyError("{\"ferry\": {\"mode\": \"clat\"}}").message())
                .startsWith("mode \"clat\" needs a \"clat\" object"); // clat branch: the mode exists now
    }

    @Test
    void ferryAddressesMustBeSingleAddresses() {
        List<ConfigError> errs = errors("""
                {"ferry": {"ipv4-address": "198.51.100.0/24", "ipv6-address": "2001:db8::/64", "wkp-strict": 0}}
                """);
        assertThat(errs).extracting(ConfigError::path)
                .containsExactly("ferry.ipv4-address", "ferry.ipv6-address", "ferry.wkp-strict");
        assertThat(errs.get(0).message()).contains("\"198.51.100.0/24\" is a prefix");
        assertThat(errs.get(1).message()).contains("\"2001:db8::/64\" is a prefix");
        assertThat(ok("{\"ferry\": {\"wkp-strict\": false}}").ferry().wkpStrict()).isFalse();
    }

    @Test
    void lowestIpv6MtuLargerThanTheIpv6SideIsRefused() {
        ConfigError e = onlyError("""
                {"global": {"lowest-ipv6-mtu": 1500}, "ferry": {"ipv6-mtu": 1400}}
                """);
        assertThat(e.path()).isEqualTo("global.lowest-ipv6-mtu");
        assertThat(e.message()).contains("1500").contains("1400");
    }

    @Test
    void severalErrorsInOneFileAreAllReportedInDocumentOrder() {
        ConfigException ex = catchThrowableOfType(ConfigException.class, () -> ConfigParser.parse("""
                {
                  "global": {
                    "pool6": "2001:db8::/33",
                    "tos": 300,
                    "bogus": true
                  },
                  "eamt": [ { "ipv6 prefix": "2001:db8::/120", "ipv4 prefix": "192.0.2.0/33" } ],
                  "denylist4": [ "203.0.113.0/28", "203.0.113.1/28" ],
                  "ferry": { "mode": "clat", "ipv4-mtu": "1500" }
                }
                """, "many.json"));
        assertThat(ex.errors()).extracting(ConfigError::path).containsExactly("global.pool6", "global.tos",
                "global.bogus", "eamt[0].\"ipv4 prefix\"", "denylist4[1]", "ferry.mode", "ferry.ipv4-mtu");
        assertThat(ex.errors()).extracting(ConfigError::line).containsExactly(3, 4, 5, 7, 8, 9, 9);
        String[] lines = ex.getMessage().split("\n");
        assertThat(lines).hasSize(7);
        assertThat(lines[0]).startsWith("many.json:3:14: global.pool6: \"2001:db8::/33\"");
        assertThat(lines[4]).startsWith("many.json:8:36: denylist4[1]: \"203.0.113.1/28\"").contains("host bits");
    }

    // ------------------------------------------------------------------------------------------ dns64

    @Test
    void dns64DefaultsFollowPool6() {
        Config c = ok("""
                {"global": {"pool6": "2001:db8:100::/40"}, "dns64": {"upstream": ["192.0.2.53"]}}
                """);
        Dns64Section d = c.dns64();
        assertThat(d.listen()).containsExactly(sock("127.0.0.1", 53), sock("::1", 53));
        assertThat(d.upstream()).containsExactly(sock("192.0.2.53", 53));
        assertThat(d.prefixes()).containsExactly(new Dns64Prefix(Rfc6052.parse("2001:db8:100::/40"), List.of()));
        assertThat(d.exclude()).containsExactly(Prefix6.parse("::ffff:0:0/96"));
        assertThat(d.parallelQueries()).isFalse();
        assertThat(d.cacheSize()).isEqualTo(16 << 20); // bytes
        assertThat(d.timeoutMs()).isEqualTo(2000);
        assertThat(d.retries()).isEqualTo(2);
        assertThat(d.maxInflight()).isEqualTo(1024);
        assertThat(d.prefetchTrigger()).isEqualTo(2); // BIND's prefetch 2 9
        assertThat(d.prefetchMinTtl()).isEqualTo(9);
        assertThat(d.warmUp()).isEqualTo(20_000);

        Config wkp = ok("{\"dns64\": {\"upstream\": [\"[2001:db8::53]\"]}}");
        assertThat(wkp.dns64().prefixes()).containsExactly(new Dns64Prefix(Rfc6052.parse("64:ff9b::/96"), List.of()));
        assertThat(wkp.dns64().upstream()).containsExactly(sock("2001:db8::53", 53));
    }

    @Test
    void dns64SectionWithEveryKey() {
        Config c = ok("""
                {"dns64": {
                  "comment": "all keys",
                  "listen": ["[::1]:5353", "127.0.0.1:5353"],
                  "upstream": ["192.0.2.53:53", "[2001:db8::53]:5300", "2001:db8::54"],
                  "prefixes": ["64:ff9b::/96",
                               {"prefix": "64:ff9b:1::/48", "ipv4": ["192.0.2.0/24", "198.51.100.0/24"]}],
                  "exclude": ["::ffff:0:0/96", "2001:db8:dead::/48"],
                  "parallel-queries": true, "cache-size": 0, "timeout-ms": 500, "retries": 0, "max-inflight": 16,
                  "prefetch": "3:20", "warm-up": 500
                }}
                """);
        Dns64Section d = c.dns64();
        assertThat(d.listen()).containsExactly(sock("::1", 5353), sock("127.0.0.1", 5353));
        assertThat(d.upstream()).containsExactly(sock("192.0.2.53", 53), sock("2001:db8::53", 5300),
                sock("2001:db8::54", 53));
        assertThat(d.prefixes()).containsExactly(
                new Dns64Prefix(Rfc6052.parse("64:ff9b::/96"), List.of()),
                new Dns64Prefix(Rfc6052.parse("64:ff9b:1::/48"),
                        List.of(Prefix4.parse("192.0.2.0/24"), Prefix4.parse("198.51.100.0/24"))));
        assertThat(d.exclude()).containsExactly(Prefix6.parse("::ffff:0:0/96"), Prefix6.parse("2001:db8:dead::/48"));
        assertThat(d.parallelQueries()).isTrue();
        assertThat(d.cacheSize()).isZero();
        assertThat(d.timeoutMs()).isEqualTo(500);
        assertThat(d.retries()).isZero();
        assertThat(d.maxInflight()).isEqualTo(16);
        assertThat(d.prefetchTrigger()).isEqualTo(3);
        assertThat(d.prefetchMinTtl()).isEqualTo(20);
        assertThat(d.warmUp()).isEqualTo(500);
    }

    @Test
    void dns64WarmUpOffAndItsErrorsNameTheValue() {
        assertThat(ok("{\"dns64\": {\"upstream\": [\"192.0.2.53\"], \"warm-up\": 0}}").dns64().warmUp()).isZero();
        for (String bad : new String[] {"-1", "1000001", "\"lots\"", "true"}) {
            ConfigError e = onlyError("{\"dns64\": {\"upstream\": [\"192.0.2.53\"], \"warm-up\": " + bad + "}}");
            assertThat(e.path()).as(bad).isEqualTo("dns64.warm-up");
            assertThat(e.message()).as(bad).isNotBlank();
        }
    }

    @Test
    void dns64PrefetchOffAndItsErrorsNameTheValue() {
        for (String off : new String[] {"\"off\"", "false", "\"0\""}) {
            Dns64Section d = ok("{\"dns64\": {\"upstream\": [\"192.0.2.53\"], \"prefetch\": " + off + "}}").dns64();
            assertThat(d.prefetchTrigger()).as(off).isZero();
        }
        for (String bad : new String[] {"\"2\"", "\"9:2\"", "\"soon\"", "true", "7"}) {
            ConfigError e = onlyError("{\"dns64\": {\"upstream\": [\"192.0.2.53\"], \"prefetch\": " + bad + "}}");
            assertThat(e.path()).as(bad).isEqualTo("dns64.prefetch");
            assertThat(e.message()).as(bad).doesNotStartWith("dns64.prefetch").satisfiesAnyOf(
                    m -> assertThat(m).contains(bad.replace("\"", "")), m -> assertThat(m).contains("TRIGGER:ELIGIBILITY"));
        }
    }

    @Test
    void dns64ErrorsNameTheValue() {
        List<ConfigError> errs = errors("""
                {"dns64": {
                  "listen": ["127.0.0.1:99999", "[::1", "localhost:53"],
                  "prefixes": ["2001:db8::/33", {"ipv4": ["192.0.2.0/24"]}, 5],
                  "cache-size": -1
                }}
                """);
        assertThat(errs).extracting(ConfigError::path).containsExactly("dns64", "dns64.listen[0]",
                "dns64.listen[1]", "dns64.listen[2]", "dns64.prefixes[0]", "dns64.prefixes[1]", "dns64.prefixes[2]",
                "dns64.cache-size");
        assertThat(errs.get(0).message()).contains("upstream");
        assertThat(errs.get(1).message()).contains("\"127.0.0.1:99999\"").contains("port");
        assertThat(errs.get(2).message()).contains("\"[::1\"");
        assertThat(errs.get(3).message()).contains("\"localhost:53\"").contains("not resolved");
        assertThat(errs.get(4).message()).contains("\"2001:db8::/33\" is not a valid RFC 6052 prefix");
        assertThat(errs.get(5).message()).contains("no \"prefix\"");
        assertThat(errs.get(7).message()).isEqualTo("-1 is out of range 0..2147483647");
    }

    @Test
    void dns64UpstreamMustNotBeEmpty() {
        ConfigError e = onlyError("{\"dns64\": {\"upstream\": []}}");
        assertThat(e.path()).isEqualTo("dns64.upstream");
        assertThat(e.message()).contains("at least one");
    }

    // ------------------------------------------------------------------------------------------ files

    @Test
    void parsesAFileAndNamesItInErrors(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("siit.json");
        Files.writeString(good, JOOL_SIIT);
        assertThat(ConfigParser.parse(good).eamt()).hasSize(3);

        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"global\": {\"tos\": -5}}");
        assertThatThrownBy(() -> ConfigParser.parse(bad))
                .isInstanceOf(ConfigException.class)
                .hasMessage(bad + ":1:20: global.tos: -5 is out of range 0..255");
    }

    @Test
    void missingOrNonUtf8FilesAreErrorsNotCrashes(@TempDir Path dir) throws Exception {
        ConfigException missing = catchThrowableOfType(ConfigException.class,
                () -> ConfigParser.parse(dir.resolve("nope.json")));
        assertThat(missing.errors()).hasSize(1);
        assertThat(missing.errors().get(0).message()).contains("cannot read");

        Path latin1 = dir.resolve("latin1.json");
        Files.write(latin1, "{\"instance\": \"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1));
        ConfigException enc = catchThrowableOfType(ConfigException.class, () -> ConfigParser.parse(latin1));
        assertThat(enc.errors().get(0).message()).contains("UTF-8");
    }

    /** The expected socket address: the JDK's own literal parser (no lookup), independent of ferry's. */
    private static InetSocketAddress sock(String ip, int port) {
        return new InetSocketAddress(java.net.InetAddress.ofLiteral(ip), port);
    }
}
