package ferry.io.tun;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.metrics.Counters;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every {@link TunWorkerTest} again with {@link TunIo#URING} (io_uring reads and writes on the same non-blocking
 * socket-pair fd), plus what only the ring path does: batches, the zero-copy write of the first packet of an input
 * and the write-at-once of the packets after it. Skipped, with the reason printed, where the kernel refuses
 * io_uring.
 */
class UringTunWorkerTest extends TunWorkerTest {
    @Override
    TunIo io() {
        return TunIo.URING;
    }

    @BeforeEach
    void ioUringAvailable() {
        try (Arena a = Arena.ofConfined(); IoUring r = IoUring.open(a, 8)) {
            assertThat(r.entries()).isGreaterThanOrEqualTo(8);
        } catch (IoUring.Unavailable u) {
            System.err.println("UringTunWorkerTest skipped: " + u.getMessage());
            Assumptions.abort("io_uring unavailable: " + u.getMessage());
        }
    }

    @Test
    void whereIoUringIsRefusedTheWorkerSaysSoAndUsesReadAndWrite() throws Throwable {
        java.io.PrintStream old = System.err;
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        IoUring.unavailableForTest = "kernel.io_uring_disabled=2 (test)";
        try {
            System.setErr(new java.io.PrintStream(log, true, java.nio.charset.StandardCharsets.UTF_8));
            start(false, translating(new Counters()), 10_000);
            send(echo4(1));
            assertThat(receive()).as("the packet, through read/write").isNotNull();
        } finally {
            System.setErr(old);
            IoUring.unavailableForTest = null;
        }
        assertThat(worker.ioInUse()).isEqualTo(TunIo.SYSCALLS);
        assertThat(log.toString(java.nio.charset.StandardCharsets.UTF_8))
                .contains("event=tun_io_uring_unavailable queue=0")
                .contains("kernel.io_uring_disabled=2 (test)").contains("action=using_read_write");
        assertThat(worker.stat(TunStat.URING_ENTERS)).isZero();
    }

