package ferry.io;

import java.io.Closeable;
import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Writes raw IP packets (pcap with link type RAW, or hex text). Buffered: bytes reach the channel on
 * {@link #flush()}, when the buffer is full, and on {@link #close()}. Allocates nothing per packet; not thread-safe.
 */
public interface PacketWriter extends Closeable {
    /** Appends the packet {@code seg[off, off+len)} with its timestamp (nanoseconds since the Unix epoch). */
    void write(MemorySegment seg, long off, int len, long timestampNanos) throws IOException;

    /** Number of packets written so far. */
    long packets();

    /** Writes out buffered bytes. */
    void flush() throws IOException;

    /** Flushes, then closes the channel. */
    @Override
    void close() throws IOException;
}
