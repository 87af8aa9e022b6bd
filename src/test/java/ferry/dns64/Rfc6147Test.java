package ferry.dns64;

import ferry.addr.Prefix6;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static ferry.dns64.Dns.msg;
import static ferry.dns64.Dns.n;
import static org.assertj.core.api.Assertions.assertThat;

/** RFC 6147 §5 (and RFC 6052 §3.1, RFC 7050/8880) rule by rule, on the resolver with an in-memory upstream. */
class Rfc6147Test {
    static final String SOA = "AUTH example. 3600 IN SOA ns.example. host.example. 1 3600 600 86400 300";

    final FakeUpstream up = new FakeUpstream();
    final Dns64Counters counters = new Dns64Counters();

    Dns64Resolver resolver(Dns64Settings s) {
        return new Dns64Resolver(s, up, counters);
    }

    Dns64Resolver resolver() {
        return resolver(Dns.settings("64:ff9b::/96"));
    }

    static long budget(long ms) {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    }

    Dns64Resolver.Answer aaaa(Dns64Resolver r, String name) {
        return r.resolve(n(name), Type.AAAA, DClass.IN, false, false, budget(2000));
    }

    @Nested
    class S511_AnswerWithAaaaData {
        @Test
        void realAaaaRecordsAreReturnedAndNoAQueryIsSent() {
            up.on("both.example", Type.AAAA, msg(0, "both.example. 3600 IN AAAA 2001:db8::2"))
              .on("both.example", Type.A, msg(0, "both.example. 3600 IN A 192.0.2.2"));
            var a = aaaa(resolver(), "both.example");
            assertThat(Dns.answers(a.message())).containsExactly("both.example. 3600 AAAA 2001:db8::2");
            assertThat(a.synthesized()).isFalse();
            assertThat(up.calls("both.example", Type.A)).isZero();
            assertThat(counters.get(Dns64Counter.REAL_AAAA)).isEqualTo(1);
        }
    }

    @Nested
    class S512_AnswerWhenThereIsAnError {
        @Test
        void nxdomainIsPassedThroughWithoutAskingForA() {
            up.on("nx.example", Type.AAAA, msg(Rcode.NXDOMAIN, SOA)).on("nx.example", Type.A, msg(0, "nx.example. 60 IN A 192.0.2.9"));
            var a = aaaa(resolver(), "nx.example");
            assertThat(a.message().getRcode()).isEqualTo(Rcode.NXDOMAIN);
            assertThat(a.message().getSection(Section.ANSWER)).isEmpty();
            assertThat(a.message().getSection(Section.AUTHORITY)).hasSize(1);
            assertThat(up.calls("nx.example", Type.A)).isZero();
        }

        @ParameterizedTest(name = "rcode {0} for AAAA counts as an empty answer")
        @CsvSource({"2", "5", "4"}) // SERVFAIL, REFUSED, NOTIMP
        void otherErrorRcodesCountAsEmptyAndSynthesize(int rcode) {
            up.on("x.example", Type.AAAA, msg(rcode)).on("x.example", Type.A, msg(0, "x.example. 3600 IN A 192.0.2.10"));
            var a = aaaa(resolver(), "x.example");
            assertThat(a.message().getRcode()).isEqualTo(Rcode.NOERROR);
            // no SOA with an error answer: TTL = min(A TTL, 600) (§5.1.7)
            assertThat(Dns.answers(a.message())).containsExactly("x.example. 600 AAAA 64:ff9b::c000:20a");
        }

        @Test
        void errorForAaaaAndNoAKeepsTheNegativeAnswerOfA() {
            up.on("e.example", Type.AAAA, msg(Rcode.SERVFAIL)).on("e.example", Type.A, msg(0, SOA));
            var a = aaaa(resolver(), "e.example");
            assertThat(a.message().getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(a.message().getSection(Section.ANSWER)).isEmpty();
        }
    }

