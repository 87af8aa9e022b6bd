package ferry.clat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ferry.testkit.NetnsHarness;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * 464XLAT end to end, as root, in four namespaces built here and always removed:
 *
 * <pre>
 *  ferry-X-dev          ferry-X-rtr (island router)                 ferry-X-plat (PLAT)              ferry-X-srv
 *  192.0.2.10 ── veth ── 192.0.2.1  [clat0: ferry clat]  2001:db8:1::2 ── veth ── 2001:db8:1::1 [ferry0: ferry run]
 *  (IPv4 only)           clat0 192.0.0.1/29, 0/0 mtu 1472                         198.51.100.1 ── veth ── 198.51.100.7
 *                        2001:db8:1:1::/64, 2001:db8:1:2::/64 -> clat0                                  (IPv4 only)
 * </pre>
 *
 * The PLAT is first ferry's own SIIT ({@code ferry run}, mode siit), later the stateful NAT64 (mode nat64, pool4
 * 203.0.113.1). As SIIT it is a stateless PLAT:
 * pool6 = the PLAT prefix, and EAMs give the CLAT's IPv6 addresses public IPv4 addresses (2001:db8:1:2::c000:200/120
 * = 203.0.113.0/24 for the dedicated prefix, 2001:db8:1:1::c1a7 = 192.0.2.200 for the single address) — a
 * stateless PLAT, which is all a CLAT can tell apart anyway. Its lowest-ipv6-mtu is 1500, so it does not fragment
 * the server's DF=0 echo replies (a fragmented ICMPv6 message cannot be translated statelessly, RFC 7915 §1.2, and
 * the CLAT would drop it with drop_64_fragmented_icmp; a stateful NAT64 reassembles first). The CLAT's addresses are <i>routed</i> to the island
 * router by the PLAT side (as a DHCPv6-PD delegation would be), so no proxy NDP is needed.
 *
 * Order: dedicated-prefix mode with nothing configured (64:ff9b::/96 fallback): ping, HTTP, UDP, the IPv4 route MTU,
 * status; then the PLAT moves to 2001:db8:64::/96 and announces it in a Router Advertisement with PREF64: the CLAT
 * switches without a restart; then single-address mode with the island NAT44'd onto 192.0.0.1 by nftables (tests
 * 1-6, SIIT as the PLAT). Test 7 is the matrix, with the stateful NAT64 as the PLAT: every prefix source
 * (well-known with nothing on the network, PREF64 in an RA, RFC 7050 from {@code ferry dns64}) in both source-mapping
 * modes, each with ping, TCP and UDP. Then proxy NDP, Packet Too Big and vnet headers, through the NAT64.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ClatEndToEndTest extends NetnsHarness {
    static final String SERVER = "198.51.100.7";
    final String prefix = newPrefix(5);
    final String nsDev = prefix + "-dev", nsRtr = prefix + "-rtr", nsPlat = prefix + "-plat", nsSrv = prefix + "-srv";
    Path dir;
    Path platConfig;
    Child plat, clat;

    // ------------------------------------------------------------------------------------------------- setup

    @BeforeAll
    void setUp() throws Exception {
        assumeRootWith("ClatEndToEndTest", "ip", "ping", "curl", "python3");
        dir = tempDir("ferry-clat-e2e");
        addNamespaces(nsDev, nsRtr, nsPlat, nsSrv);
        veth(nsDev, "d0", nsRtr, "r0");
        veth(nsRtr, "r1", nsPlat, "p0");
        veth(nsPlat, "p1", nsSrv, "s0");
        for (String ns : List.of(nsDev, nsRtr, nsPlat, nsSrv)) {
            in(ns, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0");
            in(ns, "ip", "link", "set", "lo", "up");
        }
        for (String[] l : new String[][] {{nsDev, "d0"}, {nsRtr, "r0"}, {nsRtr, "r1"}, {nsPlat, "p0"}, {nsPlat, "p1"},
                {nsSrv, "s0"}}) {
            in(l[0], "ip", "link", "set", "dev", l[1], "up");
        }
        in(nsDev, "ip", "addr", "add", "192.0.2.10/24", "dev", "d0");
        in(nsDev, "ip", "route", "add", "default", "via", "192.0.2.1");
        in(nsRtr, "ip", "addr", "add", "192.0.2.1/24", "dev", "r0");
        in(nsRtr, "ip", "-6", "addr", "add", "2001:db8:1::2/64", "dev", "r1", "nodad");
        in(nsRtr, "ip", "-6", "route", "add", "default", "via", "2001:db8:1::1");
        in(nsRtr, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1");
        in(nsPlat, "ip", "-6", "addr", "add", "2001:db8:1::1/64", "dev", "p0", "nodad");
        in(nsPlat, "ip", "addr", "add", "198.51.100.1/24", "dev", "p1");
        in(nsPlat, "ip", "-6", "route", "add", "2001:db8:1:1::/64", "via", "2001:db8:1::2");
        in(nsPlat, "ip", "-6", "route", "add", "2001:db8:1:2::/64", "via", "2001:db8:1::2");
        in(nsPlat, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1");
        in(nsSrv, "ip", "addr", "add", SERVER + "/24", "dev", "s0");
        in(nsSrv, "ip", "route", "add", "203.0.113.0/24", "via", "198.51.100.1");
        in(nsSrv, "ip", "route", "add", "192.0.2.200/32", "via", "198.51.100.1");

        platConfig = dir.resolve("plat.json");
        Files.writeString(platConfig, platConfig("64:ff9b::/96"));
        plat = Child.start(this, nsPlat, "event=ready instances=", "run", "--config", platConfig.toString());
        clat = startClat("""
                {"ferry": {"mode": "clat"},
                 "clat": {"dedicated-prefix": "2001:db8:1:2::/64", "island": ["192.0.2.0/24"], "uplink": "r1",
                          "rfc7050": false, "state-file": "%s"},
                 "tun": {"device": "clat0", "mtu": 1500, "queues": 1, "addresses": ["192.0.0.1/29"],
                         "routes": ["0.0.0.0/0", "2001:db8:1:2::/64"]}}""".formatted(dir.resolve("clat.json")));
    }

    String platConfig(String pool6) {
        return """
                {"global": {"pool6": "%s", "lowest-ipv6-mtu": 1500},
                 "eamt": [{"ipv6 prefix": "2001:db8:1:2::c000:200/120", "ipv4 prefix": "203.0.113.0/24"},
                          {"ipv6 prefix": "2001:db8:1:1::c1a7/128", "ipv4 prefix": "192.0.2.200/32"}],
                 "ferry": {"ipv4-address": "203.0.113.254", "ipv6-address": "2001:db8:ff::1"},
                 "tun": {"device": "ferry0", "mtu": 1500, "queues": 1,
                         "routes": ["%s", "203.0.113.0/24", "192.0.2.200/32"]}}""".formatted(pool6, pool6);
    }

    Child startClat(String json) throws Exception {
        Path c = dir.resolve("clat-config.json");
        Files.writeString(c, json);
        return Child.start(this, nsRtr, "event=ready instances=", "clat", "--config", c.toString());
    }

    // (NetnsHarness removes the namespaces, the processes started and the folder afterwards, also after a failure)

    // ------------------------------------------------------------------------------------------------- tests

    @Test
    @Order(1)
    void dedicatedModeWithNothingConfiguredPingsTheIpv4ServerThroughTheWellKnownPrefix() throws Exception {
        assertThat(clat.stderr()).contains("PLAT prefix 64:ff9b::/96 (fallback-wkp)");
        Result r = in(nsDev, 30, "ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", SERVER);
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(r.out()).contains("3 received").contains("from " + SERVER);
    }

    @Test
    @Order(2)
    void dedicatedModeCarriesTcpAndUdp() throws Exception {
        http();
        udp();
    }

    @Test
    @Order(3)
    void theIpv4RouteIntoTheClatHasTheIpv6MtuMinus28() throws Exception {
        Result route = in(nsRtr, 10, "ip", "-4", "route", "show", "default");
        assertThat(route.out()).contains("dev clat0").contains("mtu 1472");
        Result big = in(nsDev, 30, "ping", "-n", "-c", "1", "-W", "2", "-M", "do", "-s", "1460", SERVER);
        assertThat(big.out()).contains("Frag needed and DF set (mtu = 1472)");
        Result fits = in(nsDev, 30, "ping", "-n", "-c", "1", "-W", "2", "-M", "do", "-s", "1444", SERVER);
        assertThat(fits.exit()).as(fits.out()).isZero();
    }

    @Test
    @Order(4)
    void statusShowsTheFallbackPrefixTheMappingAndCounters() throws Exception {
        Result s = statusShowing("PLAT prefix:   64:ff9b::/96  from fallback-wkp", "xlat_46_ok +\\d+", "xlat_64_ok +\\d+");
        assertThat(s.exit()).as(s.out()).isZero();
        assertThat(s.out()).contains("ferry clat: running", "device clat0")
                .contains("PLAT prefix:   64:ff9b::/96  from fallback-wkp")
                .contains("mapping:     192.0.2.0/24 <-> 2001:db8:1:2::c000:200/120")
                .contains("discovery:     PREF64 on r1")
                .containsPattern("xlat_46_ok +\\d+").containsPattern("xlat_64_ok +\\d+");
    }

    @Test
    @Order(5)
    void aPref64RouterAdvertisementMovesTheClatToANetworkSpecificPrefixWithoutARestart() throws Exception {
        // the PLAT moves to 2001:db8:64::/96 (SIGHUP reload; the route into its device is added by hand)
        Files.writeString(platConfig, platConfig("2001:db8:64::/96"));
        in(nsPlat, "ip", "-6", "route", "add", "2001:db8:64::/96", "dev", "ferry0");
        plat.signal("HUP");
        plat.awaitStderr("event=config_reloaded", 10);
        Result before = in(nsDev, 30, "ping", "-n", "-c", "1", "-W", "1", SERVER);
        assertThat(before.exit()).as("the CLAT still uses 64:ff9b::/96, which the PLAT dropped").isNotZero();

        sendRa("2001:db8:64::/96", 600);
        clat.awaitStderr("PLAT prefix 64:ff9b::/96 (fallback-wkp) -> 2001:db8:64::/96 (pref64-ra)", 10);
        Result after = in(nsDev, 30, "ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", SERVER);
        assertThat(after.exit()).as(after.out()).isZero();
        http();
        assertThat(statusShowing("2001:db8:64::/96  from pref64-ra", "clat_pref64_ok +1", "clat_prefix_changed +1").out())
                .containsPattern("PLAT prefix:   2001:db8:64::/96  from pref64-ra  \\(\\d+ s left\\)")
                .containsPattern("clat_pref64_ok +1").containsPattern("clat_prefix_changed +1");

        // lifetime 0 withdraws it: back to the well-known prefix
        sendRa("2001:db8:64::/96", 0);
        clat.awaitStderr("2001:db8:64::/96 (pref64-ra) -> 64:ff9b::/96 (fallback-wkp)", 10);
    }

    @Test
    @Order(6)
    void singleAddressModeWithTheIslandNattedOnto192_0_0_1() throws Exception {
        assumeTrue(hasNft(), "nft is not installed");
        clat.signal("TERM");
        assertThat(clat.process.waitFor(15, TimeUnit.SECONDS)).isTrue();
        assertThat(clat.process.exitValue()).as(clat.stderr()).isZero();
        assertThat(clat.stderr()).contains("device=clat0 removed=true");
        assertThat(dir.resolve("clat.json")).as("status file removed").doesNotExist();

        // the island is masqueraded onto clat0's address 192.0.0.1 (RFC 7335) on its way into the CLAT
        Path rules = dir.resolve("clat.nft");
        Files.writeString(rules, NFT_RULES);
        in(nsRtr, "nft", "-f", rules.toString());
        clat = startClat("""
                {"ferry": {"mode": "clat"},
                 "clat": {"ipv6-address": "2001:db8:1:1::c1a7", "plat-prefix": "2001:db8:64::/96",
                          "state-file": "%s"},
                 "tun": {"device": "clat0", "mtu": 1500, "queues": 1, "addresses": ["192.0.0.1/29"],
                         "routes": ["0.0.0.0/0", "2001:db8:1:1::c1a7/128"]}}""".formatted(dir.resolve("clat.json")));
        assertThat(clat.stderr()).contains("2001:db8:64::/96 (configured)").contains("discovery=off");
        Result r = in(nsDev, 30, "ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", SERVER);
        assertThat(r.exit()).as(r.out()).isZero();
        http();
        udp();
        // the router's own IPv4 traffic leaves from 192.0.0.1 without NAT
        Result own = in(nsRtr, 30, "ping", "-n", "-c", "1", "-W", "2", "-I", "192.0.0.1", SERVER);
        assertThat(own.exit()).as(own.out()).isZero();
        assertThat(statusShowing("from configured  \\(no expiry\\)", "192\\.0\\.0\\.1/32 <-> ").out())
                .contains("from configured  (no expiry)")
                .contains("mapping:     192.0.0.1/32 <-> 2001:db8:1:1::c1a7/128");
    }

    /** Where the CLAT gets its PLAT prefix from, and what the PLAT (the stateful NAT64) uses as pool6 for it. */
    enum PrefixFrom {
        /** Nothing on the network: the CLAT falls back to 64:ff9b::/96. */
        WELL_KNOWN("64:ff9b::/96", "fallback-wkp"),
        /** A Router Advertisement with a PREF64 option (RFC 8781) for a network-specific /96. */
        PREF64_RA("2001:db8:64::/96", "pref64-ra"),
        /** RFC 7050: the AAAA records of ipv4only.arpa from {@code ferry dns64} next to the PLAT. */
        RFC7050_DNS64("2001:db8:64::/96", "rfc7050-dns");

        final String pool6, source;

        PrefixFrom(String pool6, String source) {
            this.pool6 = pool6;
            this.source = source;
        }
    }

    /** The CLAT's two source-mapping modes; discovery settings are the same in both and in every prefix case. */
    enum Mapping {
        /** Every island address statelessly into 2001:db8:1:2::/64. */
        DEDICATED("\"dedicated-prefix\": \"2001:db8:1:2::/64\", \"island\": [\"192.0.2.0/24\"]", "2001:db8:1:2::/64",
                "mapping:     192.0.2.0/24 <-> 2001:db8:1:2::c000:200/120"),
        /** The island masqueraded by nftables onto 192.0.0.1 (RFC 7335), which maps to the CLAT's /128. */
        SINGLE_ADDRESS("\"ipv6-address\": \"2001:db8:1:1::c1a7\"", "2001:db8:1:1::c1a7/128",
                "mapping:     192.0.0.1/32 <-> 2001:db8:1:1::c1a7/128");

        final String keys, route, statusMapping;

        Mapping(String keys, String route, String statusMapping) {
            this.keys = keys;
            this.route = route;
            this.statusMapping = statusMapping;
        }

        /**
         * No PLAT prefix configured; PREF64 listened for on the uplink and RFC 7050 asked of the network's DNS server
         * 2001:db8:1::1 (what RDNSS/DHCPv6 would give it), so only what the network offers decides the prefix.
         */
        String config(Path stateFile) {
            return """
                    {"ferry": {"mode": "clat"},
                     "clat": {%s, "uplink": "r1", "pref64": true, "rfc7050": true,
                              "resolvers": ["[2001:db8:1::1]:53"], "state-file": "%s"},
                     "tun": {"device": "clat0", "mtu": 1500, "queues": 1, "addresses": ["192.0.0.1/29"],
                             "routes": ["0.0.0.0/0", "%s"]}}""".formatted(keys, stateFile, route);
        }
    }

    static Stream<Arguments> prefixSourcesTimesSourceMappings() {
        List<Arguments> all = new ArrayList<>();
        for (PrefixFrom from : PrefixFrom.values()) {
            for (Mapping mapping : Mapping.values()) all.add(Arguments.of(from, mapping));
        }
        return all.stream(); // WKP cases first, then the two network-specific ones: the PLAT restarts only once more
    }

    /** The PLAT's pool6 while it is the stateful NAT64 (null: it is still the SIIT of tests 1-6). */
    String nat64Pool6;

    /**
     * The matrix: 3 prefix sources x 2 source-mapping modes, each through ferry's stateful NAT64 as the PLAT
     * (pool4 203.0.113.1, which the server must see as the client), each with ping, TCP (curl) and UDP from the
     * IPv4-only device. One topology; between cases the PLAT's pool6 and the CLAT (and nftables, dns64) change.
     */
    @ParameterizedTest(name = "[{index}] prefix from {0}, source mapping {1}: ping, TCP and UDP via the stateful NAT64")
    @MethodSource("prefixSourcesTimesSourceMappings")
    @Order(7)
    void everyPrefixSourceInBothSourceMappingModesCarriesPingTcpAndUdpThroughTheStatefulNat64(PrefixFrom from,
            Mapping mapping) throws Exception {
        if (mapping == Mapping.SINGLE_ADDRESS) assumeTrue(hasNft(), "nft is not installed");
        if (!from.pool6.equals(nat64Pool6)) {
            restartPlat(nat64Config(from.pool6));
            nat64Pool6 = from.pool6;
        }
        stopClat();
        in(nsRtr, 20, "nft", "delete", "table", "ip", "ferry_clat"); // fails harmlessly when there is none
        if (mapping == Mapping.SINGLE_ADDRESS) {
            Path rules = dir.resolve("clat.nft");
            Files.writeString(rules, NFT_RULES);
            in(nsRtr, "nft", "-f", rules.toString());
        }
        // ferry dns64 next to the PLAT answers ipv4only.arpa itself (RFC 7050 §2.2, RFC 8880) under the PLAT prefix;
        // the upstream is never asked for that name. In the other cases nothing listens there: RFC 7050 fails.
        Child dns = from != PrefixFrom.RFC7050_DNS64 ? null : Child.start(this, nsPlat, "ferry dns64: serving on",
                "dns64", "--listen", "[2001:db8:1::1]:53", "--upstream", "[2001:db8:ff::53]:53", "--prefix", from.pool6);
        try {
            clat = startClat(mapping.config(dir.resolve("clat.json")));
            switch (from) {
                case WELL_KNOWN -> assertThat(clat.stderr()).contains("PLAT prefix 64:ff9b::/96 (fallback-wkp)");
                case PREF64_RA -> {
                    sendRa(from.pool6, 1800);
                    clat.awaitStderr("64:ff9b::/96 (fallback-wkp) -> 2001:db8:64::/96 (pref64-ra)", 10);
                }
                case RFC7050_DNS64 -> clat.awaitStderr("64:ff9b::/96 (fallback-wkp) -> 2001:db8:64::/96 (rfc7050-dns)", 15);
            }
            Result r = in(nsDev, 30, "ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", SERVER);
            assertThat(r.exit()).as(r.out()).isZero();
            assertThat(r.out()).contains("3 received").contains("from " + SERVER);
            // the server sees the NAT64's pool4 address: the traffic really crossed the stateful PLAT
            assertThat(http()).as("HTTP server log").contains("203.0.113.1 - -");
            assertThat(udp()).as("UDP echo log").contains("peer 203.0.113.1");
            Result s = statusShowing("PLAT prefix:   " + java.util.regex.Pattern.quote(from.pool6) + "  from " + from.source,
                    java.util.regex.Pattern.quote(mapping.statusMapping));
            assertThat(s.out()).as("status").contains("PLAT prefix:   " + from.pool6 + "  from " + from.source)
                    .contains(mapping.statusMapping);
            if (from == PrefixFrom.RFC7050_DNS64) assertThat(s.out()).containsPattern("clat_rfc7050_found +1");
            if (from == PrefixFrom.PREF64_RA) assertThat(s.out()).containsPattern("clat_pref64_ok +1");
        } finally {
            if (dns != null) {
                dns.signal("TERM");
                dns.process.waitFor(10, TimeUnit.SECONDS);
            }
            stopClat();
        }
    }

    String nat64Config(String pool6) {
        return """
                {"global": {"pool6": "%s", "lowest-ipv6-mtu": 1500},
                 "pool4": [{"protocol": "TCP", "prefix": "203.0.113.1/32", "port range": "1024-65535"},
                           {"protocol": "UDP", "prefix": "203.0.113.1/32", "port range": "1024-65535"},
                           {"protocol": "ICMP", "prefix": "203.0.113.1/32", "port range": "1024-65535"}],
                 "ferry": {"mode": "nat64"},
                 "tun": {"device": "ferry0", "mtu": 1500, "queues": 1, "routes": ["%s", "203.0.113.1/32"]}}"""
                .formatted(pool6, pool6);
    }

    void stopClat() throws Exception {
        if (clat != null && clat.process.isAlive()) {
            clat.signal("TERM");
            assertThat(clat.process.waitFor(15, TimeUnit.SECONDS)).isTrue();
            assertThat(clat.process.exitValue()).as(clat.stderr()).isZero();
        }
    }

    @Test
    @Order(10)
    void aSingleAddressTakenFromTheUplinksOnLinkPrefixIsAnsweredForWithProxyNdp() throws Exception {
        assumeTrue(hasNft(), "nft is not installed");
        assumeTrue("2001:db8:64::/96".equals(nat64Pool6), "the matrix (order 7) did not leave the NAT64 on 2001:db8:64::/96");
        stopClat();
        in(nsRtr, 20, "nft", "delete", "table", "ip", "ferry_clat");
        Files.writeString(dir.resolve("clat.nft"), NFT_RULES);
        in(nsRtr, "nft", "-f", dir.resolve("clat.nft").toString());
        // 2001:db8:1::c1a7 lies in the uplink's on-link 2001:db8:1::/64: the PLAT finds it with neighbour discovery
        clat = startClat("""
                {"ferry": {"mode": "clat"},
                 "clat": {"ipv6-address": "2001:db8:1::c1a7", "uplink": "r1", "proxy-ndp": true,
                          "plat-prefix": "2001:db8:64::/96", "state-file": "%s"},
                 "tun": {"device": "clat0", "mtu": 1500, "queues": 1, "addresses": ["192.0.0.1/29"],
                         "routes": ["0.0.0.0/0", "2001:db8:1::c1a7/128"]}}""".formatted(dir.resolve("clat.json")));
        assertThat(in(nsRtr, 10, "ip", "-6", "neigh", "show", "proxy").out()).contains("2001:db8:1::c1a7 dev r1");
        Result r = in(nsDev, 30, "ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", SERVER);
        assertThat(r.exit()).as(r.out()).isZero();
        http();
        clat.signal("TERM");
        assertThat(clat.process.waitFor(15, TimeUnit.SECONDS)).isTrue();
        assertThat(in(nsRtr, 10, "ip", "-6", "neigh", "show", "proxy").out()).doesNotContain("2001:db8:1::c1a7");
    }

    @Test
    @Order(11)
    void aPacketTooBigFromAnIpv6RouterReachesTheDeviceAsFragmentationNeededWithTheMtuMinus20() throws Exception {
        if (clat.process.isAlive()) {
            clat.signal("TERM");
            assertThat(clat.process.waitFor(15, TimeUnit.SECONDS)).isTrue();
        }
        in(nsRtr, 20, "nft", "delete", "table", "ip", "ferry_clat");
        // this time through `ferry run`, which runs a configuration in mode "clat" as `ferry clat` does
        Path c = dir.resolve("clat-run.json");
        Files.writeString(c, """
                {"ferry": {"mode": "clat"},
                 "clat": {"dedicated-prefix": "2001:db8:1:2::/64", "island": ["192.0.2.0/24"],
                          "plat-prefix": "2001:db8:64::/96", "state-file": "%s"},
                 "tun": {"device": "clat0", "mtu": 1500, "queues": 1, "addresses": ["192.0.0.1/29"],
                         "routes": ["0.0.0.0/0", "2001:db8:1:2::/64"]}}""".formatted(dir.resolve("clat.json")));
        clat = Child.start(this, nsRtr, "event=ready instances=", "run", "--config", c.toString());
        assertThat(in(nsRtr, 10, "ip", "-4", "route", "show", "default").out()).contains("mtu 1472");
        // the island router's own IPv6 uplink route gets MTU 1400: its kernel answers the CLAT's 1492-byte packets
        // with Packet Too Big (1400) from 2001:db8:1::2, an address with no IPv4 form
        in(nsRtr, "ip", "-6", "route", "replace", "default", "via", "2001:db8:1::1", "mtu", "1400");
        try {
            Result big = in(nsDev, 30, "ping", "-n", "-c", "1", "-W", "2", "-M", "do", "-s", "1444", SERVER);
            // RFC 7915 §5.2: 1400 - 20; RFC 6791: sourced from the CLAT's own 192.0.0.2
            assertThat(big.out()).contains("From 192.0.0.2").contains("Frag needed and DF set (mtu = 1380)");
            Result fits = in(nsDev, 30, "ping", "-n", "-c", "1", "-W", "2", "-M", "do", "-s", "1352", SERVER);
            assertThat(fits.exit()).as(fits.out()).isZero();
        } finally {
            in(nsRtr, "ip", "-6", "route", "replace", "default", "via", "2001:db8:1::1");
        }
    }

    @Test
    @Order(12)
    void withVnetHeadersThePartialChecksumsSurviveTranslationForPingTcpAndUdp() throws Exception {
        if (clat.process.isAlive()) {
            clat.signal("TERM");
            assertThat(clat.process.waitFor(15, TimeUnit.SECONDS)).isTrue();
        }
        clat = startClat("""
                {"ferry": {"mode": "clat"},
                 "clat": {"dedicated-prefix": "2001:db8:1:2::/64", "island": ["192.0.2.0/24"],
                          "plat-prefix": "2001:db8:64::/96", "state-file": "%s"},
                 "tun": {"device": "clat0", "mtu": 1500, "queues": 2, "vnet-header": true,
                         "addresses": ["192.0.0.1/29"], "routes": ["0.0.0.0/0", "2001:db8:1:2::/64"]}}"""
                .formatted(dir.resolve("clat.json")));
        Result r = in(nsDev, 30, "ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", SERVER);
        assertThat(r.exit()).as(r.out()).isZero();
        http();
        udp();
        clat.signal("TERM");
        assertThat(clat.process.waitFor(15, TimeUnit.SECONDS)).isTrue();
        assertThat(clat.process.exitValue()).as(clat.stderr()).isZero();
        // vnet headers in use: the kernel hands over partial checksums, kept partial across translation (this topology
        // produces no GSO super-packets, so the GSO path is covered by ferry run's tests of the shared handler)
        assertThat(clat.stderr()).doesNotContain("drop_internal_error").containsPattern("tun_rx_csum_partial=[1-9]");
        System.err.println("ClatEndToEndTest: vnet-header run: " + clat.stderr().lines()
                .filter(l -> l.contains("event=counters ")).findFirst().orElse("(no counters line)"));
    }

    void restartPlat(String json) throws Exception {
        plat.signal("TERM");
        assertThat(plat.process.waitFor(15, TimeUnit.SECONDS)).isTrue();
        Path c = dir.resolve("plat-nat64.json");
        Files.writeString(c, json);
        plat = Child.start(this, nsPlat, "event=ready instances=", "run", "--config", c.toString());
    }

    static boolean hasNft() throws Exception {
        boolean nft = new ProcessBuilder("sh", "-c", "command -v nft").start().waitFor() == 0;
        if (!nft) System.err.println("ClatEndToEndTest: single-address mode skipped: nft (nftables) is not installed");
        return nft;
    }

    static final String NFT_RULES = """
            table ip ferry_clat {
              chain postrouting {
                type nat hook postrouting priority srcnat; policy accept;
                oifname "clat0" ip saddr != 192.0.0.0/29 masquerade
              }
            }
            """;

    // ------------------------------------------------------------------------------------------------- traffic

    void sendRa(String pool, int lifetime) throws Exception {
        Result r = in(nsPlat, 30, java(), "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                RaSendMain.class.getName(), "p0", pool, Integer.toString(lifetime));
        assertThat(r.exit()).as(r.out()).isZero();
    }

    Result status() throws Exception {
        return in(nsRtr, 30, java(), "-cp", System.getProperty("java.class.path"), "ferry.app.Main", "clat", "status",
                "--state-file", dir.resolve("clat.json").toString());
    }

    /**
     * {@code ferry clat status}, asked again (for up to 20 s) until its output shows every one of {@code patterns}
     * (regular expressions): the CLAT rewrites its status file once a second, so a fixed pause before reading it
     * assumed the writer had run by then, which a loaded machine does not promise. Returns the last answer; the
     * caller asserts on it (and so sees the output when a pattern never showed).
     */
    Result statusShowing(String... patterns) throws Exception {
        return ferry.testkit.Await.poll(20, this::status, r -> r.exit() == 0
                && java.util.Arrays.stream(patterns).allMatch(p -> java.util.regex.Pattern.compile(p).matcher(r.out()).find()));
    }

    /** Fetches 200 kB over HTTP from the server and checks it; returns the server's log (client addresses). */
    String http() throws Exception {
        Path www = Files.createDirectories(dir.resolve("www"));
        byte[] blob = new byte[200_000];
        new Random(42).nextBytes(blob);
        Files.write(www.resolve("blob"), blob);
        Process s = spawn(nsSrv, "python3", "-m", "http.server", "8080", "--bind", SERVER, "-d", www.toString());
        StringBuffer out = new StringBuffer();
        Thread log = drain(s, out);
        try {
            Path got = dir.resolve("got");
            Files.deleteIfExists(got);
            Result r = null;
            for (int i = 0; i < 40; i++) { // until the server listens
                r = in(nsDev, 30, "curl", "-sS", "--max-time", "10", "-o", got.toString(), "http://" + SERVER + ":8080/blob");
                if (r.exit() != 7) break; // 7: connection refused, the server is not listening yet
                Thread.sleep(100);
            }
            assertThat(r.exit()).as(r.out()).isZero();
            assertThat(sha(Files.readAllBytes(got))).isEqualTo(sha(blob));
            awaitOutput(out, "GET /blob"); // the request's log line, before the server is stopped
        } finally {
            s.destroy();
            s.waitFor(5, TimeUnit.SECONDS);
        }
        log.join(2000);
        return out.toString();
    }

    static final String UDP_ECHO = """
            import socket, sys
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], int(sys.argv[2])))
            while True:
                d, a = s.recvfrom(65535); s.sendto(d, a); print('peer', a[0], flush=True)
            """;
    static final String UDP_CLIENT = """
            import socket, sys
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
            msg = bytes(range(256)) * 4
            for attempt in range(10):
                s.sendto(msg, (sys.argv[1], int(sys.argv[2])))
                try:
                    d, a = s.recvfrom(65535)
                except socket.timeout:
                    continue
                print('echo ok from', a[0] if d == msg else 'echo mismatch'); break
            else:
                print('no echo')
            """;

    /** Echoes 1 kB over UDP off the server and checks it; returns the echo server's log (peer addresses). */
    String udp() throws Exception {
        Files.writeString(dir.resolve("echo.py"), UDP_ECHO);
        Files.writeString(dir.resolve("client.py"), UDP_CLIENT);
        Process e = spawn(nsSrv, "python3", dir.resolve("echo.py").toString(), SERVER, "7007");
        StringBuffer out = new StringBuffer();
        Thread log = drain(e, out);
        try {
            Result a = in(nsDev, 30, "python3", dir.resolve("client.py").toString(), SERVER, "7007");
            assertThat(a.out()).contains("echo ok from " + SERVER);
            awaitOutput(out, "peer ");
        } finally {
            e.destroy();
            e.waitFor(5, TimeUnit.SECONDS);
        }
        log.join(2000);
        return out.toString();
    }

    /** Waits (10 s at most) until a server's output shows {@code text}; a server logs just after it answered. */
    static void awaitOutput(StringBuffer out, String text) throws InterruptedException {
        ferry.testkit.Await.until("\"" + text + "\" in the server's output", 10, () -> out.toString().contains(text), out::toString);
    }

    /** Collects a process's output as it comes (destroying a Process closes its streams). */
    static Thread drain(Process p, StringBuffer out) {
        return Thread.ofPlatform().daemon(true).start(() -> {
            try (InputStream in = p.getInputStream()) {
                byte[] b = new byte[4096];
                for (int n; (n = in.read(b)) > 0; ) out.append(new String(b, 0, n, StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // the stream is closed when the process is destroyed: what was read so far is kept
            }
        });
    }

    static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }
}
