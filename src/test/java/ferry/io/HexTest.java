package ferry.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HexTest {
    @Test
    void writerOutputReadsBackPacketForPacket() throws IOException {
        byte[] a = Captures.ipv4(20, 1), b = Captures.ipv6(5000, 7); // b spans several writer chunks
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PacketWriter w = PacketWriters.hex(Channels.newChannel(out))) {
            w.write(MemorySegment.ofArray(a), 0, a.length, 5);
            w.write(MemorySegment.ofArray(b), 0, b.length, 6);
            assertThat(w.packets()).isEqualTo(2);
        }
        String text = out.toString(StandardCharsets.US_ASCII);

        Read r = Read.hex(text);

        assertThat(text.lines()).hasSize(2);
        assertThat(text).startsWith("45020014").matches("[0-9a-f\n]+");
        assertThat(r.packets()).extracting(Read.Pkt::data).containsExactly(a, b);
        assertThat(r.packets()).extracting(Read.Pkt::ts).containsOnly(0L);
        assertThat(r.packets()).extracting(Read.Pkt::linkType).containsOnly(LinkType.RAW);
    }

    @Test
    void blankLinesCommentsSpacesUppercaseAndCrlfAreAccepted() throws IOException {
        String text = "# a comment\r\n\r\n  45 00 AB cd\t01 # trailing comment\r\n   \n#\n600000\n";

        Read r = Read.hex(text);

        assertThat(r.packets()).extracting(Read.Pkt::data).containsExactly(
                new byte[] {0x45, 0, (byte) 0xab, (byte) 0xcd, 1}, new byte[] {0x60, 0, 0});
    }

    @Test
    void theLastLineNeedsNoNewline() throws IOException {
        assertThat(Read.hex("0102\n0304").packets()).extracting(Read.Pkt::data)
                .containsExactly(new byte[] {1, 2}, new byte[] {3, 4});
    }

    @Test
    void aNonHexCharacterIsAnErrorNamingLineAndColumn() {
        assertThatThrownBy(() -> Read.hex("4500\n# ok\n45zz\n")).isInstanceOf(PcapFormatException.class)
                .hasMessageContaining("test.hex: line 3, column 3").hasMessageContaining("expected a hex digit, found 'z'");
        assertThatThrownBy(() -> Read.hex("45\u00e9\n")).isInstanceOf(PcapFormatException.class)
                .hasMessageContaining("line 1, column 3").hasMessageContaining("byte 0xe9");
    }

    @Test
    void anOddNumberOfDigitsIsAnErrorNamingTheLine() {
        assertThatThrownBy(() -> Read.hex("4500\n\n450\n")).isInstanceOf(PcapFormatException.class)
                .hasMessageContaining("line 3").hasMessageContaining("odd number of hex digits");
        assertThatThrownBy(() -> Read.hex("45 0 0\n")).isInstanceOf(PcapFormatException.class)
                .hasMessageContaining("line 1, column 5").hasMessageContaining("two hex digits");
    }
}
