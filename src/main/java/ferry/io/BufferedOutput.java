package ferry.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/** A direct output buffer over a channel, allocated once; writers fill it through {@link #segment()}. */
final class BufferedOutput {
    private final WritableByteChannel ch;
    private final ByteBuffer bb;
    private final MemorySegment seg;
    private int pos;

    BufferedOutput(WritableByteChannel ch, int capacity) {
        this.ch = ch;
        this.bb = ByteBuffer.allocateDirect(capacity);
        this.seg = MemorySegment.ofBuffer(bb);
    }

    MemorySegment segment() {
        return seg;
    }

    /** Makes room for {@code n} more bytes (n ≤ capacity) and returns the index to write them at. */
    int reserve(int n) throws IOException {
        if (pos + n > bb.capacity()) flush();
        int at = pos;
        pos += n;
        return at;
    }

    void flush() throws IOException {
        bb.limit(pos).position(0);
        while (bb.hasRemaining()) ch.write(bb);
        pos = 0;
    }

    void close() throws IOException {
        try {
            flush();
        } finally {
            ch.close();
        }
    }
}
