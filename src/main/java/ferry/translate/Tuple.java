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
    /** The time of the packet in nanoseconds, from the caller (pcap timestamp, or one clock read per batch); 0 if unknown. */
    public long now;
    /** TCP flags octet (byte 13 of the TCP header) of an outer TCP packet that carries its header, else 0. */
    public int tcpFlags;
    /**
     * The batch look-ahead's last token for this packet ({@link AddressMapper#lookAhead(long)}), 0: none. A mapper
     * may use it to skip finding what it names, after checking that it is this packet's (a hint, never an answer).
     */
    public long hint;
    /** True when the outer packet is a fragment (a non-first fragment has no ports: they read 0). */
    public boolean fragmented;
    /** For a fragment: true when it is the first (offset 0, it carries the transport header). */
    public boolean firstFragment;
    /** For a fragment: its Identification (IPv4: 16 bits; IPv6 Fragment header: 32 bits). */
    public int fragmentId;
    /** For a fragment: where its data starts in the datagram, and how many bytes it carries. */
    public int fragmentOffset, fragmentLength;
    /**
     * Set by a mapper on the outer packet of an ICMP error: the translator takes the translation of the outer address
     * on the translator's own side (6→4: the source; 4→6: the destination) from the inner packet's mapping (the
     * inner destination / inner source), as a stateful NAT64 must (RFC 6146 §3.6: the error goes to and from the
     * transport addresses of the session the inner packet belongs to).
     */
    public boolean outerFromInner;
    /**
     * When a mapper refuses an outer packet and wants it answered with an ICMP error (of the incoming packet's
     * family: ICMPv6 for map64, ICMPv4 for map46), it sets the type here (and {@link #errorCode}); -1: no error.
     */
    public int errorType = -1;
    public int errorCode;
    /**
     * {@link #errorType} value asking map64's refusal of a TCP SYN to be answered with a TCP RST instead of an ICMPv6
     * error (what a client reports as "connection refused", like {@code nft reject with tcp reset}).
     */
    public static final int TCP_RESET = 0x100;
    /**
     * The outer packet as received (null for inner packets): a stateful mapper may copy it (RFC 6146 §3.5.2.2 keeps
     * an unsolicited IPv4 SYN up to 6 s; fragments wait for their first fragment). Valid only during the outer
     * {@code map46}/{@code map64} call.
     */
    public java.lang.foreign.MemorySegment packet;
    public long packetOff;
    public int packetLen;

    /** Resets every field except {@link #now}. */
    public void clear() {
        srcHi = srcLo = dstHi = dstLo = 0;
        src4 = dst4 = proto = srcPort = dstPort = 0;
        inner = icmpError = false;
        tcpFlags = 0;
        hint = 0;
        fragmented = outerFromInner = firstFragment = false;
        fragmentId = fragmentOffset = fragmentLength = 0;
        errorType = -1;
        errorCode = 0;
        packet = null;
        packetOff = 0;
        packetLen = 0;
    }
}
