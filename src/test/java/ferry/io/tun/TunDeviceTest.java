package ferry.io.tun;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Arguments {@link TunDevice#open} refuses before any system call (no root needed). */
class TunDeviceTest {
    @Test
    void namesThatTheKernelWouldRefuseAreRefusedUpFront() {
        assertThatThrownBy(() -> TunDevice.open("", 1, false, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1..15");
        assertThatThrownBy(() -> TunDevice.open("sixteen-chars-xx", 1, false, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TunDevice.open("a/b", 1, false, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void zeroQueuesIsRefused() {
        assertThatThrownBy(() -> TunDevice.open("ferry0", 0, false, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("queues");
    }

    @Test
    void offloadsNeedVnetHeadersAndTsoNeedsChecksumOffload() {
        assertThatThrownBy(() -> TunDevice.open("ferry0", 1, false, TunDevice.OFFLOAD_CSUM))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vnet");
        assertThatThrownBy(() -> TunDevice.open("ferry0", 1, true, TunDevice.OFFLOAD_TSO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("TUN_F_CSUM");
    }

    @Test
    void offloadsFerryCannotTranslateAreRefused() {
        int ufo = 0x10;
        int uso4 = 0x20;
        assertThatThrownBy(() -> TunDevice.open("ferry0", 1, true, TunDevice.OFFLOAD_CSUM | ufo))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no UFO");
        assertThatThrownBy(() -> TunDevice.open("ferry0", 1, true, TunDevice.OFFLOAD_CSUM | uso4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("go together");
    }
}
