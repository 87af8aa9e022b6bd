package ferry.clat;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Ipv6;
import ferry.addr.Prefix4;
import ferry.addr.Rfc6052;
import ferry.metrics.Counter;
import ferry.translate.Tuple;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The mapping is a bijection on what it maps: out (4→6) then back (6→4) returns the IPv4 addresses. */
class ClatMapperPropertyTest {
    static final List<String> PREFIXES = List.of("2001:db8::/32", "2001:db8:100::/40", "2001:db8:122::/48",
            "2001:db8:122:300::/56", "2001:db8:122:344::/64", "2001:db8:122:344::/96", "64:ff9b::/96");

    @Provide
    Arbitrary<String> prefixes() {
        return Arbitraries.of(PREFIXES);
    }

    @Property(tries = 3000)
    void anIslandPacketAndItsReplyMapBackToTheSameAddresses(@ForAll("prefixes") String plat, @ForAll int remote,
                                                           @ForAll int islandHost) {
        PlatPrefixHolder holder = new PlatPrefixHolder(new PlatPrefix(Rfc6052.parse(plat), PlatSource.CONFIGURED,
                Long.MAX_VALUE));
        SourceMapping s = SourceMapping.dedicated(ClatHarness.p6("2001:db8:1:2::/64"),
                List.of(Prefix4.parse("10.0.0.0/8")));
        ClatMapper m = new ClatMapper(holder, s, true);
        int island = 0x0a00_0000 | (islandHost & 0x00ff_ffff);
        Tuple out = new Tuple();
        out.src4 = island;
        out.dst4 = remote;
        Counter c = m.map46(out);
        if (c != null) {
            // only a destination in the CLAT's own space or non-global under the WKP may fail
            assertThat(c).isIn(Counter.DROP_CLAT_DST_LOCAL, Counter.DROP_WKP_NON_GLOBAL);
            return;
        }
        assertThat(Rfc6052.parse(plat).matches(out.dstHi, out.dstLo)).isTrue();
        Tuple back = new Tuple();
        back.srcHi = out.dstHi;
        back.srcLo = out.dstLo;
        back.dstHi = out.srcHi;
        back.dstLo = out.srcLo;
        assertThat(m.map64(back)).as("reply %s -> %s", Ipv6.format(back.srcHi, back.srcLo),
                Ipv6.format(back.dstHi, back.dstLo)).isNull();
        assertThat(back.src4).isEqualTo(remote);
        assertThat(back.dst4).isEqualTo(island);
    }
}
