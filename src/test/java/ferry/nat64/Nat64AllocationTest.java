package ferry.nat64;

import static ferry.nat64.Nat64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Prefix4;
import ferry.metrics.Counters;
import ferry.packet.IpProto;
import ferry.packet.PacketBuilder;
import ferry.translate.IpTranslator;
import ferry.translate.PacketSink;
import ferry.translate.Translator;
import ferry.translate.TranslatorSettings;
import ferry.translate.Verdict;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The NAT64 per-packet path allocates nothing (DESIGN.md), also when it creates and expires sessions: measured with
 * the JVM's per-thread allocation counter over many packets after a warm-up.
 */
class Nat64AllocationTest {
    static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    @Test
    void establishedNewAndExpiringFlowsIcmpErrorsAndRefusalsAllocateNothing() {
        Nat64Mapper m = new Nat64Mapper(POOL6, true, new Pool4(List.of(
                new Pool4.Entry(IpProto.UDP, Prefix4.parse("203.0.113.0/28"), 1024, 65535, 0),
                new Pool4.Entry(IpProto.TCP, Prefix4.parse("203.0.113.0/28"), 1024, 65535, 0),
                new Pool4.Entry(IpProto.ICMP, Prefix4.parse("203.0.113.0/28"), 0, 65535, 0)), 11, 3),
                List.of(staticBib(IpProto.TCP, X6, 22, "203.0.113.1", 2222)),
                Nat64Settings.defaults().withMaxSessions(1 << 16).withSubscriberLimits(1000, 1000, 128));
        m.log(new Nat64Log(true, true, 1 << 10)); // a full log queue drops without allocating
        TranslatorSettings ts = new TranslatorSettings(false, false, 0, TranslatorSettings.DEFAULT_PLATEAUS, false,
                1280, null, null, false, Prefix4.parse("192.0.2.1/32"), ferry.addr.Prefix6.parse("2001:db8:ffff::1/128"),
                1500, 1500, ferry.translate.EamHairpinMode.INTRINSIC);
        Translator t = new IpTranslator(ts, m, new Counters());
        MemorySegment buf = MemorySegment.ofArray(new byte[Translator.HEADROOM + 2048]);
        long[] emitted = {0};
        PacketSink sink = (b, o, l) -> emitted[0] += l;
        byte[] udp = v6(X6, Y4).udp(40000, 53).payload(64).build();
        byte[] tcpSyn = v6(X6, Y4).tcp(40000, 80).tcpFlags(0x02).build();
        byte[] echo = v6(X6, Y4).echoRequest(7, 1).build();
        byte[] inbound = v4(Y4, "203.0.113.1").tcp(80, 2222).tcpFlags(0x02).build(); // through the static entry
        byte[] unsolicited = v4(Y4, "203.0.113.2").tcp(80, 3333).tcpFlags(0x02).build(); // held, then 3/3
        byte[] noBib = v4(Y4, "203.0.113.3").udp(53, 4444).build(); // 3/1
        byte[] errorNoSession = v4(R4, "203.0.113.3").icmpError(3, 3, 0, v4("203.0.113.3", Y4).udp(1, 2).build()).build();
        byte[][] fixed = {tcpSyn, echo, inbound, unsolicited, noBib, errorNoSession};
        // the harness wraps its packets once: only the translator's own allocations are measured
        MemorySegment[] fixedSegs = new MemorySegment[fixed.length];
        for (int i = 0; i < fixed.length; i++) fixedSegs[i] = MemorySegment.ofArray(fixed[i]);
        MemorySegment udpSeg = MemorySegment.ofArray(udp);
        long[] now = {1000 * SEC};
        long[] flow = {0};
        Runnable round = () -> {
            for (int k = 0; k < fixedSegs.length; k++) send(t, buf, fixedSegs[k], now[0], sink);
            // a new UDP flow per round from a new source (and its answer), time moving so that flows expire
            long i = flow[0]++;
            MemorySegment.copy(udpSeg, 0, buf, Translator.HEADROOM, udp.length);
            ferry.packet.Bytes.put64(buf, Translator.HEADROOM + 16, 0x1000 + (i & 0xffff));
            t.translate(buf, Translator.HEADROOM, udp.length, now[0], sink);
            now[0] += 10_000_000L; // 10 ms per round: flows expire after 30,000 rounds
        };
        for (int i = 0; i < 60_000; i++) round.run(); // warm-up, and the tables reach steady state
        long before = allocatedBytes();
        for (int i = 0; i < 20_000; i++) round.run();
        long allocated = allocatedBytes() - before;
        assertThat(emitted[0]).isPositive();
        assertThat(m.sessionCount(IpProto.UDP)).isBetween(1000, 40_000);
        assertThat(allocated).as("bytes allocated by 140,000 packets").isLessThan(4096);
    }

    @Test
    void batchesWithLookAheadAllocateNothing() {
        Nat64Mapper m = new Nat64Mapper(POOL6, true, new Pool4(List.of(
                new Pool4.Entry(IpProto.UDP, Prefix4.parse("203.0.113.0/28"), 1024, 65535, 0)), 11, 3),
                List.of(), Nat64Settings.defaults().withMaxSessions(1 << 16));
        Translator t = new IpTranslator(TranslatorSettings.defaults(), m, new Counters());
        int n = 32, flows = 4096;
        byte[] udp = v6(X6, Y4).udp(40000, 53).payload(64).build();
        MemorySegment udpSeg = MemorySegment.ofArray(udp);
        MemorySegment[] bufs = new MemorySegment[n];
        long[] offs = new long[n];
        int[] lens = new int[n];
        Verdict[] verdicts = new Verdict[n];
        for (int j = 0; j < n; j++) {
            bufs[j] = MemorySegment.ofArray(new byte[Translator.HEADROOM + 2048]);
            offs[j] = Translator.HEADROOM;
            lens[j] = udp.length;
        }
        long[] emitted = {0};
        PacketSink sink = (b, o, l) -> emitted[0] += l;
        long[] next = {0};
        long now = 1000 * SEC;
        Runnable batch = () -> {
            for (int j = 0; j < n; j++) { // established flows, in a scattered order (new ones in the first rounds)
                long i = (next[0]++ * 2654435761L) % flows;
                MemorySegment.copy(udpSeg, 0, bufs[j], Translator.HEADROOM, udp.length);
                ferry.packet.Bytes.put64(bufs[j], Translator.HEADROOM + 16, 0x1000 + i);
            }
            t.translate(bufs, offs, lens, n, now, sink, verdicts);
        };
        for (int i = 0; i < 5_000; i++) batch.run(); // warm-up: every flow created
        long before = allocatedBytes();
        for (int i = 0; i < 5_000; i++) batch.run();
        long allocated = allocatedBytes() - before;
        assertThat(m.sessionCount(IpProto.UDP)).isEqualTo(flows);
        assertThat(verdicts).containsOnly(Verdict.EMIT);
        assertThat(emitted[0]).isPositive();
        assertThat(allocated).as("bytes allocated by 160,000 packets in batches").isLessThan(4096);
    }

    static void send(Translator t, MemorySegment buf, MemorySegment p, long now, PacketSink sink) {
        int len = (int) p.byteSize();
        MemorySegment.copy(p, 0, buf, Translator.HEADROOM, len);
        t.translate(buf, Translator.HEADROOM, len, now, sink);
    }

    static {
        assert PacketBuilder.class != null;
    }
}
