package ferry.io;

import java.io.IOException;
import java.nio.channels.ReadableByteChannel;

/**
 * Classic libpcap files: a 24-byte file header, then records of a 16-byte header and the captured bytes. Both byte
 * orders, microsecond (magic a1b2c3d4) and nanosecond (a1b23c4d) timestamps.
 *
 * <pre>
 * file header: magic(4) version_major(2) version_minor(2) thiszone(4) sigfigs(4) snaplen(4) linktype(4)
 * record:      ts_sec(4) ts_frac(4) caplen(4) origlen(4) data(caplen)
 * </pre>
 */
final class PcapReader extends CaptureReader {
    static final int MAGIC_US = 0xa1b2c3d4;
    static final int MAGIC_NS = 0xa1b23c4d;

    private final boolean le;
    private final long fracToNanos;
    private final int linkType;
    private final int fcsLen;
    private long record;

    PcapReader(ByteInput in, ReadableByteChannel ch, String name) throws IOException {
        super(in, ch, name);
        if (!in.ensure(24)) throw error(0, "file ends inside the 24-byte pcap file header (" + in.available() + " bytes)");
        int at = in.pos();
        int magicBe = (int) in.u32(at, false);
        int magicLe = (int) in.u32(at, true);
        if (magicBe == MAGIC_US || magicBe == MAGIC_NS) le = false;
        else if (magicLe == MAGIC_US || magicLe == MAGIC_NS) le = true;
        else throw error(0, String.format("not a pcap magic number: %08x", magicBe));
        boolean nanos = (le ? magicLe : magicBe) == MAGIC_NS;
        fracToNanos = nanos ? 1 : 1000;
        int major = in.u16(at + 4, le);
        int minor = in.u16(at + 6, le);
        if (major != 2) throw error(4, "unsupported pcap version " + major + "." + minor + " (expected 2.4)");
        long lt = in.u32(at + 20, le);
        linkType = (int) (lt & 0xffff);
        // pcap-savefile(5): bit 26 set means bits 28-31 hold the FCS length in 16-bit words.
        fcsLen = (lt & 0x04000000L) != 0 ? (int) ((lt >>> 28) & 0xf) * 2 : 0;
        if (!LinkType.isSupported(linkType)) {
            throw error(20, "unsupported " + LinkType.describe(linkType) + "; ferry reads " + LinkType.supportedList());
        }
        in.consume(24);
        fmt = "pcap (" + (le ? "little" : "big") + "-endian, " + (nanos ? "ns" : "µs") + ", "
                + LinkType.describe(linkType) + ")";
    }

    private final String fmt;

    @Override
    public String format() {
        return fmt;
    }

    @Override
    boolean readNext() throws IOException {
        while (true) {
            if (in.atEnd()) return false;
            long recAt = in.streamOffset();
            if (!in.ensure(16)) {
                warning = name + ": the capture is truncated: it ends inside the header of record " + (record + 1)
                        + " at byte offset " + recAt + " (" + in.available() + " of 16 bytes)";
                in.consume(in.available());
                return false;
            }
            int at = in.pos();
            long sec = in.u32(at, le);
            long frac = in.u32(at + 4, le);
            long caplen = in.u32(at + 8, le);
            long origlen = in.u32(at + 12, le);
            if (caplen > MAX_PACKET) {
                throw error(recAt, "record " + (record + 1) + " claims a captured length of " + caplen
                        + " bytes, more than the maximum " + MAX_PACKET + " (corrupt file?)");
            }
            record++;
            int cap = (int) caplen;
            if (!in.ensure(16 + cap)) {
                warning = name + ": the capture is truncated: record " + record + " at byte offset " + recAt
                        + " needs " + cap + " bytes of data but only " + (in.available() - 16) + " are left";
                in.consume(in.available());
                return false;
            }
            at = in.pos();
            in.consume(16 + cap);
            if (caplen < origlen) {
                skip(SkipReason.SNAPLEN_TRUNCATED);
                continue;
            }
            if (!decap(linkType, at + 16, cap, fcsLen)) continue;
            tsNanos = sec * 1_000_000_000L + frac * fracToNanos;
            return true;
        }
    }
}
