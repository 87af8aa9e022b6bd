package ferry.translate;

import static ferry.translate.Translator64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.metrics.Counters;
import ferry.packet.PacketBuilder;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * The per-packet path allocates nothing (DESIGN.md): measured with the JVM's per-thread allocation counter over
 * many 6->4 translations of each kind, after a warm-up, with the real SiitMapper.
 */
class Translator64AllocationTest {
    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    @Test
    void translatingUdpTcpEchoFragmentsIcmpErrorsAndGeneratedErrorsAllocatesNothing() {
        byte[] quoted = PacketBuilder.ipv6(H6, R6).udp(4000, 53).payload(96).build(); // 144 bytes
        byte[] ext = new byte[144 + 16];
        System.arraycopy(quoted, 0, ext, 0, quoted.length);
        byte[][] packets = {
                v6().udp(4000, 53).payload(64).build(),
                v6().tcp(40000, 443).payload(1400).build(),
                v6().echoRequest(1, 2).payload(56).build(),
                v6().fragment(0, true, 77).udp(1, 2).payload(64).build(),
                PacketBuilder.ipv6(R6, H6).icmpError(1, 4, 0, quoted).build(),
                PacketBuilder.ipv6(R6, H6).icmpError(3, 0, 18 << 24, ext).build(), // RFC 4884, scratch path
                PacketBuilder.ipv6(ROUTER6, H6).icmpError(2, 0, 1400, quoted).build(), // RFC 6791 source
                v6().hopLimit(1).udp(4000, 53).payload(64).build(), // Time Exceeded generated
                v6().routing(1).udp(1, 2).build(), // Parameter Problem generated
                PacketBuilder.ipv6("ff02::1", R6).udp(4000, 53).build(), // dropped
        };
        Harness h = new Harness();
        Counters counters = new Counters();
        Translator64 t = new Translator64(h.config.build(), h.mapper, counters, 1);
        MemorySegment[] bufs = new MemorySegment[packets.length];
        MemorySegment[] srcs = new MemorySegment[packets.length];
        for (int i = 0; i < packets.length; i++) {
            srcs[i] = MemorySegment.ofArray(packets[i]);
            bufs[i] = MemorySegment.ofArray(new byte[Translator.HEADROOM + packets[i].length + TAIL]);
        }
        long[] emitted = new long[1];
        PacketSink sink = (b, o, l) -> emitted[0] += l;
        Runnable round = () -> {
            for (int i = 0; i < packets.length; i++) {
                MemorySegment.copy(srcs[i], 0, bufs[i], Translator.HEADROOM, packets[i].length);
                t.translate(bufs[i], Translator.HEADROOM, packets[i].length, sink);
            }
        };
        for (int i = 0; i < 20_000; i++) round.run(); // warm-up: let the JIT compile (and escape-analyse) the path
        long before = allocatedBytes();
        for (int i = 0; i < 10_000; i++) round.run();
        long after = allocatedBytes();
        assertThat(emitted[0]).isPositive();
        assertThat(counters.get(ferry.metrics.Counter.DROP_INTERNAL_ERROR)).isZero();
        // 100,000 translations; a few hundred bytes of slack for the JVM's own background bookkeeping
        assertThat(after - before).as("bytes allocated by 100,000 translations").isLessThan(4096);
    }
}
