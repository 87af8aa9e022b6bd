package ferry.siit;

import ferry.addr.Denylist4;
import ferry.addr.Eamt;
import ferry.addr.NonGlobal;
import ferry.addr.Rfc6052;
import ferry.metrics.Counter;
import ferry.translate.AddressMapper;
import ferry.translate.Tuple;

/**
 * The stateless (SIIT) address mapping: the EAMT first (RFC 7757 §3.3: "the EAM algorithm ... MUST be
 * attempted before the RFC 6052 algorithm"), then pool6 (RFC 6052), else the address is untranslatable.
 *
 * <ul>
 *   <li>{@code denylist4} applies to IPv4 addresses that pool6 would carry, never to EAMT mappings (Jool's
 *       semantics), and not to the source of an ICMP error (RFC 7915 §4.1: "the 'illegal' source address will be
 *       translated for the purpose of trouble shooting").</li>
 *   <li>RFC 6052 §3.1: "The Well-Known Prefix MUST NOT be used to represent non-global IPv4 addresses". When pool6
 *       is exactly 64:ff9b::/96 and {@code wkpStrict}, such addresses are refused with
 *       {@link Counter#DROP_WKP_NON_GLOBAL} in both directions; for the source of an ICMP error they count as
 *       untranslatable, so the translator falls back to an RFC 6791 address.</li>
 * </ul>
 *
 * Immutable and thread-safe; allocates nothing per call.
 */
public final class SiitMapper implements AddressMapper {
    private static final long NONE = 1L << 32, DENIED = 2L << 32, NON_GLOBAL = 3L << 32;

    private final Rfc6052 pool6;
    private final Eamt eamt;
    private final Denylist4 denylist;
    private final boolean checkWkp;
    private final AddressMapper hairpin = new Hairpin();

    /**
     * @param pool6OrNull the RFC 6052 prefix, or null (EAMT only)
     * @param eamt        explicit address mappings ({@link Eamt#EMPTY} for none)
     * @param denylist    IPv4 addresses pool6 must not carry ({@link Denylist4#EMPTY} for none)
     * @param wkpStrict   enforce RFC 6052 §3.1 when pool6 is 64:ff9b::/96
     */
    public SiitMapper(Rfc6052 pool6OrNull, Eamt eamt, Denylist4 denylist, boolean wkpStrict) {
        this.pool6 = pool6OrNull;
        this.eamt = eamt == null ? Eamt.EMPTY : eamt;
        this.denylist = denylist == null ? Denylist4.EMPTY : denylist;
        this.checkWkp = wkpStrict && pool6OrNull != null && pool6OrNull.isWellKnown();
    }

    // ------------------------------------------------------------------------------------------ IPv6 -> IPv4

    @Override
    public Counter map64(Tuple t) {
        boolean errorSource = t.icmpError && !t.inner;
        long d = to4(t.dstHi, t.dstLo, false);
        if (d >= NONE) return d == NONE ? Counter.DROP_DST_UNTRANSLATABLE : reason(d);
        t.dst4 = (int) d;
        long s = to4(t.srcHi, t.srcLo, errorSource);
        if (s >= NONE) return s == NONE ? Counter.DROP_SRC_UNTRANSLATABLE : reason(s);
        t.src4 = (int) s;
        return null;
    }

    /** The IPv4 address for an IPv6 one (as an unsigned value), or NONE / DENIED / NON_GLOBAL. */
    private long to4(long hi, long lo, boolean errorSource) {
        int idx = eamt.find6(hi, lo);
        if (idx >= 0) return eamt.v4(idx, hi, lo) & 0xffff_ffffL;
        if (pool6 == null || !pool6.matches(hi, lo)) return NONE;
        int v4 = pool6.extract(hi, lo);
        if (checkWkp && NonGlobal.forbiddenUnderWkp(v4)) return errorSource ? NONE : NON_GLOBAL;
        if (!errorSource && denylist.contains(v4)) return DENIED;
        return v4 & 0xffff_ffffL;
    }

    // ------------------------------------------------------------------------------------------ IPv4 -> IPv6

    @Override
    public Counter map46(Tuple t) {
        return map46(t, false);
    }

    private Counter map46(Tuple t, boolean hairpinLeg) {
        boolean errorSource = t.icmpError && !t.inner;
        // RFC 7757 §4.3: in a hairpinned ICMP error, the inner destination takes the pool6 form of its address.
        Counter r = to6(t, true, t.dst4, false, !(hairpinLeg && t.inner));
        if (r != null) return r;
        // RFC 7757 §4.2: a hairpinned packet's source takes the pool6 form of its (EAM-mapped) IPv4 address.
        return to6(t, false, t.src4, errorSource, !(hairpinLeg && !t.inner));
    }

    /** Maps one IPv4 address into t's destination (or source) IPv6 fields. Returns null, or the reason. */
    private Counter to6(Tuple t, boolean dst, int v4, boolean errorSource, boolean useEam) {
        long hi, lo;
        int idx = useEam ? eamt.find4(v4) : -1;
        if (idx >= 0) {
            hi = eamt.hi6(idx, v4);
            lo = eamt.lo6(idx, v4);
        } else {
            if (!errorSource && denylist.contains(v4)) return Counter.DROP_DENYLIST4;
            if (pool6 == null) return dst ? Counter.DROP_DST_UNTRANSLATABLE : Counter.DROP_SRC_UNTRANSLATABLE;
            if (checkWkp && NonGlobal.forbiddenUnderWkp(v4)) {
                return errorSource ? Counter.DROP_SRC_UNTRANSLATABLE : Counter.DROP_WKP_NON_GLOBAL;
            }
            hi = pool6.embedHi(v4);
            lo = pool6.embedLo(v4);
        }
        if (dst) {
            t.dstHi = hi;
            t.dstLo = lo;
        } else {
            t.srcHi = hi;
            t.srcLo = lo;
        }
        return null;
    }

    private static Counter reason(long code) {
        return code == DENIED ? Counter.DROP_DENYLIST4 : Counter.DROP_WKP_NON_GLOBAL;
    }

    // ------------------------------------------------------------------------------------------ hairpinning

    @Override
    public boolean explicit4(int v4) {
        return eamt.find4(v4) >= 0;
    }

    @Override
    public boolean explicit6(long hi, long lo) {
        return eamt.find6(hi, lo) >= 0;
    }

    @Override
    public AddressMapper hairpinMapper() {
        return hairpin;
    }

    /** The 4→6 leg of an EAM hairpin (RFC 7757 §4.2/§4.3); 6→4 is unchanged. */
    private final class Hairpin implements AddressMapper {
        @Override
        public Counter map64(Tuple t) {
            return SiitMapper.this.map64(t);
        }

        @Override
        public Counter map46(Tuple t) {
            return SiitMapper.this.map46(t, true);
        }
    }
}
