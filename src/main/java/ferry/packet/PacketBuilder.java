package ferry.packet;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds raw IPv4 and IPv6 packets as {@code byte[]} for tests, demos and the lab: lengths and checksums are
 * correct by default, and every field has a knob to break it. Not for the packet path (it allocates freely).
 *
 * <pre>{@code
 * byte[] p = PacketBuilder.ipv6("2001:db8::1", "64:ff9b::192.0.2.1").hopLimit(64)
 *         .fragment(0, true, 0x1234).udp(5000, 53).payload(64).build();
 * byte[] e = PacketBuilder.ipv4("192.0.2.1", "198.51.100.9")
 *         .icmpError(3, 4, 1400, inner).build();   // rest word 1400 = next-hop MTU
 * }</pre>
 *
 * <p>Unset L4: an empty payload of protocol 59 (IPv6) / 255 (IPv4). L4 checksums cover the pseudo-header with the
 * upper-layer protocol and the L4 length as built (for a fragment: that fragment's bytes only).
 */
public final class PacketBuilder {
    private enum L4 { RAW, UDP, TCP, ICMP }

    private final boolean v6;
    private final int src4, dst4;
    private final long srcHi, srcLo, dstHi, dstLo;

    // IPv4
    private int tos, identification, fragmentOffset, ttl = 64;
    private boolean df, mf, reservedFlag;
    private byte[] options = new byte[0];
    private Integer ihl, totalLength, headerChecksum, protocol;
    // IPv6
    private int trafficClass, flowLabel, hopLimit = 64;
    private Integer payloadLength, nextHeader;
    private final List<int[]> extTypes = new ArrayList<>();
    private final List<byte[]> extBodies = new ArrayList<>();
    // L4
    private L4 l4 = L4.RAW;
    private int rawProtocol = -1;
    private byte[] payload = new byte[0];
    private int srcPort, dstPort;
    private int seq, ack, tcpFlags = Tcp.ACK, window = 65535, urgent;
    private Integer dataOffset, udpLength, l4Checksum;
    private int icmpType, icmpCode, icmpRest;
    private Integer truncate;

    private PacketBuilder(boolean v6, int src4, int dst4, long srcHi, long srcLo, long dstHi, long dstLo) {
        this.v6 = v6;
        this.src4 = src4;
        this.dst4 = dst4;
        this.srcHi = srcHi;
        this.srcLo = srcLo;
        this.dstHi = dstHi;
        this.dstLo = dstLo;
    }

    /** IPv4 packet between two dotted-quad literals (no name lookup). */
    public static PacketBuilder ipv4(String src, String dst) {
        return ipv4(parse4(src), parse4(dst));
    }

    public static PacketBuilder ipv4(int src, int dst) {
        return new PacketBuilder(false, src, dst, 0, 0, 0, 0);
    }

    /** IPv6 packet between two literals (no name lookup). */
    public static PacketBuilder ipv6(String src, String dst) {
        byte[] s = parse6(src), d = parse6(dst);
        MemorySegment ss = MemorySegment.ofArray(s), ds = MemorySegment.ofArray(d);
        return ipv6(Bytes.i64(ss, 0), Bytes.i64(ss, 8), Bytes.i64(ds, 0), Bytes.i64(ds, 8));
    }

    private static int parse4(String literal) {
        return Bytes.i32(MemorySegment.ofArray(Inet4Address.ofLiteral(literal).getAddress()), 0);
    }

    private static byte[] parse6(String literal) {
        byte[] a = Inet6Address.ofLiteral(literal).getAddress();
        if (a.length == 16) return a;
        byte[] mapped = new byte[16]; // ::ffff:a.b.c.d comes back as an IPv4 address
        mapped[10] = mapped[11] = (byte) 0xff;
        System.arraycopy(a, 0, mapped, 12, 4);
        return mapped;
    }

    public static PacketBuilder ipv6(long srcHi, long srcLo, long dstHi, long dstLo) {
        return new PacketBuilder(true, 0, 0, srcHi, srcLo, dstHi, dstLo);
    }

    // ---------------------------------------------------------------- IPv4 knobs

    public PacketBuilder tos(int v) { tos = v; return this; }
    public PacketBuilder identification(int v) { identification = v; return this; }
    public PacketBuilder df(boolean v) { df = v; return this; }
    public PacketBuilder mf(boolean v) { mf = v; return this; }
    public PacketBuilder reservedFlag(boolean v) { reservedFlag = v; return this; }
    /** Fragment Offset in 8-octet units. */
    public PacketBuilder fragmentOffset(int units) { fragmentOffset = units; return this; }
    public PacketBuilder ttl(int v) { ttl = v; return this; }
    /** IPv4 option bytes; padded with zeros (End of Option List) to a multiple of 4. */
    public PacketBuilder options(byte... v) { options = v.clone(); return this; }
    /** Overrides the IHL (32-bit words) written in the header; the header still holds 20 + options bytes. */
    public PacketBuilder ihl(int words) { ihl = words; return this; }
    public PacketBuilder totalLength(int v) { totalLength = v; return this; }
    public PacketBuilder headerChecksum(int v) { headerChecksum = v; return this; }
    /** Overrides the IPv4 Protocol / IPv6 Next Header of the last header (the L4 is still built as chosen). */
    public PacketBuilder protocol(int v) { protocol = v; return this; }

    // ---------------------------------------------------------------- IPv6 knobs

    public PacketBuilder trafficClass(int v) { trafficClass = v; return this; }
    public PacketBuilder flowLabel(int v) { flowLabel = v; return this; }
    public PacketBuilder hopLimit(int v) { hopLimit = v; return this; }
    public PacketBuilder payloadLength(int v) { payloadLength = v; return this; }
    /** Overrides the fixed header's Next Header field. */
    public PacketBuilder nextHeader(int v) { nextHeader = v; return this; }

    /** Appends a Hop-by-Hop Options header of 8 bytes (one PadN option). */
    public PacketBuilder hopByHop() { return options6(IpProto.HOPOPT, 8); }

    /** Appends a Destination Options header of 8 bytes (one PadN option). */
    public PacketBuilder destinationOptions() { return options6(IpProto.IPV6_OPTS, 8); }

    /** Appends a Hop-by-Hop (0) or Destination Options (60) header of {@code len} bytes (multiple of 8) of padding. */
    public PacketBuilder options6(int type, int len) {
        if (len < 8 || len % 8 != 0) throw new IllegalArgumentException("options header length must be 8k, got " + len);
        byte[] b = new byte[len];
        b[1] = (byte) (len / 8 - 1);
        int padLen = len - 2;   // PadN option: type 1, length, zeros
        b[2] = 1;
        b[3] = (byte) (padLen - 2);
        return extension(type, b);
    }

    /** Appends a Routing header of type 0 with {@code max(1, segmentsLeft)} addresses in 2001:db8::/32. */
    public PacketBuilder routing(int segmentsLeft) { return routing(0, segmentsLeft, Math.max(1, segmentsLeft)); }

    /** Appends a Routing header (RFC 8200 §4.4) of a type with {@code addresses} 16-byte addresses. */
    public PacketBuilder routing(int routingType, int segmentsLeft, int addresses) {
        byte[] b = new byte[8 + 16 * addresses];
        b[1] = (byte) (2 * addresses);
        b[2] = (byte) routingType;
        b[3] = (byte) segmentsLeft;
        for (int i = 0; i < addresses; i++) {
            int a = 8 + 16 * i;
            b[a] = 0x20; b[a + 1] = 0x01; b[a + 2] = 0x0d; b[a + 3] = (byte) 0xb8;
            b[a + 15] = (byte) (i + 1);
        }
        return extension(IpProto.IPV6_ROUTE, b);
    }

    /** Appends a Fragment header (RFC 8200 §4.5): offset in 8-octet units, M flag, identification. */
    public PacketBuilder fragment(int offsetUnits, boolean more, int id) {
        byte[] b = new byte[8];
        int w = (offsetUnits << 3) | (more ? 1 : 0);
        b[2] = (byte) (w >>> 8);
        b[3] = (byte) w;
        b[4] = (byte) (id >>> 24); b[5] = (byte) (id >>> 16); b[6] = (byte) (id >>> 8); b[7] = (byte) id;
        return extension(IpProto.IPV6_FRAG, b);
    }

    /**
     * Appends an extension header given as its full bytes; byte 0 (Next Header) is filled in by the builder, the
     * rest (including any length field) is written as given.
     */
    public PacketBuilder extension(int type, byte[] header) {
        extTypes.add(new int[] {type});
        extBodies.add(header.clone());
        return this;
    }

    // ---------------------------------------------------------------- L4

    public PacketBuilder udp(int srcPort, int dstPort) {
        l4 = L4.UDP;
        this.srcPort = srcPort;
        this.dstPort = dstPort;
        return this;
    }

    public PacketBuilder udpLength(int v) { udpLength = v; return this; }

    public PacketBuilder tcp(int srcPort, int dstPort) {
        l4 = L4.TCP;
        this.srcPort = srcPort;
        this.dstPort = dstPort;
        return this;
    }

    public PacketBuilder seq(int v) { seq = v; return this; }
    public PacketBuilder ack(int v) { ack = v; return this; }
    public PacketBuilder tcpFlags(int v) { tcpFlags = v; return this; }
    public PacketBuilder window(int v) { window = v; return this; }
    public PacketBuilder urgentPointer(int v) { urgent = v; return this; }
    /** Overrides TCP Data Offset (words); the header still holds 20 bytes (plus zero options up to the offset). */
    public PacketBuilder dataOffset(int words) { dataOffset = words; return this; }

    /** ICMP Echo Request (type 8 in IPv4, 128 in IPv6). */
    public PacketBuilder echoRequest(int id, int seq) {
        return icmp(v6 ? IcmpTypes.V6_ECHO_REQUEST : IcmpTypes.V4_ECHO_REQUEST, 0, (id << 16) | (seq & 0xffff));
    }

    /** ICMP Echo Reply (type 0 in IPv4, 129 in IPv6). */
    public PacketBuilder echoReply(int id, int seq) {
        return icmp(v6 ? IcmpTypes.V6_ECHO_REPLY : IcmpTypes.V4_ECHO_REPLY, 0, (id << 16) | (seq & 0xffff));
    }

    /** Any ICMP message: type, code and the 32-bit rest-of-header word; the body is the {@link #payload}. */
    public PacketBuilder icmp(int type, int code, int rest) {
        l4 = L4.ICMP;
        icmpType = type;
        icmpCode = code;
        icmpRest = rest;
        return this;
    }

    /** An ICMP error: type, code, rest-of-header word (MTU, pointer, RFC 4884 length...), and the inner packet. */
    public PacketBuilder icmpError(int type, int code, int rest, byte[] inner) {
        return icmp(type, code, rest).payload(inner);
    }

    /** Raw upper-layer bytes with any protocol number (no checksum is touched). */
    public PacketBuilder raw(int protocol, byte[] bytes) {
        l4 = L4.RAW;
        rawProtocol = protocol;
        payload = bytes.clone();
        return this;
    }

    public PacketBuilder payload(byte[] v) { payload = v.clone(); return this; }

    /** A payload of {@code n} bytes 0, 1, 2, ... (mod 256). */
    public PacketBuilder payload(int n) {
        payload = new byte[n];
        for (int i = 0; i < n; i++) payload[i] = (byte) i;
        return this;
    }

    /** Overrides the L4 checksum (UDP: 0 means "no checksum"). */
    public PacketBuilder checksum(int v) { l4Checksum = v; return this; }

    /** Cuts the built packet to its first {@code n} bytes (length fields keep their values). */
    public PacketBuilder truncate(int n) { truncate = n; return this; }

    // ---------------------------------------------------------------- build

    private int l4Protocol() {
        return switch (l4) {
            case UDP -> IpProto.UDP;
            case TCP -> IpProto.TCP;
            case ICMP -> v6 ? IpProto.ICMPV6 : IpProto.ICMP;
            case RAW -> rawProtocol >= 0 ? rawProtocol : v6 ? IpProto.IPV6_NONXT : 255;
        };
    }

    private byte[] l4Bytes() {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        switch (l4) {
            case RAW -> o.writeBytes(payload);
            case UDP -> {
                int len = Udp.LENGTH + payload.length;
                put16(o, srcPort); put16(o, dstPort); put16(o, udpLength != null ? udpLength : len); put16(o, 0);
                o.writeBytes(payload);
            }
            case TCP -> {
                int words = dataOffset != null ? dataOffset : 5;
                int hlen = Math.max(20, words * 4);
                put16(o, srcPort); put16(o, dstPort); put32(o, seq); put32(o, ack);
                o.write((words & 0xf) << 4); o.write(tcpFlags); put16(o, window); put16(o, 0); put16(o, urgent);
                for (int i = 20; i < hlen; i++) o.write(1); // NOP options up to the data offset
                o.writeBytes(payload);
            }
            case ICMP -> {
                o.write(icmpType); o.write(icmpCode); put16(o, 0); put32(o, icmpRest);
                o.writeBytes(payload);
            }
        }
        return o.toByteArray();
    }

    private int checksumOffset() {
        return switch (l4) {
            case UDP -> Udp.CHECKSUM;
            case TCP -> Tcp.CHECKSUM;
            case ICMP -> Icmp4.CHECKSUM;
            case RAW -> -1;
        };
    }

    private void fillChecksum(byte[] l4b, int pseudoSum) {
        int at = checksumOffset();
        if (at < 0) return;
        int c;
        if (l4Checksum != null) {
            c = l4Checksum;
        } else {
            c = Checksum.checksum(pseudoSum, MemorySegment.ofArray(l4b), 0, l4b.length);
            if (l4 == L4.UDP && c == 0) c = 0xffff; // RFC 768: a computed zero is sent as all ones
        }
        l4b[at] = (byte) (c >>> 8);
        l4b[at + 1] = (byte) c;
    }

    public byte[] build() {
        byte[] l4b = l4Bytes();
        int proto = l4Protocol();
        byte[] out = v6 ? build6(l4b, proto) : build4(l4b, proto);
        return truncate == null ? out : Arrays.copyOf(out, Math.min(truncate, out.length));
    }

    private byte[] build4(byte[] l4b, int proto) {
        int optLen = (options.length + 3) & ~3;
        int hlen = 20 + optLen;
        int pseudo = l4 == L4.ICMP ? 0 : Checksum.pseudo4(src4, dst4, proto, l4b.length);
        fillChecksum(l4b, pseudo);
        byte[] p = new byte[hlen + l4b.length];
        MemorySegment s = MemorySegment.ofArray(p);
        Ipv4Header h = new Ipv4Header().wrap(s, 0);
        h.version(4).ihl(ihl != null ? ihl : hlen / 4).tos(tos)
                .totalLength(totalLength != null ? totalLength : p.length)
                .identification(identification)
                .flagsFragment((reservedFlag ? Ipv4Header.FLAG_RESERVED : 0) | (df ? Ipv4Header.FLAG_DF : 0)
                        | (mf ? Ipv4Header.FLAG_MF : 0) | (fragmentOffset & Ipv4Header.OFFSET_MASK))
                .ttl(ttl).protocol(protocol != null ? protocol : proto).src(src4).dst(dst4);
        System.arraycopy(options, 0, p, 20, options.length);
        h.headerChecksum(headerChecksum != null ? headerChecksum : Checksum.checksum(s, 0, hlen));
        System.arraycopy(l4b, 0, p, hlen, l4b.length);
        return p;
    }

    private byte[] build6(byte[] l4b, int proto) {
        int pseudo = Checksum.pseudo6(srcHi, srcLo, dstHi, dstLo, proto, l4b.length);
        fillChecksum(l4b, pseudo);
        int extLen = 0;
        for (byte[] b : extBodies) extLen += b.length;
        byte[] p = new byte[40 + extLen + l4b.length];
        MemorySegment s = MemorySegment.ofArray(p);
        int last = protocol != null ? protocol : proto;
        int first = extTypes.isEmpty() ? last : extTypes.get(0)[0];
        new Ipv6Header().wrap(s, 0).versionTrafficClassFlowLabel(trafficClass, flowLabel)
                .payloadLength(payloadLength != null ? payloadLength : p.length - 40)
                .nextHeader(nextHeader != null ? nextHeader : first).hopLimit(hopLimit)
                .src(srcHi, srcLo).dst(dstHi, dstLo);
        int pos = 40;
        for (int i = 0; i < extBodies.size(); i++) {
            byte[] b = extBodies.get(i);
            System.arraycopy(b, 0, p, pos, b.length);
            p[pos] = (byte) (i + 1 < extTypes.size() ? extTypes.get(i + 1)[0] : last);
            pos += b.length;
        }
        System.arraycopy(l4b, 0, p, pos, l4b.length);
        return p;
    }

    private static void put16(ByteArrayOutputStream o, int v) {
        o.write(v >>> 8);
        o.write(v);
    }

    private static void put32(ByteArrayOutputStream o, int v) {
        put16(o, v >>> 16);
        put16(o, v);
    }
}