    @Nested
    class S513_DealingWithTimeouts {
        @Test
        void aaaaTimeoutCountsAsEmptyAndTheAQueryStillGetsTime() {
            up.on("t.example", Type.A, msg(0, "t.example. 3600 IN A 192.0.2.12")); // AAAA never answers
            // The AAAA query gets half the budget, so the answer is due after ~1 s of a 2 s budget: the other second is
            // room for a loaded machine's scheduling delays (a 600 ms budget left 300 ms, too little on 2 shared cores)
            long t0 = System.nanoTime();
            var a = resolver().resolve(n("t.example"), Type.AAAA, DClass.IN, false, false, budget(2000));
            assertThat(Dns.answers(a.message())).containsExactly("t.example. 600 AAAA 64:ff9b::c000:20c");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).as("answered within the budget").isLessThan(2000);
        }

        @Test
        void whenNothingAnswersTheClientGetsServfailWithinItsBudget() {
            long t0 = System.nanoTime();
            var a = resolver().resolve(n("dead.example"), Type.AAAA, DClass.IN, false, false, budget(400));
            assertThat(a.message().getRcode()).isEqualTo(Rcode.SERVFAIL);
            // not before the budget (400 ms), and not long after it: the upper bound leaves a loaded machine 1.6 s of
            // scheduling delay yet still fails a resolver that ignores the budget (each upstream wait would be its own)
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isBetween(300L, 2000L);
        }
    }

    @Nested
    class S514_ExclusionSet {
        @Test
        void allAaaaInTheExclusionSetAreTreatedAsEmptyAndSynthesized() {
            up.on("m.example", Type.AAAA, msg(0, "m.example. 3600 IN AAAA ::ffff:192.0.2.3"))
              .on("m.example", Type.A, msg(0, "m.example. 3600 IN A 192.0.2.3"));
            var a = aaaa(resolver(), "m.example");
            assertThat(Dns.answers(a.message())).containsExactly("m.example. 600 AAAA 64:ff9b::c000:203");
            assertThat(counters.get(Dns64Counter.EXCLUDED_AAAA_REMOVED)).isEqualTo(1);
        }

        @Test
        void mixedAnswersLoseOnlyTheExcludedRecords() {
            up.on("x.example", Type.AAAA, msg(0, "x.example. 3600 IN AAAA ::ffff:192.0.2.4", "x.example. 3600 IN AAAA 2001:db8::4"))
              .on("x.example", Type.A, msg(0, "x.example. 3600 IN A 192.0.2.4"));
            var a = aaaa(resolver(), "x.example");
            assertThat(Dns.answers(a.message())).containsExactly("x.example. 3600 AAAA 2001:db8::4");
            assertThat(up.calls("x.example", Type.A)).isZero();
        }

        @Test
        void excludedRecordsAreNotReturnedEvenWhenThereIsNoAToSynthesizeFrom() {
            up.on("x.example", Type.AAAA, msg(0, "x.example. 3600 IN AAAA ::ffff:192.0.2.4")).on("x.example", Type.A, msg(0, SOA));
            var a = aaaa(resolver(), "x.example");
            assertThat(a.message().getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(a.message().getSection(Section.ANSWER)).isEmpty();
        }

        @Test
        void aConfiguredExclusionListReplacesTheDefault() {
            up.on("x.example", Type.AAAA, msg(0, "x.example. 3600 IN AAAA 2001:db8:dead::1"))
              .on("x.example", Type.A, msg(0, "x.example. 3600 IN A 192.0.2.5"));
            var s = Dns.settings("64:ff9b::/96").withExclude(List.of(Prefix6.parse("2001:db8:dead::/48")));
            assertThat(Dns.answers(aaaa(resolver(s), "x.example").message())).containsExactly("x.example. 600 AAAA 64:ff9b::c000:205");
        }
    }

