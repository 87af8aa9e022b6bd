package ferry.clat;

import ferry.addr.Eamt;
import ferry.addr.NonGlobal;
import ferry.addr.Rfc6052;
import ferry.metrics.Counter;
import ferry.translate.AddressMapper;
import ferry.translate.Tuple;

/**
 * The CLAT address mapping (RFC 6877 §6.3), stateless: the IPv4 side is the island (or the host), the IPv6 side
 * the IPv6-only network towards the PLAT.
 *
 * <ul>
 *   <li>Remote IPv4 addresses (destinations going out, sources coming back) map into the PLAT prefix with RFC 6052
 *       at any of its six lengths. The prefix is read once per call from a {@link PlatPrefixHolder}, so discovery
 *       can change it while packets flow.</li>
 *   <li>The CLAT's own IPv4 addresses (sources going out, destinations coming back) map through the
 *       {@link SourceMapping}: 192.0.0.1 ↔ the CLAT /128, or each island address into the dedicated prefix.</li>
 *   <li>In the inner packet of an ICMP error the roles are reversed ({@link Tuple#inner}): there the remote address is
 *       the source of a 4→6 error's inner packet and the destination of a 6→4 error's.</li>
 * </ul>
 *
 * <p><b>RFC 6052 §3.1 and wkp-strict.</b> "The Well-Known Prefix MUST NOT be used to represent non-global IPv4
 * addresses". A CLAT never puts its island's private addresses under the PLAT prefix — they go into its own /128 or
 * dedicated prefix, which is not an RFC 6052 prefix — so the rule only concerns remote addresses: with
 * {@code wkp-strict} (the default) and the PLAT prefix 64:ff9b::/96, a packet to (or from) a non-global IPv4
 * address is dropped with {@link Counter#DROP_WKP_NON_GLOBAL}, as the PLAT would drop it; a network-specific
 * prefix carries any address. The documentation ranges stay translatable ({@link NonGlobal}).
 *
 * <p>A destination inside the CLAT's own space (192.0.0.0/29, RFC 7335, or an island prefix) is never sent to the
 * PLAT: {@link Counter#DROP_CLAT_DST_LOCAL}.
 *
 * <p>Thread-safe; allocates nothing per call; no lock (one volatile read).
 */
public final class ClatMapper implements AddressMapper {
    private static final int SC_ADDR = SourceMapping.SERVICE_CONTINUITY.addr();
    private static final int SC_MASK = ferry.addr.Ipv4.mask(SourceMapping.SERVICE_CONTINUITY.len());

    private final PlatPrefixHolder plat;
    private final SourceMapping source;
    private final Eamt own;
    private final boolean wkpStrict;

    /**
     * @param plat      the PLAT prefix in use (swapped by discovery)
     * @param source    the CLAT's own address mapping
     * @param wkpStrict enforce RFC 6052 §3.1 on remote addresses when the PLAT prefix is 64:ff9b::/96
     */
    public ClatMapper(PlatPrefixHolder plat, SourceMapping source, boolean wkpStrict) {
        this.plat = plat;
        this.source = source;
        this.own = source.eamt();
        this.wkpStrict = wkpStrict;
    }

    public SourceMapping source() {
        return source;
    }

    public PlatPrefixHolder plat() {
        return plat;
    }

    private boolean local4(int v4) {
        return (v4 & SC_MASK) == SC_ADDR || own.find4(v4) >= 0;
    }

    // ------------------------------------------------------------------------------------------ IPv4 -> IPv6

    @Override
    public Counter map46(Tuple t) {
        Rfc6052 p = plat.get().prefix();
        boolean checkWkp = wkpStrict && p.isWellKnown();
        if (!t.inner) {
            // destination: a remote (Internet) address, into the PLAT prefix
            int dst = t.dst4;
            if (local4(dst)) return Counter.DROP_CLAT_DST_LOCAL;
            // RFC 6052 §3.1: "The Well-Known Prefix MUST NOT be used to represent non-global IPv4 addresses"
            if (checkWkp && NonGlobal.forbiddenUnderWkp(dst)) return Counter.DROP_WKP_NON_GLOBAL;
            t.dstHi = p.embedHi(dst);
            t.dstLo = p.embedLo(dst);
            // source: the CLAT's own address (192.0.0.1 or an island address)
            int idx = own.find4(t.src4);
            if (idx < 0) return Counter.DROP_SRC_UNTRANSLATABLE;
            t.srcHi = own.hi6(idx, t.src4);
            t.srcLo = own.lo6(idx, t.src4);
            return null;
        }
        // inner packet of an ICMPv4 error: it went remote -> island
        int idx = own.find4(t.dst4);
        if (idx < 0) return Counter.DROP_DST_UNTRANSLATABLE;
        t.dstHi = own.hi6(idx, t.dst4);
        t.dstLo = own.lo6(idx, t.dst4);
        int src = t.src4;
        if (checkWkp && NonGlobal.forbiddenUnderWkp(src)) return Counter.DROP_WKP_NON_GLOBAL;
        t.srcHi = p.embedHi(src);
        t.srcLo = p.embedLo(src);
        return null;
    }

    // ------------------------------------------------------------------------------------------ IPv6 -> IPv4

    @Override
    public Counter map64(Tuple t) {
        Rfc6052 p = plat.get().prefix();
        boolean checkWkp = wkpStrict && p.isWellKnown();
        if (!t.inner) {
            // destination: the CLAT's own IPv6 address(es)
            int idx = own.find6(t.dstHi, t.dstLo);
            if (idx < 0) return Counter.DROP_DST_UNTRANSLATABLE;
            t.dst4 = own.v4(idx, t.dstHi, t.dstLo);
            // source: a remote address under the PLAT prefix. For an ICMPv6 error from a router of the IPv6 network
            // (not under the prefix) DROP_SRC_UNTRANSLATABLE makes the translator take an RFC 6791 source.
            boolean errorSource = t.icmpError;
            if (!p.matches(t.srcHi, t.srcLo)) return Counter.DROP_SRC_UNTRANSLATABLE;
            int src = p.extract(t.srcHi, t.srcLo);
            if (checkWkp && NonGlobal.forbiddenUnderWkp(src))
                return errorSource ? Counter.DROP_SRC_UNTRANSLATABLE : Counter.DROP_WKP_NON_GLOBAL;
            // a remote packet may not pose as a CLAT-side address
            if (local4(src)) return Counter.DROP_SRC_UNTRANSLATABLE;
            t.src4 = src;
            return null;
        }
        // inner packet of an ICMPv6 error: it went CLAT -> remote
        if (!p.matches(t.dstHi, t.dstLo)) return Counter.DROP_DST_UNTRANSLATABLE;
        int dst = p.extract(t.dstHi, t.dstLo);
        if (checkWkp && NonGlobal.forbiddenUnderWkp(dst)) return Counter.DROP_WKP_NON_GLOBAL;
        t.dst4 = dst;
        int idx = own.find6(t.srcHi, t.srcLo);
        if (idx < 0) return Counter.DROP_SRC_UNTRANSLATABLE;
        t.src4 = own.v4(idx, t.srcHi, t.srcLo);
        return null;
    }
}
