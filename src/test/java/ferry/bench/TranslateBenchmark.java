package ferry.bench;

import ferry.addr.EamEntry;
import ferry.addr.Eamt;
import ferry.addr.Prefix4;
import ferry.addr.Prefix6;
import ferry.addr.Denylist4;
import ferry.addr.Rfc6052;
import ferry.metrics.Counters;
import ferry.packet.Bytes;
import ferry.packet.PacketBuilder;
import ferry.siit.SiitMapper;
import ferry.translate.PacketSink;
import ferry.translate.IpTranslator;
import ferry.translate.Translator;
import ferry.translate.TranslatorSettings;
import ferry.translate.Verdict;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * In-memory translation throughput, one thread, SIIT with pool6 64:ff9b::/96 and one EAMT entry
 * (2001:db8::/120 = 198.51.100.0/24): each operation copies one packet into the receive buffer at
 * {@link Translator#HEADROOM} (as a TUN read would) and translates it in place. Run with {@code -prof gc} to see
 * the allocation per packet (bench/jmh.sh does).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class TranslateBenchmark {
    @Param({"udp64_6to4", "udp64_4to6", "tcp1400_6to4", "tcp1400_4to6", "icmp4error_4to6", "icmp6error_6to4"})
    public String packet;

    private Arena arena;
    private MemorySegment buf;
    private MemorySegment input;
    private int len;
    private Translator translator;
    private PacketSink sink;
    private long emitted;

    @Setup(Level.Trial)
    public void setup() {
        Rfc6052 pool6 = Rfc6052.parse("64:ff9b::/96");
        TranslatorSettings s = TranslatorSettings.defaults();
        translator = new IpTranslator(s, new SiitMapper(pool6,
                Eamt.of(List.of(new EamEntry(Prefix6.parse("2001:db8::/120"), Prefix4.parse("198.51.100.0/24")))), Denylist4.of(List.of()), true),
                new Counters());
        byte[] p = packet(packet);
        arena = Arena.ofConfined();
        input = arena.allocate(p.length);
        MemorySegment.copy(MemorySegment.ofArray(p), 0, input, 0, p.length);
        len = p.length;
        buf = arena.allocate(Translator.HEADROOM + 2048);
        sink = (seg, off, n) -> emitted += n;
        // sanity: the packet must translate, or the benchmark measures a drop
        MemorySegment.copy(input, 0, buf, Translator.HEADROOM, len);
        Verdict v = translator.translate(buf, Translator.HEADROOM, len, sink);
        if (v != Verdict.EMIT) throw new IllegalStateException(packet + " does not translate: " + v);
        setupBatch();
    }

    static byte[] packet(String name) {
        String v6src = "2001:db8::10", v6dst = "64:ff9b::c000:221";
        String v4src = "192.0.2.33", v4dst = "198.51.100.7";
        String v6ofV4src = "64:ff9b::c000:221";
        return switch (name) {
            case "udp64_6to4" -> PacketBuilder.ipv6(v6src, v6dst).hopLimit(64).udp(40000, 53).payload(64).build();
            case "udp64_4to6" -> PacketBuilder.ipv4(v4src, v4dst).ttl(64).udp(53, 40000).payload(64).build();
            case "tcp1400_6to4" -> PacketBuilder.ipv6(v6src, v6dst).hopLimit(64).tcp(40000, 80).payload(1400).build();
            case "tcp1400_4to6" -> PacketBuilder.ipv4(v4src, v4dst).ttl(64).df(true).tcp(80, 40000).payload(1400).build();
            case "icmp4error_4to6" -> {
                byte[] inner = PacketBuilder.ipv4(v4dst, v4src).ttl(3).udp(40000, 53).payload(64).build();
                yield PacketBuilder.ipv4(v4src, v4dst).ttl(64).icmpError(3, 3, 0, inner).build();
            }
            case "icmp6error_6to4" -> {
                byte[] inner = PacketBuilder.ipv6(v6ofV4src, v6src).hopLimit(3).udp(53, 40000).payload(64).build();
                yield PacketBuilder.ipv6(v6src, v6dst).hopLimit(64).icmpError(1, 4, 0, inner).build();
            }
            default -> throw new IllegalArgumentException(name);
        };
    }

    @Benchmark
    public Verdict translate() {
        MemorySegment.copy(input, 0, buf, Translator.HEADROOM, len);
        return translator.translate(buf, Translator.HEADROOM, len, sink);
    }

    /** Packets per {@link #translateBatch} call: as {@link Nat64Benchmark.Flows#BATCH}. */
    static final int BATCH = Nat64Benchmark.Flows.BATCH;
    private BatchBuffers batch;
    private long srcLo;
    private int srcPort;

    private void setupBatch() {
        batch = new BatchBuffers(arena, len);
        srcLo = Bytes.i64(input, 16); // IPv6 packets: source low word; IPv4 packets: bytes 16-23 (rewritten as is)
        srcPort = Bytes.u16(input, 40);
    }

    /**
     * The SIIT reference through the NAT64 batch harness ({@link Nat64Benchmark.Flows#sendBatch}): {@link #BATCH}
     * packets copied into as many buffers, the words NAT64's harness rewrites per packet written (with the values
     * they hold: SIIT is stateless), then the translator's batch API. Compare {@code Nat64Benchmark.*Batch} with this
     * (like with like) as well as with {@link #translate}.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int translateBatch() {
        for (int j = 0; j < BATCH; j++) {
            MemorySegment b = batch.bufs[j];
            MemorySegment.copy(input, 0, b, Translator.HEADROOM, len);
            Bytes.put64(b, Translator.HEADROOM + 16, srcLo);
            Bytes.put16(b, Translator.HEADROOM + 40, srcPort);
        }
        return batch.translate(translator, BATCH, 0L, sink);
    }

    @TearDown(Level.Trial)
    public void tearDown(Blackhole bh) {
        bh.consume(emitted);
        arena.close();
    }
}