    @Nested
    class S515_CnameAndDname {
        @Test
        void theCnameChainIsKeptAndTheSyntheticRecordBelongsToTheAName() {
            up.on("c.example", Type.AAAA, msg(0, "c.example. 3600 IN CNAME d.example.", "d.example. 3600 IN CNAME e.other.", "AUTH other. 3600 IN SOA ns.other. h.other. 1 1 1 1 120"))
              .on("c.example", Type.A, msg(0, "c.example. 3600 IN CNAME d.example.", "d.example. 3600 IN CNAME e.other.", "e.other. 3600 IN A 192.0.2.7"));
            var a = aaaa(resolver(), "c.example");
            assertThat(Dns.answers(a.message())).containsExactly(
                    "c.example. 3600 CNAME d.example.", "d.example. 3600 CNAME e.other.", "e.other. 120 AAAA 64:ff9b::c000:207");
        }

        @Test
        void aChainTheUpstreamLeftUnfinishedIsFollowedToItsEnd() {
            // what an authoritative-only upstream answers for a CNAME into a zone it does not serve: the CNAME alone
            up.on("c.example", Type.AAAA, msg(0, "c.example. 300 IN CNAME t.other."))
              .on("t.other", Type.AAAA, msg(0, "AUTH other. 3600 IN SOA ns.other. h.other. 1 1 1 1 120"))
              .on("c.example", Type.A, msg(0, "c.example. 300 IN CNAME t.other."))
              .on("t.other", Type.A, msg(0, "t.other. 3600 IN A 192.0.2.9"));
            var a = aaaa(resolver(), "c.example");
            assertThat(Dns.answers(a.message())).containsExactly("c.example. 300 CNAME t.other.", "t.other. 120 AAAA 64:ff9b::c000:209");
        }

        @Test
        void aCnameLoopFromTheUpstreamEndsWithoutAnswer() {
            up.on("l1.example", Type.AAAA, msg(0, "l1.example. 60 IN CNAME l2.example.", "l2.example. 60 IN CNAME l1.example."))
              .on("l1.example", Type.A, msg(0, "l1.example. 60 IN CNAME l2.example.", "l2.example. 60 IN CNAME l1.example."));
            var a = aaaa(resolver(), "l1.example");
            assertThat(a.message().getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(Dns.answers(a.message())).containsExactly("l1.example. 60 CNAME l2.example.", "l2.example. 60 CNAME l1.example.");
            assertThat(up.calls).containsExactly("l1.example./AAAA", "l1.example./A"); // nothing else asked
        }

        @Test
        void aDnameAndItsSynthesizedCnameAreKept() {
            up.on("h.sub.example", Type.AAAA, msg(0, "sub.example. 3600 IN DNAME other.", "h.sub.example. 3600 IN CNAME h.other."))
              .on("h.sub.example", Type.A, msg(0, "sub.example. 3600 IN DNAME other.", "h.sub.example. 3600 IN CNAME h.other.", "h.other. 100 IN A 198.51.100.8"));
            var a = aaaa(resolver(), "h.sub.example");
            assertThat(Dns.answers(a.message())).containsExactly(
                    "sub.example. 3600 DNAME other.", "h.sub.example. 3600 CNAME h.other.", "h.other. 100 AAAA 64:ff9b::c633:6408");
        }
    }

    @Nested
    class S516_S517_Ttl {
        @ParameterizedTest(name = "A TTL {0}, SOA TTL {1}, SOA minimum {2} -> {3}")
        @CsvSource({"86400, 3600, 300, 300", "86400, 60, 300, 60", "5, 3600, 300, 5", "3600, 3600, 30, 30"})
        void theSyntheticTtlIsTheSmallerOfTheATtlAndTheSoaNegativeTtl(long aTtl, long soaTtl, long soaMin, long want) {
            up.on("x.example", Type.AAAA, msg(0, "AUTH example. " + soaTtl + " IN SOA ns.example. h.example. 1 1 1 1 " + soaMin))
              .on("x.example", Type.A, msg(0, "x.example. " + aTtl + " IN A 192.0.2.1"));
            assertThat(Dns.answers(aaaa(resolver(), "x.example").message())).containsExactly("x.example. " + want + " AAAA 64:ff9b::c000:201");
        }

