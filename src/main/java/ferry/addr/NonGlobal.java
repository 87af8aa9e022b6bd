package ferry.addr;

/**
 * RFC 6052 §3.1: the well-known prefix 64:ff9b::/96 must not be used with non-global IPv4 addresses. These are
 * the ranges ferry refuses under it (when {@code wkp-strict} is on, the default). The documentation ranges
 * 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24 are deliberately not in the list: the RFCs' own examples use
 * them under 64:ff9b::/96.
 */
public final class NonGlobal {
    private NonGlobal() {}

    /** True when {@code v4} must not be embedded in (or extracted from) 64:ff9b::/96. */
    public static boolean forbiddenUnderWkp(int v4) {
        int o1 = (v4 >>> 24) & 0xff, o2 = (v4 >>> 16) & 0xff;
        if (o1 == 0 || o1 == 10 || o1 == 127) return true;            // 0/8, RFC 1918 10/8, loopback
        if (o1 == 100 && (o2 & 0xc0) == 64) return true;              // 100.64.0.0/10 (shared, RFC 6598)
        if (o1 == 169 && o2 == 254) return true;                      // link-local
        if (o1 == 172 && (o2 & 0xf0) == 16) return true;              // RFC 1918 172.16/12
        if (o1 == 192 && o2 == 168) return true;                      // RFC 1918 192.168/16
        if ((v4 & 0xffffff00) == 0xc0000000) {                        // 192.0.0.0/24 (IETF protocol assignments)
            int last = v4 & 0xff;
            return last != 170 && last != 171;                       // except ipv4only.arpa (RFC 7050, RFC 8880)
        }
        if (o1 == 198 && (o2 & 0xfe) == 18) return true;              // 198.18.0.0/15 benchmarking
        if (o1 >= 224) return true;                                   // multicast 224/4, reserved 240/4, broadcast
        return false;
    }
}
