package ferry.addr;

/** Addresses a translator never translates (RFC 7915 §4.1/§5.1 and RFC 6145 practice, as Jool does). */
public final class Special {
    private Special() {}

    /** 0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16, 224.0.0.0/4 and 255.255.255.255. */
    public static boolean neverTranslate4(int v4) {
        int o1 = (v4 >>> 24) & 0xff;
        return o1 == 0 || o1 == 127 || (v4 & 0xffff0000) == 0xa9fe0000 || (o1 & 0xf0) == 0xe0 || v4 == -1;
    }

    /** Multicast ff00::/8, link-local unicast fe80::/10 and the unspecified address ::/128. */
    public static boolean neverTranslate6(long hi, long lo) {
        int top = (int) (hi >>> 48) & 0xffff;
        return (top & 0xff00) == 0xff00 || (top & 0xffc0) == 0xfe80 || (hi == 0 && lo == 0);
    }

    /**
     * The first of the ranges Jool calls "subnet scoped" (0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16, 224.0.0.0/4,
     * 255.255.255.255/32) that intersects {@code p}, or null. Jool refuses such a prefix in {@code denylist4} and
     * {@code rfc6791v4-prefix} unless {@code --force}.
     */
    public static Prefix4 subnetScopedOverlap(Prefix4 p) {
        for (Prefix4 s : SUBNET_SCOPED) {
            int len = Math.min(s.len(), p.len());
            int mask = Ipv4.mask(len);
            if ((s.addr() & mask) == (p.addr() & mask)) return s;
        }
        return null;
    }

    private static final Prefix4[] SUBNET_SCOPED = {
        new Prefix4(0x00000000, 8), new Prefix4(0x7f000000, 8), new Prefix4(0xa9fe0000, 16),
        new Prefix4(0xe0000000, 4), new Prefix4(0xffffffff, 32),
    };
}
