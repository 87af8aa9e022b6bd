package ferry.io.tun;

import java.lang.foreign.MemorySegment;

/**
 * What a TUN worker does with each packet it reads: the raw IP packet is {@code buf[off, off+len)} and the handler
 * may rewrite it in place, use the {@code headroom} bytes before {@code off} the worker was built with, and send any
 * number of packets through the {@link PacketOutput} it was created with before returning. One instance per worker
 * thread; never shared.
 */
public interface PacketHandler {
    void handle(MemorySegment buf, long off, int len);

    /**
     * A TCP or UDP GSO super-packet (TSO/USO, up to 64 KiB) with a partial checksum: translate it once as a whole,
     * without applying MTU rules to its length; the kernel cuts it into segments of {@code segmentLength} bytes
     * each (IP header, TCP or UDP header and {@code gso_size} payload bytes) after the write. Apply MTU rules to
     * {@code segmentLength} instead: when a translated segment would not fit, {@link GsoPackets#firstSegment} turns
     * the packet into its first segment, which the ordinary rules then answer (Fragmentation Needed / Packet Too
     * Big).
     *
     * @return false when the super-packet cannot be translated whole (each segment would have to be fragmented):
     *         the worker drops and counts it
     */
    boolean handleGso(MemorySegment buf, long off, int len, int segmentLength);

    /** The most packets a worker hands to one {@link #handleBatch} call. */
    int MAX_BATCH = 32;

    /**
     * True when this handler does better with several packets at once than one {@link #handle} call each (NAT64: the
     * translator looks the packets' flows up ahead, overlapping their cache misses): a worker with read/write I/O
     * then reads up to {@link #MAX_BATCH} packets before it hands them over in one {@link #handleBatch} call. Asked
     * once per batch, so the answer may change only with a new handler. The default: false (one at a time).
     */
    default boolean batches() {
        return false;
    }

    /**
     * Handles {@code n} (1 to {@link #MAX_BATCH}) ordinary packets (no GSO, no partial checksum) read one after the
     * other: packet {@code i} is {@code bufs[i][offs[i], offs[i]+lens[i])}, each with the worker's headroom before it
     * and its own buffer after it. Exactly as {@code n} calls of {@link #handle} in this order would, including what
     * goes out through the {@link PacketOutput} and in which order; the arrays are the worker's, valid only during the
     * call. A packet whose handling throws must not cost the others: the default handles each packet on its own and,
     * when some threw, throws {@link BatchFailures} with their number after the last one; a handler that overrides
     * this keeps the same promise.
     */
    default void handleBatch(MemorySegment[] bufs, long[] offs, int[] lens, int n) {
        int failed = 0;
        Throwable first = null;
        for (int i = 0; i < n; i++) {
            try {
                handle(bufs[i], offs[i], lens[i]);
            } catch (Throwable t) {
                failed++;
                if (first == null) first = t;
            }
        }
        if (failed > 0) throw new BatchFailures(failed, first);
    }

    /**
     * Thrown by {@link #handleBatch} after the whole batch when the handling of {@link #failed()} of its packets threw
     * (the other packets were handled); the worker counts each of them as a handler exception. Error path only.
     */
    final class BatchFailures extends RuntimeException {
        private final int failed;

        public BatchFailures(int failed, Throwable first) {
            super(failed + " packet(s) of a batch failed", first, false, false);
            this.failed = failed;
        }

        /** How many packets of the batch failed (at least 1). */
        public int failed() {
            return failed;
        }
    }

    /**
     * How long (ms) the worker may wait for a packet before calling {@link #idle()}; -1 (the default): wait for
     * ever, no idle calls. A handler with timers that must fire without traffic returns a positive value.
     */
    default int idleMillis() {
        return -1;
    }

    /**
     * Called on the worker's thread when no packet came for {@link #idleMillis()} ms; may send packets through
     * the handler's {@link PacketOutput} (answers due on a timer). The default does nothing.
     */
    default void idle() {
    }

    /** Makes the handler of one worker; called on the worker's thread, again after each configuration swap. */
    @FunctionalInterface
    interface Factory {
        PacketHandler newHandler(int queue, PacketOutput out);
    }
}
