package ferry.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PcapWriterTest {
    @TempDir
    Path dir;

    @Test
    void writesALittleEndianNanosecondRawIpFileHeader() throws IOException {
        Path f = dir.resolve("h.pcap");
        PacketWriters.pcap(f).close();

        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);

        assertThat(b.capacity()).isEqualTo(24);
        assertThat(b.getInt(0)).isEqualTo(0xa1b23c4d);
        assertThat(b.getShort(4)).isEqualTo((short) 2);
        assertThat(b.getShort(6)).isEqualTo((short) 4);
        assertThat(b.getInt(16)).isEqualTo(262144);
        assertThat(b.getInt(20)).isEqualTo(101);
    }

    @Test
    void packetsAndNanosecondTimestampsRoundTripThroughTheReader() throws IOException {
        Path f = dir.resolve("rt.pcap");
        byte[] a = Captures.ipv4(60, 1), b = Captures.ipv6(1280, 2), c = Captures.ipv4(65535, 3);
        long[] ts = {1_700_000_000_123_456_789L, 1_700_000_000_999_999_999L, 0L};
        try (PacketWriter w = PacketWriters.pcap(f)) {
            // write from the middle of a larger segment, as the translator's sink does
            MemorySegment big = MemorySegment.ofArray(new byte[70_000]);
            int i = 0;
            for (byte[] p : List.of(a, b, c)) {
                MemorySegment.copy(MemorySegment.ofArray(p), 0, big, 64, p.length);
                w.write(big, 64, p.length, ts[i++]);
            }
            assertThat(w.packets()).isEqualTo(3);
        }

        Read r = Read.all(PacketReaders.open(f));

        assertThat(r.packets()).extracting(Read.Pkt::data).containsExactly(a, b, c);
        assertThat(r.packets()).extracting(Read.Pkt::ts).containsExactly(ts[0], ts[1], ts[2]);
        assertThat(r.reader().format()).contains("little-endian, ns").contains("RAW (101)");
    }

    @Test
    void manyPacketsSpanningSeveralBufferFlushesRoundTrip() throws IOException {
        Path f = dir.resolve("many.pcap");
        int n = 2000;
        try (PacketWriter w = PacketWriters.pcap(f)) {
            for (int i = 0; i < n; i++) {
                byte[] p = Captures.ipv4(1500, i);
                w.write(MemorySegment.ofArray(p), 0, p.length, i);
            }
        }

        Read r = Read.all(PacketReaders.open(f));

        assertThat(r.packets()).hasSize(n);
        assertThat(r.packets().get(1234).data()).isEqualTo(Captures.ipv4(1500, 1234));
        assertThat(r.packets().get(1234).ts()).isEqualTo(1234);
    }

    @Test
    void tsharkReadsTheWrittenFileWithNanosecondTimestamps() throws Exception {
        assumeTrue(Tshark.available(), Tshark.SKIP_REASON);
        Path f = dir.resolve("ts.pcap");
        byte[] p = Captures.ipv4(20, 0);
        try (PacketWriter w = PacketWriters.pcap(f)) {
            w.write(MemorySegment.ofArray(p), 0, p.length, 1_700_000_000_123_456_789L);
        }

        List<String> out = Tshark.run("-r", f.toString(), "-T", "fields", "-e", "frame.time_epoch",
                "-e", "frame.len", "-e", "ip.version");

        assertThat(out).containsExactly("1700000000.123456789\t20\t4");
    }
}
