package ferry.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Network-byte-order (big-endian) access to a {@link MemorySegment} at any (unaligned) offset. All values are
 * returned unsigned in an {@code int} (8/16 bits) or as raw bits ({@code int} for 32, {@code long} for 64 bits).
 * Every access is bounds-checked by the segment.
 */
public final class Bytes {
    private Bytes() {}

    public static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;
    public static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    public static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    public static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    public static int u8(MemorySegment s, long off) {
        return s.get(U8, off) & 0xff;
    }

    public static int u16(MemorySegment s, long off) {
        return s.get(U16, off) & 0xffff;
    }

    public static int i32(MemorySegment s, long off) {
        return s.get(U32, off);
    }

    public static long u32(MemorySegment s, long off) {
        return s.get(U32, off) & 0xffff_ffffL;
    }

    public static long i64(MemorySegment s, long off) {
        return s.get(U64, off);
    }

    public static void put8(MemorySegment s, long off, int v) {
        s.set(U8, off, (byte) v);
    }

    public static void put16(MemorySegment s, long off, int v) {
        s.set(U16, off, (short) v);
    }

    public static void put32(MemorySegment s, long off, int v) {
        s.set(U32, off, v);
    }

    public static void put64(MemorySegment s, long off, long v) {
        s.set(U64, off, v);
    }
}
