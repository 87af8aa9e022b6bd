package ferry.lab;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LabRelationTest {
    @Test
    void anAddressUnderThePlatPrefixCarriesTheIpv4AddressInItsLast32Bits() {
        assertThat(Lab.relation("64:ff9b::c000:201", "192.0.2.1"))
                .startsWith("192.0.2.1 is bits 96-127 (0xc0000201) of 64:ff9b::c000:201 under 64:ff9b::/96");
    }

    @Test
    void aMismatchIsSaidSo() {
        assertThat(Lab.relation("192.0.2.2", "64:ff9b::c000:201")).startsWith("192.0.2.2 is NOT bits 96-127");
    }

    @Test
    void anAddressOutsideEveryPrefixIsAStatefulBinding() {
        assertThat(Lab.relation("2001:db8:8011:fd00::10", "203.0.113.3"))
                .contains("stateful NAT64 (RFC 6146) bound it to pool4 address 203.0.113.3");
    }

    @Test
    void addressesAreReadFromRawPacketsOfEitherFamily() {
        byte[] v4 = ferry.packet.PacketBuilder.ipv4("198.51.100.109", "192.0.2.1").raw(1, new byte[8]).build();
        assertThat(Lab.addresses(v4)).containsExactly("198.51.100.109", "192.0.2.1");
        byte[] v6 = ferry.packet.PacketBuilder.ipv6("2001:db8:8011:fd00::10", "64:ff9b::c000:201")
                .raw(58, new byte[8]).build();
        assertThat(Lab.addresses(v6)).containsExactly("2001:db8:8011:fd00::10", "64:ff9b::c000:201");
    }
}
