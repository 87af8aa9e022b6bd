package ferry.io.tun;

import java.lang.foreign.MemorySegment;

/** Sends one raw IP packet {@code buf[off, off+len)} out of the TUN queue of the calling worker (never blocks). */
@FunctionalInterface
public interface PacketOutput {
    void send(MemorySegment buf, long off, int len);
}