        @Test
        void withoutAnSoaTheTtlIsAtMost600Seconds() {
            up.on("x.example", Type.AAAA, msg(0)).on("x.example", Type.A, msg(0, "x.example. 86400 IN A 192.0.2.1"));
            assertThat(Dns.answers(aaaa(resolver(), "x.example").message())).containsExactly("x.example. 600 AAAA 64:ff9b::c000:201");
        }
    }

    @Nested
    class S518_QueryingInParallel {
        @Test
        void parallelModeAsksAAndAaaaAtOnce() {
            // each upstream answer takes 800 ms: one after the other they take 1.6 s, at once ~0.8 s; the 700 ms between
            // is room for a loaded machine (300 ms delays left only 250 ms, too little on 2 shared cores)
            up.on("p.example", Type.AAAA, msg(0, SOA)).delay("p.example", Type.AAAA, 800)
              .on("p.example", Type.A, msg(0, "p.example. 60 IN A 192.0.2.1")).delay("p.example", Type.A, 800);
            long t0 = System.nanoTime();
            var a = resolver(Dns.settings("64:ff9b::/96").withParallelQueries(true))
                    .resolve(n("p.example"), Type.AAAA, DClass.IN, false, false, budget(3000));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(Dns.answers(a.message())).containsExactly("p.example. 60 AAAA 64:ff9b::c000:201");
            assertThat(ms).as("both queries overlapped").isLessThan(1500);
        }

        @Test
        void sequentialModeAsksAOnlyAfterAnEmptyAaaa() {
            up.on("p.example", Type.AAAA, msg(0, SOA)).delay("p.example", Type.AAAA, 200)
              .on("p.example", Type.A, msg(0, "p.example. 60 IN A 192.0.2.1")).delay("p.example", Type.A, 200);
            long t0 = System.nanoTime();
            aaaa(resolver(), "p.example");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isGreaterThanOrEqualTo(400);
        }
    }

    @Nested
    class S52_Prefixes {
        // RFC 6052 §2.4 table: 192.0.2.33 under each prefix length
        @ParameterizedTest(name = "{0} embeds 192.0.2.33 as {1}")
        @CsvSource({
                "2001:db8::/32, 2001:db8:c000:221::",
                "2001:db8:100::/40, 2001:db8:1c0:2:21::",
                "2001:db8:122::/48, 2001:db8:122:c000:2:2100:0:0",
                "2001:db8:122:300::/56, 2001:db8:122:3c0:0:221:0:0",
                "2001:db8:122:344::/64, 2001:db8:122:344:c0:2:2100:0",
                "2001:db8:122:344::/96, 2001:db8:122:344::c000:221"})
        void everyRfc6052PrefixLengthWithTheUOctet(String prefix, String want) {
            up.on("x.example", Type.AAAA, msg(0, SOA)).on("x.example", Type.A, msg(0, "x.example. 60 IN A 192.0.2.33"));
            var a = aaaa(resolver(Dns.settings(prefix)), "x.example");
            assertThat(a.message().getSection(Section.ANSWER)).hasSize(1);
            var got = ((org.xbill.DNS.AAAARecord) a.message().getSection(Section.ANSWER).get(0)).getAddress();
            assertThat(got).isEqualTo(Dns64Resolver.toInet(ferry.addr.Ipv6.parse(want)[0], ferry.addr.Ipv6.parse(want)[1]));
        }

        @Test
        void severalPrefixesForOneRangeGiveOneRecordEach() {
            up.on("x.example", Type.AAAA, msg(0, SOA)).on("x.example", Type.A, msg(0, "x.example. 60 IN A 192.0.2.1"));
            var a = aaaa(resolver(Dns.settings("64:ff9b::/96", "2001:db8:64::/96")), "x.example");
            assertThat(Dns.answers(a.message())).containsExactly("x.example. 60 AAAA 64:ff9b::c000:201", "x.example. 60 AAAA 2001:db8:64::c000:201");
        }

