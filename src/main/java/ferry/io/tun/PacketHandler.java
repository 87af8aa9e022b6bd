package ferry.io.tun;

import java.lang.foreign.MemorySegment;

/**
 * What a TUN worker does with each packet it reads: the raw IP packet is {@code buf[off, off+len)} and the handler
 * may rewrite it in place, use the {@code headroom} bytes before {@code off} the worker was built with, and send any
 * number of packets through the {@link PacketOutput} it was created with before returning. One instance per worker
 * thread; never shared.
 */
@FunctionalInterface
public interface PacketHandler {
    void handle(MemorySegment buf, long off, int len);

    /** Makes the handler of one worker; called on the worker's thread, again after each configuration swap. */
    @FunctionalInterface
    interface Factory {
        PacketHandler newHandler(int queue, PacketOutput out);
    }
}
