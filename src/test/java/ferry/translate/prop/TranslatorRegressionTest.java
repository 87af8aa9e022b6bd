package ferry.translate.prop;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.packet.PacketBuilder;
import ferry.testkit.PacketCheck;
import ferry.translate.Verdict;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Minimal reproducers of translator bugs found by the properties and fuzz targets of this package. Each test names
 * the behaviour the RFCs require, builds the input with {@link PacketBuilder}, and quotes the input hex as found.
 */
class TranslatorRegressionTest {

    /**
     * Found by Fuzz64Test. Input (pool6 2001:db8:100::/40):
     * {@code 6100000000083a6120010db800040000000000000000005f20010db801c6336400710000000000008100ed4c00000000} —
     * ICMPv6 Echo Reply, identifier 0, sequence 0, no data, valid checksum. The ICMPv4 Echo Reply it becomes is
     * eight zero bytes but for the checksum: the data sums to +0, so the RFC 1071 checksum is ~0 = 0xffff. The
     * incremental update (RFC 1624 eqn. 3, ~(~HC + ~m + m')) lands on the other zero, 0x0000 (the +0/−0 boundary
     * RFC 1624 §3 discusses), which receivers reject: the data plus checksum sums to 0x0000, not 0xffff. Only
     * ICMPv4 can hit this (UDP maps a computed 0 to 0xffff; TCP and ICMPv6 have a pseudo-header that is never
     * zero).
     */
    @Test
    void icmpv6EchoReplyWithAllZeroFieldsBecomesIcmpv4EchoReplyWithAValidChecksum() {
        Setup setup = Setup.plain(Setup.NSP40);
        long[] dst = new PacketGen(Setup.NSP40).embed(0xc6336471); // 198.51.100.113
        byte[] in = PacketBuilder.ipv6(0x20010db800040000L, 0x5fL, dst[0], dst[1]).hopLimit(0x61)
                .echoReply(0, 0).build();
        assertThat(HexFormat.of().formatHex(in)).isEqualTo(
                "6000000000083a6120010db800040000000000000000005f20010db801c6336400710000000000008100ed4c00000000");
        assertThat(PacketCheck.l4(in)).isEqualTo(PacketCheck.L4.VALID);

        Harness.Outcome o = new Harness(setup).run(in, 0);

        assertThat(o.verdict()).as("%s", o).isEqualTo(Verdict.EMIT);
        byte[] out = o.emitted().get(0);
        assertThat(out[20]).as("ICMPv4 Echo Reply").isEqualTo((byte) 0);
        assertThat(PacketCheck.l4(out)).as("ICMPv4 checksum of %s", Harness.hex(out)).isEqualTo(PacketCheck.L4.VALID);
    }

    /**
     * Found by Fuzz64Test. Input (pool6 2001:db8:100::/40):
     * {@code 610000000012018020010db800060000000000000000000020010db80006000000000000000000ff04030e190000000f60000000000811022001}
     * — an IPv6 packet whose Next Header is 1 (ICMP for IPv4, meaningless in IPv6). It was copied into an IPv4
     * Protocol 1 packet, i.e. an ICMPv4 message (here type 4, with a wrong checksum) that the translator never
     * validated: an IPv6 host can inject arbitrary ICMPv4 errors, with forged inner packets, towards IPv4 hosts.
     * The 4→6 direction refuses the mirror case (IPv4 protocol 58 and extension-header numbers,
     * drop_46_ipv6_only_protocol, TAYGA issue #70); this test expects the same here: DROP with one counter.
     * (RFC 7915 §5.1 literally says to copy the Next Header; a decision for the translator's owner.)
     */
    @Test
    void ipv6NextHeader1IsNotPassedThroughAsAnUncheckedIcmpv4Message() {
        Setup setup = Setup.plain(Setup.NSP40);
        byte[] icmp4 = PacketBuilder.ipv4("192.0.2.1", "203.0.113.9").icmpError(3, 1, 0,
                PacketBuilder.ipv4("203.0.113.9", "192.0.2.1").udp(1, 2).build()).build();
        byte[] body = java.util.Arrays.copyOfRange(icmp4, 20, icmp4.length);
        body[2] ^= 0x55; // a checksum nobody checked
        byte[] in = PacketBuilder.ipv6("2001:db8:6::1", "2001:db8:4::9").raw(1, body).build();

        Harness.Outcome o = new Harness(setup).run(in, 0);

        assertThat(o.verdict()).as("%s", o).isEqualTo(Verdict.DROP);
        assertThat(o.emitted()).isEmpty();
    }

    /**
     * Found by Fuzz64Test (input as found, 168 bytes, starts
     * {@code 65ff5f5f00782c6120010db800040000000000000000006f20010db80006000000000000000000a6000000010000000
     * 02c000104000000003a00000100005f5f04035f5f...}): Fragment header (offset 0, M=1), Hop-by-Hop header, Fragment
     * header, ICMPv6 Parameter Problem. RFC 4443 §2.4 (e.1): "An ICMPv6 error message MUST NOT be originated as a
     * result of receiving ... An ICMPv6 error message". The translator refuses the chain (Hop-by-Hop after a
     * Fragment header, drop_64_ext_after_fragment) and answers with ICMPv6 1/1 without looking at the upper layer;
     * the same chain with a Destination Options header instead of the Hop-by-Hop one is (rightly) not answered.
     */
    @Test
    void noIcmpv6ErrorIsSentAboutAnIcmpv6ErrorWhoseChainHasHopByHopAfterAFragmentHeader() {
        Setup setup = Setup.plain(Setup.NSP40);
        byte[] inner = PacketBuilder.ipv6("2001:db8:4::6f", "2001:db8:6::a6").udp(1, 2).payload(8).build();
        byte[] in = PacketBuilder.ipv6("2001:db8:6::a6", "2001:db8:4::6f").fragment(0, true, 1).hopByHop()
                .icmpError(1, 4, 0, inner).build();
        byte[] sameWithDestinationOptions = PacketBuilder.ipv6("2001:db8:6::a6", "2001:db8:4::6f")
                .fragment(0, true, 1).destinationOptions().icmpError(1, 4, 0, inner).build();

        Harness.Outcome control = new Harness(setup).run(sameWithDestinationOptions, 0);
        Harness.Outcome o = new Harness(setup).run(in, 0);

        assertThat(control.verdict()).as("%s", control).isEqualTo(Verdict.DROP);
        assertThat(o.verdict()).as("%s", o).isEqualTo(Verdict.DROP);
        assertThat(o.emitted()).isEmpty();
    }
}