        @Test
        void thePrefixIsChosenByTheIpv4Range() {
            up.on("x.example", Type.AAAA, msg(0, SOA))
              .on("x.example", Type.A, msg(0, "x.example. 60 IN A 192.0.2.1", "x.example. 60 IN A 198.51.100.1"));
            var a = aaaa(resolver(Dns.settings("64:ff9b::/96=192.0.2.0/24", "2001:db8:64::/48=198.51.100.0/24")), "x.example");
            assertThat(Dns.answers(a.message())).containsExactly("x.example. 60 AAAA 64:ff9b::c000:201", "x.example. 60 AAAA 2001:db8:64:c633:64:100::");
        }

        @Test
        void nonGlobalIpv4IsNeverSynthesizedUnderTheWellKnownPrefix() {
            up.on("x.example", Type.AAAA, msg(0, SOA)).on("x.example", Type.A, msg(0, "x.example. 60 IN A 10.1.2.3", "x.example. 60 IN A 192.0.2.1"));
            var a = aaaa(resolver(), "x.example");
            assertThat(Dns.answers(a.message())).containsExactly("x.example. 60 AAAA 64:ff9b::c000:201");
            assertThat(counters.get(Dns64Counter.WKP_NON_GLOBAL_SKIPPED)).isEqualTo(1);
        }

        @Test
        void onlyNonGlobalIpv4UnderTheWellKnownPrefixGivesNoData() {
            up.on("x.example", Type.AAAA, msg(0, SOA)).on("x.example", Type.A, msg(0, "x.example. 60 IN A 192.168.1.1"));
            var a = aaaa(resolver(), "x.example");
            assertThat(a.message().getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(a.message().getSection(Section.ANSWER)).isEmpty();
            assertThat(a.synthesized()).isFalse();
        }

        @Test
        void wkpStrictOffAllowsNonGlobalUnderTheWellKnownPrefix() {
            up.on("x.example", Type.AAAA, msg(0, SOA)).on("x.example", Type.A, msg(0, "x.example. 60 IN A 10.1.2.3"));
            var a = aaaa(resolver(Dns.settings("64:ff9b::/96").withWkpStrict(false)), "x.example");
            assertThat(Dns.answers(a.message())).containsExactly("x.example. 60 AAAA 64:ff9b::a01:203");
        }

        @Test
        void theLocalUsePrefixAndNetworkSpecificPrefixesMayCarryNonGlobalIpv4() {
            up.on("x.example", Type.AAAA, msg(0, SOA)).on("x.example", Type.A, msg(0, "x.example. 60 IN A 10.1.2.3"));
            var a = aaaa(resolver(Dns.settings("64:ff9b:1::/48", "2001:db8:64::/96")), "x.example");
            assertThat(Dns.answers(a.message())).containsExactly("x.example. 60 AAAA 64:ff9b:1:a01:2:300::", "x.example. 60 AAAA 2001:db8:64::a01:203");
        }
    }

    @Nested
    class S531_Ptr {
        static final String REV_WKP_192_0_2_1 = "1.0.2.0.0.0.0.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.b.9.f.f.4.6.0.0.ip6.arpa.";

        @Test
        void aPtrUnderAPrefixGetsASynthesizedCnameIntoInAddrArpaAndIsResolvedOnward() {
            up.on("1.2.0.192.in-addr.arpa", Type.PTR, msg(0, "1.2.0.192.in-addr.arpa. 3600 IN PTR host.example."));
            var a = resolver().resolve(n(REV_WKP_192_0_2_1), Type.PTR, DClass.IN, false, false, budget(2000));
            assertThat(Dns.answers(a.message())).containsExactly(
                    REV_WKP_192_0_2_1 + " 600 CNAME 1.2.0.192.in-addr.arpa.", "1.2.0.192.in-addr.arpa. 3600 PTR host.example.");
            assertThat(up.calls(REV_WKP_192_0_2_1, Type.PTR)).isZero();
            assertThat(counters.get(Dns64Counter.PTR_SYNTHESIZED)).isEqualTo(1);
        }

