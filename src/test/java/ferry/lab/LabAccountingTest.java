package ferry.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Item 4's arithmetic on counter snapshots as the CLI prints them (no namespaces needed). */
class LabAccountingTest {
    static final Accounting.Instance NAT64 = new Accounting.Instance("lab-x", "ferry-lab-x", "a NAT64", false);
    static final Accounting.Instance CLAT = new Accounting.Instance("clat-x", "ferry-lab-x", "a CLAT", true);

    static Accounting.Snapshot snap(boolean tun, Object... kv) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], ((Number) kv[i + 1]).longValue());
        return new Accounting.Snapshot(m, tun, "ferry -i lab-x stats display --csv", null);
    }

    /** start: 4 MLD drops; one ping (3+3) and one HTTP connection (5+5) through a NAT64. */
    static Accounting nat64Run(Accounting.Snapshot afterPing, Accounting.Snapshot end) {
        Accounting a = new Accounting(f -> null);
        a.put(NAT64, "start", snap(true, "tun_rx_packets", 4, "drop_64_icmp_mld", 4));
        a.put(NAT64, "after ping", afterPing);
        a.put(NAT64, "end", end);
        a.ping(NAT64, "1.2", "start", "after ping");
        a.tcp(NAT64, "1.3", true);
        return a;
    }

    static final Accounting.Snapshot AFTER_PING = snap(true, "tun_rx_packets", 10, "tun_tx_packets", 6,
            "xlat_64_ok", 3, "xlat_46_ok", 3, "drop_64_icmp_mld", 4);

    @Test
    void everyPacketAccountedForAndThePingExactIsATick() {
        Accounting.Outcome o = nat64Run(AFTER_PING, snap(true, "tun_rx_packets", 20, "tun_tx_packets", 16,
                "xlat_64_ok", 8, "xlat_46_ok", 8, "drop_64_icmp_mld", 4)).evaluate(NAT64, "start");
        assertThat(o.ok()).as(o.toString()).isTrue();
        assertThat(o.summary()).startsWith("read 20 = translated 16 (IPv6→IPv4 8, IPv4→IPv6 8) + not translated 4"
                + " (drop_64_icmp_mld 4); 0 of them answered (ICMP error or TCP RST); written 16 = translated 16");
        assertThat(o.details()).anyMatch(d -> d.startsWith("ping 1.2") && d.endsWith("nothing else ✓"))
                .anyMatch(d -> d.startsWith("TCP of 1.3 (1 connection): 5 IPv6→IPv4 ≥ 3"))
                .anyMatch(d -> d.equals("no packet of the check was dropped ✓"));
    }

    @Test
    void aPacketReadButNeitherTranslatedNorCountedAsDroppedIsACross() {
        Accounting.Outcome o = nat64Run(AFTER_PING, snap(true, "tun_rx_packets", 21, "tun_tx_packets", 16,
                "xlat_64_ok", 8, "xlat_46_ok", 8, "drop_64_icmp_mld", 4)).evaluate(NAT64, "start");
        assertThat(o.ok()).isFalse();
        assertThat(o.summary()).contains("✗ read 21 ≠ translated 16 + not translated 4");
    }

    @Test
    void aDropDuringThePingMakesItInexactAndIsNamed() {
        Accounting.Snapshot afterPing = snap(true, "tun_rx_packets", 11, "tun_tx_packets", 6, "xlat_64_ok", 3,
                "xlat_46_ok", 3, "drop_64_icmp_mld", 4, "drop_64_hop_limit_expired", 1, "icmp6_error_sent", 0);
        Accounting.Outcome o = nat64Run(afterPing, snap(true, "tun_rx_packets", 21, "tun_tx_packets", 16,
                "xlat_64_ok", 8, "xlat_46_ok", 8, "drop_64_icmp_mld", 4, "drop_64_hop_limit_expired", 1))
                .evaluate(NAT64, "start");
        assertThat(o.ok()).isFalse();
        assertThat(o.details()).anyMatch(d -> d.startsWith("ping 1.2") && d.contains("drop_64_hop_limit_expired=1")
                && d.contains("✗ expected exactly 3 + 3"))
                .anyMatch(d -> d.startsWith("dropped during the check: {drop_64_hop_limit_expired=1}"));
    }

    @Test
    void anAnsweredPacketIsOneOfTheNotTranslatedAndItsErrorIsOneOfTheWritten() {
        Accounting.Snapshot s = snap(true, "tun_rx_packets", 5, "tun_tx_packets", 5, "xlat_64_ok", 4,
                "drop_64_hop_limit_expired", 1, "icmp6_error_sent", 1);
        assertThat(Accounting.identityBroken(s)).isNull();
        assertThat(Accounting.identityBroken(snap(true, "tun_rx_packets", 5, "tun_tx_packets", 4, "xlat_64_ok", 4,
                "drop_64_hop_limit_expired", 1, "icmp6_error_sent", 1))).startsWith("written 4 ≠ translated 4");
    }

    @Test
    void aHeldFragmentGivenUpLaterIsNotCountedTwice() {
        Accounting.Snapshot s = snap(true, "tun_rx_packets", 3, "tun_tx_packets", 2, "xlat_64_ok", 2,
                "nat64_fragment_held", 1, "drop_nat64_fragment_timeout", 1);
        assertThat(Accounting.identityBroken(s)).isNull();
        assertThat(Accounting.dropReasons(s)).isEmpty();
    }

    @Test
    void tooFewTcpPacketsForTheConnectionsIsACross() {
        Accounting.Outcome o = nat64Run(AFTER_PING, snap(true, "tun_rx_packets", 14, "tun_tx_packets", 10,
                "xlat_64_ok", 5, "xlat_46_ok", 5, "drop_64_icmp_mld", 4)).evaluate(NAT64, "start");
        assertThat(o.ok()).isFalse();
        assertThat(o.details()).anyMatch(d -> d.startsWith("TCP of 1.3 (1 connection): 2 IPv6→IPv4 ≥ 3") && d.contains("✗"));
    }

    @Test
    void anExpectedDropMustBeSeenAndIsNotHeldAgainstTheCheck() {
        Accounting a = new Accounting(f -> null);
        a.put(NAT64, "start", snap(true));
        a.put(NAT64, "end", snap(true, "tun_rx_packets", 1, "tun_tx_packets", 1, "drop_nat64_port_filtered", 1,
                "nat64_tcp_reset_sent", 1));
        a.expectDrop(NAT64, "2.4", "drop_nat64_port_filtered", 1);
        Accounting.Outcome o = a.evaluate(NAT64, "start");
        assertThat(o.ok()).as(o.toString()).isTrue();
        assertThat(o.details()).contains("2.4 refused by ferry itself: drop_nat64_port_filtered 1 ≥ 1 ✓, answered"
                + " with a TCP RST: nat64_tcp_reset_sent 1");
        a.put(NAT64, "end", snap(true));
        assertThat(a.evaluate(NAT64, "start").ok()).isFalse();
    }

    @Test
    void withoutTunCountsTheIdentityIsSaidNotCheckedButThePingStillIs() {
        Accounting a = new Accounting(f -> null);
        a.put(CLAT, "before", snap(false, "drop_64_icmp_mld", 4));
        a.put(CLAT, "after", snap(false, "drop_64_icmp_mld", 4, "xlat_46_ok", 3, "xlat_64_ok", 2));
        a.put(CLAT, "end", snap(false, "drop_64_icmp_mld", 4, "xlat_46_ok", 3, "xlat_64_ok", 2));
        a.ping(CLAT, "3.2", "before", "after");
        Accounting.Outcome o = a.evaluate(CLAT, "before");
        assertThat(o.ok()).isFalse();
        assertThat(o.summary()).contains("is not checked for it");
        assertThat(o.details()).anyMatch(d -> d.startsWith("ping 3.2 (before → after): 3 echo requests IPv4→IPv6 + 2"
                + " replies IPv6→IPv4"));
    }

    @Test
    void aSnapshotThatFailedMakesTheInstanceACross() {
        Accounting a = new Accounting(f -> null);
        a.put(NAT64, "start", new Accounting.Snapshot(Map.of(), false, "ferry -i lab-x stats display --csv",
                "exit 2: ferry stats display: no daemon"));
        a.put(NAT64, "end", snap(true));
        Accounting.Outcome o = a.evaluate(NAT64, "start");
        assertThat(o.ok()).isFalse();
        assertThat(o.details()).anyMatch(d -> d.contains("no daemon"));
    }
}
