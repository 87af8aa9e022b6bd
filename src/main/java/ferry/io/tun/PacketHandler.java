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
