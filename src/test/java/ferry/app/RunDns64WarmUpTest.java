package ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.testkit.Await;
import java.net.DatagramSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ferry run} serving a config file's {@code "dns64"} section runs that server's start-up warm-up ({@code
 * "warm-up"} names, {@link ferry.dns64.Dns64WarmUp}) and logs its end ({@code event=dns64_warm_up}). A DNS64-only
 * instance, so no root and no TUN device are needed; the upstream is a port nothing answers (the warm-up needs none).
 */
class RunDns64WarmUpTest {
    @TempDir
    Path dir;

    @Test
    void theDns64SectionsWarmUpRunsAndIsLogged() throws Exception {
        int port;
        try (DatagramSocket s = new DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path config = dir.resolve("dns.json");
        Files.writeString(config, """
                { "instance": "warmtest",
                  "dns64": { "listen": ["127.0.0.1:%d"], "upstream": ["127.0.0.1:9"], "warm-up": 300 } }
                """.formatted(port));
        Path log = dir.resolve("run.log");
        Process p = RunProcess.start(config, log, false);
        try {
            Await.until("the warm-up's log line", 60, () -> RunProcess.read(log).contains("event=dns64_warm_up"), () -> RunProcess.read(log));
            assertThat(RunProcess.read(log)).containsPattern("event=dns64_warm_up instance=warmtest names=300 answers=600 ms=\\d+ stopped=no");
            p.destroy(); // SIGTERM
            assertThat(p.waitFor(15, TimeUnit.SECONDS)).as("stopped by SIGTERM").isTrue();
        } finally {
            if (p.isAlive()) p.destroyForcibly();
        }
    }
}
