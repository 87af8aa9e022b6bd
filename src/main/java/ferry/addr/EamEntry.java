package ferry.addr;

import java.util.Objects;

/**
 * One Explicit Address Mapping (RFC 7757 §3.1): an IPv6 prefix and an IPv4 prefix that translate into each other.
 * The prefix bits are replaced and the suffix bits are copied (RFC 7757 §3.2, §3.3).
 *
 * <p>The IPv4 suffix (32 - v4.len) must not be longer than the IPv6 suffix (128 - v6.len), or some IPv4 addresses
 * of the entry would have no IPv6 image. Jool checks the same ("The IPv4 suffix length must be smaller or equal
 * than the IPv6 suffix length"), and RFC 7757's own example table maps 192.0.2.128/26 to 2001:db8:dddd::/64, so
 * the two suffixes need not be equal: the IPv4 suffix is copied right after the IPv6 prefix and the remaining IPv6
 * bits are zero (4→6) or ignored (6→4).
 */
public record EamEntry(Prefix6 v6, Prefix4 v4) {
    public EamEntry {
        Objects.requireNonNull(v6, "v6");
        Objects.requireNonNull(v4, "v4");
        if (32 - v4.len() > 128 - v6.len())
            throw new IllegalArgumentException("EAM entry " + v6 + " | " + v4 + ": the IPv4 suffix (" + (32 - v4.len())
                    + " bits) is longer than the IPv6 suffix (" + (128 - v6.len()) + " bits)");
    }

    /** Parses both prefixes ("2001:db8::/120", "192.0.2.0/24"); a bare address is a /128 or /32. */
    public static EamEntry parse(String v6, String v4) {
        return new EamEntry(Prefix6.parse(v6), Prefix4.parse(v4));
    }

    @Override
    public String toString() {
        return v6 + " | " + v4;
    }
}
