package ferry.nat64;

import static ferry.nat64.Nat64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ferry.addr.Prefix4;
import ferry.metrics.Counter;
import ferry.packet.IpProto;
import ferry.translate.Verdict;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RFC 6146 §3.1 static BIB entries (port forwarding, the island case) and §3.8 hairpinning. */
class Nat64HairpinAndStaticTest {
    static final String DEVICE = "2001:db8:8011:fda4::7";

    private final Nat64Fixture f = new Nat64Fixture(
            List.of(new Pool4.Entry(IpProto.TCP, Prefix4.parse(T4 + "/32"), 1, 65535, 0),
                    new Pool4.Entry(IpProto.UDP, Prefix4.parse(T4 + "/32"), 1, 65535, 0)),
            List.of(staticBib(IpProto.TCP, DEVICE, 22, T4, 22), staticBib(IpProto.TCP, DEVICE, 80, T4, 80)),
            Nat64Settings.defaults().withMaxSessions(64));

    @Test
    void ipv4HostsReachPublishedPortsThroughStaticEntries() {
        assertThat(f.send(v4(Y4, T4).tcp(40000, 22).tcpFlags(0x02).build())).isEqualTo(Verdict.EMIT);
        byte[] p = f.only();
        assertThat(dst6(p)).isEqualTo(DEVICE);
        assertThat(dstPort(p)).isEqualTo(22);
        assertThat(src6(p)).isEqualTo(Y6);
        assertThat(f.send(v4(Y4, T4).tcp(40001, 80).tcpFlags(0x02).build())).isEqualTo(Verdict.EMIT);
        assertThat(dstPort(f.only())).isEqualTo(80);
    }

    @Test
    void anUnpublishedPortIsRefusedWithPortUnreachableAfterTheSimultaneousOpenWait() {
        assertThat(f.send(v4(Y4, T4).tcp(40000, 23).tcpFlags(0x02).build())).isEqualTo(Verdict.DROP);
        assertThat(f.out).isEmpty();
        assertThat(f.counters.get(Counter.NAT64_TCP_SYN4_HELD)).isEqualTo(1);
        f.advance(6);
        f.send(v4(Y4, T4).tcp(40000, 22).tcpFlags(0x02).build()); // any later packet carries the refusal out
        assertThat(f.out).hasSize(2);
        byte[] e = f.out.get(0);
        assertThat(icmpType(e)).isEqualTo(3);
        assertThat(icmpCode(e)).isEqualTo(3);
        assertThat(dst4(e)).isEqualTo(Y4);
        assertThat(u16(e, 28 + 22)).isEqualTo(23); // the quoted SYN
        assertThat(ferry.testkit.PacketCheck.problems(e, 1500)).isEmpty();
    }

    @Test
    void staticEntriesOutliveEveryTimeout() {
        f.send(v4(Y4, T4).tcp(40000, 22).tcpFlags(0x02).build());
        f.advance(100_000);
        f.mapper.expire(f.now);
        assertThat(f.mapper.sessionCount(IpProto.TCP)).isZero();
        assertThat(f.mapper.bib(IpProto.TCP)).hasSize(2).allMatch(Nat64Mapper.Bib::staticEntry);
    }

    @Test
    void theDeviceAnswersFromItsPublishedPort() {
        f.send(v4(Y4, T4).tcp(40000, 22).tcpFlags(0x02).build());
        assertThat(f.send(v6(DEVICE, Y4).tcp(22, 40000).tcpFlags(0x12).build())).isEqualTo(Verdict.EMIT);
        byte[] p = f.only();
        assertThat(src4(p)).isEqualTo(T4);
        assertThat(srcPort(p)).isEqualTo(22);
    }

    @Test
    void dynamicBindingsNeverTakeAStaticPort() {
        for (int i = 0; i < 50; i++) {
            f.send(v6(X6, Y4).tcp(20 + i * 2, 80).tcpFlags(0x02).build()); // even ports below 1024, like 22 and 80
            int t = srcPort(f.only());
            assertThat(t).isNotIn(22, 80);
        }
    }

    @Test
    void ipv6HostReachingAnotherThroughPool4IsHairpinned() {
        // RFC 6146 §3.8: X' sends to pool6 + T:22 (the device's published port); the packet goes back into IPv6
        assertThat(f.send(v6(X6, T4).tcp(50000, 22).tcpFlags(0x02).build())).isEqualTo(Verdict.EMIT);
        byte[] p = f.only();
        assertThat((u8(p, 0) >>> 4)).isEqualTo(6);
        assertThat(dst6(p)).isEqualTo(DEVICE);
        assertThat(dstPort(p)).isEqualTo(22);
        assertThat(src6(p)).isEqualTo("64:ff9b::cb00:7101"); // pool6 + T
        int t1 = srcPort(p);
        assertThat(f.counters.get(Counter.XLAT_HAIRPIN)).isEqualTo(1);
        // and the device's answer hairpins back to X'
        assertThat(f.send(ferry.packet.PacketBuilder.ipv6(DEVICE, "64:ff9b::cb00:7101").tcp(22, t1).tcpFlags(0x12)
                .build())).isEqualTo(Verdict.EMIT);
        byte[] r = f.only();
        assertThat(dst6(r)).isEqualTo(X6);
        assertThat(dstPort(r)).isEqualTo(50000);
        assertThat(srcPort(r)).isEqualTo(22);
    }

    @Test
    void staticEntryOutsidePool4IsRefused() {
        assertThatThrownBy(() -> new Nat64Fixture(
                List.of(new Pool4.Entry(IpProto.TCP, Prefix4.parse(T4 + "/32"), 1000, 2000, 0)),
                List.of(staticBib(IpProto.TCP, DEVICE, 22, T4, 22)), Nat64Settings.defaults().withMaxSessions(4)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not in pool4");
    }

    @Test
    void twoStaticEntriesForOneIpv4TransportAddressAreRefused() {
        assertThatThrownBy(() -> new Nat64Fixture(
                List.of(new Pool4.Entry(IpProto.TCP, Prefix4.parse(T4 + "/32"), 1, 65535, 0)),
                List.of(staticBib(IpProto.TCP, DEVICE, 22, T4, 22), staticBib(IpProto.TCP, X6, 22, T4, 22)),
                Nat64Settings.defaults().withMaxSessions(4)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already bound");
    }
}