    @Test
    void theWorkerRunsOnTheRingAndABurstLeavesCompleteAndInOrder() throws Throwable {
        Counters c = new Counters();
        start(false, translating(c), 10_000);
        // many queued before the worker reads (batches); few enough that the worker's replies, unread until all are
        // sent, fit the socket's send buffer (~200 KiB of ~770-byte skbs): more would be dropped on EAGAIN, rightly
        int n = 150;
        for (int i = 0; i < n; i++) sendRetrying(echo4(i));
        List<Integer> seqs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] out = receive();
            if (out == null) assertThat(worker.stat(TunStat.TX_DROP_QUEUE_FULL)).as("dropped on EAGAIN").isZero();
            assertThat(out).as("packet %d", i).isNotNull().hasSize(104);
            seqs.add(((out[40 + 6] & 0xff) << 8) | (out[40 + 7] & 0xff)); // ICMPv6 echo sequence
        }
        assertThat(worker.ioInUse()).isEqualTo(TunIo.URING);
        for (int i = 0; i < n; i++) assertThat(seqs.get(i)).as("position %d", i).isEqualTo(i);
        assertThat(awaitStat(TunStat.TX_PACKETS, n)).isEqualTo(n);
        assertThat(worker.stat(TunStat.TX_COPIED)).as("translated in place: zero copy").isZero();
    }

    @Test
    void aHandlerThatAsksForBatchesIsStillHandedOnePacketAtATimeOnTheRing() throws Throwable {
        List<Integer> singles = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicInteger batchCalls = new java.util.concurrent.atomic.AtomicInteger();
        PacketHandler.Factory f = (queue, out) -> new EchoHandler(out, true, singles::add, n -> batchCalls.incrementAndGet());
        for (int i = 0; i < 20; i++) send(echo4(i));
        start(false, f, 10_000);
        for (int i = 0; i < 20; i++) assertThat(receive()).as("packet %d", i).isEqualTo(echo4(i));
        assertThat(worker.ioInUse()).isEqualTo(TunIo.URING);
        assertThat(singles).hasSize(20);
        assertThat(batchCalls.get()).isZero();
        assertThat(worker.stat(TunStat.RX_BATCHES)).isZero();
    }

    /** The packet queued at the "kernel" end, waiting while the socket's queue towards the worker is full. */
    void sendRetrying(byte[] p) throws Throwable {
        MemorySegment.copy(p, 0, io, ValueLayout.JAVA_BYTE, 0, p.length);
        long r;
        while ((r = (long) LinuxC.WRITE.invokeExact(cap, kernelFd, io.address(), (long) p.length)) < 0) {
            Thread.sleep(1);
        }
        assertThat(r).isEqualTo(p.length);
    }

    @Test
    void theFirstPacketOfAnInputIsWrittenFromItsSlotAndAPacketFromAnotherBufferAfterIt() throws Throwable {
        byte[] extra = echo4(1000);
        PacketHandler.Factory f = (queue, out) -> new PacketHandler() {
            final MemorySegment own = Arena.ofAuto().allocate(extra.length);

            @Override
            public void handle(MemorySegment buf, long off, int len) {
                out.send(buf, off, len); // ends where the input ended: queued on the ring
                MemorySegment.copy(extra, 0, own, ValueLayout.JAVA_BYTE, 0, extra.length);
                out.send(own, 0, extra.length); // a second packet: the first leaves at once, then this one
            }

            @Override
            public boolean handleGso(MemorySegment buf, long off, int len, int segmentLength) {
                return false;
            }
        };
        start(false, f, 10_000);
        for (int i = 0; i < 30; i++) {
            byte[] p = echo4(i);
            send(p);
            assertThat(receive()).as("input %d first", i).isEqualTo(p);
            assertThat(receive()).as("then the handler's own packet").isEqualTo(extra);
        }
        assertThat(awaitStat(TunStat.TX_PACKETS, 60)).isEqualTo(60);
    }

    /**
     * A handler that sends the first half of its input, then overwrites the input's first bytes and sends all of it
     * (as the translator's IPv6 fragments are written over the tail of the chunk before).
     */
    static PacketHandler.Factory sendTwiceOverwriting() {
        return (queue, out) -> new PacketHandler() {
            @Override
            public void handle(MemorySegment buf, long off, int len) {
                out.send(buf, off, len / 2);
                for (int i = 0; i < 8; i++) buf.set(ValueLayout.JAVA_BYTE, off + i, (byte) 0xee);
                out.send(buf, off, len);
            }

            @Override
            public boolean handleGso(MemorySegment buf, long off, int len, int segmentLength) {
                return false;
            }
        };
    }

    @Test
    void aSecondPacketFromTheSameInputDoesNotCorruptTheFirst() throws Throwable {
        start(false, sendTwiceOverwriting(), 10_000);
        for (int i = 0; i < 50; i++) {
            byte[] p = echo4(i);
            send(p);
            assertThat(receive()).as("first packet of input %d, sent before the handler overwrote it", i)
                    .isEqualTo(java.util.Arrays.copyOf(p, p.length / 2));
            byte[] second = receive();
            assertThat(second).isNotNull().hasSize(p.length);
            assertThat(java.util.Arrays.copyOf(second, 8)).containsOnly((byte) 0xee);
        }
        assertThat(awaitStat(TunStat.TX_PACKETS, 100)).isEqualTo(100);
    }

    @Test
    void withVnetHeadersTheSecondPacketGetsItsOwnHeaderAndTheFirstIsIntact() throws Throwable {
        start(true, sendTwiceOverwriting(), 10_000);
        byte[] p = echo4(7);
        byte[] in = new byte[VnetHeader.SIZE + p.length];
        System.arraycopy(p, 0, in, VnetHeader.SIZE, p.length);
        for (int i = 0; i < 20; i++) {
            send(in);
            byte[] first = receive();
            // all-zero vnet header + the first half of the packet as it came
            assertThat(first).isNotNull().isEqualTo(java.util.Arrays.copyOf(in, VnetHeader.SIZE + p.length / 2));
            byte[] second = receive();
            assertThat(second).isNotNull().hasSize(in.length);
            assertThat(java.util.Arrays.copyOf(second, VnetHeader.SIZE)).containsOnly(0);
            assertThat(java.util.Arrays.copyOfRange(second, VnetHeader.SIZE, VnetHeader.SIZE + 8))
                    .containsOnly((byte) 0xee);
        }
    }
}
