package ferry.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Opens {@link PacketReader}s: captures (pcap or pcapng, told apart by their first bytes) and hex text. */
public final class PacketReaders {
    private PacketReaders() {
    }

    /** Opens a pcap or pcapng file. */
    public static PacketReader open(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            return open(ch, file.toString());
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Reads a pcap or pcapng stream (a file, stdin, a pipe), telling the format from its first four bytes.
     * {@code name} prefixes error messages. The reader closes {@code ch}.
     */
    public static PacketReader open(ReadableByteChannel ch, String name) throws IOException {
        ByteInput in = new ByteInput(ch, CaptureReader.BUFFER);
        if (!in.ensure(4)) {
            throw new PcapFormatException(name + ": " + (in.available() == 0 ? "empty input" : "only " + in.available()
                    + " bytes") + ": expected a pcap or pcapng capture");
        }
        int m = (int) in.u32(in.pos(), false);
        if (m == PcapReader.MAGIC_US || m == PcapReader.MAGIC_NS
                || m == Integer.reverseBytes(PcapReader.MAGIC_US) || m == Integer.reverseBytes(PcapReader.MAGIC_NS)) {
            return new PcapReader(in, ch, name);
        }
        if (m == PcapngReader.SHB) return new PcapngReader(in, ch, name);
        throw new PcapFormatException(String.format("%s: byte offset 0: not a capture: starts with %02x %02x %02x %02x;"
                        + " expected a pcap magic number (a1b2c3d4 or a1b23c4d, either byte order) or a pcapng"
                        + " Section Header Block (0a0d0d0a)", name, m >>> 24, m >>> 16 & 0xff, m >>> 8 & 0xff,
                m & 0xff));
    }

    /** Opens a hex text file, one packet per line. */
    public static PacketReader openHex(Path file) throws IOException {
        return openHex(FileChannel.open(file, StandardOpenOption.READ), file.toString());
    }

    /** Reads hex text, one packet per line, from {@code ch} (which the reader closes). */
    public static PacketReader openHex(ReadableByteChannel ch, String name) {
        return new HexReader(new ByteInput(ch, 64 * 1024), ch, name);
    }
}
