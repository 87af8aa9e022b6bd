package ferry.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.ReadableByteChannel;

/**
 * Hex text, one raw IP packet per line: pairs of hex digits, optionally separated by spaces or tabs between bytes.
 * Blank lines and everything from {@code #} to the end of a line are ignored; CRLF line ends are accepted. Anything
 * else is a {@link PcapFormatException} naming the line and column. Packets have timestamp 0.
 */
final class HexReader implements PacketReader {
    private final ReadableByteChannel channel;
    private final ByteInput in;
    private final String name;
    private final MemorySegment out = MemorySegment.ofArray(new byte[MAX_PACKET]);
    private long line;
    private int len;
    private long packets;

    HexReader(ByteInput in, ReadableByteChannel channel, String name) {
        this.in = in;
        this.channel = channel;
        this.name = name;
    }

    @Override
    public boolean next() throws IOException {
        while (true) {
            if (in.atEnd()) return false;
            line++;
            int n = 0;
            int col = 0;
            int hi = -1; // first digit of a byte, or -1 between bytes
            boolean comment = false;
            while (in.ensure(1)) {
                int b = in.u8(in.pos());
                in.consume(1);
                col++;
                if (b == '\n') break;
                if (comment) continue;
                if (b == '#' || b == ' ' || b == '\t' || b == '\r') {
                    if (hi >= 0) throw error(col, "a byte needs two hex digits, found one before " + show(b));
                    if (b == '#') comment = true;
                    continue;
                }
                int d = Character.digit(b, 16);
                if (d < 0 || b > 'f') throw error(col, "expected a hex digit, found " + show(b));
                if (hi < 0) {
                    hi = d;
                } else {
                    if (n == MAX_PACKET) throw error(col, "packet longer than " + MAX_PACKET + " bytes");
                    out.set(java.lang.foreign.ValueLayout.JAVA_BYTE, n++, (byte) (hi << 4 | d));
                    hi = -1;
                }
            }
            if (hi >= 0) throw error(col, "odd number of hex digits: the last byte has only one");
            if (n == 0) continue; // blank or comment line
            len = n;
            packets++;
            return true;
        }
    }

    private PcapFormatException error(int col, String what) {
        return new PcapFormatException(name + ": line " + line + ", column " + col + ": " + what);
    }

    private static String show(int b) {
        return b >= 0x21 && b < 0x7f ? "'" + (char) b + "'" : String.format("byte 0x%02x", b);
    }

    @Override
    public MemorySegment segment() {
        return out;
    }

    @Override
    public long offset() {
        return 0;
    }

    @Override
    public int length() {
        return len;
    }

    @Override
    public long timestampNanos() {
        return 0;
    }

    @Override
    public int linkType() {
        return LinkType.RAW;
    }

    @Override
    public long packets() {
        return packets;
    }

    @Override
    public long skipped(SkipReason reason) {
        return 0;
    }

    @Override
    public String warning() {
        return null;
    }

    @Override
    public String format() {
        return "hex (one packet per line)";
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
