package ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SamplePcapCommandTest {
    @Test
    void theCommittedExampleIsExactlyWhatTheCommandWrites(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("sample.pcap");

        E2e.Run r = E2e.main("sample-pcap", out.toString());

        assertThat(r.exit()).isZero();
        assertThat(Files.readAllBytes(out))
                .as("examples/sample.pcap is stale: regenerate it with ./ferry sample-pcap examples/sample.pcap")
                .isEqualTo(Files.readAllBytes(Path.of("examples/sample.pcap")));
    }

    @Test
    void theSampleHoldsOnePacketPerDescriptionWithIncreasingTimestamps(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("s.pcap");
        E2e.main("sample-pcap", out.toString());

        var packets = E2e.read(out);
        var samples = SampleTraffic.packets();

        assertThat(packets).hasSize(samples.size());
        for (int i = 0; i < samples.size(); i++) {
            assertThat(packets.get(i).data()).isEqualTo(samples.get(i).packet());
            if (i > 0) assertThat(packets.get(i).ts()).isGreaterThan(packets.get(i - 1).ts());
        }
    }
}
