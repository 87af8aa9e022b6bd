package ferry.io;

import static ferry.io.Captures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PcapngReaderTest {
    static final boolean LE = true, BE = false;

    @ParameterizedTest(name = "little-endian {0}")
    @ValueSource(booleans = {true, false})
    void twoInterfacesWithDifferentLinkTypesAndResolutions(boolean le) throws IOException {
        byte[] a = ipv4(40, 1), b = ipv6(48, 2), c = ipv6(41 + 40, 3);
        byte[] cap = new Pcapng().section(le)
                .idb(le, LinkType.ETHERNET, -1, 0)          // default resolution: µs
                .idb(le, LinkType.RAW, 9, 0)                // 10^-9: ns
                .idb(le, LinkType.LINUX_SLL2, 0x80 | 10, 0) // 2^-10 s
                .epb(le, 0, 1_700_000_000_123_456L, ethernet(0x0800, a), 54)
                .epb(le, 1, 1_700_000_000_987_654_321L, b, b.length)
                .epb(le, 2, (5L << 10) | 512, sll2(0x86DD, c), c.length + 20)
                .bytes();

        Read r = Read.all(cap);

        assertThat(r.packets()).extracting(Read.Pkt::data).containsExactly(a, b, c);
        assertThat(r.packets()).extracting(Read.Pkt::ts).containsExactly(1_700_000_000_123_456_000L,
                1_700_000_000_987_654_321L, 5_500_000_000L);
        assertThat(r.packets()).extracting(Read.Pkt::linkType).containsExactly(1, 101, 276);
        assertThat(r.reader().format()).contains(le ? "little-endian" : "big-endian").contains("3 interfaces")
                .contains("ETHERNET (1), RAW (101), LINUX_SLL2 (276)");
    }

    @Test
    void tsharkReadsTheSameTimestampsFromEveryInterfaceAndSection(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Tshark.available(), Tshark.SKIP_REASON);
        byte[] a = ipv4(40, 1), b = ipv6(48, 2), c = ipv6(81, 3);
        byte[] cap = new Pcapng().section(LE)
                .idb(LE, LinkType.ETHERNET, -1, 0).idb(LE, LinkType.RAW, 9, 0).idb(LE, LinkType.LINUX_SLL2, 0x80 | 10, 0)
                .epb(LE, 0, 1_700_000_000_123_456L, ethernet(0x0800, a), 54)
                .epb(LE, 1, 1_700_000_000_987_654_321L, b, b.length)
                .epb(LE, 2, (5L << 10) | 512, sll2(0x86DD, c), c.length + 20)
                .section(BE).idb(BE, LinkType.IPV4, 3, 0).epb(BE, 0, 7, a, a.length)
                .bytes();
        java.nio.file.Path f = dir.resolve("two.pcapng");
        java.nio.file.Files.write(f, cap);

        Read r = Read.all(PacketReaders.open(f));
        java.util.List<String> ts = Tshark.run("-r", f.toString(), "-T", "fields", "-e", "frame.time_epoch");

        assertThat(ts).hasSize(r.packets().size());
        for (int i = 0; i < ts.size(); i++) {
            long ns = new java.math.BigDecimal(ts.get(i)).movePointRight(9).longValueExact();
            assertThat(r.packets().get(i).ts()).as("packet %d", i + 1).isEqualTo(ns);
        }
    }

    @Test
    void aSecondSectionMaySwitchByteOrderAndStartsItsOwnInterfaceList() throws IOException {
        byte[] a = ipv4(20, 1), b = ipv4(24, 2);
        byte[] cap = new Pcapng().section(LE).idb(LE, LinkType.RAW, 9, 0).epb(LE, 0, 7, a, a.length)
                .section(BE).idb(BE, LinkType.IPV4, 3, 0).epb(BE, 0, 7, b, b.length).bytes();

        Read r = Read.all(cap);

        assertThat(r.packets()).extracting(Read.Pkt::data).containsExactly(a, b);
        assertThat(r.packets()).extracting(Read.Pkt::ts).containsExactly(7L, 7_000_000L); // 10^-9, then 10^-3
        assertThat(r.packets()).extracting(Read.Pkt::linkType).containsExactly(101, 228);
        assertThat(r.reader().format()).contains("mixed-endian");
    }

    @Test
    void ifTsoffsetIsAddedInSeconds() throws IOException {
        byte[] a = ipv4(20, 1);
        byte[] cap = new Pcapng().section(LE).idb(LE, LinkType.RAW, 9, 1_000_000_000L).epb(LE, 0, 42, a, 20).bytes();

        assertThat(Read.all(cap).packets().getFirst().ts()).isEqualTo(1_000_000_000_000_000_042L);
    }

    @Test
    void simpleAndObsoletePacketBlocksAreRead() throws IOException {
        byte[] a = ipv4(20, 1), b = ipv4(21, 2), c = ipv6(40, 3);
        byte[] cap = new Pcapng().section(BE).idb(BE, LinkType.RAW, 6, 0)
                .opb(BE, 0, 3_000_000, a)
                .spb(BE, b)   // no timestamp: keeps the previous packet's
                .epb(BE, 0, 4_000_000, c, 40)
                .bytes();

        Read r = Read.all(cap);

        assertThat(r.packets()).extracting(Read.Pkt::data).containsExactly(a, b, c);
        assertThat(r.packets()).extracting(Read.Pkt::ts).containsExactly(3_000_000_000L, 3_000_000_000L,
                4_000_000_000L);
    }

    @Test
    void unknownBlocksAreSkippedEvenWhenLargerThanTheBuffer() throws IOException {
        byte[] a = ipv4(20, 1);
        byte[] huge = new byte[1 << 20]; // 1 MiB custom block, larger than the read window
        byte[] cap = new Pcapng().section(LE).block(LE, 4, new byte[] {0, 0, 0, 0}) // empty Name Resolution Block
                .idb(LE, LinkType.RAW, -1, 0).block(LE, 0x40000BAD, huge).block(LE, 5, new byte[8]) // ISB
                .epb(LE, 0, 1, a, 20).bytes();

        Read r = Read.all(cap);

        assertThat(r.packets()).extracting(Read.Pkt::data).containsExactly(a);
    }

    @Test
    void interfacesOfUnsupportedLinkTypesAreSkippedAndCounted() throws IOException {
        byte[] a = ipv4(20, 1);
        byte[] cap = new Pcapng().section(LE).idb(LE, 105, -1, 0).idb(LE, LinkType.RAW, -1, 0)
                .epb(LE, 0, 1, new byte[30], 30).epb(LE, 1, 1, a, 20).epb(LE, 0, 1, new byte[30], 30).bytes();

        Read r = Read.all(cap);

        assertThat(r.packets()).extracting(Read.Pkt::data).containsExactly(a);
        assertThat(r.reader().skipped(SkipReason.UNSUPPORTED_LINK_TYPE)).isEqualTo(2);
    }

    @Test
    void snapLengthTruncatedEnhancedPacketBlocksAreCounted() throws IOException {
        byte[] cap = new Pcapng().section(LE).idb(LE, LinkType.RAW, -1, 0).epb(LE, 0, 1, ipv4(20, 0), 1500).bytes();

        Read r = Read.all(cap);

        assertThat(r.packets()).isEmpty();
        assertThat(r.reader().skipped(SkipReason.SNAPLEN_TRUNCATED)).isEqualTo(1);
    }

    @Test
    void aPacketForAnUndescribedInterfaceIsAFormatError() {
        byte[] cap = new Pcapng().section(LE).idb(LE, LinkType.RAW, -1, 0).epb(LE, 3, 1, ipv4(20, 0), 20).bytes();

        assertThatThrownBy(() -> Read.all(cap)).isInstanceOf(PcapFormatException.class)
                .hasMessageContaining("interface 3").hasMessageContaining("has 1 interface");
    }

    @Test
    void badBlockLengthsAreFormatErrorsWithTheirOffset() {
        byte[] good = new Pcapng().section(LE).idb(LE, LinkType.RAW, -1, 0).bytes();
        byte[] odd = concat(good, new Bytes(LE).u32(6).u32(13).u32(0).u32(0).toByteArray());
        byte[] tiny = concat(good, new Bytes(LE).u32(6).u32(8).u32(8).toByteArray());
        byte[] mismatch = new Pcapng().section(LE).idb(LE, LinkType.RAW, -1, 0).epb(LE, 0, 1, ipv4(20, 0), 20).bytes();
        mismatch[mismatch.length - 4] = 99;
        byte[] huge = concat(good, new Bytes(LE).u32(6).u32(0x7ffffff0L).u32(0).toByteArray());
        byte[] capTooBig = new Pcapng().section(LE).idb(LE, LinkType.RAW, -1, 0).epb(LE, 0, 1, ipv4(20, 0), 20).bytes();
        capTooBig[good.length + 20] = 80; // captured length 80 in a 52-byte block

        assertThatThrownBy(() -> Read.all(odd)).isInstanceOf(PcapFormatException.class)
                .hasMessageContaining("byte offset " + (good.length + 4)).hasMessageContaining("total length 13")
                .hasMessageContaining("multiple of 4");
        assertThatThrownBy(() -> Read.all(tiny)).isInstanceOf(PcapFormatException.class)
                .hasMessageContaining("total length 8");
        assertThatThrownBy(() -> Read.all(mismatch)).isInstanceOf(PcapFormatException.class)
                .hasMessageContaining("ends with total length 99");
        assertThatThrownBy(() -> Read.all(huge)).isInstanceOf(PcapFormatException.class)
                .hasMessageContaining("2147483632").hasMessageContaining("corrupt");
        assertThatThrownBy(() -> Read.all(capTooBig)).isInstanceOf(PcapFormatException.class)
                .hasMessageContaining("claims 80 captured bytes");
    }

    @Test
    void aBadByteOrderMagicOrVersionIsAFormatError() {
        byte[] cap = new Pcapng().section(LE).bytes();
        byte[] badBom = cap.clone();
        badBom[8] = 0x11;
        byte[] v2 = cap.clone();
        v2[12] = 2;

        assertThatThrownBy(() -> Read.all(badBom)).isInstanceOf(PcapFormatException.class)
                .hasMessageContaining("byte-order magic");
        assertThatThrownBy(() -> Read.all(v2)).isInstanceOf(PcapFormatException.class)
                .hasMessageContaining("unsupported pcapng version 2.0");
    }

    @Test
    void aFileCutInsideABlockEndsWithAWarning() throws IOException {
        byte[] cap = new Pcapng().section(LE).idb(LE, LinkType.RAW, -1, 0).epb(LE, 0, 1, ipv4(20, 0), 20)
                .epb(LE, 0, 2, ipv4(400, 0), 400).bytes();
        byte[] cut = Arrays.copyOf(cap, cap.length - 100);
        int secondAt = cap.length - (32 + 400);

        Read r = Read.all(cut);

        assertThat(r.packets()).hasSize(1);
        assertThat(r.reader().warning()).contains("truncated").contains("block 4")
                .contains("byte offset " + secondAt);
    }

    @Test
    void anOptionRunningPastItsInterfaceBlockIsAFormatError() {
        byte[] body = new Bytes(LE).u16(LinkType.RAW).u16(0).u32(0).u16(9).u16(200).toByteArray();
        byte[] cap = new Pcapng().section(LE).block(LE, 1, body).bytes();

        assertThatThrownBy(() -> Read.all(cap)).isInstanceOf(PcapFormatException.class)
                .hasMessageContaining("option 9").hasMessageContaining("past the end");
    }
}
