package ferry.translate;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** RFC 7915 §4.2 (Fragmentation Needed → Packet Too Big MTU) with RFC 1191 plateaus. */
class Icmp46MtuTest {
    private static final int[] PLATEAUS = TranslatorSettings.DEFAULT_PLATEAUS;

    @Test
    void advertisedMtuGrowsBy20ForTheLargerIpv6Header() {
        assertThat(Icmp46Mtu.packetTooBigMtu(1400, 1500, 9000, 9000, PLATEAUS)).isEqualTo(1420);
    }

    @Test
    void resultIsCappedByTheIpv6NextHopMtu() {
        assertThat(Icmp46Mtu.packetTooBigMtu(1480, 1500, 1450, 9000, PLATEAUS)).isEqualTo(1450);
    }

    @Test
    void resultIsCappedByTheIpv4NextHopMtuPlus20() {
        assertThat(Icmp46Mtu.packetTooBigMtu(1480, 1500, 9000, 1400, PLATEAUS)).isEqualTo(1420);
    }

    @Test
    void advertisedMtu1024IsRaisedToTheIpv6Minimum1280() {
        assertThat(Icmp46Mtu.packetTooBigMtu(1024, 1500, 1500, 1500, PLATEAUS)).isEqualTo(1280);
    }

    @Test
    void advertised1260Becomes1280AndAdvertised1261Becomes1281() {
        assertThat(Icmp46Mtu.packetTooBigMtu(1260, 1262, 1500, 1500, PLATEAUS)).isEqualTo(1280);
        assertThat(Icmp46Mtu.packetTooBigMtu(1261, 1262, 1500, 1500, PLATEAUS)).isEqualTo(1281);
        assertThat(Icmp46Mtu.packetTooBigMtu(1259, 1262, 1500, 1500, PLATEAUS)).isEqualTo(1280);
    }

    @ParameterizedTest(name = "MTU 0, total length {0} -> plateau {1}")
    @CsvSource({"1500, 1492", "1493, 1492", "1492, 1006", "9000, 8166", "65535, 32000", "4353, 4352", "69, 68",
            "68, 0", "20, 0"})
    void zeroMtuUsesTheGreatestPlateauBelowTheTotalLength(int totalLength, int plateau) {
        assertThat(Icmp46Mtu.plateau(totalLength, PLATEAUS)).isEqualTo(plateau);
    }

    @Test
    void zeroMtuWithA9000BytePacketGivesPlateau8166Plus20() {
        assertThat(Icmp46Mtu.packetTooBigMtu(0, 9000, 9000, 9000, PLATEAUS)).isEqualTo(8186);
    }

    @Test
    void zeroMtuWithA1500BytePacketGivesTheMinimumOfPlateauPlus20AndTheNextHops() {
        assertThat(Icmp46Mtu.packetTooBigMtu(0, 1500, 1500, 1500, PLATEAUS)).isEqualTo(1500);
        assertThat(Icmp46Mtu.packetTooBigMtu(0, 1500, 9000, 9000, PLATEAUS)).isEqualTo(1512);
    }

    @Test
    void zeroMtuWithNoPlateauBelowTheLengthFallsBackTo1280() {
        assertThat(Icmp46Mtu.packetTooBigMtu(0, 60, 1500, 1500, PLATEAUS)).isEqualTo(1280);
    }

    @Test
    void plateausNeedNotBeSorted() {
        int[] unsorted = {508, 4352, 1492, 68, 2002};
        assertThat(Icmp46Mtu.plateau(3000, unsorted)).isEqualTo(2002);
        assertThat(Icmp46Mtu.plateau(1400, unsorted)).isEqualTo(508);
    }

    @Test
    void customPlateausAreUsed() {
        int[] custom = {6000, 5000, 4000, 3000, 2000, 1000};
        assertThat(Icmp46Mtu.packetTooBigMtu(0, 4500, 9000, 9000, custom)).isEqualTo(4020);
    }

    @Test
    void maximalAdvertisedMtuDoesNotOverflow() {
        assertThat(Icmp46Mtu.packetTooBigMtu(65535, 65535, Integer.MAX_VALUE, Integer.MAX_VALUE, PLATEAUS))
                .isEqualTo(65555);
    }
}
