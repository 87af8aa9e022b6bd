package ferry.clat;

import static ferry.clat.ClatMapperTest.CLAT6;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Prefix4;
import ferry.addr.Rfc6052;
import ferry.metrics.Counter;
import ferry.packet.PacketBuilder;
import ferry.translate.PacketSink;
import ferry.translate.Translator;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The CLAT's per-packet path allocates nothing (DESIGN.md), also while discovery swaps the PLAT prefix: measured
 * with the JVM's per-thread allocation counter over many translations of each kind, after a warm-up.
 */
class ClatAllocationTest {
    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    @Test
    void translatingThroughTheClatMapperAllocatesNothingInEitherModeOrDirection() {
        for (SourceMapping source : List.of(ClatMapperTest.SINGLE, ClatMapperTest.DEDICATED)) {
            String own4 = source.dedicated() ? "192.0.2.33" : "192.0.0.1";
            String own6 = source.dedicated() ? "2001:db8:1:2::c000:221" : CLAT6;
            byte[] quoted = PacketBuilder.ipv6(own6, "64:ff9b::203.0.113.9").udp(4000, 53).payload(64).build();
            byte[][] packets = {
                    PacketBuilder.ipv4(own4, "198.51.100.7").udp(4000, 53).payload(64).build(),
                    PacketBuilder.ipv4(own4, "198.51.100.7").tcp(40000, 443).payload(1400).build(),
                    PacketBuilder.ipv6("64:ff9b::198.51.100.7", own6).udp(53, 4000).payload(64).build(),
                    PacketBuilder.ipv6("64:ff9b::198.51.100.7", own6).echoReply(1, 2).payload(56).build(),
                    PacketBuilder.ipv6("2001:db8:99::1", own6).icmpError(2, 0, 1400, quoted).build(), // PTB, RFC 6791
                    PacketBuilder.ipv4(own4, "10.0.0.1").udp(1, 2).build(), // dropped: wkp-strict
            };
            ClatHarness h = new ClatHarness("64:ff9b::/96", source, true);
            MemorySegment[] bufs = new MemorySegment[packets.length], srcs = new MemorySegment[packets.length];
            for (int i = 0; i < packets.length; i++) {
                srcs[i] = MemorySegment.ofArray(packets[i]);
                bufs[i] = MemorySegment.ofArray(new byte[Translator.HEADROOM + packets[i].length + 256]);
            }
            long[] emitted = new long[1];
            PacketSink sink = (b, o, l) -> emitted[0] += l;
            Runnable round = () -> {
                for (int i = 0; i < packets.length; i++) {
                    MemorySegment.copy(srcs[i], 0, bufs[i], Translator.HEADROOM, packets[i].length);
                    h.translator.translate(bufs[i], Translator.HEADROOM, packets[i].length, sink);
                }
            };
            PlatPrefix wkp = h.holder.get();
            PlatPrefix nsp = new PlatPrefix(Rfc6052.parse("2001:db8:64::/64"), PlatSource.PREF64_RA, 1);
            for (int i = 0; i < 20_000; i++) round.run();
            long before = allocatedBytes();
            for (int i = 0; i < 10_000; i++) {
                // a prefix swap between packets (the holder is written by discovery; objects made beforehand)
                if (i == 5000) h.holder.set(nsp);
                round.run();
            }
            long after = allocatedBytes();
            h.holder.set(wkp);
            assertThat(emitted[0]).isPositive();
            assertThat(h.counters.get(Counter.DROP_INTERNAL_ERROR)).isZero();
            // one allocation per packet would be >= 16 x 60,000 bytes; a few KB is JIT and profiling noise (as in the core)
            assertThat(after - before).as("bytes allocated by 60,000 translations (%s)", source).isLessThan(4096);
        }
    }

    @Test
    void sourceMappingHasNoOverlapProblemsForTypicalIslands() {
        // several island prefixes, nested ones resolved by longest match
        SourceMapping s = SourceMapping.dedicated(ClatHarness.p6("2001:db8:1:2::/96"),
                List.of(Prefix4.parse("192.0.2.0/24"), Prefix4.parse("192.0.2.128/25"), Prefix4.parse("198.51.100.0/24")));
        assertThat(s.eamt().find4(ferry.addr.Ipv4.parse("192.0.2.200"))).isEqualTo(1);
        assertThat(s.eamt().v4(1, s.eamt().hi6(1, ferry.addr.Ipv4.parse("192.0.2.200")),
                s.eamt().lo6(1, ferry.addr.Ipv4.parse("192.0.2.200")))).isEqualTo(ferry.addr.Ipv4.parse("192.0.2.200"));
    }
}
