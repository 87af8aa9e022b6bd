package ferry.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;

/**
 * A sliding window over a channel: one direct buffer, allocated once, refilled by moving the unread bytes to the
 * front. Readers ask for {@code n} bytes with {@link #ensure}, look at them through {@link #segment()} starting at
 * {@link #pos()}, and {@link #consume} them. Nothing is allocated per call.
 */
final class ByteInput {
    static final ValueLayout.OfShort U16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort U16_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfInt U32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final ReadableByteChannel ch;
    private final ByteBuffer bb;
    private final MemorySegment seg;
    /** Unread bytes are {@code [start, end)} of the buffer. */
    private int start, end;
    /** Offset in the stream of buffer index 0. */
    private long base;
    private boolean eof;

    ByteInput(ReadableByteChannel ch, int capacity) {
        this.ch = ch;
        this.bb = ByteBuffer.allocateDirect(capacity);
        this.seg = MemorySegment.ofBuffer(bb);
    }

    /** The whole buffer; valid bytes are {@code [pos(), pos()+available())}. */
    MemorySegment segment() {
        return seg;
    }

    /** Buffer index of the next unread byte. */
    int pos() {
        return start;
    }

    int available() {
        return end - start;
    }

    /** Stream offset of the next unread byte (for error messages). */
    long streamOffset() {
        return base + start;
    }

    int capacity() {
        return bb.capacity();
    }

    /**
     * Makes at least {@code n} unread bytes available (n ≤ capacity). Returns false when the stream ends first;
     * then {@link #available()} tells how many there are. Moving the window changes {@link #pos()}.
     */
    boolean ensure(int n) throws IOException {
        if (end - start >= n) return true;
        if (n > bb.capacity()) throw new IllegalArgumentException("ensure(" + n + ") > capacity " + bb.capacity());
        if (start + n > bb.capacity()) {
            int len = end - start;
            if (len > 0) MemorySegment.copy(seg, start, seg, 0, len);
            base += start;
            start = 0;
            end = len;
        }
        while (end - start < n && !eof) {
            bb.limit(bb.capacity()).position(end);
            int r = ch.read(bb);
            if (r < 0) eof = true;
            else end += r;
        }
        return end - start >= n;
    }

    /** Marks {@code n} available bytes as read. */
    void consume(int n) {
        start += n;
    }

    /** Skips {@code n} bytes, reading (and discarding) past the buffer if needed. Returns the bytes skipped. */
    long skip(long n) throws IOException {
        long done = 0;
        while (done < n) {
            if (start == end && !ensure(1)) break;
            int k = (int) Math.min(n - done, end - start);
            start += k;
            done += k;
        }
        return done;
    }

    /** True when no byte is left (reads ahead to find out). */
    boolean atEnd() throws IOException {
        return !ensure(1);
    }

    int u8(int at) {
        return seg.get(ValueLayout.JAVA_BYTE, at) & 0xff;
    }

    int u16(int at, boolean le) {
        return seg.get(le ? U16_LE : U16_BE, at) & 0xffff;
    }

    long u32(int at, boolean le) {
        return seg.get(le ? U32_LE : U32_BE, at) & 0xffffffffL;
    }
}
