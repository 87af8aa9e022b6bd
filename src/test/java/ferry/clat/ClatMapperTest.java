package ferry.clat;

import static ferry.clat.ClatHarness.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ferry.addr.Prefix4;
import ferry.addr.Rfc6052;
import ferry.metrics.Counter;
import ferry.packet.PacketBuilder;
import ferry.testkit.PacketCheck;
import ferry.translate.Verdict;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The CLAT mapping through the real translator: out to the PLAT prefix, replies back, ICMP errors both ways. */
class ClatMapperTest {
    static final String CLAT6 = "2001:db8:1::c1a7";
    static final SourceMapping SINGLE = SourceMapping.single(SourceMapping.DEFAULT_HOST_ADDRESS, p6(CLAT6 + "/128"));
    static final SourceMapping DEDICATED = SourceMapping.dedicated(p6("2001:db8:1:2::/64"),
            List.of(Prefix4.parse("192.0.2.0/24"), Prefix4.parse("192.0.0.0/29")));

    private static void valid(byte[] p, int mtu) {
        assertThat(PacketCheck.problems(p, mtu)).isEmpty();
    }

    @Test
    void singleModeSends192_0_0_1FromTheClatAddressToThePlatPrefix() {
        ClatHarness h = new ClatHarness("64:ff9b::/96", SINGLE, true);
        assertThat(h.run(PacketBuilder.ipv4("192.0.0.1", "198.51.100.7").udp(4000, 53).payload(30).build()))
                .isEqualTo(Verdict.EMIT);
        byte[] p = h.last();
        assertThat(u8(p, 0) >>> 4).isEqualTo(6);
        assertThat(src6(p)).isEqualTo(fmt6(CLAT6));
        assertThat(dst6(p)).isEqualTo("64:ff9b::c633:6407");
        valid(p, IPV6_MTU);
    }

    @Test
    void singleModeRepliesFromThePlatPrefixReach192_0_0_1() {
        ClatHarness h = new ClatHarness("64:ff9b::/96", SINGLE, true);
        assertThat(h.run(PacketBuilder.ipv6("64:ff9b::198.51.100.7", CLAT6).udp(53, 4000).payload(30).build()))
                .isEqualTo(Verdict.EMIT);
        byte[] p = h.last();
        assertThat(src4(p)).isEqualTo("198.51.100.7");
        assertThat(dst4(p)).isEqualTo("192.0.0.1");
        valid(p, IPV4_MTU);
        assertThat(h.counters.snapshot()).containsOnly(Map.entry(Counter.XLAT_64_OK, 1L));
    }

    @Test
    void singleModeDropsIslandSourcesThatWereNotNatted() {
        ClatHarness h = new ClatHarness("64:ff9b::/96", SINGLE, true);
        assertThat(h.run(PacketBuilder.ipv4("192.0.2.33", "198.51.100.7").udp(1, 2).build())).isEqualTo(Verdict.DROP);
        assertThat(h.counters.get(Counter.DROP_SRC_UNTRANSLATABLE)).isEqualTo(1);
    }

    @Test
    void dedicatedModeGivesEveryIslandAddressItsOwnIpv6AddressAndBack() {
        ClatHarness h = new ClatHarness("64:ff9b::/96", DEDICATED, true);
        h.run(PacketBuilder.ipv4("192.0.2.33", "203.0.113.9").tcp(40000, 80).build());
        assertThat(src6(h.last())).isEqualTo("2001:db8:1:2::c000:221");
        assertThat(dst6(h.last())).isEqualTo("64:ff9b::cb00:7109");
        h.run(PacketBuilder.ipv4("192.0.2.34", "203.0.113.9").tcp(40000, 80).build());
        assertThat(src6(h.last())).isEqualTo("2001:db8:1:2::c000:222");
        h.run(PacketBuilder.ipv4("192.0.0.1", "203.0.113.9").tcp(40000, 80).build());
        assertThat(src6(h.last())).as("the host-side range maps too").isEqualTo("2001:db8:1:2::c000:1");

        h.run(PacketBuilder.ipv6("64:ff9b::203.0.113.9", "2001:db8:1:2::c000:222").tcp(80, 40000).build());
        assertThat(src4(h.last())).isEqualTo("203.0.113.9");
        assertThat(dst4(h.last())).isEqualTo("192.0.2.34");
        valid(h.last(), IPV4_MTU);
    }

