package ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.io.PacketReader;
import ferry.io.PacketReaders;
import ferry.io.PacketWriter;
import ferry.io.PacketWriters;
import ferry.metrics.Counter;
import ferry.metrics.Counters;
import ferry.packet.PacketBuilder;
import ferry.translate.Translator;
import ferry.translate.Verdict;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OfflineTranslationTest {
    @TempDir
    Path dir;

    /** Emits the packet once per its last byte's value (0: drop), after checking the headroom is writable. */
    static final class EchoTranslator implements Translator {
        final Counters counters;
        final List<Long> offsets = new ArrayList<>();

        EchoTranslator(Counters counters) {
            this.counters = counters;
        }

        @Override
        public Verdict translate(MemorySegment buf, long off, int len, ferry.translate.PacketSink sink) {
            if (offsets.size() < 10) offsets.add(off);
            buf.set(ValueLayout.JAVA_BYTE, off - HEADROOM, (byte) 0); // must not throw: headroom is ours
            int copies = buf.get(ValueLayout.JAVA_BYTE, off + len - 1);
            if (copies == 0) {
                counters.inc(Counter.DROP_TRUNCATED);
                return Verdict.DROP;
            }
            if (copies == 99) throw new IllegalStateException("translator bug");
            for (int i = 0; i < copies; i++) sink.emit(buf, off, len);
            counters.inc(Counter.XLAT_46_OK);
            return Verdict.EMIT;
        }
    }

    static byte[] packet(int copies) {
        byte[] p = PacketBuilder.ipv4("192.0.2.1", "198.51.100.2").udp(1, 2).payload(new byte[] {(byte) copies})
                .build();
        return p;
    }

    Path capture(List<byte[]> packets) throws IOException {
        Path f = dir.resolve("in.pcap");
        try (PacketWriter w = PacketWriters.pcap(f)) {
            long ts = 1_000;
            for (byte[] p : packets) w.write(MemorySegment.ofArray(p), 0, p.length, ts++);
        }
        return f;
    }

    @Test
    void everyEmittedPacketIsWrittenInOrderWithItsInputsTimestamp() throws IOException {
        Path in = capture(List.of(packet(1), packet(0), packet(2), packet(99), packet(1)));
        Path out = dir.resolve("out.pcap");
        Counters c = new Counters();
        EchoTranslator t = new EchoTranslator(c);
        OfflineTranslation x = new OfflineTranslation(t, c);
        ByteArrayOutputStream err = new ByteArrayOutputStream();

        try (PacketReader r = PacketReaders.open(in); PacketWriter w = PacketWriters.pcap(out)) {
            x.run(r, w, new PrintStream(err, true, StandardCharsets.UTF_8));
        }

        List<Long> ts = new ArrayList<>();
        try (PacketReader r = PacketReaders.open(out)) {
            while (r.next()) ts.add(r.timestampNanos());
        }
        assertThat(ts).containsExactly(1000L, 1002L, 1002L, 1004L);
        assertThat(x.packetsIn()).isEqualTo(5);
        assertThat(x.packetsOut()).isEqualTo(4);
        assertThat(x.verdicts(Verdict.EMIT)).isEqualTo(3);
        assertThat(x.verdicts(Verdict.DROP)).isEqualTo(1);
        assertThat(t.offsets).containsOnly((long) Translator.HEADROOM);
        assertThat(c.get(Counter.DROP_INTERNAL_ERROR)).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("internal error translating packet 4")
                .contains("translator bug");
    }

    @Test
    void theSummaryListsInOutAndEachNonZeroCounterWithItsExplanation() throws IOException {
        Path in = capture(List.of(packet(1), packet(0), packet(3)));
        Counters c = new Counters();
        OfflineTranslation x = new OfflineTranslation(new EchoTranslator(c), c);
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        try (PacketReader r = PacketReaders.open(in); PacketWriter w = PacketWriters.hex(
                java.nio.channels.Channels.newChannel(new ByteArrayOutputStream()))) {
            x.run(r, w, System.err);
            x.printSummary(new PrintStream(s, true, StandardCharsets.UTF_8), r);
        }

        String summary = s.toString(StandardCharsets.UTF_8);

        assertThat(summary).contains("packets in:  3\n").contains("packets out: 4\n")
                .containsPattern("xlat_46_ok +2  IPv4 packets translated to IPv6")
                .containsPattern("drop_truncated +1  packet shorter than its fixed header")
                .doesNotContain("drop_internal_error").doesNotContain("warning");
    }

    @Test
    void theWholePathWithTheRealSiitTranslatorAllocatesNothingPerPacket() throws Exception {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        var cfg = ferry.config.ConfigParser.parse(TranslateEndToEndTest.CONFIG, "e2e.json");
        List<byte[]> mix = TranslateEndToEndTest.inputs(); // UDP, TCP, ICMP, fragments, ICMP errors, TTL 1, DF=0
        long[] perRun = new long[2];
        int[] rounds = {50, 1_000};
        for (int k = 0; k < 2; k++) {
            List<byte[]> ps = new ArrayList<>();
            for (int i = 0; i < rounds[k]; i++) ps.addAll(mix);
            Path in = capture(ps);
            Counters c = new Counters();
            OfflineTranslation x = new OfflineTranslation(Wiring.translator(cfg, c), c);
            try (PacketReader r = PacketReaders.open(in); PacketWriter w = PacketWriters.pcap(dir.resolve("o.pcap"))) {
                x.run(r, w, System.err); // warm-up
            }
            try (PacketReader r = PacketReaders.open(in); PacketWriter w = PacketWriters.pcap(dir.resolve("o.pcap"))) {
                long before = mx.getCurrentThreadAllocatedBytes();
                x.run(r, w, System.err);
                perRun[k] = mx.getCurrentThreadAllocatedBytes() - before;
            }
        }
        long extraPackets = (long) (rounds[1] - rounds[0]) * mix.size();
        System.out.println("real translator, allocated per run: " + perRun[0] + " / " + perRun[1] + " bytes; "
                + extraPackets + " more packets");
        assertThat(perRun[1] - perRun[0]).isLessThan(extraPackets);
    }

    @Test
    void thePerPacketLoopAllocatesNothing() throws IOException {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long[] perRun = new long[2];
        int[] sizes = {1_000, 20_000};
        for (int k = 0; k < 2; k++) {
            List<byte[]> ps = new ArrayList<>();
            for (int i = 0; i < sizes[k]; i++) ps.add(packet(1 + i % 2));
            Path in = capture(ps);
            Counters c = new Counters();
            OfflineTranslation x = new OfflineTranslation(new EchoTranslator(c), c);
            try (PacketReader r = PacketReaders.open(in); PacketWriter w = PacketWriters.pcap(dir.resolve("o.pcap"))) {
                x.run(r, w, System.err); // warm-up run over the same file
            }
            try (PacketReader r = PacketReaders.open(in); PacketWriter w = PacketWriters.pcap(dir.resolve("o.pcap"))) {
                long before = mx.getCurrentThreadAllocatedBytes();
                x.run(r, w, System.err);
                perRun[k] = mx.getCurrentThreadAllocatedBytes() - before;
            }
        }
        System.out.println("allocated per run: " + perRun[0] + " / " + perRun[1]);
        // 19,000 more packets (28,500 more written) must not cost more memory: < 1 byte per extra packet.
        assertThat(perRun[1] - perRun[0]).isLessThan(19_000);
    }
}
