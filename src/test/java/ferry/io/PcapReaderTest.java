package ferry.io;

import static ferry.io.Captures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PcapReaderTest {
    static byte[] frame(int linkType, byte[] ip) {
        int et = (ip[0] >> 4) == 6 ? 0x86DD : 0x0800;
        return switch (linkType) {
            case LinkType.ETHERNET -> ethernet(et, ip);
            case LinkType.LINUX_SLL -> sll(et, ip);
            case LinkType.LINUX_SLL2 -> sll2(et, ip);
            default -> ip;
        };
    }

    @ParameterizedTest(name = "link type {0}, little-endian {1}, nanosecond {2}")
    @CsvSource({"101,true,false", "101,false,true", "228,true,true", "229,false,false", "1,true,false",
            "1,false,true", "113,true,true", "113,false,false", "276,true,false", "276,false,true"})
    void yieldsTheIpPacketAndTimestampOfEachRecord(int linkType, boolean le, boolean nanos) throws IOException {
        byte[] a = linkType == LinkType.IPV6 ? ipv6(60, 1) : ipv4(48, 1);
        byte[] b = linkType == LinkType.IPV4 ? ipv4(20, 9) : ipv6(40, 9);
        Bytes f = pcapHeader(le, nanos, linkType);
        pcapRecord(f, 1_700_000_000L, nanos ? 123_456_789 : 123_456, frame(linkType, a), frame(linkType, a).length);
        pcapRecord(f, 1_700_000_001L, 5, frame(linkType, b), frame(linkType, b).length);

        Read r = Read.all(f.toByteArray());

        assertThat(r.packets()).hasSize(2);
        assertThat(r.packets().get(0).data()).isEqualTo(a);
        assertThat(r.packets().get(1).data()).isEqualTo(b);
        assertThat(r.packets().get(0).ts()).isEqualTo(1_700_000_000_000_000_000L + (nanos ? 123_456_789 : 123_456_000));
        assertThat(r.packets().get(1).ts()).isEqualTo(1_700_000_001_000_000_000L + (nanos ? 5 : 5_000));
        assertThat(r.packets().get(0).linkType()).isEqualTo(linkType);
        assertThat(r.reader().warning()).isNull();
        assertThat(r.reader().packets()).isEqualTo(2);
        assertThat(r.reader().format()).contains(le ? "little-endian" : "big-endian").contains(nanos ? "ns" : "µs");
    }

    @Test
    void removesOneVlanTagAndQinQTags() throws IOException {
        byte[] ip = ipv6(44, 3);
        Bytes f = pcapHeader(true, false, LinkType.ETHERNET);
        pcapRecord(f, 1, 0, ethernet(0x86DD, ip, 0x8100), 62);
        pcapRecord(f, 2, 0, ethernet(0x86DD, ip, 0x88A8, 0x8100), 66);
        pcapRecord(f, 3, 0, ethernet(0x86DD, ip, 0x9100, 0x8100), 66);

        Read r = Read.all(f.toByteArray());

        assertThat(r.packets()).extracting(Read.Pkt::data).containsExactly(ip, ip, ip);
    }

    @Test
    void vlanTaggedLinuxCookedFramesAreUnwrappedToo() throws IOException {
        byte[] ip = ipv4(30, 4);
        byte[] tagged = new Bytes(false).u16(7).u16(0x0800).bytes(ip).toByteArray();
        Bytes f = pcapHeader(true, false, LinkType.LINUX_SLL);
        byte[] rec = sll(0x8100, tagged);
        pcapRecord(f, 1, 0, rec, rec.length);

        assertThat(Read.all(f.toByteArray()).packets()).extracting(Read.Pkt::data).containsExactly(ip);
    }

    @Test
    void skipsAndCountsFramesThatAreNotIp() throws IOException {
        byte[] arp = new byte[28];
        byte[] ip = ipv4(20, 0);
        Bytes f = pcapHeader(true, false, LinkType.ETHERNET);
        pcapRecord(f, 1, 0, ethernet(0x0806, arp), 42);
        pcapRecord(f, 2, 0, ethernet(0x8100 + 0, ethernet(0x0806, arp)), 56); // VLAN to nowhere sensible
        pcapRecord(f, 3, 0, ethernet(0x0800, ip), 34);
        byte[] sllArp = sll(0x0806, arp);
        Bytes g = pcapHeader(true, false, LinkType.LINUX_SLL);
        pcapRecord(g, 1, 0, sllArp, sllArp.length);

        Read r = Read.all(f.toByteArray());
        Read s = Read.all(g.toByteArray());

        assertThat(r.packets()).extracting(Read.Pkt::data).containsExactly(ip);
        assertThat(r.reader().skipped(SkipReason.NOT_IP)).isEqualTo(2);
        assertThat(s.packets()).isEmpty();
        assertThat(s.reader().skipped(SkipReason.NOT_IP)).isEqualTo(1);
    }

    @Test
    void ethernetPaddingAfterAShortIpv4OrIpv6PacketIsRemoved() throws IOException {
        byte[] v4 = ipv4(28, 5);
        byte[] v6 = ipv6(40, 5);
        Bytes f = pcapHeader(false, true, LinkType.ETHERNET);
        pcapRecord(f, 1, 0, padded(ethernet(0x0800, v4), 60), 60);
        pcapRecord(f, 1, 0, padded(ethernet(0x86DD, v6), 70), 70);

        assertThat(Read.all(f.toByteArray()).packets()).extracting(Read.Pkt::data).containsExactly(v4, v6);
    }

    @Test
    void frameCheckSequenceAnnouncedInTheLinkTypeFieldIsRemoved() throws IOException {
        byte[] payload = {0x45, 1, 2, 3, 4, 5, 6, 7, 8, 9}; // too short to be trimmed by its Total Length
        byte[] frame = concat(ethernet(0x0800, payload), new byte[] {9, 9, 9, 9});
        // pcap-savefile(5): bit 26 = FCS length present, bits 28-31 = FCS length in 16-bit words (2 = 4 bytes)
        Bytes f = pcapHeader(true, false, LinkType.ETHERNET | 0x04000000L | (2L << 28));
        pcapRecord(f, 1, 0, frame, frame.length);

        assertThat(Read.all(f.toByteArray()).packets()).extracting(Read.Pkt::data).containsExactly(payload);
    }

    @Test
    void rawRecordsAreYieldedUntrimmedSoTheTranslatorJudgesTheirLengths() throws IOException {
        byte[] p = concat(ipv4(20, 1), new byte[] {1, 2, 3});
        Bytes f = pcapHeader(true, false, LinkType.RAW);
        pcapRecord(f, 1, 0, p, p.length);

        assertThat(Read.all(f.toByteArray()).packets()).extracting(Read.Pkt::data).containsExactly(p);
    }

    @Test
    void framesShorterThanTheirLinkHeaderAreCounted() throws IOException {
        Bytes e = pcapHeader(true, false, LinkType.ETHERNET);
        pcapRecord(e, 1, 0, new byte[13], 13);
        pcapRecord(e, 1, 0, new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0x81, 0, 0, 0}, 16);
        Bytes s = pcapHeader(true, false, LinkType.LINUX_SLL2);
        pcapRecord(s, 1, 0, new byte[19], 19);

        Read r = Read.all(e.toByteArray());
        assertThat(r.packets()).isEmpty();
        assertThat(r.reader().skipped(SkipReason.SHORT_LINK_HEADER)).isEqualTo(2);
        assertThat(Read.all(s.toByteArray()).reader().skipped(SkipReason.SHORT_LINK_HEADER)).isEqualTo(1);
    }

    @Test
    void recordsCutByTheSnapLengthAreSkippedAndCounted() throws IOException {
        byte[] whole = ipv4(40, 1);
        Bytes f = pcapHeader(true, false, LinkType.RAW);
        pcapRecord(f, 1, 0, java.util.Arrays.copyOf(whole, 30), 40);
        pcapRecord(f, 2, 0, whole, 40);

        Read r = Read.all(f.toByteArray());

        assertThat(r.packets()).extracting(Read.Pkt::data).containsExactly(whole);
        assertThat(r.reader().skipped(SkipReason.SNAPLEN_TRUNCATED)).isEqualTo(1);
    }

    @Test
    void aFileCutInsideARecordEndsWithAWarningAfterTheCompleteRecords() throws IOException {
        Bytes f = pcapHeader(true, false, LinkType.RAW);
        pcapRecord(f, 1, 0, ipv4(20, 0), 20);
        pcapRecord(f, 2, 0, ipv4(100, 0), 100);
        byte[] all = f.toByteArray();
        byte[] cutInData = java.util.Arrays.copyOf(all, all.length - 30);
        byte[] cutInHeader = java.util.Arrays.copyOf(all, 24 + 36 + 7);

        Read a = Read.all(cutInData);
        Read b = Read.all(cutInHeader);

        assertThat(a.packets()).hasSize(1);
        assertThat(a.reader().warning()).contains("truncated").contains("record 2").contains("byte offset 60")
                .contains("needs 100 bytes").contains("only 70");
        assertThat(b.packets()).hasSize(1);
        assertThat(b.reader().warning()).contains("truncated").contains("header of record 2").contains("7 of 16");
    }

    @Test
    void aRecordLargerThanTheMaximumIsAFormatErrorNamingItsOffset() {
        Bytes f = pcapHeader(false, false, LinkType.RAW);
        pcapRecord(f, 1, 0, ipv4(20, 0), 20);
        f.u32(1).u32(0).u32(0x7fff_0000L).u32(0x7fff_0000L);

        assertThatThrownBy(() -> Read.all(f.toByteArray())).isInstanceOf(PcapFormatException.class)
                .hasMessageContaining("byte offset 60").hasMessageContaining("record 2")
                .hasMessageContaining("2147418112").hasMessageContaining("maximum 262144");
    }

    @Test
    void anUnsupportedLinkTypeIsAFormatErrorListingTheSupportedOnes() {
        Bytes f = pcapHeader(true, false, 105);

        assertThatThrownBy(() -> Read.all(f.toByteArray())).isInstanceOf(PcapFormatException.class)
                .hasMessageContaining("link type 105").hasMessageContaining("LINUX_SLL2 (276)");
    }

    @Test
    void garbageEmptyAndWrongVersionInputsAreFormatErrors() {
        assertThatThrownBy(() -> Read.all(new byte[0])).isInstanceOf(PcapFormatException.class)
                .hasMessageContaining("empty input");
        assertThatThrownBy(() -> Read.all("GET / HTTP/1.1\r\n".getBytes())).isInstanceOf(PcapFormatException.class)
                .hasMessageContaining("not a capture").hasMessageContaining("47 45 54 20");
        assertThatThrownBy(() -> Read.all(new byte[] {(byte) 0xd4, (byte) 0xc3, (byte) 0xb2, (byte) 0xa1, 2, 0}))
                .isInstanceOf(PcapFormatException.class).hasMessageContaining("pcap file header");
        byte[] v3 = pcapHeader(false, false, 101).toByteArray();
        v3[5] = 3;
        assertThatThrownBy(() -> Read.all(v3)).isInstanceOf(PcapFormatException.class)
                .hasMessageContaining("version 3.4");
    }

    @Test
    void readsFromAFileWithManyRecordsAcrossBufferRefills(@TempDir Path dir) throws IOException {
        Bytes f = pcapHeader(true, true, LinkType.RAW);
        int n = 3000; // ~4.5 MB: several refills of the 320 KiB window
        for (int i = 0; i < n; i++) pcapRecord(f, i, i, ipv4(1000 + i % 500, i), 1000 + i % 500);
        Path file = dir.resolve("many.pcap");
        Files.write(file, f.toByteArray());

        Read r = Read.all(PacketReaders.open(file));

        assertThat(r.packets()).hasSize(n);
        for (int i = 0; i < n; i += 257) {
            assertThat(r.packets().get(i).data()).isEqualTo(ipv4(1000 + i % 500, i));
            assertThat(r.packets().get(i).ts()).isEqualTo(i * 1_000_000_000L + i);
        }
    }
}
