package ferry.translate.fuzz;

import ferry.translate.prop.Case;
import ferry.translate.prop.Choices;
import ferry.translate.prop.PacketGen;
import ferry.translate.prop.Setup;
import java.util.Arrays;

/**
 * The byte format of a fuzz input, shared by {@link Fuzz46Test} and {@link Fuzz64Test}:
 *
 * <pre>
 * byte 0, 1  settings seed: picks a {@link Setup#random} (pool6, MTUs, amend-udp-checksum-zero, traffic class
 *            and TOS knobs, RFC 6791 pools, own addresses, hairpin mode)
 * byte 2     mode: bit 0  0 = the rest is the packet itself (its version nibble is forced to the target's)
 *                         1 = the rest is a choice stream for {@link PacketGen} (structure-aware)
 *                  bit 1  structured only: mutate the generated packet (bit flips, truncation, length fields)
 *                  bits 2-3  spare bytes after the packet in the buffer: 0, 64, 2048, 0
 * byte 3...  packet bytes, or choices (each choice reads 1, 2 or 4 bytes, big-endian, modulo its bound; 0 after
 *            the end)
 * </pre>
 */
public final class FuzzCase {
    private FuzzCase() {}

    private static final int[] TAILS = {0, 64, 2048, 0};

    /** Decodes {@code data} into a case whose packet has IP version {@code version} (4 or 6) in raw mode. */
    public static Case decode(byte[] data, int version) {
        int seed = data.length >= 2 ? ((data[0] & 0xff) << 8) | (data[1] & 0xff) : 0;
        int mode = data.length >= 3 ? data[2] & 0xff : 0;
        byte[] rest = data.length > 3 ? Arrays.copyOfRange(data, 3, data.length) : new byte[0];
        Setup setup = Setup.random(Choices.random(seed));
        int tail = TAILS[(mode >>> 2) & 3];
        byte[] packet;
        if ((mode & 1) == 0) {
            packet = rest;
            if (packet.length > 0) packet[0] = (byte) ((version << 4) | (packet[0] & 0x0f));
        } else {
            Choices c = fromBytes(rest);
            PacketGen g = new PacketGen(setup.pool6());
            packet = version == 4 ? g.ipv4(c, 0) : g.ipv6(c, 0);
            if ((mode & 2) != 0) packet = g.mutate(c, packet);
        }
        return new Case(setup, packet, tail);
    }

    /** A raw-mode input: settings seed, tail index (0-3) and the packet. */
    public static byte[] raw(int settingsSeed, int tailIndex, byte[] packet) {
        byte[] d = new byte[3 + packet.length];
        d[0] = (byte) (settingsSeed >>> 8);
        d[1] = (byte) settingsSeed;
        d[2] = (byte) ((tailIndex & 3) << 2);
        System.arraycopy(packet, 0, d, 3, packet.length);
        return d;
    }

    /** Choices read from bytes: 1 byte for bounds up to 256, 2 up to 65536, else 4. */
    static Choices fromBytes(byte[] b) {
        return new Choices() {
            private int i;

            @Override
            public int below(int bound) {
                if (bound <= 1) return 0;
                int n = bound <= 0x100 ? 1 : bound <= 0x10000 ? 2 : 4;
                long v = 0;
                for (int k = 0; k < n; k++) v = (v << 8) | (i < b.length ? b[i++] & 0xff : 0);
                return (int) Long.remainderUnsigned(v, bound);
            }
        };
    }
}
