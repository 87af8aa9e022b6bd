package ferry.io.tun;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Denylist4;
import ferry.addr.EamEntry;
import ferry.addr.Eamt;
import ferry.addr.Prefix4;
import ferry.addr.Prefix6;
import ferry.addr.Rfc6052;
import ferry.metrics.Counter;
import ferry.metrics.Counters;
import ferry.packet.Bytes;
import ferry.packet.Checksum;
import ferry.packet.PacketBuilder;
import ferry.siit.SiitMapper;
import ferry.translate.IpTranslator;
import ferry.translate.Translator;
import ferry.translate.TranslatorSettings;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link TunWorker} without root and without a TUN device: its queue fd is one end of a non-blocking
 * {@code AF_UNIX SOCK_DGRAM} socket pair, which keeps packet boundaries as a TUN fd does; the test plays the
 * kernel at the other end.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TunWorkerTest {
    static final Rfc6052 POOL6 = Rfc6052.parse("2001:db8:100::/40");
    static final MethodHandle SOCKETPAIR = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("socketpair").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    static final int AF_UNIX = 1;
    static final int SOCK_DGRAM = 2;

    final Arena arena = Arena.ofShared();
    final MemorySegment cap = LinuxC.captureSegment(arena);
    final MemorySegment io = arena.allocate(70_000, 64);
    final List<Thread> threads = new ArrayList<>();
    int workerFd = -1;
    int kernelFd = -1;
    EventFd stopFd;
    TunWorker worker;
    Thread thread;
    final AtomicReference<String> failure = new AtomicReference<>();

    @BeforeEach
    void pair() throws Throwable {
        MemorySegment fds = arena.allocate(JAVA_INT, 2);
        int r = (int) SOCKETPAIR.invokeExact(AF_UNIX, SOCK_DGRAM | LinuxC.O_NONBLOCK | LinuxC.O_CLOEXEC, 0, fds);
        assertThat(r).isZero();
        workerFd = fds.getAtIndex(JAVA_INT, 0);
        kernelFd = fds.getAtIndex(JAVA_INT, 1);
        stopFd = EventFd.create();
    }

    @AfterEach
    void close() throws Exception {
        if (worker != null) {
            worker.stop();
            stopFd.signal();
            thread.join(5000);
        }
        stopFd.close();
        LinuxC.closeQuietly(workerFd);
        LinuxC.closeQuietly(kernelFd);
        arena.close();
    }

    /**
     * Handlers that translate with {@link #translator} (no GSO), their sink made once per handler as ferry.app's
     * handler does, so a test measures the worker loop and the translator, not a lambda per packet.
     */
    static PacketHandler.Factory translatingOnce(Counters c) {
        return translatingOnce(c, false);
    }

    /**
     * As {@link #translatingOnce(Counters)}; with {@code batching} the handler asks for batches and hands each to the
     * translator's batch call, its verdicts array made once, as ferry.app's NAT64 handler does.
     */
    static PacketHandler.Factory translatingOnce(Counters c, boolean batching) {
        return (queue, out) -> {
            Translator t = translator(c);
            ferry.translate.PacketSink sink = out::send;
            ferry.translate.Verdict[] verdicts = new ferry.translate.Verdict[PacketHandler.MAX_BATCH];
            return new PacketHandler() {
                @Override
                public void handle(MemorySegment buf, long off, int len) {
                    t.translate(buf, off, len, sink);
                }

                @Override
                public boolean batches() {
                    return batching;
                }

                @Override
                public void handleBatch(MemorySegment[] bufs, long[] offs, int[] lens, int n) {
                    t.translate(bufs, offs, lens, n, 0L, sink, verdicts);
                }

                @Override
                public boolean handleGso(MemorySegment buf, long off, int len, int segmentLength) {
                    return false;
                }
            };
        };
    }

    static Translator translator(Counters counters) {
        return translator(counters, 1500);
    }

    static Translator translator(Counters counters, int mtu) {
        TranslatorSettings s = TranslatorSettings.defaults();
        return new IpTranslator(new TranslatorSettings(s.zeroizeTrafficClass(), s.overrideTos(), s.tos(),
                s.mtuPlateaus(), s.amendUdpChecksumZero(), s.lowestIpv6Mtu(), null, null, true,
                Prefix4.parse("203.0.113.1/32"), Prefix6.parse("2001:db8:ff::1/128"), mtu, mtu, null),
                new SiitMapper(POOL6, Eamt.of(List.of(new EamEntry(Prefix6.parse("2001:db8:6::/120"),
                        Prefix4.parse("192.0.2.0/24")))), Denylist4.EMPTY, true), counters);
    }

    /**
     * A handler around a translator; packets whose first byte is 0x00 make it throw. It asks for batches when
     * {@link #batching()} (and takes them with the default {@link PacketHandler#handleBatch}, one packet after the
     * other); {@link #batchSizes} records each batch's size.
     */
    PacketHandler.Factory translating(Counters counters) {
        boolean batching = batching();
        return (queue, out) -> {
            Translator t = translator(counters);
            Translator whole = translator(counters, 65535); // super-packets: no MTU rule on their length
            return new PacketHandler() {
                @Override
                public boolean batches() {
                    return batching;
                }

                @Override
                public void handleBatch(MemorySegment[] bufs, long[] offs, int[] lens, int n) {
                    batchSizes.add(n);
                    PacketHandler.super.handleBatch(bufs, offs, lens, n);
                }

                @Override
                public void handle(MemorySegment buf, long off, int len) {
                    if (buf.get(ValueLayout.JAVA_BYTE, off) == 0) throw new IllegalStateException("boom");
                    t.translate(buf, off, len, out::send);
                }

                @Override
                public boolean handleGso(MemorySegment buf, long off, int len, int segmentLength) {
                    whole.translate(buf, off, len, out::send);
                    return true;
                }
            };
        };
    }

    /** The sizes of the batches {@link #translating} handlers were given, in order. */
    final List<Integer> batchSizes = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Handlers ask for batches ({@link BatchingTunWorkerTest} runs every test here again with them). */
    boolean batching() {
        return false;
    }

    /** The I/O mode under test ({@link UringTunWorkerTest} runs every test here again with io_uring). */
    TunIo io() {
        return TunIo.SYSCALLS;
    }

    void start(boolean vnet, PacketHandler.Factory f, long giveUpMs) {
        worker = new TunWorker(0, workerFd, vnet, Translator.HEADROOM, stopFd, () -> f, (q, m) -> failure.set(m),
                giveUpMs, TimeUnit.MILLISECONDS, io());
        thread = Thread.ofPlatform().name("test-tun-q0").start(worker);
    }

    void send(byte[] p) throws Throwable {
        MemorySegment.copy(p, 0, io, ValueLayout.JAVA_BYTE, 0, p.length);
        long r = (long) LinuxC.WRITE.invokeExact(cap, kernelFd, io.address(), (long) p.length);
        assertThat(r).as("write errno %d", LinuxC.errno(cap)).isEqualTo(p.length);
    }

    /** The next packet the worker wrote, or null after 2 s. */
    byte[] receive() throws Throwable {
        long n = receiveLength();
        return n < 0 ? null : io.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
    }

    /** The length of the next packet the worker wrote (now in {@code io}), or -1 after 2 s; spins. */
    long receiveLength() throws Throwable {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (System.nanoTime() < deadline) {
            long r = (long) LinuxC.READ.invokeExact(cap, kernelFd, io.address(), 70_000L);
            if (r >= 0) return r;
            Thread.onSpinWait();
        }
        return -1;
    }

    /**
     * Waits (2 s at most) until the worker's counter reaches {@code want}: the "kernel" end may see a packet a moment
     * before the worker counts it (io_uring: when it reaps the write's completion).
     */
    long awaitStat(TunStat s, long want) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (worker.stat(s) < want && System.nanoTime() < deadline) Thread.sleep(1);
        return worker.stat(s);
    }

    static byte[] echo4(int seq) {
        return PacketBuilder.ipv4("198.51.100.2", "192.0.2.2").echoRequest(7, seq).payload(56).build();
    }

    @Test
    void packetsAreTranslatedAndWrittenBackOneForOne() throws Throwable {
        Counters c = new Counters();
        start(false, translating(c), 10_000);
        for (int i = 0; i < 200; i++) {
            send(echo4(i));
            byte[] out = receive();
            assertThat(out).as("reply %d", i).isNotNull();
            assertThat(out[0] >>> 4).isEqualTo(6);
            assertThat(out).hasSize(84 + 20);
        }
        assertThat(c.get(Counter.XLAT_46_OK)).isEqualTo(200);
        assertThat(worker.stat(TunStat.RX_PACKETS)).isEqualTo(200);
        assertThat(awaitStat(TunStat.TX_PACKETS, 200)).isEqualTo(200);
    }

    @Test
    void anExceptionFromTheHandlerIsCountedAndTheWorkerGoesOn() throws Throwable {
        start(false, translating(new Counters()), 10_000);
        send(new byte[] {0, 1, 2, 3});
        send(echo4(1));
        assertThat(receive()).as("the packet after the failing one").isNotNull();
        // a batch's failures are counted after the batch, when its other packets may have left already
        assertThat(awaitStat(TunStat.HANDLER_EXCEPTION, 1)).isEqualTo(1);
        assertThat(worker.finished()).isFalse();
    }

    @Test
    void aHandlerWithAnIdleIntervalIsCalledWhenNoPacketComesAndMaySendThroughItsOutput() throws Throwable {
        java.util.concurrent.atomic.AtomicInteger idles = new java.util.concurrent.atomic.AtomicInteger();
        byte[] timerPacket = echo4(99);
        PacketHandler.Factory f = (queue, out) -> new PacketHandler() {
            final MemorySegment p = MemorySegment.ofArray(timerPacket);

            @Override
            public void handle(MemorySegment buf, long off, int len) {
            }

            @Override
            public boolean handleGso(MemorySegment buf, long off, int len, int segmentLength) {
                return true;
            }

            @Override
            public int idleMillis() {
                return 50;
            }

            @Override
            public void idle() {
                if (idles.incrementAndGet() == 3) out.send(p, 0, timerPacket.length); // a timer's answer
            }
        };
        long t0 = System.nanoTime();
        start(false, f, 10_000);
        byte[] sent = receive();
        assertThat(sent).as("the packet sent from idle()").isEqualTo(timerPacket);
        // three 50 ms idle intervals: at least 100 ms; the upper bound leaves a loaded machine 2 s of scheduling
        // delay (1.5 s left less) and still fails a worker that sleeps its 10 s poll timeout instead
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isBetween(100L, 2500L);
        assertThat(idles.get()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void aHandlerWithoutAnIdleIntervalIsNeverWoken() throws Throwable {
        java.util.concurrent.atomic.AtomicInteger idles = new java.util.concurrent.atomic.AtomicInteger();
        PacketHandler.Factory f = (queue, out) -> new PacketHandler() {
            @Override
            public void handle(MemorySegment buf, long off, int len) {
            }

            @Override
            public boolean handleGso(MemorySegment buf, long off, int len, int segmentLength) {
                return true;
            }

            @Override
            public void idle() {
                idles.incrementAndGet();
            }
        };
        start(false, f, 10_000);
        Thread.sleep(400);
        assertThat(idles.get()).isZero();
    }

    @Test
    void stopWakesAWorkerBlockedInPollAndItExits() throws Throwable {
        start(false, translating(new Counters()), 10_000);
        Thread.sleep(200); // idle: blocked in poll(2)
        long t0 = System.nanoTime();
        worker.stop();
        stopFd.signal();
        thread.join(8000);
        assertThat(thread.isAlive()).isFalse();
        assertThat(worker.finished()).isTrue();
        // woken at once, not after its 10 s poll timeout: 5 s leaves a loaded machine room (1 s did not always)
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(5000);
        worker = null;
    }

    @Test
    void aFullQueueDropsAndCountsInsteadOfBlocking() throws Throwable {
        start(false, translating(new Counters()), 10_000);
        // nobody reads the worker's output: the socket buffer fills, then every write is EAGAIN
        int n = 3000;
        for (int i = 0; i < n; i++) {
            long r;
            byte[] p = echo4(i);
            MemorySegment.copy(p, 0, io, ValueLayout.JAVA_BYTE, 0, p.length);
            do {
                r = (long) LinuxC.WRITE.invokeExact(cap, kernelFd, io.address(), (long) p.length);
                if (r < 0) Thread.sleep(1); // our direction full for a moment: the worker is still reading
            } while (r < 0);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (worker.stat(TunStat.RX_PACKETS) < n && System.nanoTime() < deadline) Thread.sleep(5);
        assertThat(worker.stat(TunStat.RX_PACKETS)).as("every packet read").isEqualTo(n);
        assertThat(worker.stat(TunStat.TX_DROP_QUEUE_FULL)).as("dropped on EAGAIN").isPositive();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2); // the last writes' completions may lag (io_uring)
        while (worker.stat(TunStat.TX_PACKETS) + worker.stat(TunStat.TX_DROP_QUEUE_FULL) < n && System.nanoTime() < end) {
            Thread.sleep(1);
        }
        assertThat(worker.stat(TunStat.TX_PACKETS) + worker.stat(TunStat.TX_DROP_QUEUE_FULL)).isEqualTo(n);
    }

    @Test
    void persistentReadErrorsAreRetriedWithBackoffThenReported() throws Throwable {
        // a directory fd: every read fails with EISDIR, and poll says it is readable
        int dirFd;
        try (Arena a = Arena.ofConfined()) {
            dirFd = (int) LinuxC.OPEN.invokeExact(cap, a.allocateFrom("/"), LinuxC.O_NONBLOCK | LinuxC.O_CLOEXEC);
        }
        assertThat(dirFd).isNotNegative();
        try {
            worker = new TunWorker(3, dirFd, false, Translator.HEADROOM, stopFd,
                    () -> translating(new Counters()), (q, m) -> failure.set(m), 1000, TimeUnit.MILLISECONDS, io());
            thread = Thread.ofPlatform().start(worker);
            thread.join(5000);
            assertThat(thread.isAlive()).isFalse();
            assertThat(failure.get()).contains("TUN queue 3").contains("giving up");
            assertThat(worker.stat(TunStat.RX_ERROR)).as("backed off, did not spin").isBetween(3L, 30L);
        } finally {
            worker = null;
            LinuxC.closeQuietly(dirFd);
        }
    }

    @Test
    void vnetPartialChecksumAndTcpSuperPacketLeaveWithTheOtherFamilysVnetHeader() throws Throwable {
        start(true, translating(new Counters()), 10_000);
        // a TCP super-packet of 4 x 1000 bytes, DF, partial checksum, GSO TCPv4 with ECN
        byte[] ip = PacketBuilder.ipv4("198.51.100.2", "192.0.2.2").df(true).tcp(80, 40000).payload(4000).build();
        MemorySegment s = MemorySegment.ofArray(ip);
        Bytes.put16(s, 20 + 16, Checksum.pseudo4(Bytes.i32(s, 12), Bytes.i32(s, 16), 6, ip.length - 20));
        byte[] pkt = new byte[VnetHeader.SIZE + ip.length];
        VnetHeader.put(MemorySegment.ofArray(pkt), 0, VnetHeader.F_NEEDS_CSUM,
                VnetHeader.GSO_TCPV4 | VnetHeader.GSO_ECN, 40, 1000, 20, 16);
        System.arraycopy(ip, 0, pkt, VnetHeader.SIZE, ip.length);
        send(pkt);
        byte[] out = receive();
        assertThat(out).isNotNull().hasSize(VnetHeader.SIZE + ip.length + 20);
        MemorySegment o = MemorySegment.ofArray(out);
        assertThat(VnetHeader.flags(o, 0)).isEqualTo(VnetHeader.F_NEEDS_CSUM);
        assertThat(VnetHeader.gsoType(o, 0)).isEqualTo(VnetHeader.GSO_TCPV6 | VnetHeader.GSO_ECN);
        assertThat(VnetHeader.gsoSize(o, 0)).isEqualTo(1000);
        assertThat(VnetHeader.hdrLen(o, 0)).isEqualTo(60);
        assertThat(VnetHeader.csumStart(o, 0)).isEqualTo(40);
        assertThat(VnetHeader.csumOffset(o, 0)).isEqualTo(16);
        // finish it as the kernel would, then it must verify
        MemorySegment p6 = o.asSlice(VnetHeader.SIZE);
        int c = ~Checksum.sum(p6, 40, (int) p6.byteSize() - 40) & 0xffff;
        Bytes.put16(p6, 40 + 16, c);
        int pseudo = Checksum.pseudo6(Bytes.i64(p6, 8), Bytes.i64(p6, 16), Bytes.i64(p6, 24), Bytes.i64(p6, 32), 6,
                (int) p6.byteSize() - 40);
        assertThat(Checksum.add(pseudo, Checksum.sum(p6, 40, (int) p6.byteSize() - 40))).isEqualTo(0xffff);
        assertThat(worker.stat(TunStat.RX_GSO_TCP)).isEqualTo(1);

        // an ordinary packet gets an all-zero vnet header
        byte[] plain = new byte[VnetHeader.SIZE + 84];
        System.arraycopy(echo4(1), 0, plain, VnetHeader.SIZE, 84);
        send(plain);
        byte[] out2 = receive();
        assertThat(out2).isNotNull();
        assertThat(java.util.Arrays.copyOf(out2, VnetHeader.SIZE)).containsOnly(0);
        // a UFO packet is not something ferry translates
        byte[] ufo = plain.clone();
        ufo[1] = VnetHeader.GSO_UDP;
        send(ufo);
        send(plain);
        assertThat(receive()).isNotNull();
        assertThat(worker.stat(TunStat.RX_DROP_GSO)).isEqualTo(1);
    }

    @Test
    void batchBuffersAreMadeOnlyForAHandlerThatBatchesOnReadAndWrite() throws Throwable {
        start(false, translating(new Counters()), 10_000);
        send(echo4(1));
        assertThat(receive()).isNotNull();
        worker.stop();
        stopFd.signal();
        thread.join(5000);
        assertThat(thread.isAlive()).isFalse();
        // SIIT (no batches) keeps its one receive buffer; io_uring hands packets over one at a time
        assertThat(worker.hasBatchBuffers()).isEqualTo(batching() && worker.ioInUse() == TunIo.SYSCALLS);
        worker = null;
    }

    @Test
    void theWorkerLoopWithTheRealTranslatorAllocatesNothingPerPacket() throws Throwable {
        PacketHandler.Factory f = translatingOnce(new Counters(), batching());
        start(false, f, 10_000);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        byte[][] packets = {echo4(1),
                PacketBuilder.ipv6("2001:db8:6::2", "2001:db8:1c6:3364:2::").udp(5000, 53).payload(100).build(),
                PacketBuilder.ipv4("198.51.100.2", "192.0.2.2").df(true).tcp(80, 40000).payload(1000).build()};
        // Rounds until one after the warm-up allocates less than a byte per packet (at most 8): a per-packet object
        // (>= 16 bytes) shows in every round, while a JIT recompilation on a loaded machine only spoils a round.
        long allocated = Long.MAX_VALUE;
        int n = 20_000; // the first rounds warm up (JIT)
        for (int round = 0; round < 8 && (round < 3 || allocated >= n); round++) {
            long before = mx.getThreadAllocatedBytes(thread.threadId());
            for (int i = 0; i < n; i++) {
                send(packets[i % packets.length]);
                assertThat(receiveLength()).isPositive();
            }
            allocated = mx.getThreadAllocatedBytes(thread.threadId()) - before;
            System.err.println("TunWorkerTest: round " + round + ": " + allocated + " bytes for " + n + " packets");
        }
        assertThat(allocated).as("bytes allocated by the worker for %d packets", n).isLessThan(n);
    }
}
