package ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Every {@link RunEndToEndTest} again with {@code "tun": {"io": "uring"}}: ping, HTTP, UDP, TTL expiry, path MTU,
 * reload, vnet headers with partial checksums and device removal, through workers that batch their reads and
 * writes on an io_uring (root; under the e2e lock).
 */
class RunEndToEndUringTest extends RunEndToEndTest {
    @Override
    String io() {
        return "uring";
    }

    @Test
    @Order(0)
    void theWorkersRunOnIoUringWithoutFallingBack() {
        String err = ferry.stderr();
        assertThat(err).contains("event=ready").contains("io=uring");
        assertThat(err).as("io_uring set up for every queue").doesNotContain("tun_io_uring_unavailable");
    }
}