    @Test
    void dedicatedModeRefusesIpv6DestinationsOutsideTheIslandMapping() {
        ClatHarness h = new ClatHarness("64:ff9b::/96", DEDICATED, true);
        // inside the /64 but not an island address (192.0.3.1 is not in 192.0.2.0/24)
        assertThat(h.run(PacketBuilder.ipv6("64:ff9b::203.0.113.9", "2001:db8:1:2::c000:301").udp(1, 2).build()))
                .isEqualTo(Verdict.DROP);
        assertThat(h.counters.get(Counter.DROP_DST_UNTRANSLATABLE)).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"2001:db8::/32", "2001:db8:100::/40", "2001:db8:100::/48", "2001:db8:100::/56",
            "2001:db8:100::/64", "2001:db8:100::/96"})
    void everyRfc6052LengthWorksBothWays(String prefix) {
        ClatHarness h = new ClatHarness(prefix, SINGLE, true);
        Rfc6052 p = Rfc6052.parse(prefix);
        h.run(PacketBuilder.ipv4("192.0.0.1", "198.51.100.7").echoRequest(7, 1).build());
        byte[] out = h.last();
        long[] expected = {p.embedHi(ferry.addr.Ipv4.parse("198.51.100.7")), p.embedLo(ferry.addr.Ipv4.parse("198.51.100.7"))};
        assertThat(dst6(out)).isEqualTo(ferry.addr.Ipv6.format(expected[0], expected[1]));
        valid(out, IPV6_MTU);
        h.run(PacketBuilder.ipv6(ferry.addr.Ipv6.format(expected[0], expected[1]), CLAT6).echoReply(7, 1).build());
        assertThat(src4(h.last())).isEqualTo("198.51.100.7");
        assertThat(dst4(h.last())).isEqualTo("192.0.0.1");
        assertThat(h.counters.snapshot()).containsOnly(Map.entry(Counter.XLAT_46_OK, 1L), Map.entry(Counter.XLAT_64_OK, 1L));
    }

    @Test
    void aSwappedPlatPrefixAppliesToTheNextPacket() {
        ClatHarness h = new ClatHarness("64:ff9b::/96", SINGLE, true);
        byte[] in = PacketBuilder.ipv4("192.0.0.1", "198.51.100.7").udp(1, 2).build();
        h.run(in);
        assertThat(dst6(h.last())).isEqualTo("64:ff9b::c633:6407");
        h.holder.set(new PlatPrefix(Rfc6052.parse("2001:db8:64::/96"), PlatSource.PREF64_RA, 1000));
        h.run(in);
        assertThat(dst6(h.last())).isEqualTo("2001:db8:64::c633:6407");
        // replies from the old prefix are no longer translated (answered with ICMPv6 1/5, RFC 7915 §5.1)
        assertThat(h.run(PacketBuilder.ipv6("64:ff9b::198.51.100.7", CLAT6).udp(2, 1).build())).isEqualTo(Verdict.ICMP_ERROR);
        assertThat(u8(h.last(), 40)).isEqualTo(1);
        assertThat(u8(h.last(), 41)).isEqualTo(5);
    }

    @Test
    void wkpStrictRefusesPrivateDestinationsUnderTheWellKnownPrefixOnly() {
        ClatHarness strict = new ClatHarness("64:ff9b::/96", SINGLE, true);
        assertThat(strict.run(PacketBuilder.ipv4("192.0.0.1", "10.1.2.3").udp(1, 2).build())).isEqualTo(Verdict.DROP);
        assertThat(strict.counters.get(Counter.DROP_WKP_NON_GLOBAL)).isEqualTo(1);
        // the island's own private source is fine: it goes into the CLAT's /128, not under the WKP
        ClatHarness ded = new ClatHarness("64:ff9b::/96",
                SourceMapping.dedicated(p6("2001:db8:1:2::/96"), List.of(Prefix4.parse("10.0.0.0/8"))), true);
        assertThat(ded.run(PacketBuilder.ipv4("10.1.2.3", "198.51.100.7").udp(1, 2).build())).isEqualTo(Verdict.EMIT);
        assertThat(src6(ded.last())).isEqualTo("2001:db8:1:2::a01:203");
        ClatHarness nsp = new ClatHarness("2001:db8:64::/96", SINGLE, true);
        assertThat(nsp.run(PacketBuilder.ipv4("192.0.0.1", "10.1.2.3").udp(1, 2).build())).isEqualTo(Verdict.EMIT);
        ClatHarness off = new ClatHarness("64:ff9b::/96", SINGLE, false);
        assertThat(off.run(PacketBuilder.ipv4("192.0.0.1", "10.1.2.3").udp(1, 2).build())).isEqualTo(Verdict.EMIT);
    }

    @Test
    void destinationsInTheClatsOwnSpaceAreNeverSentToThePlat() {
        ClatHarness h = new ClatHarness("2001:db8:64::/96", DEDICATED, true);
        assertThat(h.run(PacketBuilder.ipv4("192.0.2.33", "192.0.0.6").udp(1, 2).build())).isEqualTo(Verdict.DROP);
        assertThat(h.run(PacketBuilder.ipv4("192.0.2.33", "192.0.2.40").udp(1, 2).build())).isEqualTo(Verdict.DROP);
        assertThat(h.counters.get(Counter.DROP_CLAT_DST_LOCAL)).isEqualTo(2);
        // and a remote packet posing as an island address is refused
        assertThat(h.run(PacketBuilder.ipv6("2001:db8:64::192.0.2.40", "2001:db8:1:2::c000:221").udp(1, 2).build()))
                .isNotEqualTo(Verdict.EMIT);
    }

    @Test
    void packetTooBigFromAnIpv6RouterBecomesFragmentationNeededWithTheMtuMinus20() {
        ClatHarness h = new ClatHarness("64:ff9b::/96", DEDICATED, true);
        byte[] quoted = PacketBuilder.ipv6("2001:db8:1:2::c000:221", "64:ff9b::203.0.113.9").tcp(40000, 80)
                .payload(1352).build();
        byte[] ptb = PacketBuilder.ipv6("2001:db8:99::1", "2001:db8:1:2::c000:221").icmpError(2, 0, 1400, quoted).build();
        assertThat(h.run(ptb)).isEqualTo(Verdict.EMIT);
        byte[] p = h.last();
        assertThat(u8(p, 9)).isEqualTo(1);
        assertThat(u8(p, 20)).as("type 3 Destination Unreachable").isEqualTo(3);
        assertThat(u8(p, 21)).as("code 4 Fragmentation Needed").isEqualTo(4);
        assertThat(u16(p, 26)).as("RFC 7915 §5.2: advertised MTU - 20").isEqualTo(1380);
        assertThat(src4(p)).as("the router has no IPv4 form: the CLAT's own address (RFC 6791)").isEqualTo("192.0.0.2");
        assertThat(dst4(p)).isEqualTo("192.0.2.33");
        // the inner packet: island host -> remote
        assertThat(ferry.addr.Ipv4.format(i32(p, 28 + 12))).isEqualTo("192.0.2.33");
        assertThat(ferry.addr.Ipv4.format(i32(p, 28 + 16))).isEqualTo("203.0.113.9");
        valid(p, IPV4_MTU);
    }

    @Test
    void packetTooBigAboutAFragmentSubtracts28() {
        ClatHarness h = new ClatHarness("64:ff9b::/96", SINGLE, true);
        byte[] quoted = PacketBuilder.ipv6(CLAT6, "64:ff9b::203.0.113.9").fragment(0, true, 77).udp(4000, 53)
                .payload(1000).build();
        byte[] ptb = PacketBuilder.ipv6("2001:db8:99::1", CLAT6).icmpError(2, 0, 1400, quoted).build();
        assertThat(h.run(ptb)).isEqualTo(Verdict.EMIT);
        assertThat(u16(h.last(), 26)).isEqualTo(1372);
        assertThat(dst4(h.last())).isEqualTo("192.0.0.1");
    }

    @Test
    void aPacketTooBigAdvertisingMoreThanTheIslandLinkGivesTheIslandMtu() {
        ClatHarness h = new ClatHarness("64:ff9b::/96", SINGLE, true);
        byte[] quoted = PacketBuilder.ipv6(CLAT6, "64:ff9b::203.0.113.9").udp(4000, 53).payload(100).build();
        h.run(PacketBuilder.ipv6("2001:db8:99::1", CLAT6).icmpError(2, 0, 9000, quoted).build());
        assertThat(u16(h.last(), 26)).isEqualTo(IPV4_MTU);
    }

    @Test
    void anIcmpv6ErrorFromThePlatSideKeepsItsEmbeddedSource() {
        ClatHarness h = new ClatHarness("64:ff9b::/96", SINGLE, true);
        byte[] quoted = PacketBuilder.ipv6(CLAT6, "64:ff9b::203.0.113.9").udp(4000, 53).payload(10).build();
        // port unreachable from the remote host itself (through the PLAT)
        h.run(PacketBuilder.ipv6("64:ff9b::203.0.113.9", CLAT6).icmpError(1, 4, 0, quoted).build());
        byte[] p = h.last();
        assertThat(src4(p)).isEqualTo("203.0.113.9");
        assertThat(dst4(p)).isEqualTo("192.0.0.1");
        assertThat(u8(p, 20)).isEqualTo(3);
        assertThat(u8(p, 21)).isEqualTo(3);
        valid(p, IPV4_MTU);
    }

    @Test
    void anIcmpv4ErrorFromTheIslandReachesTheRemoteWithBothInnerAddressesMapped() {
        ClatHarness h = new ClatHarness("2001:db8:64::/96", DEDICATED, true);
        // 192.0.2.33 got a packet from 203.0.113.9 and answers port unreachable
        byte[] quoted = PacketBuilder.ipv4("203.0.113.9", "192.0.2.33").udp(53, 4000).payload(10).build();
        assertThat(h.run(PacketBuilder.ipv4("192.0.2.33", "203.0.113.9").icmpError(3, 3, 0, quoted).build()))
                .isEqualTo(Verdict.EMIT);
        byte[] p = h.last();
        assertThat(src6(p)).isEqualTo("2001:db8:1:2::c000:221");
        assertThat(dst6(p)).isEqualTo("2001:db8:64::cb00:7109");
        assertThat(u8(p, 40)).as("ICMPv6 1/4 port unreachable").isEqualTo(1);
        // inner IPv6 header at 48: source 2001:db8:64::203.0.113.9, destination the island host's address
        assertThat(ferry.addr.Ipv6.format(i64(p, 48 + 8), i64(p, 48 + 16))).isEqualTo("2001:db8:64::cb00:7109");
        assertThat(ferry.addr.Ipv6.format(i64(p, 48 + 24), i64(p, 48 + 32))).isEqualTo("2001:db8:1:2::c000:221");
        valid(p, IPV6_MTU);
    }

    @Test
    void aDfPacketTooBigForTheIpv6SideIsAnsweredWithFragmentationNeeded() {
        ClatHarness h = new ClatHarness("64:ff9b::/96", SINGLE, true);
        byte[] big = PacketBuilder.ipv4("192.0.0.1", "198.51.100.7").df(true).udp(1, 2).payload(1500 - 28 + 1).build();
        assertThat(h.run(big)).isEqualTo(Verdict.ICMP_ERROR);
        byte[] p = h.last();
        assertThat(u8(p, 20)).isEqualTo(3);
        assertThat(u8(p, 21)).isEqualTo(4);
        assertThat(u16(p, 26)).as("IPv6 MTU - 20").isEqualTo(1480);
        assertThat(src4(p)).isEqualTo("192.0.0.2");
    }

    @Test
    void sourceMappingRefusesBadShapes() {
        assertThatThrownBy(() -> SourceMapping.dedicated(p6("2001:db8::/120"), List.of(Prefix4.parse("192.0.2.0/24"))))
                .hasMessageContaining("2001:db8::/120");
        assertThatThrownBy(() -> SourceMapping.dedicated(p6("2001:db8::/64"), List.of()))
                .hasMessageContaining("island");
        assertThatThrownBy(() -> SourceMapping.single(Prefix4.parse("192.0.0.0/29"), p6(CLAT6)))
                .hasMessageContaining("/32");
        assertThat(DEDICATED.describe()).containsExactly("192.0.2.0/24 <-> 2001:db8:1:2::c000:200/120",
                "192.0.0.0/29 <-> 2001:db8:1:2::c000:0/125");
    }
}
