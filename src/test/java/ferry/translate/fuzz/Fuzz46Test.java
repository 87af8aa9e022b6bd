package ferry.translate.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Tag;

/**
 * Jazzer fuzz target for the 4→6 direction (issue 2: "a Jazzer fuzz target per direction, run for a bounded time
 * in CI"). Input format: {@link FuzzCase}; raw inputs get version nibble 4, structured ones are IPv4 packets from
 * {@link ferry.translate.prop.PacketGen}. Asserts, for every input: no exception escapes, the verdict is accounted
 * for by the counters, every emitted packet passes {@code PacketCheck.problems} with its side's MTU, at most one
 * ICMP error and none about an ICMP error, transport checksums valid exactly when the input's were (see
 * {@link ferry.translate.prop.Oracle}).
 *
 * <p>Plain {@code mvn verify} runs it on the seed inputs in
 * {@code src/test/resources/ferry/translate/fuzz/Fuzz46TestInputs/ipv4Packets/} (regression mode); the surefire
 * execution {@code fuzz-46} (tag {@code fuzz46}) fuzzes it with {@code JAZZER_FUZZ=1}.
 */
@Tag("fuzz46")
class Fuzz46Test {

    @FuzzTest(maxDuration = "60s")
    void ipv4Packets(byte[] data) {
        FuzzCheck.check(FuzzCase.decode(data, 4));
    }
}
