package ferry.io.tun;

import java.lang.foreign.MemorySegment;
import java.util.function.IntConsumer;

/**
 * A test handler that sends every packet back as it came (no GSO): {@code onPacket} sees the length of each packet
 * it handles one at a time; when it asks for batches, {@code onBatch} sees each batch call's size first (and may
 * throw, as a broken handler would) before the packets are handled one by one.
 */
final class EchoHandler implements PacketHandler {
    private final PacketOutput out;
    private final boolean batches;
    private final IntConsumer onPacket;
    private final IntConsumer onBatch;

    EchoHandler(PacketOutput out, boolean batches, IntConsumer onPacket, IntConsumer onBatch) {
        this.out = out;
        this.batches = batches;
        this.onPacket = onPacket;
        this.onBatch = onBatch;
    }

    @Override
    public void handle(MemorySegment buf, long off, int len) {
        onPacket.accept(len);
        out.send(buf, off, len);
    }

    @Override
    public boolean handleGso(MemorySegment buf, long off, int len, int segmentLength) {
        return false;
    }

    @Override
    public boolean batches() {
        return batches;
    }

    @Override
    public void handleBatch(MemorySegment[] bufs, long[] offs, int[] lens, int n) {
        onBatch.accept(n);
        PacketHandler.super.handleBatch(bufs, offs, lens, n);
    }
}
