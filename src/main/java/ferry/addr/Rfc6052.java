package ferry.addr;

/**
 * An RFC 6052 IPv4-embedded IPv6 prefix (pool6): one of the lengths 32, 40, 48, 56, 64, 96, with bits 64..71
 * (the "u-octet") zero. Embedding and extraction work on primitives and allocate nothing.
 *
 * <pre>
 * +--+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
 * |PL| 0-------------32--40--48--56--64--72--80--88--96--104---------|
 * +--+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
 * |32|     prefix    |v4(32)         | u | suffix                    |
 * |40|     prefix        |v4(24)     | u |(8)| suffix                |
 * |48|     prefix            |v4(16) | u | (16)  | suffix            |
 * |56|     prefix                |(8)| u |  v4(24)   | suffix        |
 * |64|     prefix                    | u |   v4(32)      | suffix    |
 * |96|     prefix                                    |    v4(32)     |
 * +--+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
 * </pre>
 */
public final class Rfc6052 {
    /** The well-known prefix 64:ff9b::/96 (RFC 6052 §2.1). */
    public static final Prefix6 WELL_KNOWN = Prefix6.parse("64:ff9b::/96");
    /** The local-use prefix 64:ff9b:1::/48 (RFC 8215); never subject to the §3.1 restriction. */
    public static final Prefix6 LOCAL_USE = Prefix6.parse("64:ff9b:1::/48");

    private final Prefix6 prefix;
    private final boolean wellKnown;

    private Rfc6052(Prefix6 prefix) {
        this.prefix = prefix;
        this.wellKnown = prefix.equals(WELL_KNOWN);
    }

    /** Validates an RFC 6052 prefix: length 32/40/48/56/64/96 and a zero u-octet. */
    public static Rfc6052 of(Prefix6 p) {
        return of(p, false);
    }

    /**
     * Validates an RFC 6052 prefix. With {@code force} (Jool's {@code --force}), a /96 whose u-octet (bits 64-71) is
     * not zero is accepted, e.g. 2001:db8:8011:fda4:4444::/96: a /96 carries no IPv4 bits there, so embedding stays
     * unambiguous, and RFC 7136 took away the u-bit's meaning for interface identifiers not made from a MAC address
     * (the reasoning of Jool issue NICMx/NAT64#174). Only a /96 can have u-octet bits at all: in shorter prefixes
     * they are host bits, refused by {@link Prefix6}.
     */
    public static Rfc6052 of(Prefix6 p, boolean force) {
        int len = p.len();
        if (len != 32 && len != 40 && len != 48 && len != 56 && len != 64 && len != 96)
            throw new AddressFormatException("RFC 6052 prefix " + p + " must have length 32, 40, 48, 56, 64 or 96, not " + len);
        if ((p.lo() & 0xff00_0000_0000_0000L) != 0 && !force)
            throw new AddressFormatException("RFC 6052 prefix " + p + " has a non-zero u-octet (bits 64-71);"
                    + " a /96 like this is accepted with --force");
        return new Rfc6052(p);
    }

    public static Rfc6052 parse(String text) {
        return of(Prefix6.parse(text));
    }

    public Prefix6 prefix() {
        return prefix;
    }

    public int len() {
        return prefix.len();
    }

    /** True for exactly 64:ff9b::/96, the prefix that must not carry non-global IPv4 addresses (RFC 6052 §3.1). */
    public boolean isWellKnown() {
        return wellKnown;
    }

    /** High 64 bits of the IPv6 address that embeds {@code v4}. */
    public long embedHi(int v4) {
        int len = prefix.len();
        if (len >= 64) return prefix.hi();
        int top = 64 - len; // bits of v4 that fit before the u-octet
        return prefix.hi() | ((v4 & 0xffffffffL) >>> (32 - top));
    }

    /** Low 64 bits of the IPv6 address that embeds {@code v4} (u-octet and suffix zero). */
    public long embedLo(int v4) {
        int len = prefix.len();
        long v = v4 & 0xffffffffL;
        if (len == 96) return prefix.lo() | v;
        int rest = len >= 64 ? 32 : 32 - (64 - len); // bits of v4 after the u-octet
        return (v & ((1L << rest) - 1)) << (56 - rest);
    }

    /** True when the address lies inside this prefix. */
    public boolean matches(long hi, long lo) {
        return prefix.contains(hi, lo);
    }

    /** The IPv4 address embedded in an address of this prefix (the caller checks {@link #matches}). */
    public int extract(long hi, long lo) {
        int len = prefix.len();
        if (len == 96) return (int) lo;
        if (len == 64) return (int) (lo >>> 24);
        int top = 64 - len;
        int rest = 32 - top;
        long high = hi & ((1L << top) - 1);
        long low = (lo >>> (56 - rest)) & ((1L << rest) - 1);
        return (int) ((high << rest) | low);
    }

    @Override
    public String toString() {
        return prefix.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Rfc6052 r && r.prefix.equals(prefix);
    }

    @Override
    public int hashCode() {
        return prefix.hashCode();
    }
}
