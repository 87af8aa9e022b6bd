package ferry.io;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;

/**
 * What every file {@link PacketWriter} shares: a {@link BufferedOutput} over the channel, the count of packets
 * written, and flush/close passed through to the buffer. Subclasses format the records in {@code write}.
 */
abstract class BufferedPacketWriter implements PacketWriter {
    /** The buffer records are formatted into. */
    final BufferedOutput out;
    /** Packets written so far; {@code write} counts each one. */
    long packets;

    BufferedPacketWriter(WritableByteChannel ch, int bufferBytes) {
        out = new BufferedOutput(ch, bufferBytes);
    }

    @Override
    public final long packets() {
        return packets;
    }

    @Override
    public final void flush() throws IOException {
        out.flush();
    }

    @Override
    public final void close() throws IOException {
        out.close();
    }
}
