package ferry.packet;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class ChecksumTest {

    /** The straightforward RFC 1071 loop over 16-bit words, as the reference. */
    private static int reference(byte[] b, int off, int len) {
        long s = 0;
        for (int i = 0; i + 1 < len; i += 2) s += ((b[off + i] & 0xff) << 8) | (b[off + i + 1] & 0xff);
        if ((len & 1) != 0) s += (b[off + len - 1] & 0xff) << 8;
        while ((s >>> 16) != 0) s = (s & 0xffff) + (s >>> 16);
        return (int) s;
    }

    @Test
    void rfc1071ExampleSumsToDdf2() {
        // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2.
        byte[] b = {0x00, 0x01, (byte) 0xf2, 0x03, (byte) 0xf4, (byte) 0xf5, (byte) 0xf6, (byte) 0xf7};
        assertThat(Checksum.sum(b, 0, 8)).isEqualTo(0xddf2);
        assertThat(Checksum.checksum(MemorySegment.ofArray(b), 0, 8)).isEqualTo(~0xddf2 & 0xffff);
    }

    @Test
    void wideSumAgreesWithThe16BitReferenceForEveryLengthAndAlignment() {
        Random r = new Random(7);
        for (int n = 0; n < 300; n++) {
            byte[] b = new byte[n + 5];
            r.nextBytes(b);
            for (int off = 0; off < 5; off++) {
                assertThat(Checksum.sum(b, off, n)).as("len %d off %d", n, off).isEqualTo(reference(b, off, n));
            }
        }
        byte[] ones = new byte[4000];
        java.util.Arrays.fill(ones, (byte) 0xff);
        assertThat(Checksum.sum(ones, 0, ones.length)).isEqualTo(0xffff);
    }

    @Test
    void knownIpv4HeaderChecksum() {
        // Classic example header 45 00 00 73 00 00 40 00 40 11 [b8 61] c0 a8 00 01 c0 a8 00 c7
        byte[] h = {0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0, 0, (byte) 0xc0, (byte) 0xa8, 0, 1,
                (byte) 0xc0, (byte) 0xa8, 0, (byte) 0xc7};
        assertThat(Checksum.checksum(MemorySegment.ofArray(h), 0, 20)).isEqualTo(0xb861);
    }

    @Test
    void pseudoHeaderSumsEqualTheSumOfTheWrittenOutPseudoHeader() {
        byte[] p4 = {(byte) 192, 0, 2, 1, (byte) 198, 51, 100, 9, 0, 17, 0x01, 0x23};
        assertThat(Checksum.pseudo4(0xc0000201, 0xc6336409, 17, 0x123)).isEqualTo(reference(p4, 0, p4.length));
        byte[] p6 = new byte[40];
        MemorySegment s = MemorySegment.ofArray(p6);
        Bytes.put64(s, 0, 0x20010db8_00000000L);
        Bytes.put64(s, 8, 0x1);
        Bytes.put64(s, 16, 0x0064ff9b_00000000L);
        Bytes.put64(s, 24, 0xc0000201L);
        Bytes.put32(s, 32, 0x10203);
        Bytes.put8(s, 39, 58);
        assertThat(Checksum.pseudo6(0x20010db8_00000000L, 1, 0x0064ff9b_00000000L, 0xc0000201L, 58, 0x10203))
                .isEqualTo(reference(p6, 0, 40));
        assertThat(Checksum.addresses6(0x20010db8_00000000L, 1, 0x0064ff9b_00000000L, 0xc0000201L))
                .isEqualTo(reference(p6, 0, 32));
        assertThat(Checksum.addresses4(0xc0000201, 0xc6336409)).isEqualTo(reference(p4, 0, 8));
        assertThat(Checksum.sum64(0x20010db8_00000000L)).isEqualTo(reference(p6, 0, 8));
        assertThat(Checksum.sum32(0xc0000201)).isEqualTo(reference(p4, 0, 4));
    }

    @Test
    void incrementalUpdateEqualsFullRecomputation() {
        Random r = new Random(42);
        for (int i = 0; i < 2000; i++) {
            byte[] b = new byte[40];
            r.nextBytes(b);
            b[10] = b[11] = 0;
            int c = Checksum.checksum(MemorySegment.ofArray(b), 0, 40);
            int oldSum = Checksum.sum(b, 0, 8);
            for (int k = 0; k < 8; k++) b[k] = (byte) r.nextInt();
            int newSum = Checksum.sum(b, 0, 8);
            int updated = Checksum.update(c, oldSum, newSum);
            int full = Checksum.checksum(MemorySegment.ofArray(b), 0, 40);
            // Both represent the same one's-complement value (0x0000 and 0xffff are the two zeros).
            assertThat(updated == full || (updated ^ full) == 0xffff && (updated == 0 || full == 0))
                    .as("updated %04x full %04x", updated, full).isTrue();
            b[10] = (byte) (updated >>> 8);
            b[11] = (byte) updated;
            assertThat(Checksum.sum(b, 0, 40)).isEqualTo(0xffff);
        }
    }

    @Test
    void wrongChecksumStaysWrongByTheSameAmountAfterAnIncrementalUpdate() {
        byte[] b = new byte[24];
        new Random(3).nextBytes(b);
        b[20] = b[21] = 0;
        int good = Checksum.checksum(MemorySegment.ofArray(b), 0, 24);
        int bad = Checksum.add(good, 5); // corrupted in transit
        int oldSum = Checksum.sum(b, 0, 4);
        b[0] ^= 0x5a;
        b[3] ^= 0x11;
        int newSum = Checksum.sum(b, 0, 4);
        int updated = Checksum.update(bad, oldSum, newSum);
        b[20] = (byte) (updated >>> 8);
        b[21] = (byte) updated;
        int verify = Checksum.sum(b, 0, 24);
        assertThat(verify).isNotEqualTo(0xffff);
        // off by the same 5 as before
        b[20] = b[21] = 0;
        int correct = Checksum.checksum(MemorySegment.ofArray(b), 0, 24);
        assertThat(updated).isEqualTo(Checksum.add(correct, 5));
    }

    @Test
    void update16ChangesOneWord() {
        byte[] b = {0x12, 0x34, 0x56, 0x78, 0, 0};
        int c = Checksum.checksum(MemorySegment.ofArray(b), 0, 6);
        int u = Checksum.update16(c, 0x1234, 0xfedc);
        b[0] = (byte) 0xfe;
        b[1] = (byte) 0xdc;
        assertThat(u).isEqualTo(Checksum.checksum(MemorySegment.ofArray(b), 0, 6));
    }

    @Test
    void foldHandlesLargeAccumulators() {
        assertThat(Checksum.fold(0xffff_ffff_ffffL)).isEqualTo(0xffff);
        assertThat(Checksum.fold(0x1_0000L)).isEqualTo(1);
        assertThat(Checksum.fold(0)).isZero();
        assertThat(Checksum.add(0xffff, 1)).isEqualTo(1);
    }
}
