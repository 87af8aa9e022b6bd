package ferry.io;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.List;

/** Reads a whole capture from bytes, for tests. */
record Read(List<Pkt> packets, PacketReader reader) {
    record Pkt(byte[] data, long ts, int linkType) {
    }

    static Read all(byte[] capture) throws IOException {
        return all(PacketReaders.open(Channels.newChannel(new ByteArrayInputStream(capture)), "test.pcap"));
    }

    static Read hex(String text) throws IOException {
        return all(PacketReaders.openHex(Channels.newChannel(new ByteArrayInputStream(
                text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1))), "test.hex"));
    }

    static Read all(PacketReader r) throws IOException {
        List<Pkt> out = new ArrayList<>();
        try (r) {
            while (r.next()) {
                byte[] b = r.segment().asSlice(r.offset(), r.length()).toArray(ValueLayout.JAVA_BYTE);
                out.add(new Pkt(b, r.timestampNanos(), r.linkType()));
            }
        }
        return new Read(out, r);
    }
}
