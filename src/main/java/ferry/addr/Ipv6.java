package ferry.addr;

/**
 * IPv6 addresses as two {@code long}s: {@code hi} holds bytes 0..7, {@code lo} bytes 8..15, both in network
 * order (byte 0 is the most significant byte of {@code hi}). No objects on the packet path.
 */
public final class Ipv6 {
    private Ipv6() {}

    /** Parses RFC 4291 text, including "::" and a trailing dotted quad; returns {hi, lo}. */
    public static long[] parse(String text) {
        if (text == null) throw new AddressFormatException("expected an IPv6 address, got null");
        String s = text.trim();
        if (s.isEmpty() || s.indexOf('%') >= 0) throw bad(text);
        int[] groups = new int[8];
        int n = 0, gap = -1;
        int i = 0, len = s.length();
        if (s.startsWith("::")) { gap = 0; i = 2; if (len == 2) return new long[] {0, 0}; }
        else if (s.startsWith(":")) throw bad(text);
        while (i < len) {
            int start = i;
            while (i < len && s.charAt(i) != ':') i++;
            String g = s.substring(start, i);
            if (g.isEmpty()) throw bad(text);
            if (g.indexOf('.') >= 0) {
                if (i != len || n > 6) throw bad(text);
                int v4;
                try { v4 = Ipv4.parse(g); } catch (AddressFormatException e) { throw bad(text); }
                groups[n++] = (v4 >>> 16) & 0xffff;
                groups[n++] = v4 & 0xffff;
                break;
            }
            if (g.length() > 4 || n == 8) throw bad(text);
            int v = 0;
            for (int k = 0; k < g.length(); k++) {
                int d = hexDigit(g.charAt(k)); // ASCII only: Character.digit accepts other scripts' digits
                if (d < 0) throw bad(text);
                v = (v << 4) | d;
            }
            groups[n++] = v;
            if (i < len) { // at ':'
                i++;
                if (i < len && s.charAt(i) == ':') {
                    if (gap >= 0) throw bad(text);
                    gap = n;
                    i++;
                } else if (i == len) {
                    throw bad(text);
                }
            }
        }
        if (gap >= 0) {
            if (n == 8) throw bad(text);
            int move = n - gap;
            System.arraycopy(groups, gap, groups, 8 - move, move);
            for (int k = gap; k < 8 - move; k++) groups[k] = 0;
        } else if (n != 8) {
            throw bad(text);
        }
        long hi = 0, lo = 0;
        for (int k = 0; k < 4; k++) hi = (hi << 16) | groups[k];
        for (int k = 4; k < 8; k++) lo = (lo << 16) | groups[k];
        return new long[] {hi, lo};
    }

    private static int hexDigit(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    private static AddressFormatException bad(String text) {
        return new AddressFormatException("expected an IPv6 address like 2001:db8::1, got '" + text + "'");
    }

    /** RFC 5952 canonical text. */
    public static String format(long hi, long lo) {
        int[] g = new int[8];
        for (int k = 0; k < 4; k++) g[k] = (int) (hi >>> (48 - 16 * k)) & 0xffff;
        for (int k = 0; k < 4; k++) g[4 + k] = (int) (lo >>> (48 - 16 * k)) & 0xffff;
        int bestStart = -1, bestLen = 1;
        for (int k = 0; k < 8; ) {
            if (g[k] != 0) { k++; continue; }
            int st = k;
            while (k < 8 && g[k] == 0) k++;
            if (k - st > bestLen) { bestStart = st; bestLen = k - st; }
        }
        StringBuilder sb = new StringBuilder(39);
        for (int k = 0; k < 8; k++) {
            if (k == bestStart) {
                sb.append("::");
                k += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') sb.append(':');
            sb.append(Integer.toHexString(g[k]));
        }
        return sb.toString();
    }

    /** Mask of the first {@code len} bits within {@code hi} (len 0..128). */
    public static long maskHi(int len) {
        return len <= 0 ? 0 : len >= 64 ? -1L : -1L << (64 - len);
    }

    /** Mask of the bits of {@code lo} covered by a prefix of {@code len} (len 0..128). */
    public static long maskLo(int len) {
        return len <= 64 ? 0 : len >= 128 ? -1L : -1L << (128 - len);
    }
}
