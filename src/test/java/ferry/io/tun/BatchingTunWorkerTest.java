package ferry.io.tun;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.metrics.Counter;
import ferry.metrics.Counters;
import ferry.packet.Bytes;
import ferry.packet.Checksum;
import ferry.packet.PacketBuilder;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Every {@link TunWorkerTest} again with handlers that ask for batches ({@link PacketHandler#batches()}, as NAT64's
 * does), on read/write I/O, plus what only the batch path does: packets queued together arrive in one
 * {@link PacketHandler#handleBatch} call, complete and in order; a packet that must go alone (vnet GSO or partial
 * checksum) ends a batch without overtaking or being overtaken; a failing packet costs no other.
 *
 * <p>A burst is written before the worker starts, so its first reads find every packet queued (the socket pair
 * holds about 200 KiB of them).
 */
class BatchingTunWorkerTest extends TunWorkerTest {
    @Override
    boolean batching() {
        return true;
    }

    /** The Echo sequence number of a translated (IPv6) Echo Request at {@code at} of {@code out}. */
    static int seq6(byte[] out, int at) {
        assertThat(out[at] >>> 4 & 0xf).as("IPv6").isEqualTo(6);
        assertThat(out[at + 40] & 0xff).as("ICMPv6 Echo Request").isEqualTo(128);
        return Bytes.u16(MemorySegment.ofArray(out), at + 46);
    }

    /** Waits (2 s at most) until {@code c} counts {@code want} of {@code k}: the translator counts after it emits. */
    static long awaitCounter(Counters c, Counter k, long want) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (c.get(k) < want && System.nanoTime() < deadline) Thread.sleep(1);
        return c.get(k);
    }

    @Test
    void aBurstQueuedBeforeTheWorkerReadsIsHandedOverInFullBatchesAndLeavesCompleteAndInOrder() throws Throwable {
        Counters c = new Counters();
        int n = PacketHandler.MAX_BATCH + 8;
        for (int i = 0; i < n; i++) send(echo4(i));
        start(false, translating(c), 10_000);
        for (int i = 0; i < n; i++) {
            byte[] out = receive();
            assertThat(out).as("packet %d", i).isNotNull();
            assertThat(seq6(out, 0)).isEqualTo(i);
        }
        assertThat(receive()).as("nothing more").isNull();
        assertThat(batchSizes).containsExactly(PacketHandler.MAX_BATCH, 8);
        assertThat(worker.stat(TunStat.RX_BATCHES)).isEqualTo(2);
        assertThat(worker.stat(TunStat.RX_PACKETS)).isEqualTo(n);
        assertThat(awaitStat(TunStat.TX_PACKETS, n)).isEqualTo(n);
        assertThat(awaitCounter(c, Counter.XLAT_46_OK, n)).isEqualTo(n);
    }

    @Test
    void burstsWhileTheWorkerRunsAreEachHandledOnceAndLeaveInOrder() throws Throwable {
        Counters c = new Counters();
        start(false, translating(c), 10_000);
        int rounds = 100, burst = 8;
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < burst; i++) send(echo4(r * burst + i));
            for (int i = 0; i < burst; i++) {
                byte[] out = receive();
                assertThat(out).as("packet %d", r * burst + i).isNotNull();
                assertThat(seq6(out, 0)).isEqualTo(r * burst + i);
            }
        }
        int n = rounds * burst;
        assertThat(batchSizes.stream().mapToInt(Integer::intValue).sum()).as("every packet in one batch").isEqualTo(n);
        assertThat(batchSizes).allSatisfy(b -> assertThat(b).isBetween(1, PacketHandler.MAX_BATCH));
        assertThat(worker.stat(TunStat.RX_BATCHES)).isEqualTo(batchSizes.size());
        assertThat(worker.stat(TunStat.RX_PACKETS)).isEqualTo(n);
        assertThat(awaitCounter(c, Counter.XLAT_46_OK, n)).isEqualTo(n);
        System.err.println("BatchingTunWorkerTest: " + n + " packets in " + batchSizes.size() + " batches");
    }

    @Test
    void aPacketWithVnetStateGoesAloneBetweenBatchesAndNothingIsReordered() throws Throwable {
        byte[][] plain = new byte[6][];
        for (int i = 1; i <= 5; i++) {
            plain[i] = new byte[VnetHeader.SIZE + 84];
            System.arraycopy(echo4(i), 0, plain[i], VnetHeader.SIZE, 84);
        }
        // a TCP packet with a partial checksum (NEEDS_CSUM, no GSO): its output's vnet header depends on it
        byte[] ip = PacketBuilder.ipv4("198.51.100.2", "192.0.2.2").df(true).tcp(80, 40000).payload(100).build();
        MemorySegment s = MemorySegment.ofArray(ip);
        Bytes.put16(s, 20 + 16, Checksum.pseudo4(Bytes.i32(s, 12), Bytes.i32(s, 16), 6, ip.length - 20));
        byte[] tcp = new byte[VnetHeader.SIZE + ip.length];
        VnetHeader.put(MemorySegment.ofArray(tcp), 0, VnetHeader.F_NEEDS_CSUM, VnetHeader.GSO_NONE, 0, 0, 20, 16);
        System.arraycopy(ip, 0, tcp, VnetHeader.SIZE, ip.length);
        byte[] ufo = plain[1].clone();
        ufo[1] = VnetHeader.GSO_UDP; // dropped: ferry does not translate UFO
        for (byte[] p : new byte[][] {plain[1], plain[2], tcp, plain[3], plain[4], ufo, plain[5]}) send(p);
        start(true, translating(new Counters()), 10_000);

        int[] want = {1, 2, -1, 3, 4, 5}; // -1: the TCP packet
        for (int w : want) {
            byte[] out = receive();
            assertThat(out).as("output for %d", w).isNotNull();
            MemorySegment o = MemorySegment.ofArray(out);
            if (w < 0) {
                assertThat(out[VnetHeader.SIZE + 6]).as("TCP").isEqualTo((byte) 6);
                assertThat(VnetHeader.flags(o, 0)).as("still partial").isEqualTo(VnetHeader.F_NEEDS_CSUM);
                assertThat(VnetHeader.csumStart(o, 0)).isEqualTo(40);
            } else {
                assertThat(seq6(out, VnetHeader.SIZE)).isEqualTo(w);
                assertThat(java.util.Arrays.copyOf(out, VnetHeader.SIZE)).as("no vnet state").containsOnly(0);
            }
        }
        assertThat(receive()).as("nothing more").isNull();
        assertThat(batchSizes).containsExactly(2, 2, 1);
        assertThat(worker.stat(TunStat.RX_BATCHES)).isEqualTo(3);
        assertThat(worker.stat(TunStat.RX_PACKETS)).isEqualTo(7);
        assertThat(worker.stat(TunStat.RX_CSUM_PARTIAL)).isEqualTo(1);
        assertThat(worker.stat(TunStat.RX_DROP_GSO)).isEqualTo(1);
    }

    @Test
    void aPacketThatThrowsInTheMiddleOfABatchIsCountedAndTheOthersAreDeliveredInOrder() throws Throwable {
        Counters c = new Counters();
        send(echo4(1));
        send(new byte[] {0, 1, 2, 3}); // makes the handler throw
        send(echo4(2));
        send(new byte[] {0, 9, 9, 9});
        send(echo4(3));
        start(false, translating(c), 10_000);
        for (int i = 1; i <= 3; i++) {
            byte[] out = receive();
            assertThat(out).as("packet %d", i).isNotNull();
            assertThat(seq6(out, 0)).isEqualTo(i);
        }
        assertThat(batchSizes).containsExactly(5);
        assertThat(awaitStat(TunStat.HANDLER_EXCEPTION, 2)).as("each failing packet").isEqualTo(2);
        assertThat(awaitCounter(c, Counter.XLAT_46_OK, 3)).isEqualTo(3);
        assertThat(worker.finished()).isFalse();
    }

    @Test
    void aBatchCallThatThrowsIsCountedOnceAndTheWorkerGoesOn() throws Throwable {
        AtomicInteger calls = new AtomicInteger();
        PacketHandler.Factory f = (queue, out) -> new EchoHandler(out, true, len -> { }, n -> {
            if (calls.incrementAndGet() == 1) throw new IllegalStateException("a broken batch handler");
        });
        send(echo4(1));
        start(false, f, 10_000);
        assertThat(awaitStat(TunStat.HANDLER_EXCEPTION, 1)).isEqualTo(1);
        send(echo4(2));
        byte[] out = receive();
        assertThat(out).as("the next batch's packet, sent back as it came").isEqualTo(echo4(2));
        assertThat(calls.get()).isEqualTo(2);
    }

    @Test
    void aSwapToAHandlerThatDoesNotBatchTakesEffectAtTheNextBatch() throws Throwable {
        AtomicInteger singles = new AtomicInteger();
        PacketHandler.Factory one = (queue, out) -> new EchoHandler(out, false, len -> singles.incrementAndGet(), n -> { });
        AtomicReference<PacketHandler.Factory> current = new AtomicReference<>(translating(new Counters()));
        for (int i = 0; i < 3; i++) send(echo4(i));
        worker = new TunWorker(0, workerFd, false, ferry.translate.Translator.HEADROOM, stopFd, current::get,
                (q, m) -> failure.set(m), 10_000, TimeUnit.MILLISECONDS, io());
        thread = Thread.ofPlatform().name("test-tun-q0").start(worker);
        for (int i = 0; i < 3; i++) assertThat(seq6(receive(), 0)).isEqualTo(i);
        assertThat(batchSizes).containsExactly(3);
        current.set(one);
        for (int i = 3; i < 6; i++) {
            send(echo4(i));
            assertThat(receive()).as("sent back untranslated by the new handler").isEqualTo(echo4(i));
        }
        assertThat(singles.get()).isEqualTo(3);
        assertThat(batchSizes).as("no batch after the swap").containsExactly(3);
        assertThat(worker.stat(TunStat.RX_BATCHES)).isEqualTo(1);
    }

    @Test
    void burstsThroughTheRealTranslatorsBatchCallAllocateNothingPerPacket() throws Throwable {
        Counters c = new Counters();
        start(false, translatingOnce(c, true), 10_000);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        List<byte[]> packets = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            packets.add(i % 2 == 0 ? echo4(i)
                    : PacketBuilder.ipv6("2001:db8:6::2", "2001:db8:1c6:3364:2::").udp(5000 + i, 53).payload(100).build());
        }
        long allocated = Long.MAX_VALUE;
        int n = 16_000; // bursts of 8: the worker often finds several packets queued
        for (int round = 0; round < 8 && (round < 3 || allocated >= n); round++) {
            long before = mx.getThreadAllocatedBytes(thread.threadId());
            long batchesBefore = worker.stat(TunStat.RX_BATCHES);
            for (int i = 0; i < n; i += 8) {
                for (byte[] p : packets) send(p);
                for (int k = 0; k < 8; k++) assertThat(receiveLength()).isPositive();
            }
            allocated = mx.getThreadAllocatedBytes(thread.threadId()) - before;
            System.err.println("BatchingTunWorkerTest: round " + round + ": " + allocated + " bytes for " + n
                    + " packets in " + (worker.stat(TunStat.RX_BATCHES) - batchesBefore) + " batches");
        }
        assertThat(allocated).as("bytes allocated by the worker for %d packets", n).isLessThan(n);
        assertThat(worker.stat(TunStat.RX_BATCHES)).as("batches, not one call per packet")
                .isGreaterThan(0).isLessThanOrEqualTo(worker.stat(TunStat.RX_PACKETS));
    }
}