        @Test
        void aPtrUnderA48PrefixIsMappedToo() {
            // 2001:db8:122:c000:2:2100:: embeds 192.0.2.33 under 2001:db8:122::/48
            String rev = "0.0.0.0.0.0.0.0.0.0.1.2.2.0.0.0.0.0.0.c.2.2.1.0.8.b.d.0.1.0.0.2.ip6.arpa.";
            up.on("33.2.0.192.in-addr.arpa", Type.PTR, msg(Rcode.NXDOMAIN, SOA));
            var a = resolver(Dns.settings("2001:db8:122::/48")).resolve(n(rev), Type.PTR, DClass.IN, false, false, budget(2000));
            assertThat(a.message().getRcode()).isEqualTo(Rcode.NXDOMAIN);
            assertThat(Dns.answers(a.message())).containsExactly(rev + " 600 CNAME 33.2.0.192.in-addr.arpa.");
        }

        @Test
        void aPtrOutsideEveryPrefixIsPassedThrough() {
            String rev = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.";
            up.on(rev, Type.PTR, msg(0, rev + " 3600 IN PTR v6.example."));
            var a = resolver().resolve(n(rev), Type.PTR, DClass.IN, false, false, budget(2000));
            assertThat(Dns.answers(a.message())).containsExactly(rev + " 3600 PTR v6.example.");
        }

        @Test
        void aPtrForANonGlobalAddressUnderTheWellKnownPrefixIsPassedThrough() {
            String rev = "3.0.2.0.1.0.a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.b.9.f.f.4.6.0.0.ip6.arpa."; // 64:ff9b::10.1.2.3
            up.on(rev, Type.PTR, msg(Rcode.NXDOMAIN, SOA));
            var a = resolver().resolve(n(rev), Type.PTR, DClass.IN, false, false, budget(2000));
            assertThat(a.message().getRcode()).isEqualTo(Rcode.NXDOMAIN);
            assertThat(up.calls(rev, Type.PTR)).isEqualTo(1);
        }
    }

    @Nested
    class S53_OtherRecordsAndAdditional {
        @Test
        void otherQueryTypesArePassedUnchanged() {
            up.on("x.example", Type.MX, msg(0, "x.example. 300 IN MX 10 mail.example.", "ADD mail.example. 300 IN A 192.0.2.25"));
            var a = resolver().resolve(n("x.example"), Type.MX, DClass.IN, false, false, budget(2000));
            assertThat(Dns.answers(a.message())).containsExactly("x.example. 300 MX 10 mail.example.");
            assertThat(Dns.lines(a.message().getSection(Section.ADDITIONAL))).containsExactly("mail.example. 300 A 192.0.2.25");
        }

        @Test
        void theAdditionalSectionOfTheAAnswerIsPassedUnchanged() {
            up.on("x.example", Type.AAAA, msg(0, SOA))
              .on("x.example", Type.A, msg(0, "x.example. 60 IN A 192.0.2.1", "AUTH example. 60 IN NS ns.example.", "ADD ns.example. 60 IN A 192.0.2.53"));
            var a = aaaa(resolver(), "x.example");
            assertThat(Dns.lines(a.message().getSection(Section.AUTHORITY))).containsExactly("example. 60 NS ns.example.");
            assertThat(Dns.lines(a.message().getSection(Section.ADDITIONAL))).containsExactly("ns.example. 60 A 192.0.2.53");
        }

        @Test
        void aaaaQueriesInAnotherClassAreNotSynthesized() {
            up.on("x.example", Type.AAAA, msg(0, SOA));
            var a = resolver().resolve(n("x.example"), Type.AAAA, DClass.CH, false, false, budget(500));
            assertThat(a.message().getSection(Section.ANSWER)).isEmpty();
            assertThat(up.calls("x.example", Type.A)).isZero();
        }
    }

    @Nested
    class S55_Dnssec {
        @Test
        void doAndCdSetMeansNoSynthesis() {
            up.on("x.example", Type.AAAA, msg(0, SOA)).on("x.example", Type.A, msg(0, "x.example. 60 IN A 192.0.2.1"));
            var a = resolver().resolve(n("x.example"), Type.AAAA, DClass.IN, true, true, budget(2000));
            assertThat(a.message().getSection(Section.ANSWER)).isEmpty();
            assertThat(up.calls("x.example", Type.A)).isZero();
            assertThat(counters.get(Dns64Counter.DNSSEC_NO_SYNTHESIS)).isEqualTo(1);
        }

