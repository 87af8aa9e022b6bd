package ferry.translate;

import static ferry.translate.Translator46Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.metrics.Counters;
import ferry.packet.PacketBuilder;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * The per-packet path allocates nothing (DESIGN.md): measured with the JVM's per-thread allocation counter over
 * many translations of each kind of packet, after a warm-up so that the JIT has compiled the path.
 */
class Translator46AllocationTest {
    private static final class CountingSink implements PacketSink {
        long packets, bytes;

        @Override
        public void emit(MemorySegment buf, long off, int len) {
            packets++;
            bytes += len;
        }
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    @Test
    void translatingUdpTcpEchoFragmentsIcmpErrorsAndGeneratedErrorsAllocatesNothing() {
        byte[] inner = PacketBuilder.ipv4("198.51.100.2", "192.0.2.1").udp(53, 4000).payload(100).build();
        byte[][] packets = {
                PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").udp(4000, 53).payload(64).build(),
                PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").tcp(40000, 443).payload(1400).build(),
                PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").echoRequest(1, 2).payload(56).build(),
                PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").udp(4000, 53).payload(3000).build(), // fragments
                PacketBuilder.ipv4("203.0.113.5", "198.51.100.2").icmpError(3, 4, 1400, inner).build(),
                PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").ttl(1).udp(4000, 53).payload(64).build(), // 11/0
                PacketBuilder.ipv4("224.0.0.1", "198.51.100.2").udp(4000, 53).build(), // dropped
        };
        Harness h = new Harness();
        Counters counters = new Counters();
        AddressMapper quiet = new AddressMapper() { // the fixture mapper records calls (allocates); this one does not
            @Override
            public ferry.metrics.Counter map64(Tuple tu) {
                return null;
            }

            @Override
            public ferry.metrics.Counter map46(Tuple tu) {
                tu.srcHi = POOL6.embedHi(tu.src4);
                tu.srcLo = POOL6.embedLo(tu.src4);
                tu.dstHi = POOL6.embedHi(tu.dst4);
                tu.dstLo = POOL6.embedLo(tu.dst4);
                return null;
            }
        };
        Translator46 t = new Translator46(h.config.build(), quiet, counters, 1);
        MemorySegment[] segs = new MemorySegment[packets.length];
        for (int i = 0; i < packets.length; i++) segs[i] = MemorySegment.ofArray(new byte[packets[i].length + 128]);
        CountingSink sink = new CountingSink();
        Runnable round = roundOf(t, packets, segs, sink);
        for (int i = 0; i < 30_000; i++) round.run(); // warm-up: let C2 compile (and escape-analyse) the path
        long before = allocatedBytes();
        for (int i = 0; i < 10_000; i++) round.run();
        long allocated = allocatedBytes() - before;
        assertThat(sink.packets).isGreaterThan(0);
        assertThat(allocated).as("bytes allocated over 70,000 translations").isLessThan(4096);
    }

    private static Runnable roundOf(Translator46 t, byte[][] packets, MemorySegment[] segs, CountingSink sink) {
        MemorySegment[] src = new MemorySegment[packets.length];
        for (int i = 0; i < packets.length; i++) src[i] = MemorySegment.ofArray(packets[i]);
        return () -> {
            for (int i = 0; i < packets.length; i++) {
                MemorySegment.copy(src[i], 0, segs[i], Translator.HEADROOM, packets[i].length);
                t.translate(segs[i], Translator.HEADROOM, packets[i].length, sink);
            }
        };
    }
}
