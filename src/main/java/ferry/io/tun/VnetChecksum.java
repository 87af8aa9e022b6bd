package ferry.io.tun;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Partial checksums ({@code VIRTIO_NET_HDR_F_NEEDS_CSUM}) across translation. The kernel hands such a packet over
 * with the L4 checksum field holding S, the non-inverted one's-complement sum of the pseudo-header only; whoever
 * finishes the packet adds the bytes from {@code csum_start} on and inverts. A translator changes the
 * pseudo-header, so the partial field must become S + delta (DESIGN.md: {@code field += delta}).
 *
 * <p>The translator's ordinary RFC 1624 update is {@code HC' = ~(~HC + ~m + m')}. Stored as HC = ~S, it yields
 * {@code ~(S + ~m + m')} = ~(S + delta), so {@link #prepare} inverts the field before translation and
 * {@link #finish} inverts it back in the translated packet: no translator change, no payload pass. When the
 * packet is not TCP/UDP right after the IP header (extension headers, other protocols) or is IPv4 with DF clear
 * (the translator may fragment it, and a partial checksum cannot span fragments), {@link #prepare} finishes the
 * checksum in software instead.
 */
final class VnetChecksum {
    private VnetChecksum() {
    }

    static final int PROTO_TCP = 6;
    static final int PROTO_UDP = 17;
    /** {@link #prepare} result: csum_start/csum_offset point outside the packet. */
    static final int BAD = -1;
    /** {@link #prepare} result: the checksum was finished in software; the packet is now an ordinary one. */
    static final int COMPLETED = 0;

    private static final ValueLayout.OfShort BE16 =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /**
     * Gets the partial packet {@code s[p, p+len)} ready for translation.
     *
     * @return {@link #PROTO_TCP} or {@link #PROTO_UDP} when the field now holds ~S (call {@link #finish} on the
     *         translation), {@link #COMPLETED}, or {@link #BAD}
     */
    static int prepare(MemorySegment s, long p, int len, int csumStart, int csumOffset) {
        return prepare(s, p, len, csumStart, csumOffset, false);
    }

    /**
     * As {@link #prepare(MemorySegment, long, int, int, int)}; {@code superPacket}: a GSO super-packet, which keeps
     * its partial checksum even with DF clear (its handler makes sure no segment gets fragmented).
     */
    static int prepare(MemorySegment s, long p, int len, int csumStart, int csumOffset, boolean superPacket) {
        if (len < 1 || (long) csumStart + csumOffset + 2 > len) return BAD;
        int version = (s.get(ValueLayout.JAVA_BYTE, p) & 0xff) >>> 4;
        int l4 = -1;
        int proto = 0;
        if (version == 4 && len >= 20) {
            int frag = s.get(BE16, p + 6) & 0xffff;
            proto = s.get(ValueLayout.JAVA_BYTE, p + 9) & 0xff;
            // DF set and not a fragment: the translation is one packet (RFC 7915 §4.1 never fragments DF=1)
            if ((superPacket || (frag & 0x4000) != 0) && (frag & 0x3fff) == 0)
                l4 = (s.get(ValueLayout.JAVA_BYTE, p) & 0x0f) * 4;
        } else if (version == 6 && len >= 40) {
            proto = s.get(ValueLayout.JAVA_BYTE, p + 6) & 0xff;
            l4 = 40;
        }
        long field = p + csumStart + csumOffset;
        int sum = s.get(BE16, field) & 0xffff;
        if (l4 == csumStart && ((proto == PROTO_TCP && csumOffset == 16) || (proto == PROTO_UDP && csumOffset == 6))) {
            // 0xffff and 0 are the same one's-complement number; use 0 so that ~S is never the "no UDP checksum" 0
            if (sum == 0xffff) sum = 0;
            s.set(BE16, field, (short) ~sum);
            return proto;
        }
        long acc = 0;
        long i = p + csumStart;
        long end = p + len;
        for (; i + 1 < end; i += 2) acc += s.get(BE16, i) & 0xffff;
        if (i < end) acc += (s.get(ValueLayout.JAVA_BYTE, i) & 0xff) << 8;
        while ((acc >>> 16) != 0) acc = (acc & 0xffff) + (acc >>> 16);
        int c = (int) ~acc & 0xffff;
        if (c == 0 && proto == PROTO_UDP) c = 0xffff; // RFC 768: a computed zero is sent as all ones
        s.set(BE16, field, (short) c);
        return COMPLETED;
    }

    /**
     * If the emitted packet {@code s[at, at+len)} is the translation of a prepared packet — the same transport
     * protocol right after its IP header, not a fragment — turns its field back into a partial sum and returns
     * its L4 offset (the new {@code csum_start}); otherwise (an ICMP error, for instance) returns -1 and leaves
     * the packet alone.
     */
    static int finish(MemorySegment s, long at, int len, int proto, int csumOffset) {
        if (len < 1) return -1;
        int version = (s.get(ValueLayout.JAVA_BYTE, at) & 0xff) >>> 4;
        int l4;
        int p;
        if (version == 4 && len >= 20) {
            if ((s.get(BE16, at + 6) & 0x3fff) != 0) return -1;
            l4 = (s.get(ValueLayout.JAVA_BYTE, at) & 0x0f) * 4;
            p = s.get(ValueLayout.JAVA_BYTE, at + 9) & 0xff;
        } else if (version == 6 && len >= 40) {
            l4 = 40;
            p = s.get(ValueLayout.JAVA_BYTE, at + 6) & 0xff;
        } else {
            return -1;
        }
        if (p != proto || l4 + csumOffset + 2 > len) return -1;
        long field = at + l4 + csumOffset;
        s.set(BE16, field, (short) ~s.get(BE16, field)); // back to S' = S + delta, non-inverted
        return l4;
    }
}
