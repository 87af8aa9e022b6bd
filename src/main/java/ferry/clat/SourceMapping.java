package ferry.clat;

import ferry.addr.EamEntry;
import ferry.addr.Eamt;
import ferry.addr.Ipv6;
import ferry.addr.Prefix4;
import ferry.addr.Prefix6;
import java.util.ArrayList;
import java.util.List;

/**
 * How the CLAT's own (island-side) IPv4 addresses map to IPv6 — the source of outgoing packets, the destination of
 * replies. Both modes are explicit address mappings (RFC 7757) held in an {@link Eamt}, so lookups in both
 * directions are the existing allocation-free longest-prefix match:
 *
 * <ul>
 *   <li><b>single address</b> (RFC 6877 §6.3, no dedicated prefix): one entry, the host-side IPv4 address (192.0.0.1
 *       from the IPv4 Service Continuity Prefix 192.0.0.0/29, RFC 7335) ↔ the CLAT's IPv6 /128. The island's other
 *       addresses are NAT44'd onto it before they reach ferry (nftables masquerade, see the test README).</li>
 *   <li><b>dedicated prefix</b> (RFC 6877 §6.3: "If the CLAT has a dedicated IPv6 prefix for translation, it can
 *       perform stateless translation"): the delegated IPv6 prefix P (a /64, a /96, any length up to /96) carries
 *       each island IPv4 address A in its last 32 bits, P::A — one entry per island prefix I/n:
 *       I/n ↔ (P | I)/(96+n). Every device keeps its own IPv6 address, and ICMP errors reach it.</li>
 * </ul>
 *
 * Immutable.
 */
public final class SourceMapping {
    /** The IPv4 Service Continuity Prefix (RFC 7335): the CLAT's host side. */
    public static final Prefix4 SERVICE_CONTINUITY = Prefix4.parse("192.0.0.0/29");
    /** RFC 7335 / RFC 6877 host-side address, the default of single-address mode. */
    public static final Prefix4 DEFAULT_HOST_ADDRESS = Prefix4.parse("192.0.0.1/32");

    private final boolean dedicated;
    private final Eamt eamt;
    private final Prefix6 ipv6;

    private SourceMapping(boolean dedicated, Eamt eamt, Prefix6 ipv6) {
        this.dedicated = dedicated;
        this.eamt = eamt;
        this.ipv6 = ipv6;
    }

    /** Single-address mode: {@code host4} (a /32, usually 192.0.0.1) ↔ {@code clat6} (a /128). */
    public static SourceMapping single(Prefix4 host4, Prefix6 clat6) {
        if (host4.len() != 32) throw new IllegalArgumentException("the host-side IPv4 address must be a /32, not " + host4);
        if (clat6.len() != 128) throw new IllegalArgumentException("the CLAT IPv6 address must be a /128, not " + clat6);
        return new SourceMapping(false, Eamt.of(List.of(new EamEntry(clat6, host4))), clat6);
    }

    /**
     * Dedicated-prefix mode: every address of the {@code island} prefixes maps to {@code prefix6}::A.
     *
     * @throws IllegalArgumentException the prefix is longer than /96, the island list is empty, or two island
     *                                  prefixes are the same (the message names them)
     */
    public static SourceMapping dedicated(Prefix6 prefix6, List<Prefix4> island) {
        if (prefix6.len() > 96)
            throw new IllegalArgumentException("the dedicated prefix " + prefix6 + " must be /96 or shorter, so an"
                    + " IPv4 address fits in its last 32 bits");
        if (island.isEmpty()) throw new IllegalArgumentException("dedicated-prefix mode needs at least one island prefix");
        List<EamEntry> entries = new ArrayList<>();
        for (Prefix4 i : island) {
            Prefix6 v6 = new Prefix6(prefix6.hi(), prefix6.lo() | (i.addr() & 0xffff_ffffL), 96 + i.len());
            entries.add(new EamEntry(v6, i));
        }
        return new SourceMapping(true, Eamt.of(entries), prefix6);
    }

    /** True in dedicated-prefix mode. */
    public boolean dedicated() {
        return dedicated;
    }

    /** The mapping as an EAM table (index lookups in both directions). */
    public Eamt eamt() {
        return eamt;
    }

    /** The CLAT's IPv6 side: the /128 (single) or the dedicated prefix. */
    public Prefix6 ipv6() {
        return ipv6;
    }

    /**
     * The source of the ICMPv6 errors the CLAT itself generates (when {@code ferry.ipv6-address} is not set): the
     * /128 in single-address mode; in dedicated-prefix mode the image of the translator's own host-side address
     * {@code own4} (192.0.0.2 by default) in the dedicated prefix.
     */
    public Prefix6 ownIpv6(Prefix4 own4) {
        if (!dedicated) return ipv6;
        return new Prefix6(ipv6.hi(), ipv6.lo() | (own4.addr() & 0xffff_ffffL), 128);
    }

    /** One line per entry, "192.0.2.0/24 <-> 2001:db8:1:2::c000:200/120", for logs and status. */
    public List<String> describe() {
        List<String> out = new ArrayList<>();
        for (EamEntry e : eamt.entries()) out.add(e.v4() + " <-> " + Ipv6.format(e.v6().hi(), e.v6().lo()) + "/" + e.v6().len());
        return out;
    }

    @Override
    public String toString() {
        return (dedicated ? "dedicated " : "single ") + describe();
    }
}
