package ferry.addr;

/** IPv4 addresses as {@code int} (network order: the first octet is the most significant byte). */
public final class Ipv4 {
    private Ipv4() {}

    /** Parses dotted-quad text ("192.0.2.1"); throws {@link AddressFormatException} naming the value. */
    public static int parse(String text) {
        if (text == null) throw new AddressFormatException("expected an IPv4 address, got null");
        String s = text.trim();
        int value = 0, octets = 0, cur = -1;
        for (int i = 0; i <= s.length(); i++) {
            char c = i < s.length() ? s.charAt(i) : '.';
            if (c == '.') {
                if (cur < 0 || octets == 4) throw bad(text);
                value = (value << 8) | cur;
                octets++;
                cur = -1;
            } else if (c >= '0' && c <= '9') {
                if (cur == 0) throw bad(text); // no leading zeros (ambiguous octal)
                cur = (cur < 0 ? 0 : cur * 10) + (c - '0');
                if (cur > 255) throw bad(text);
            } else {
                throw bad(text);
            }
        }
        if (octets != 4) throw bad(text);
        return value;
    }

    private static AddressFormatException bad(String text) {
        return new AddressFormatException("expected an IPv4 address like 192.0.2.1, got '" + text + "'");
    }

    public static String format(int addr) {
        return ((addr >>> 24) & 0xff) + "." + ((addr >>> 16) & 0xff) + "." + ((addr >>> 8) & 0xff) + "." + (addr & 0xff);
    }

    /** Network mask for a prefix length 0..32. */
    public static int mask(int len) {
        return len == 0 ? 0 : -1 << (32 - len);
    }
}
