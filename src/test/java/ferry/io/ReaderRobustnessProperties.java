package ferry.io;

import static ferry.io.Captures.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.constraints.Size;

/** Whatever bytes come in, the readers either read them or throw their own {@link PcapFormatException}. */
class ReaderRobustnessProperties {

    /** Reads to the end; returns the packets yielded, or -1 for a PcapFormatException. Anything else escapes. */
    static long drain(byte[] bytes, boolean hex) throws IOException {
        var ch = Channels.newChannel(new ByteArrayInputStream(bytes));
        try (PacketReader r = hex ? PacketReaders.openHex(ch, "prop") : PacketReaders.open(ch, "prop")) {
            long n = 0;
            while (r.next()) {
                assertThat(r.length()).isBetween(0, PacketReader.MAX_PACKET);
                assertThat(r.offset()).isBetween(0L, r.segment().byteSize() - r.length());
                n++;
            }
            return n;
        } catch (PcapFormatException e) {
            assertThat(e.getMessage()).startsWith("prop: ");
            return -1;
        }
    }

    @Property(tries = 500)
    void randomBytesNeverThrowAnythingButPcapFormatException(@ForAll @Size(max = 2000) byte[] bytes)
            throws IOException {
        drain(bytes, false);
        drain(bytes, true);
    }

    @Property(tries = 500)
    void randomBytesAfterEachMagicNeverThrowAnythingElse(@ForAll("magics") byte[] magic,
                                                         @ForAll @Size(max = 2000) byte[] rest) throws IOException {
        drain(concat(magic, rest), false);
    }

    @Property(tries = 1000)
    void mutatedValidCapturesNeverThrowAnythingElse(@ForAll("validCaptures") byte[] valid,
                                                    @ForAll @Size(min = 1, max = 8) List<Integer> positions,
                                                    @ForAll @Size(min = 8, max = 8) byte[] values,
                                                    @ForAll("cut") int cut) throws IOException {
        byte[] m = valid.clone();
        for (int i = 0; i < positions.size(); i++) m[Math.floorMod(positions.get(i), m.length)] = values[i];
        long n = drain(java.util.Arrays.copyOf(m, Math.min(m.length, cut)), false);
        Statistics.collect(n < 0 ? "format error" : n == 0 ? "no packet" : "packets read");
    }

    @Provide
    Arbitrary<Integer> cut() {
        return Arbitraries.oneOf(Arbitraries.just(Integer.MAX_VALUE), Arbitraries.integers().between(0, 600));
    }

    @Provide
    Arbitrary<byte[]> magics() {
        return Arbitraries.of(
                new byte[] {(byte) 0xa1, (byte) 0xb2, (byte) 0xc3, (byte) 0xd4},
                new byte[] {(byte) 0xd4, (byte) 0xc3, (byte) 0xb2, (byte) 0xa1, 2, 0, 4, 0},
                new byte[] {(byte) 0xa1, (byte) 0xb2, 0x3c, 0x4d, 0, 2, 0, 4},
                new byte[] {0x0a, 0x0d, 0x0d, 0x0a},
                new byte[] {0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0},
                new byte[] {0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 28, 0x1a, 0x2b, 0x3c, 0x4d, 0, 1, 0, 0});
    }

    @Provide
    Arbitrary<byte[]> validCaptures() {
        byte[] v4 = ipv4(60, 1), v6 = ipv6(80, 2);
        Bytes pcapLe = pcapHeader(true, false, LinkType.ETHERNET);
        pcapRecord(pcapLe, 1, 2, ethernet(0x0800, v4, 0x8100), 78);
        pcapRecord(pcapLe, 1, 3, padded(ethernet(0x86DD, v6), 100), 100);
        Bytes pcapBe = pcapHeader(false, true, LinkType.LINUX_SLL);
        pcapRecord(pcapBe, 1, 2, sll(0x0800, v4), 76);
        pcapRecord(pcapBe, 1, 2, sll(0x86DD, v6), 96);
        byte[] ng = new Pcapng().section(true).idb(true, LinkType.RAW, 9, 0).idb(true, LinkType.LINUX_SLL2, 0x83, 1)
                .epb(true, 0, 5, v4, 60).epb(true, 1, 6, sll2(0x86DD, v6), 100).spb(true, v6).opb(true, 0, 3, v4)
                .section(false).idb(false, LinkType.ETHERNET, -1, 0).epb(false, 0, 9, ethernet(0x0800, v4), 74)
                .bytes();
        return Arbitraries.of(pcapLe.toByteArray(), pcapBe.toByteArray(), ng);
    }
}
