package ferry.clat;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Rfc6052;
import ferry.metrics.Counter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Precedence (configured > PREF64 > RFC 7050 > 64:ff9b::/96), lifetimes, and the logged, atomic change. */
class PlatPrefixSelectorTest {
    static final Rfc6052 RA = Rfc6052.parse("2001:db8:64::/96");
    static final Rfc6052 RA2 = Rfc6052.parse("2001:db8:65::/64");
    static final Rfc6052 DNS = Rfc6052.parse("2001:db8:dd::/48");
    static final Rfc6052 CONF = Rfc6052.parse("2001:db8:cc::/96");

    private final List<String> log = new ArrayList<>();
    private final PlatPrefixHolder holder = PlatPrefixSelector.initialHolder(null);

    private PlatPrefixSelector selector(Rfc6052 configured) {
        return new PlatPrefixSelector(configured, holder, log::add);
    }

    @Test
    void withNothingLearnedTheWellKnownPrefixIsUsed() {
        PlatPrefixSelector s = selector(null);
        assertThat(holder.get()).isEqualTo(PlatPrefix.FALLBACK);
        assertThat(holder.get().prefix().isWellKnown()).isTrue();
        assertThat(s.nextExpiry()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aConfiguredPrefixWinsOverEverythingLearned() {
        PlatPrefixSelector s = selector(CONF);
        s.onPref64(new Pref64Option(RA, 1800), 0);
        s.onRfc7050(List.of(DNS), 600, 0);
        assertThat(holder.get()).isEqualTo(new PlatPrefix(CONF, PlatSource.CONFIGURED, Long.MAX_VALUE));
        assertThat(s.counters()).isEmpty();
    }

    @Test
    void pref64BeatsRfc7050WhichBeatsTheFallback() {
        PlatPrefixSelector s = selector(null);
        s.onRfc7050(List.of(DNS), 600, 1000);
        assertThat(holder.get()).isEqualTo(new PlatPrefix(DNS, PlatSource.RFC7050_DNS, 601_000));
        s.onPref64(new Pref64Option(RA, 1800), 2000);
        assertThat(holder.get()).isEqualTo(new PlatPrefix(RA, PlatSource.PREF64_RA, 1_802_000));
        // the RA prefix is withdrawn (lifetime 0): back to the DNS-learned one
        s.onPref64(new Pref64Option(RA, 0), 3000);
        assertThat(holder.get().prefix()).isEqualTo(DNS);
        assertThat(s.counters()).containsEntry(Counter.CLAT_PREFIX_CHANGED, 3L);
        assertThat(log).hasSize(4);
        assertThat(log.get(3)).contains("2001:db8:64::/96 (pref64-ra) -> 2001:db8:dd::/48 (rfc7050-dns)")
                .contains("lifetime 0");
    }

    @Test
    void aPref64LifetimeRunsOutAtExactlyItsEnd() {
        PlatPrefixSelector s = selector(null);
        s.onPref64(new Pref64Option(RA, 8), 10_000);
        assertThat(s.nextExpiry()).isEqualTo(18_000);
        s.tick(17_999);
        assertThat(holder.get().prefix()).isEqualTo(RA);
        s.tick(18_000);
        assertThat(holder.get()).isEqualTo(PlatPrefix.FALLBACK);
        assertThat(log.getLast()).contains("lifetime ran out");
    }

    @Test
    void aRefreshedPref64ExtendsTheLifetimeWithoutLoggingAChange() {
        PlatPrefixSelector s = selector(null);
        s.onPref64(new Pref64Option(RA, 800), 0);
        int lines = log.size();
        s.onPref64(new Pref64Option(RA, 800), 500_000);
        assertThat(holder.get().expiresAtMillis()).isEqualTo(1_300_000);
        assertThat(log).hasSize(lines);
        assertThat(s.counters()).containsEntry(Counter.CLAT_PREFIX_CHANGED, 1L);
    }

    @Test
    void theMostRecentlyAnnouncedPref64WinsAndTheOtherTakesOverWhenItIsWithdrawn() {
        PlatPrefixSelector s = selector(null);
        s.onPref64(new Pref64Option(RA, 1800), 0);
        s.onPref64(new Pref64Option(RA2, 1800), 1);
        assertThat(holder.get().prefix()).isEqualTo(RA2);
        s.onPref64(new Pref64Option(RA2, 0), 2);
        assertThat(holder.get().prefix()).isEqualTo(RA);
        assertThat(s.known()).extracting(PlatPrefix::source)
                .containsExactly(PlatSource.PREF64_RA, PlatSource.FALLBACK);
    }

    @Test
    void anRfc7050AnswerWithoutWellKnownAddressIsIgnoredAndTheLearnedPrefixKeepsItsTtl() {
        PlatPrefixSelector s = selector(null);
        s.onRfc7050(List.of(), 600, 0);
        assertThat(holder.get()).isEqualTo(PlatPrefix.FALLBACK);
        s.onRfc7050(List.of(DNS), 600, 0);
        s.onRfc7050(List.of(), 600, 1000);
        assertThat(holder.get()).isEqualTo(new PlatPrefix(DNS, PlatSource.RFC7050_DNS, 600_000));
        s.onRfc7050(List.of(), 600, 600_000);
        assertThat(holder.get()).isEqualTo(PlatPrefix.FALLBACK);
    }

    @Test
    void anRfc7050PrefixExpiresWithItsTtlAndANewAnswerReplacesIt() {
        PlatPrefixSelector s = selector(null);
        s.onRfc7050(List.of(DNS), 60, 0);
        Rfc6052 other = Rfc6052.parse("2001:db8:ee::/96");
        s.onRfc7050(List.of(other, DNS), 60, 30_000);
        assertThat(holder.get()).isEqualTo(new PlatPrefix(other, PlatSource.RFC7050_DNS, 90_000));
        s.tick(90_000);
        assertThat(holder.get()).isEqualTo(PlatPrefix.FALLBACK);
    }

    @Test
    void aReaderSeesEitherTheOldOrTheNewPrefixNeverAMix() throws Exception {
        PlatPrefixSelector s = selector(null);
        Thread reader = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < 2_000_000; i++) {
                PlatPrefix p = holder.get();
                boolean ok = (p.source() == PlatSource.FALLBACK && p.prefix().isWellKnown())
                        || (p.source() == PlatSource.PREF64_RA && p.prefix().equals(RA));
                if (!ok) throw new AssertionError(p.toString());
            }
        });
        for (int i = 0; i < 20_000; i++) s.onPref64(new Pref64Option(RA, i % 2 == 0 ? 1800 : 0), i);
        reader.join();
        assertThat(s.counters().get(Counter.CLAT_PREFIX_CHANGED)).isEqualTo(20_000L);
    }
}
