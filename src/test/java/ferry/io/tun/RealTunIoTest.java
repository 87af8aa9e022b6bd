package ferry.io.tun;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.metrics.Counters;
import ferry.translate.Translator;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.management.ManagementFactory;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link TunWorker} in both I/O modes against a real TUN device (root; run under the e2e lock): the namespace
 * {@code ferry-uring} holds the device {@code ferry-u0} (198.51.100.1/24, route 192.0.2.0/24 into it) and a local
 * 2001:db8:6::2 on lo. A UDP sender in the namespace sends IPv4 datagrams to 192.0.2.2; the worker translates them
 * (EAMT 2001:db8:6::/120 = 192.0.2.0/24, pool6 2001:db8:100::/40) and writes them back; the kernel delivers the
 * IPv6 datagrams to a receiver on [2001:db8:6::2]. Threads enter the namespace with {@code setns(2)}.
 *
 * <p>With {@code -Dferry.tunbench.seconds=N} the last test also measures, for each mode in turn (3 rounds), the
 * worker thread's CPU time per packet while the sender sends as fast as it can, and prints one line per sample.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RealTunIoTest {
    static final String NS = "ferry-uring";
    static final String DEV = "ferry-u0";
    static final int PORT = 5555;
    static final MethodHandle SETNS = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("setns").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    static final int CLONE_NEWNET = 0x40000000;

    static boolean ready;

    @BeforeAll
    static void namespace() throws Exception {
        if (!"root".equals(System.getProperty("user.name")) && !isRoot()) {
            System.err.println("RealTunIoTest skipped: needs root (network namespace + TUN device)");
            Assumptions.abort("needs root");
        }
        sh("ip", "netns", "del", NS); // left over from a killed run: ignore failure
        must("ip", "netns", "add", NS);
        must("ip", "-n", NS, "link", "set", "lo", "up");
        must("ip", "-n", NS, "-6", "addr", "add", "2001:db8:6::2/128", "dev", "lo", "nodad");
        ready = true;
    }

    @AfterAll
    static void removeNamespace() throws Exception {
        if (ready) sh("ip", "netns", "del", NS);
    }

    static boolean isRoot() throws Exception {
        Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
        return new String(p.getInputStream().readAllBytes()).trim().equals("0");
    }

    static int sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor();
    }

    static void must(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(String.join(" ", cmd) + ": " + out).isZero();
    }

    /** Runs {@code task} on a new platform thread inside the namespace. */
    static <T> CompletableFuture<T> inNamespace(String name, Callable<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name(name).start(() -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment cap = LinuxC.captureSegment(a);
                int fd = (int) LinuxC.OPEN.invokeExact(cap, a.allocateFrom("/run/netns/" + NS), LinuxC.O_CLOEXEC);
                if (fd < 0) throw new IOException("open netns: " + LinuxC.errnoName(LinuxC.errno(cap)));
                int r = (int) SETNS.invokeExact(fd, CLONE_NEWNET);
                LinuxC.closeQuietly(fd);
                if (r != 0) throw new IOException("setns failed");
                f.complete(task.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    /** A device in the namespace with one worker on it in mode {@code io}; closes both. */
    static final class Plane implements AutoCloseable {
        final TunDevice dev;
        final EventFd stopFd;
        final TunWorker worker;
        final Thread thread;

        Plane(TunIo io) throws Exception {
            dev = inNamespace("open-tun", () -> TunDevice.open(DEV, 1, false, 0)).get(10, TimeUnit.SECONDS);
            must("ip", "-n", NS, "link", "set", DEV, "txqueuelen", "4096", "up");
            must("ip", "-n", NS, "addr", "add", "198.51.100.1/24", "dev", DEV);
            must("ip", "-n", NS, "route", "add", "192.0.2.0/24", "dev", DEV);
            stopFd = EventFd.create();
            PacketHandler.Factory f = TunWorkerTest.translatingOnce(new Counters());
            worker = new TunWorker(0, dev.fd(0), false, Translator.HEADROOM, stopFd, () -> f, (q, m) -> { },
                    10, TimeUnit.SECONDS, io);
            thread = Thread.ofPlatform().name("tun-" + io.id()).start(worker);
        }

        long cpuNanos() {
            return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                    .getThreadCpuTime(thread.threadId());
        }

        @Override
        public void close() throws Exception {
            worker.stop();
            stopFd.signal();
            thread.join(5000);
            dev.close();
            stopFd.close();
        }
    }

    /** Sends {@code n} datagrams (8-byte sequence numbers) to 192.0.2.2, or for {@code nanos} when n is 0. */
    static long send(int n, long nanos, AtomicLong sent) throws Exception {
        try (DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET)) {
            ch.bind(new InetSocketAddress(InetAddress.getByName("198.51.100.1"), 0));
            InetSocketAddress to = new InetSocketAddress(InetAddress.getByName("192.0.2.2"), PORT);
            ByteBuffer b = ByteBuffer.allocateDirect(64 - 28);
            long end = System.nanoTime() + nanos;
            for (long i = 0; n > 0 ? i < n : (i & 1023) != 0 || System.nanoTime() < end; i++) {
                b.clear();
                b.putLong(0, i);
                ch.send(b, to);
                sent.incrementAndGet();
                if (n > 0 && (i & 63) == 63) Thread.sleep(1); // gentle: the correctness test wants no drops
            }
            return sent.get();
        }
    }

    /** Receives on [2001:db8:6::2]:PORT until {@code quietMillis} pass without a datagram; the sequence numbers. */
    static List<Long> receive(DatagramChannel ch, int quietMillis) throws Exception {
        List<Long> seqs = new ArrayList<>();
        ByteBuffer b = ByteBuffer.allocateDirect(2048);
        ch.configureBlocking(false);
        long last = System.nanoTime();
        while (System.nanoTime() - last < TimeUnit.MILLISECONDS.toNanos(quietMillis)) {
            b.clear();
            if (ch.receive(b) != null) {
                seqs.add(b.getLong(0));
                last = System.nanoTime();
            } else {
                Thread.sleep(1);
            }
        }
        return seqs;
    }

    static DatagramChannel receiver() throws Exception {
        return inNamespace("rx", () -> {
            DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET6);
            ch.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 8 << 20);
            ch.bind(new InetSocketAddress(Inet6Address.getByName("2001:db8:6::2"), PORT));
            return ch;
        }).get(10, TimeUnit.SECONDS);
    }

    static void syscallCost(MemorySegment cap) {
        try {
            int n = 2_000_000;
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                long r = (long) LinuxC.READ.invokeExact(cap, -1, 0L, 0L);
                if (r != -1) throw new AssertionError();
            }
            System.err.printf("tunbench syscall read(-1) ns=%.0f load1=%.2f%n", (System.nanoTime() - t0) / (double) n,
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    void everyDatagramCrossesTheRealDeviceTranslatedAndInOrder(TunIo io) throws Exception {
        try (Plane p = new Plane(io); DatagramChannel rx = receiver()) {
            int n = 3000;
            inNamespace("tx", () -> send(n, 0, new AtomicLong())).get(60, TimeUnit.SECONDS);
            List<Long> got = receive(rx, 500);
            assertThat(p.worker.ioInUse()).isEqualTo(io);
            assertThat(got).as("translated datagrams received over IPv6, in order").hasSize(n);
            for (int i = 0; i < n; i++) assertThat(got.get(i)).as("position %d", i).isEqualTo(i);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2); // the last completions may lag (io_uring)
            while (p.worker.stat(TunStat.TX_PACKETS) < n && System.nanoTime() < end) Thread.sleep(1);
            assertThat(p.worker.stat(TunStat.TX_PACKETS)).isGreaterThanOrEqualTo(n);
            assertThat(p.worker.stat(TunStat.TX_DROP_QUEUE_FULL) + p.worker.stat(TunStat.TX_ERROR)
                    + p.worker.stat(TunStat.HANDLER_EXCEPTION)).isZero();
        }
    }

    @Test
    void withReadAndWriteEveryDatagramCrossesTheRealDeviceTranslatedAndInOrder() throws Exception {
        everyDatagramCrossesTheRealDeviceTranslatedAndInOrder(TunIo.SYSCALLS);
    }

    @Test
    void withIoUringEveryDatagramCrossesTheRealDeviceTranslatedAndInOrder() throws Exception {
        try (Arena a = Arena.ofConfined(); IoUring r = IoUring.open(a, 8)) {
            assertThat(r.entries()).isPositive();
        } catch (IoUring.Unavailable u) {
            System.err.println("RealTunIoTest io_uring case skipped: " + u.getMessage());
            Assumptions.abort(u.getMessage());
        }
        everyDatagramCrossesTheRealDeviceTranslatedAndInOrder(TunIo.URING);
    }

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void stopEndsAWorkerOnARealDeviceAndTheDeviceCanBeOpenedAgain() throws Exception {
        for (TunIo io : TunIo.values()) {
            Plane p = new Plane(io);
            p.close();
            assertThat(p.thread.isAlive()).as(io.id()).isFalse();
            assertThat(p.worker.finished()).isTrue();
        }
        long secs = Long.getLong("ferry.tunbench.seconds", 0);
        if (secs <= 0) return;
        // what one system call costs here (read(2) on fd -1: entry, EBADF, exit), the most batching can save per call
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = LinuxC.captureSegment(a);
            for (int round = 0; round < 3; round++) {
                syscallCost(cap);
            }
        }

        // the measurement: worker CPU per packet with the sender as fast as it can (one sender thread)
        for (int round = 0; round < 3; round++) {
            for (TunIo io : TunIo.values()) {
                try (Plane p = new Plane(io); DatagramChannel rx = receiver()) {
                    // warm up (JIT) for 1 s, then measure
                    inNamespace("tx", () -> send(0, TimeUnit.SECONDS.toNanos(1), new AtomicLong()))
                            .get(30, TimeUnit.SECONDS);
                    receive(rx, 200);
                    long cpu0 = p.cpuNanos();
                    long rx0 = p.worker.stat(TunStat.RX_PACKETS);
                    long t0 = System.nanoTime();
                    AtomicLong sent = new AtomicLong();
                    CompletableFuture<List<Long>> got = inNamespace("rxloop", () -> receive(rx, 300));
                    inNamespace("tx", () -> send(0, TimeUnit.SECONDS.toNanos(secs), sent))
                            .get(secs + 30, TimeUnit.SECONDS);
                    long t1 = System.nanoTime();
                    long cpu = p.cpuNanos() - cpu0;
                    long pkts = p.worker.stat(TunStat.RX_PACKETS) - rx0;
                    int received = got.get(60, TimeUnit.SECONDS).size();
                    long iouWorkers;
                    try (var tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/task"))) {
                        iouWorkers = tasks.filter(t -> {
                            try {
                                return java.nio.file.Files.readString(t.resolve("comm")).startsWith("iou-wrk");
                            } catch (IOException e) {
                                return false;
                            }
                        }).count();
                    }
                    long enters = p.worker.stat(TunStat.URING_ENTERS);
                    double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                            .getSystemLoadAverage();
                    System.err.printf("tunbench round=%d io=%s sent=%d worker_packets=%d received=%d pps=%.0f"
                                    + " worker_cpu_ns_per_packet=%.0f cpu_s_per_Mpkt=%.2f worker_cpu_share=%.2f"
                                    + " packets_per_enter=%.1f iou_wrk_threads=%d rwf_nowait=%s load1=%.2f%n", round, io.id(),
                            sent.get(), pkts, received,
                            pkts * 1e9 / (t1 - t0), (double) cpu / Math.max(1, pkts), cpu / 1e3 / Math.max(1, pkts),
                            (double) cpu / (t1 - t0),
                            enters == 0 ? 0.0 : p.worker.stat(TunStat.RX_PACKETS) / (double) enters, iouWorkers, p.worker.writesNowait(), load);
                }
            }
        }
    }
}
