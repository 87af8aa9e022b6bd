package ferry.addr;

/** An IPv6 prefix as two longs (see {@link Ipv6}); no bits are set past {@code len}. */
public record Prefix6(long hi, long lo, int len) {
    public Prefix6 {
        if (len < 0 || len > 128) throw new AddressFormatException("IPv6 prefix length must be 0..128, got " + len);
        if ((hi & ~Ipv6.maskHi(len)) != 0 || (lo & ~Ipv6.maskLo(len)) != 0)
            throw new AddressFormatException("IPv6 prefix " + Ipv6.format(hi, lo) + "/" + len + " has host bits set");
    }

    /** Parses "2001:db8::/32" (a bare address is a /128). */
    public static Prefix6 parse(String text) {
        if (text == null) throw new AddressFormatException("expected an IPv6 prefix, got null");
        int slash = text.indexOf('/');
        long[] a = Ipv6.parse(slash < 0 ? text : text.substring(0, slash));
        int len = slash < 0 ? 128 : Prefix4.parseLen(text, text.substring(slash + 1), 128);
        if ((a[0] & ~Ipv6.maskHi(len)) != 0 || (a[1] & ~Ipv6.maskLo(len)) != 0)
            throw new AddressFormatException("IPv6 prefix '" + text + "' has host bits set");
        return new Prefix6(a[0], a[1], len);
    }

    public boolean contains(long ahi, long alo) {
        return (ahi & Ipv6.maskHi(len)) == hi && (alo & Ipv6.maskLo(len)) == lo;
    }

    @Override
    public String toString() {
        return Ipv6.format(hi, lo) + "/" + len;
    }
}
