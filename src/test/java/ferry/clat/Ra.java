package ferry.clat;

import ferry.addr.Ipv6;
import java.io.ByteArrayOutputStream;

/** Builds ICMPv6 Router Advertisement bytes (from the ICMPv6 type on) for tests, following RFC 4861 §4.2. */
final class Ra {
    private final ByteArrayOutputStream options = new ByteArrayOutputStream();
    private int type = RouterAdvertisements.TYPE_RA, code = 0;

    Ra type(int t) { type = t; return this; }

    Ra code(int c) { code = c; return this; }

    /** A PREF64 option (RFC 8781 §4) with the given raw fields; the prefix's first 96 bits are written. */
    Ra pref64(int lengthUnits, int scaledLifetime, int plc, String prefix) {
        long[] a = Ipv6.parse(prefix);
        byte[] o = new byte[Math.max(2, lengthUnits * 8)];
        o[0] = (byte) RouterAdvertisements.OPTION_PREF64;
        o[1] = (byte) lengthUnits;
        if (o.length >= 16) {
            int word = (scaledLifetime << 3) | plc;
            o[2] = (byte) (word >>> 8);
            o[3] = (byte) word;
            for (int i = 0; i < 8; i++) o[4 + i] = (byte) (a[0] >>> (56 - 8 * i));
            for (int i = 0; i < 4; i++) o[12 + i] = (byte) (a[1] >>> (56 - 8 * i));
        }
        options.writeBytes(o);
        return this;
    }

    Ra pref64(int scaledLifetime, int plc, String prefix) {
        return pref64(2, scaledLifetime, plc, prefix);
    }

    /** Any option: type, length in 8-byte units, and that many bytes (minus the 2-byte header) of zeros. */
    Ra option(int optType, int units, int actualBytes) {
        byte[] o = new byte[actualBytes];
        o[0] = (byte) optType;
        if (actualBytes > 1) o[1] = (byte) units;
        options.writeBytes(o);
        return this;
    }

    /** A Source Link-Layer Address option (type 1, 8 bytes). */
    Ra sourceLinkLayer() {
        options.writeBytes(new byte[] {1, 1, 0x02, 0, 0, 0, 0, 1});
        return this;
    }

    byte[] build() {
        byte[] opts = options.toByteArray();
        byte[] m = new byte[16 + opts.length];
        m[0] = (byte) type;
        m[1] = (byte) code;
        m[4] = 64;                 // cur hop limit
        m[6] = 0x07; m[7] = 0x08;  // router lifetime 1800 s
        System.arraycopy(opts, 0, m, 16, opts.length);
        return m;
    }
}
