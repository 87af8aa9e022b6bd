package ferry.clat;

import ferry.addr.AddressFormatException;
import ferry.addr.Ipv4;
import ferry.addr.Ipv6;
import ferry.addr.Prefix6;
import ferry.addr.Rfc6052;
import java.util.ArrayList;
import java.util.List;

/**
 * RFC 7050 §3 Pref64::/n discovery from the AAAA records of {@code ipv4only.arpa}: the name has only the A records
 * 192.0.0.170 and 192.0.0.171 (the Well-Known IPv4 Addresses), so any AAAA record a DNS64 synthesizes for it
 * embeds one of them, and where it sits tells the prefix and its length. Pure functions.
 */
public final class Rfc7050 {
    /** The Well-Known IPv4-only Name (RFC 7050 §2.1). */
    public static final String WELL_KNOWN_NAME = "ipv4only.arpa.";
    /** The Well-Known IPv4 Addresses 192.0.0.170 and 192.0.0.171 (RFC 7050 §2.2). */
    public static final int WKA_1 = Ipv4.parse("192.0.0.170"), WKA_2 = Ipv4.parse("192.0.0.171");
    /** RFC 6052 lengths, longest first. */
    private static final int[] LENGTHS = {96, 64, 56, 48, 40, 32};

    private Rfc7050() {
    }

    /**
     * The NAT64 prefix that one synthesized AAAA address reveals, or null when it holds no Well-Known IPv4 Address at
     * any RFC 6052 position. Positions are tried from the longest prefix (/96) to the shortest (/32), and a match
     * counts only when embedding the WKA in that prefix gives back exactly this address (u-octet and suffix zero),
     * so a stray 0xc00000aa elsewhere in an address does not produce a prefix.
     */
    public static Rfc6052 prefixOf(long hi, long lo) {
        for (int len : LENGTHS) {
            Rfc6052 p;
            try {
                p = Rfc6052.of(new Prefix6(hi & Ipv6.maskHi(len), lo & Ipv6.maskLo(len), len));
            } catch (AddressFormatException e) {
                continue; // a non-zero u-octet at /96: not an RFC 6052 prefix
            }
            int v4 = p.extract(hi, lo);
            if ((v4 == WKA_1 || v4 == WKA_2) && p.embedHi(v4) == hi && p.embedLo(v4) == lo) return p;
        }
        return null;
    }

    /**
     * RFC 7050 §3: every distinct prefix found in the answer's AAAA records, in answer order (the first is the one
     * to use); empty when no record holds a Well-Known IPv4 Address ("no NAT64 prefix learned").
     *
     * @param aaaa the AAAA addresses, each {hi, lo}
     */
    public static List<Rfc6052> prefixes(List<long[]> aaaa) {
        List<Rfc6052> out = new ArrayList<>();
        for (long[] a : aaaa) {
            Rfc6052 p = prefixOf(a[0], a[1]);
            if (p != null && !out.contains(p)) out.add(p);
        }
        return out;
    }
}
