package ferry.translate.prop;

import ferry.testkit.PacketCheck;

/**
 * Recomputes checksums of a mutated packet so that the mutation reaches the code behind the checksum checks
 * (independent arithmetic from {@link PacketCheck}, not the project's {@code Checksum}). Malformed packets are left
 * alone where a field cannot be located.
 */
final class Repair {
    private Repair() {}

    /** The IPv4 header checksum, when the packet is IPv4 with an IHL that fits. */
    static void ipv4HeaderChecksum(byte[] p) {
        if (p.length < 20 || (p[0] & 0xf0) != 0x40) return;
        int ihl = (p[0] & 0x0f) * 4;
        if (ihl < 20 || ihl > p.length) return;
        p[10] = p[11] = 0;
        PacketGen.put16(p, 10, ~fold(PacketCheck.sum(p, 0, ihl, 0)) & 0xffff);
    }

    /** The ICMPv4 / ICMPv6 checksum of an unfragmented packet (over the bytes present). */
    static void icmpChecksum(byte[] p) {
        if (p.length < 1) return;
        if ((p[0] & 0xf0) == 0x40) {
            if (p.length < 20) return;
            int ihl = (p[0] & 0x0f) * 4;
            if (ihl < 20 || ihl + 8 > p.length || (p[9] & 0xff) != 1 || PacketCheck.isFragment(p)) return;
            p[ihl + 2] = p[ihl + 3] = 0;
            PacketGen.put16(p, ihl + 2, ~fold(PacketCheck.sum(p, ihl, p.length - ihl, 0)) & 0xffff);
        } else if ((p[0] & 0xf0) == 0x60) {
            int[] loc = PacketCheck.upper6(p);
            if (loc == null || loc[0] != 58 || loc[1] + 8 > p.length || PacketCheck.isFragment(p)) return;
            int off = loc[1], len = p.length - off;
            p[off + 2] = p[off + 3] = 0;
            long pseudo = PacketCheck.sum(p, 8, 32, 0) + len + 58;
            PacketGen.put16(p, off + 2, ~fold(PacketCheck.sum(p, off, len, pseudo)) & 0xffff);
        }
    }

    static int fold(long s) {
        while ((s >>> 16) != 0) s = (s & 0xffff) + (s >>> 16);
        return (int) s;
    }
}
