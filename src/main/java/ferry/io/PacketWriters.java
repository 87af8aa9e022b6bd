package ferry.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Creates {@link PacketWriter}s. */
public final class PacketWriters {
    private PacketWriters() {
    }

    /**
     * Classic pcap, link type RAW (101), little-endian, <b>nanosecond</b> timestamps (magic a1b23c4d), version 2.4.
     * Writes the file header at once; the writer closes {@code ch}.
     */
    public static PacketWriter pcap(WritableByteChannel ch) throws IOException {
        return new PcapWriter(ch);
    }

    /** Creates (or truncates) {@code file} and writes a pcap to it, as {@link #pcap(WritableByteChannel)}. */
    public static PacketWriter pcap(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        try {
            return new PcapWriter(ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Hex text, one packet per line, lowercase; the writer closes {@code ch}. */
    public static PacketWriter hex(WritableByteChannel ch) {
        return new HexWriter(ch);
    }

    /** Creates (or truncates) {@code file} and writes hex text to it. */
    public static PacketWriter hex(Path file) throws IOException {
        return new HexWriter(FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING));
    }
}
