package ferry.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.WritableByteChannel;

/** Hex text, one packet per line, lowercase digits, no separators (what {@link HexReader} reads); no timestamps. */
final class HexWriter extends BufferedPacketWriter {
    private static final byte[] DIGITS = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final int CHUNK = 4096;

    HexWriter(WritableByteChannel ch) {
        super(ch, 64 * 1024);
    }

    @Override
    public void write(MemorySegment seg, long off, int len, long timestampNanos) throws IOException {
        MemorySegment s = out.segment();
        int i = 0;
        while (i < len) {
            int n = Math.min(CHUNK, len - i);
            int at = out.reserve(2 * n);
            for (int k = 0; k < n; k++) {
                int b = seg.get(ValueLayout.JAVA_BYTE, off + i + k) & 0xff;
                s.set(ValueLayout.JAVA_BYTE, at + 2L * k, DIGITS[b >>> 4]);
                s.set(ValueLayout.JAVA_BYTE, at + 2L * k + 1, DIGITS[b & 0xf]);
            }
            i += n;
        }
        s.set(ValueLayout.JAVA_BYTE, out.reserve(1), (byte) '\n');
        packets++;
    }
}
