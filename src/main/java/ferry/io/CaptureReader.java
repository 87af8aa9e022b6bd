package ferry.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.ReadableByteChannel;

/**
 * What the pcap and pcapng readers share: the input window, the current packet, the skip counters, and the removal
 * of link-layer headers ({@link #decap}).
 */
abstract sealed class CaptureReader implements PacketReader permits PcapReader, PcapngReader {
    static final int ETHERTYPE_IPV4 = 0x0800;
    static final int ETHERTYPE_IPV6 = 0x86DD;
    static final int ETHERTYPE_VLAN = 0x8100;   // IEEE 802.1Q
    static final int ETHERTYPE_QINQ = 0x88A8;   // IEEE 802.1ad service tag
    static final int ETHERTYPE_QINQ_OLD = 0x9100; // pre-standard QinQ

    /** Window size: the largest record plus room for pcapng block headers, trailers and options. */
    static final int BUFFER = PacketReader.MAX_PACKET + 64 * 1024;

    final ByteInput in;
    private final ReadableByteChannel channel;
    final String name;
    private final long[] skipped = new long[SkipReason.values().length];
    private long packets;
    String warning;

    long pktOff;
    int pktLen;
    long tsNanos;
    int pktLinkType;

    CaptureReader(ByteInput in, ReadableByteChannel channel, String name) {
        this.in = in;
        this.channel = channel;
        this.name = name;
    }

    @Override
    public final boolean next() throws IOException {
        if (readNext()) {
            packets++;
            return true;
        }
        return false;
    }

    /** Reads records until one holds an IP packet (sets pktOff/pktLen/tsNanos/pktLinkType) or the input ends. */
    abstract boolean readNext() throws IOException;

    @Override
    public final MemorySegment segment() {
        return in.segment();
    }

    @Override
    public final long offset() {
        return pktOff;
    }

    @Override
    public final int length() {
        return pktLen;
    }

    @Override
    public final long timestampNanos() {
        return tsNanos;
    }

    @Override
    public final int linkType() {
        return pktLinkType;
    }

    @Override
    public final long packets() {
        return packets;
    }

    @Override
    public final long skipped(SkipReason reason) {
        return skipped[reason.ordinal()];
    }

    @Override
    public final String warning() {
        return warning;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    final void skip(SkipReason r) {
        skipped[r.ordinal()]++;
    }

    final PcapFormatException error(long at, String what) {
        return new PcapFormatException(name + ": byte offset " + at + ": " + what);
    }

    /**
     * Finds the IP packet in a record of {@code caplen} bytes at buffer index {@code at}. On success sets
     * {@link #pktOff}, {@link #pktLen}, {@link #pktLinkType} and returns true; otherwise counts the reason and
     * returns false. {@code fcsLen} bytes of frame check sequence at the end of Ethernet frames are removed.
     */
    final boolean decap(int linkType, int at, int caplen, int fcsLen) {
        int p;
        int end = at + caplen;
        int etherType;
        switch (linkType) {
            case LinkType.RAW, LinkType.IPV4, LinkType.IPV6 -> {
                // The record is the IP packet, byte for byte: the translator judges its lengths.
                pktOff = at;
                pktLen = caplen;
                pktLinkType = linkType;
                return true;
            }
            case LinkType.ETHERNET -> {
                end -= fcsLen;
                if (end - at < 14) return short_();
                etherType = in.u16(at + 12, false);
                p = at + 14;
            }
            case LinkType.LINUX_SLL -> {
                if (caplen < 16) return short_();
                etherType = in.u16(at + 14, false);
                p = at + 16;
            }
            case LinkType.LINUX_SLL2 -> {
                if (caplen < 20) return short_();
                etherType = in.u16(at, false);
                p = at + 20;
            }
            default -> {
                skip(SkipReason.UNSUPPORTED_LINK_TYPE);
                return false;
            }
        }
        while (etherType == ETHERTYPE_VLAN || etherType == ETHERTYPE_QINQ || etherType == ETHERTYPE_QINQ_OLD) {
            // 802.1Q tag: 2 bytes TCI, then the inner EtherType.
            if (end - p < 4) return short_();
            etherType = in.u16(p + 2, false);
            p += 4;
        }
        int len = end - p;
        if (etherType == ETHERTYPE_IPV4) {
            // Ethernet pads short frames to 60 bytes: the IPv4 Total Length says where the packet ends.
            if (len >= 20) {
                int total = in.u16(p + 2, false);
                if (total >= 20 && total < len) len = total;
            }
        } else if (etherType == ETHERTYPE_IPV6) {
            if (len >= 40) {
                int payload = in.u16(p + 4, false);
                // Payload Length 0 with a Hop-by-Hop header may be a jumbogram (RFC 2675): keep everything.
                boolean jumbo = payload == 0 && in.u8(p + 6) == 0;
                if (!jumbo && 40 + payload < len) len = 40 + payload;
            }
        } else {
            skip(SkipReason.NOT_IP);
            return false;
        }
        pktOff = p;
        pktLen = len;
        pktLinkType = linkType;
        return true;
    }

    private boolean short_() {
        skip(SkipReason.SHORT_LINK_HEADER);
        return false;
    }
}
