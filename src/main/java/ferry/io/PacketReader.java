package ferry.io;

import java.io.Closeable;
import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * A stream of raw IP packets read from a capture (classic pcap, pcapng) or a hex dump, with the link layer already
 * removed. Usage:
 *
 * <pre>{@code
 * try (PacketReader r = PacketReaders.open(path)) {
 *     while (r.next()) use(r.segment(), r.offset(), r.length(), r.timestampNanos());
 *     if (r.warning() != null) System.err.println(r.warning());
 * }
 * }</pre>
 *
 * <p>The packet bytes live in the reader's own buffer and stay valid only until the next call to {@link #next()}.
 * A reader allocates nothing per packet. It is not thread-safe.
 */
public interface PacketReader extends Closeable {
    /**
     * Largest captured record ferry accepts, in bytes: 262144, the largest snap length libpcap and Wireshark write.
     * A record that claims more is a format error (the file is corrupt or not a capture).
     */
    int MAX_PACKET = 262_144;

    /**
     * Advances to the next IP packet, passing over (and counting) records that hold none. Returns false at the end
     * of the input, including an input that ends in the middle of a record (then {@link #warning()} says so).
     *
     * @throws PcapFormatException the input is not a readable capture, with the offset or line and what was expected
     * @throws IOException         reading failed
     */
    boolean next() throws IOException;

    /** The buffer holding the current packet. */
    MemorySegment segment();

    /** Offset of the current packet's IP header in {@link #segment()}. */
    long offset();

    /** Length of the current packet, from its IP header to its end (link-layer trailers removed). */
    int length();

    /** Timestamp of the current packet in nanoseconds since the Unix epoch (0 when the input has none). */
    long timestampNanos();

    /** Link type (LINKTYPE_* number) the current packet was captured with; 101 (raw IP) for hex input. */
    int linkType();

    /** Number of packets yielded so far. */
    long packets();

    /** How many records were passed over for {@code reason}. */
    long skipped(SkipReason reason);

    /** Null, or a sentence saying the input ended in the middle of a record (set once {@link #next()} returned false). */
    String warning();

    /** A short description of the format, e.g. "pcap (little-endian, ns)", for summaries. */
    String format();
}
