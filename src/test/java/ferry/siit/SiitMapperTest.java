package ferry.siit;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Denylist4;
import ferry.addr.EamEntry;
import ferry.addr.Eamt;
import ferry.addr.Ipv4;
import ferry.addr.Ipv6;
import ferry.addr.Prefix4;
import ferry.addr.Rfc6052;
import ferry.metrics.Counter;
import ferry.translate.AddressMapper;
import ferry.translate.Tuple;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class SiitMapperTest {
    private static final Rfc6052 WKP = Rfc6052.parse("64:ff9b::/96");
    private static final Eamt EAMT = Eamt.of(List.of(
            EamEntry.parse("2001:db8:6::/120", "192.0.2.0/24"),
            // an EAM inside pool6: RFC 7757 §3.3, the EAMT is tried first
            EamEntry.parse("64:ff9b::198.51.100.0/120", "203.0.113.0/24")));
    private final SiitMapper m = new SiitMapper(WKP, EAMT, Denylist4.EMPTY, true);

    private static Tuple t64(String src, String dst) {
        Tuple t = new Tuple();
        long[] s = Ipv6.parse(src), d = Ipv6.parse(dst);
        t.srcHi = s[0];
        t.srcLo = s[1];
        t.dstHi = d[0];
        t.dstLo = d[1];
        return t;
    }

    private static Tuple t46(String src, String dst) {
        Tuple t = new Tuple();
        t.src4 = Ipv4.parse(src);
        t.dst4 = Ipv4.parse(dst);
        return t;
    }

    private static String v6(long hi, long lo) {
        return Ipv6.format(hi, lo);
    }

    @Nested
    class SixToFour {
        @Test
        void eamtMapsTheSourceAndPool6TheDestination() {
            Tuple t = t64("2001:db8:6::5", "64:ff9b::203.0.113.9");
            assertThat(m.map64(t)).isNull();
            assertThat(Ipv4.format(t.src4)).isEqualTo("192.0.2.5");
            assertThat(Ipv4.format(t.dst4)).isEqualTo("203.0.113.9");
        }

        @Test
        void eamtIsTriedBeforePool6() {
            Tuple t = t64("2001:db8:6::5", "64:ff9b::198.51.100.9"); // under pool6 and under the EAM
            assertThat(m.map64(t)).isNull();
            assertThat(Ipv4.format(t.dst4)).isEqualTo("203.0.113.9");
        }

        @Test
        void addressesWithNeitherEamNorPool6AreUntranslatableAndTheDestinationIsMappedFirst() {
            Tuple t = t64("2001:db8:99::1", "64:ff9b::203.0.114.1");
            assertThat(m.map64(t)).isEqualTo(Counter.DROP_SRC_UNTRANSLATABLE);
            assertThat(Ipv4.format(t.dst4)).as("destination already set").isEqualTo("203.0.114.1");
            assertThat(m.map64(t64("2001:db8:6::5", "2001:db8:99::1"))).isEqualTo(Counter.DROP_DST_UNTRANSLATABLE);
        }

        @Test
        void withoutPool6OnlyTheEamtTranslates() {
            SiitMapper eamOnly = new SiitMapper(null, EAMT, Denylist4.EMPTY, true);
            assertThat(eamOnly.map64(t64("2001:db8:6::5", "64:ff9b::203.0.113.9")))
                    .isEqualTo(Counter.DROP_DST_UNTRANSLATABLE);
            Tuple t = t64("2001:db8:6::5", "2001:db8:6::7");
            assertThat(eamOnly.map64(t)).isNull();
            assertThat(Ipv4.format(t.dst4)).isEqualTo("192.0.2.7");
        }

        @Test
        void denylist4AppliesToPool6AddressesButNotToEamtOnes() {
            SiitMapper d = new SiitMapper(WKP, EAMT,
                    Denylist4.of(List.of(Prefix4.parse("203.0.113.0/24"), Prefix4.parse("192.0.2.0/24"))), true);
            assertThat(d.map64(t64("2001:db8:6::5", "64:ff9b::203.0.113.9"))).isEqualTo(Counter.DROP_DENYLIST4);
            assertThat(d.map64(t64("2001:db8:6::5", "64:ff9b::198.51.100.1"))).isNull();
        }

        @Test
        void denylist4DoesNotApplyToTheSourceOfAnIcmpErrorButToItsInnerPacket() {
            SiitMapper d = new SiitMapper(WKP, EAMT, Denylist4.of(List.of(Prefix4.parse("203.0.113.0/24"))), true);
            Tuple t = t64("64:ff9b::203.0.113.1", "2001:db8:6::5");
            t.icmpError = true;
            assertThat(d.map64(t)).isNull();
            assertThat(Ipv4.format(t.src4)).isEqualTo("203.0.113.1");
            Tuple inner = t64("2001:db8:6::5", "64:ff9b::203.0.113.1");
            inner.icmpError = true;
            inner.inner = true;
            assertThat(d.map64(inner)).isEqualTo(Counter.DROP_DENYLIST4);
        }

        @Test
        void wellKnownPrefixRefusesNonGlobalAddressesWhenStrict() {
            // RFC 6052 §3.1: "The Well-Known Prefix MUST NOT be used to represent non-global IPv4 addresses"
            for (String a : new String[] {"10.0.0.1", "172.16.0.1", "192.168.1.1", "100.64.0.1", "127.0.0.1",
                    "169.254.0.1", "192.0.0.1", "198.18.0.1", "240.0.0.1", "224.0.0.1"}) {
                assertThat(m.map64(t64("2001:db8:6::5", "64:ff9b::" + a))).as(a).isEqualTo(Counter.DROP_WKP_NON_GLOBAL);
                assertThat(m.map64(t64("64:ff9b::" + a, "2001:db8:6::5"))).as(a).isEqualTo(Counter.DROP_WKP_NON_GLOBAL);
            }
            for (String a : new String[] {"192.0.2.1", "198.51.100.1", "203.0.113.1", "192.0.0.170", "8.8.8.8"}) {
                assertThat(m.map64(t64("2001:db8:6::5", "64:ff9b::" + a))).as(a).isNull();
            }
        }

        @Test
        void nonGlobalSourceOfAnIcmpErrorUnderTheWellKnownPrefixIsUntranslatableSoRfc6791Applies() {
            Tuple t = t64("64:ff9b::10.1.1.1", "2001:db8:6::5");
            t.icmpError = true;
            assertThat(m.map64(t)).isEqualTo(Counter.DROP_SRC_UNTRANSLATABLE);
        }

        @Test
        void wkpCheckIsOffWhenNotStrictAndNeverAppliesToOtherPrefixes() {
            SiitMapper lax = new SiitMapper(WKP, Eamt.EMPTY, Denylist4.EMPTY, false);
            assertThat(lax.map64(t64("64:ff9b::10.0.0.1", "64:ff9b::192.168.0.1"))).isNull();
            SiitMapper local = new SiitMapper(Rfc6052.parse("64:ff9b:1::/96"), Eamt.EMPTY, Denylist4.EMPTY, true);
            Tuple t = t64("64:ff9b:1::10.0.0.1", "64:ff9b:1::192.168.0.1");
            assertThat(local.map64(t)).isNull();
            assertThat(Ipv4.format(t.dst4)).isEqualTo("192.168.0.1");
        }
    }

    @Nested
    class FourToSix {
        @Test
        void eamtThenPool6() {
            Tuple t = t46("203.0.113.9", "192.0.2.5");
            assertThat(m.map46(t)).isNull();
            assertThat(v6(t.srcHi, t.srcLo)).isEqualTo("64:ff9b::c633:6409"); // the EAM, not pool6
            assertThat(v6(t.dstHi, t.dstLo)).isEqualTo("2001:db8:6::5");
            Tuple e = t46("198.51.100.7", "192.0.2.5");
            assertThat(m.map46(e)).isNull();
            assertThat(v6(e.srcHi, e.srcLo)).isEqualTo("64:ff9b::c633:6407"); // pool6
        }

        @Test
        void denylist4AndWkpApplyToPool6Addresses() {
            SiitMapper d = new SiitMapper(WKP, EAMT, Denylist4.of(List.of(Prefix4.parse("198.51.100.0/24"),
                    Prefix4.parse("203.0.113.0/24"))), true);
            assertThat(d.map46(t46("198.51.100.7", "192.0.2.5"))).isEqualTo(Counter.DROP_DENYLIST4);
            assertThat(d.map46(t46("203.0.113.9", "192.0.2.5"))).as("EAMT, not denied").isNull();
            assertThat(m.map46(t46("10.0.0.1", "192.0.2.5"))).isEqualTo(Counter.DROP_WKP_NON_GLOBAL);
            assertThat(m.map46(t46("203.0.113.9", "10.0.0.1"))).isEqualTo(Counter.DROP_WKP_NON_GLOBAL);
        }

        @Test
        void withoutPool6UnmappedAddressesAreUntranslatable() {
            SiitMapper eamOnly = new SiitMapper(null, EAMT, Denylist4.EMPTY, true);
            assertThat(eamOnly.map46(t46("198.51.100.9", "192.0.2.5"))).isEqualTo(Counter.DROP_SRC_UNTRANSLATABLE);
            assertThat(eamOnly.map46(t46("192.0.2.5", "198.51.100.9"))).isEqualTo(Counter.DROP_DST_UNTRANSLATABLE);
        }
    }

    @Nested
    class Hairpinning {
        private final AddressMapper back = m.hairpinMapper();

        @Test
        void explicitMappingsAreReported() {
            assertThat(m.explicit4(Ipv4.parse("192.0.2.77"))).isTrue();
            assertThat(m.explicit4(Ipv4.parse("8.8.8.8"))).isFalse();
            long[] a = Ipv6.parse("2001:db8:6::9");
            assertThat(m.explicit6(a[0], a[1])).isTrue();
            long[] b = Ipv6.parse("64:ff9b::8.8.8.8");
            assertThat(m.explicit6(b[0], b[1])).isFalse();
        }

        @Test
        void hairpinLegTranslatesTheExplicitlyMappedSourceThroughPool6() {
            // RFC 7757 §4.2: 192.0.2.5 -> 192.0.2.7 comes back as 64:ff9b::192.0.2.5 -> 2001:db8:6::7
            Tuple t = t46("192.0.2.5", "192.0.2.7");
            assertThat(back.map46(t)).isNull();
            assertThat(v6(t.srcHi, t.srcLo)).isEqualTo("64:ff9b::c000:205");
            assertThat(v6(t.dstHi, t.dstLo)).isEqualTo("2001:db8:6::7");
        }

        @Test
        void hairpinLegTranslatesTheInnerDestinationThroughPool6() {
            // RFC 7757 §4.3: the inner packet of a hairpinned error: 192.0.2.5 -> 192.0.2.7 becomes
            // 2001:db8:6::5 -> 64:ff9b::192.0.2.7
            Tuple t = t46("192.0.2.5", "192.0.2.7");
            t.inner = true;
            t.icmpError = true;
            assertThat(back.map46(t)).isNull();
            assertThat(v6(t.srcHi, t.srcLo)).isEqualTo("2001:db8:6::5");
            assertThat(v6(t.dstHi, t.dstLo)).isEqualTo("64:ff9b::c000:207");
        }

        @Test
        void hairpinLegMaps6To4LikeTheMapper() {
            Tuple a = t64("2001:db8:6::5", "64:ff9b::203.0.113.9"), b = t64("2001:db8:6::5", "64:ff9b::203.0.113.9");
            assertThat(back.map64(a)).isNull();
            assertThat(m.map64(b)).isNull();
            assertThat(a.src4).isEqualTo(b.src4);
            assertThat(a.dst4).isEqualTo(b.dst4);
        }
    }
}
