package ferry.addr;

/** An IPv4 prefix; {@code addr} has no bits set past {@code len}. */
public record Prefix4(int addr, int len) {
    public Prefix4 {
        if (len < 0 || len > 32) throw new AddressFormatException("IPv4 prefix length must be 0..32, got " + len);
        if ((addr & ~Ipv4.mask(len)) != 0)
            throw new AddressFormatException("IPv4 prefix " + Ipv4.format(addr) + "/" + len + " has host bits set");
    }

    /** Parses "192.0.2.0/24" (a bare address is a /32). */
    public static Prefix4 parse(String text) {
        if (text == null) throw new AddressFormatException("expected an IPv4 prefix, got null");
        int slash = text.indexOf('/');
        int addr = Ipv4.parse(slash < 0 ? text : text.substring(0, slash));
        int len = slash < 0 ? 32 : parseLen(text, text.substring(slash + 1), 32);
        if ((addr & ~Ipv4.mask(len)) != 0)
            throw new AddressFormatException("IPv4 prefix '" + text + "' has host bits set");
        return new Prefix4(addr, len);
    }

    static int parseLen(String whole, String s, int max) {
        // Plain ASCII decimal only: Integer.parseInt would also take "+24" and other scripts' digits.
        String t = s.trim();
        if (!t.isEmpty() && t.length() <= 3) {
            int len = 0;
            for (int i = 0; i < t.length(); i++) {
                char c = t.charAt(i);
                if (c < '0' || c > '9') { len = -1; break; }
                len = len * 10 + (c - '0');
            }
            if (len >= 0 && len <= max) return len;
        }
        throw new AddressFormatException("prefix length in '" + whole + "' must be 0.." + max);
    }

    public boolean contains(int a) {
        return (a & Ipv4.mask(len)) == addr;
    }

    public int mask() {
        return Ipv4.mask(len);
    }

    /** Number of addresses (2^(32-len)). */
    public long size() {
        return 1L << (32 - len);
    }

    @Override
    public String toString() {
        return Ipv4.format(addr) + "/" + len;
    }
}
