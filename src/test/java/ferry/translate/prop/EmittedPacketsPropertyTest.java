package ferry.translate.prop;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Issue 2: every emitted packet is valid; the L4 checksum is valid exactly when the input's was; at most one ICMP
 * error per input and none about an ICMP error. Inputs are valid and mutated packets (IPv4 and IPv6; UDP, TCP, ICMP
 * echo, ICMP errors with inner packets and RFC 4884 extensions, options, extension headers, fragments, TTL/hop-limit
 * edge values, up to ~2000 bytes) under random settings (either pool6, MTUs 1280/1500/9000, lowest-ipv6-mtu
 * 1280/1500, every boolean knob, RFC 6791 pools or own addresses). See {@link Oracle} for the exact checks.
 */
class EmittedPacketsPropertyTest {

    @Provide
    Arbitrary<Case> packets() {
        return Gens.cases((g, c) -> c.chance(50) ? g.valid(c) : g.mutate(c, g.valid(c)));
    }

    @Provide
    Arbitrary<Case> validPackets() {
        return Gens.cases((g, c) -> g.valid(c));
    }

    /**
     * {@link ferry.testkit.PacketCheck#problems}: lengths match, IHL=5, header checksum valid, TTL/hop limit not 0,
     * no IPv6 UDP checksum 0, non-final fragments multiples of 8, offset + length ≤ 65535, ICMP errors ≤ 576/1280
     * bytes, size ≤ ipv4-mtu / ipv6-mtu, and ≤ lowest-ipv6-mtu for 4→6 packets from DF=0 IPv4 packets.
     */
    @Property(tries = 3000)
    void everyEmittedPacketIsValidAndFitsItsMtu(@ForAll("packets") Case c) {
        Harness.Outcome o = c.run();
        List<String> v = new ArrayList<>();
        Oracle.neverThrows(o, v);
        if (o.thrown() == null && o.verdict() != null) Oracle.emittedAreValid(c.setup().settings(), o, v);
        assertThat(v).as("%s%n%s", c, o).isEmpty();
    }

    /** PacketCheck.l4 of the output equals that of the input (VALID or INVALID); IPv4 UDP checksum 0 becomes valid. */
    @Property(tries = 3000)
    void transportChecksumIsValidExactlyWhenTheInputsWas(@ForAll("validPackets") Case c) {
        Harness.Outcome o = c.run();
        List<String> v = new ArrayList<>();
        Oracle.neverThrows(o, v);
        if (o.thrown() == null && o.verdict() != null) Oracle.transportChecksum(o, v);
        assertThat(v).as("%s%n%s", c, o).isEmpty();
    }

    /**
     * At most one ICMP error is emitted per input; none is generated about an ICMP error or an IPv4 non-first
     * fragment; every emitted ICMP error (translated or generated) has a valid checksum; a generated one goes back
     * to the input's source, quotes the input as received, and is never sent to a non-unicast address.
     */
    @Property(tries = 3000)
    void atMostOneIcmpErrorAndNoneAboutAnIcmpError(@ForAll("packets") Case c) {
        Harness.Outcome o = c.run();
        List<String> v = new ArrayList<>();
        Oracle.neverThrows(o, v);
        if (o.thrown() == null && o.verdict() != null) Oracle.icmpErrors(o, v);
        assertThat(v).as("%s%n%s", c, o).isEmpty();
    }
}
