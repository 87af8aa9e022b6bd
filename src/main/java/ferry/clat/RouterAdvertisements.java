package ferry.clat;

import ferry.addr.AddressFormatException;
import ferry.addr.Ipv6;
import ferry.addr.Prefix6;
import ferry.addr.Rfc6052;
import ferry.metrics.Counter;
import ferry.metrics.Counters;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the PREF64 options (RFC 8781) out of a raw ICMPv6 Router Advertisement, as a raw ICMPv6 socket returns it
 * (starting at the ICMPv6 type; the kernel has already checked the ICMPv6 checksum). Control plane: allocates.
 *
 * <pre>
 * RA (RFC 4861 §4.2):  type 134 | code 0 | checksum | cur hop limit | flags | router lifetime (2) |
 *                      reachable time (4) | retrans timer (4) | options ...            (options at offset 16)
 * PREF64 (RFC 8781 §4):
 *    0                   1                   2                   3
 *   |     Type=38   |   Length=2    |     Scaled Lifetime     | PLC |
 *   |              Highest 96 bits of the Prefix (12 bytes)         |
 * </pre>
 */
public final class RouterAdvertisements {
    /** ICMPv6 type of a Router Advertisement (RFC 4861 §4.2). */
    public static final int TYPE_RA = 134;
    /** Neighbor Discovery option type of PREF64 (RFC 8781 §4). */
    public static final int OPTION_PREF64 = 38;
    private static final int RA_HEADER = 16;
    /** RFC 8781 §4: PLC 0..5 -> /96, /64, /56, /48, /40, /32. */
    private static final int[] PLC_LENGTH = {96, 64, 56, 48, 40, 32};

    private RouterAdvertisements() {
    }

    /**
     * The PREF64 options of one Router Advertisement, in the order they appear; null when the whole message must be
     * ignored (then {@link Counter#CLAT_RA_MALFORMED} was counted). Each PREF64 option that must be ignored counts
     * {@link Counter#CLAT_PREF64_MALFORMED}; each accepted one {@link Counter#CLAT_PREF64_OK}.
     *
     * @param msg      the ICMPv6 message bytes
     * @param off      where the ICMPv6 header starts
     * @param len      the message length
     * @param counters incremented (owned by the calling thread)
     */
    public static List<Pref64Option> pref64Options(byte[] msg, int off, int len, Counters counters) {
        // RFC 4861 §6.1.2: "ICMP Code is 0", "ICMP length (derived from the IP length) is 16 or more octets"
        if (len < RA_HEADER || off < 0 || off + len > msg.length || u8(msg, off) != TYPE_RA || u8(msg, off + 1) != 0) {
            counters.inc(Counter.CLAT_RA_MALFORMED);
            return null;
        }
        List<Pref64Option> out = new ArrayList<>();
        int pos = off + RA_HEADER, end = off + len;
        int pending = 0; // PREF64 options accepted so far (counted only when the whole RA is valid)
        int bad = 0;
        while (pos < end) {
            if (end - pos < 2) {
                counters.inc(Counter.CLAT_RA_MALFORMED);
                return null;
            }
            int type = u8(msg, pos);
            int units = u8(msg, pos + 1);
            // RFC 4861 §6.1.2: "All included options have a length that is greater than zero."
            // RFC 4861 §4.6: "Nodes MUST silently discard an ND packet that contains an option with length zero."
            if (units == 0 || pos + units * 8 > end) {
                counters.inc(Counter.CLAT_RA_MALFORMED);
                return null;
            }
            if (type == OPTION_PREF64) {
                Pref64Option o = pref64(msg, pos, units);
                if (o == null) bad++;
                else { out.add(o); pending++; }
            }
            pos += units * 8;
        }
        counters.add(Counter.CLAT_PREF64_OK, pending);
        counters.add(Counter.CLAT_PREF64_MALFORMED, bad);
        return out;
    }

    /** One PREF64 option at {@code at} ({@code units} × 8 bytes, inside the message), or null to ignore it. */
    static Pref64Option pref64(byte[] msg, int at, int units) {
        // RFC 8781 §4: "The receiver MUST ignore the PREF64 option if the Length field value is not 2."
        if (units != 2) return null;
        int word = u16(msg, at + 2);
        int scaledLifetime = word >>> 3;
        int plc = word & 7;
        // RFC 8781 §4: "The receiver MUST ignore the PREF64 option if the Prefix Length Code field is not set to one
        // of those values" (0..5).
        if (plc > 5) return null;
        int prefixLength = PLC_LENGTH[plc];
        long hi = 0, lo = 0;
        for (int i = 0; i < 8; i++) hi = (hi << 8) | u8(msg, at + 4 + i);
        for (int i = 0; i < 4; i++) lo = (lo << 8) | u8(msg, at + 12 + i);
        lo <<= 32;
        // The option carries 96 bits whatever the length: bits past the prefix length are not part of the prefix
        // and are ignored (masked), as the option always has room for a /96.
        hi &= Ipv6.maskHi(prefixLength);
        lo &= Ipv6.maskLo(prefixLength);
        try {
            // RFC 6052 §2.2: bits 64 to 71 (the u-octet) "MUST be set to zero" — only a /96 can carry them here.
            return new Pref64Option(Rfc6052.of(new Prefix6(hi, lo, prefixLength)), scaledLifetime * 8);
        } catch (AddressFormatException e) {
            return null;
        }
    }

    private static int u8(byte[] b, int i) {
        return b[i] & 0xff;
    }

    private static int u16(byte[] b, int i) {
        return (u8(b, i) << 8) | u8(b, i + 1);
    }
}