        @Test
        void doWithoutCdSynthesizesWithoutAdAndDropsTheSignatureOfTheARrset() {
            Message aAnswer = msg(0, "x.example. 60 IN A 192.0.2.1",
                    "x.example. 60 IN RRSIG A 13 2 60 20300101000000 20200101000000 12345 example. AAAA");
            aAnswer.getHeader().setFlag(Flags.AD);
            up.on("x.example", Type.AAAA, msg(0, SOA)).on("x.example", Type.A, aAnswer);
            var a = resolver().resolve(n("x.example"), Type.AAAA, DClass.IN, true, false, budget(2000));
            assertThat(Dns.answers(a.message())).containsExactly("x.example. 60 AAAA 64:ff9b::c000:201");
            assertThat(a.synthesized()).isTrue();
            assertThat(a.message().getHeader().getFlag(Flags.AD)).isFalse();
            assertThat(up.dnssecOkSeen).contains(true);
        }
    }

    @Nested
    class Rfc8880_Ipv4onlyArpa {
        @Test
        void theARecordsAreAnsweredLocally() {
            var a = resolver().resolve(n("ipv4only.arpa"), Type.A, DClass.IN, false, false, budget(500));
            assertThat(Dns.answers(a.message())).containsExactly("ipv4only.arpa. 86400 A 192.0.0.170", "ipv4only.arpa. 86400 A 192.0.0.171");
            assertThat(up.calls).isEmpty();
        }

        @Test
        void theAaaaRecordsAreSynthesizedWithEveryPrefix() {
            var a = aaaa(resolver(Dns.settings("64:ff9b::/96", "2001:db8:122::/48")), "ipv4only.arpa");
            assertThat(Dns.answers(a.message())).containsExactly(
                    "ipv4only.arpa. 3600 AAAA 64:ff9b::c000:aa", "ipv4only.arpa. 3600 AAAA 2001:db8:122:c000:0:aa00::",
                    "ipv4only.arpa. 3600 AAAA 64:ff9b::c000:ab", "ipv4only.arpa. 3600 AAAA 2001:db8:122:c000:0:ab00::");
            assertThat(up.calls).isEmpty();
        }

        @Test
        void theReverseNamesOfBothAddressesAreAnsweredLocally() {
            for (String r : new String[] {"170.0.0.192.in-addr.arpa", "171.0.0.192.in-addr.arpa"}) {
                var a = resolver().resolve(n(r), Type.PTR, DClass.IN, false, false, budget(500));
                assertThat(Dns.answers(a.message())).containsExactly(r + ". 86400 PTR ipv4only.arpa.");
            }
            String rev = "a.a.0.0.0.0.0.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.b.9.f.f.4.6.0.0.ip6.arpa.";
            var a = resolver().resolve(n(rev), Type.PTR, DClass.IN, false, false, budget(500));
            assertThat(Dns.answers(a.message())).containsExactly(rev + " 600 CNAME 170.0.0.192.in-addr.arpa.",
                    "170.0.0.192.in-addr.arpa. 86400 PTR ipv4only.arpa.");
            assertThat(up.calls).isEmpty();
        }

        @Test
        void otherTypesAreNoDataAndOtherNamesNxdomain() {
            var mx = resolver().resolve(n("ipv4only.arpa"), Type.MX, DClass.IN, false, false, budget(500));
            assertThat(mx.message().getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(mx.message().getSection(Section.ANSWER)).isEmpty();
            assertThat(mx.message().getSection(Section.AUTHORITY)).hasSize(1);
            var nx = resolver().resolve(n("x.ipv4only.arpa"), Type.A, DClass.IN, false, false, budget(500));
            assertThat(nx.message().getRcode()).isEqualTo(Rcode.NXDOMAIN);
            assertThat(up.calls).isEmpty();
        }
    }
}
