package ferry.translate;

/**
 * The addresses (and transport identifiers) of one packet being translated, handed to the {@link AddressMapper}.
 * Mutable and reused: one instance per translator (per worker), so mapping allocates nothing.
 *
 * <p>IPv6 addresses are two longs each (see {@link ferry.addr.Ipv6}); IPv4 addresses are ints.
 * On entry to {@code map64} the IPv6 fields are set; on success the mapper has set the IPv4 fields. On entry to
 * {@code map46} the IPv4 fields are set; on success the mapper has set the IPv6 fields. Ports (or the ICMP
 * identifier, in {@code srcPort}) are set when {@code proto} has them; a stateful mapper may rewrite them.
 */
public final class Tuple {
    public long srcHi, srcLo, dstHi, dstLo;
    public int src4, dst4;
    /** Transport protocol (IPv4 protocol numbering: 1 ICMP for both ICMPv4 and ICMPv6, 6 TCP, 17 UDP, other). */
    public int proto;
    public int srcPort, dstPort;
    /** True when these are the addresses of the inner packet of an ICMP error (roles are then reversed). */
    public boolean inner;
    /** True when the packet is an ICMP error (its source may be mapped with RFC 6791 if untranslatable). */
    public boolean icmpError;

    public void clear() {
        srcHi = srcLo = dstHi = dstLo = 0;
        src4 = dst4 = proto = srcPort = dstPort = 0;
        inner = icmpError = false;
    }
}
