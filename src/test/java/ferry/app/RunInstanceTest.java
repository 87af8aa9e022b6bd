package ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.config.Config;
import ferry.config.ConfigParser;
import ferry.metrics.Counters;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * What one instance of a multi-instance {@code ferry run} keeps to itself across reconfigurations: its NAT64 tables
 * (carried from its own previous configuration, never from another instance's), its CLAT's PLAT prefix, and its
 * start-only "clat" section.
 */
class RunInstanceTest {
    static String nat64(String name, String plateaus, String pool4) {
        return """
                { "instance": "%s", "ferry": { "mode": "nat64", "max-sessions": 64 },
                  "global": { "pool6": "64:ff9b::/96", "mtu-plateaus": [%s] },
                  "pool4": [ { "protocol": "ICMP", "prefix": "%s" } ] }
                """.formatted(name, plateaus, pool4);
    }

    static final String CLAT = """
            { "instance": "clat", "ferry": { "mode": "clat" },
              "clat": { "ipv6-address": "2001:db8:1::c1a7", "plat-prefix": "%s" } }
            """;

    static RunTranslators translators(String json, RunTranslators previous) throws Exception {
        return new RunTranslators(ConfigParser.parse(json, "t"), new Counters[] {new Counters()}, previous);
    }

    @Test
    void eachInstanceCarriesItsOwnNat64TablesAcrossAReloadAndNeverTakesAnotherInstancesTables() throws Exception {
        RunTranslators a1 = translators(nat64("a", "1500,1280", "203.0.113.1/32"), null);
        RunTranslators b1 = translators(nat64("b", "1500,1280", "203.0.113.1/32"), null);
        assertThat(b1.nat64()).as("same NAT64 part, other instance: its own tables").isNotSameAs(a1.nat64());

        RunTranslators a2 = translators(nat64("a", "1400,1280", "203.0.113.1/32"), a1);
        assertThat(a2.nat64()).as("only a non-NAT64 setting changed: tables kept").isSameAs(a1.nat64());
        RunTranslators b2 = translators(nat64("b", "1500,1280", "203.0.113.1/32"), b1);
        assertThat(b2.nat64()).isSameAs(b1.nat64()).isNotSameAs(a2.nat64());

        RunTranslators a3 = translators(nat64("a", "1400,1280", "203.0.113.2/32"), a2);
        assertThat(a3.nat64()).as("pool4 changed: new tables").isNotSameAs(a2.nat64());
        assertThat(translators(nat64("b", "1500,1280", "203.0.113.1/32"), b2).nat64())
                .as("b's reload after a's rebuild still finds b's tables").isSameAs(b1.nat64());
    }

    @Test
    void aClatInstanceKeepsItsPlatPrefixHolderAcrossReloads() throws Exception {
        RunTranslators c1 = translators(CLAT.formatted("2001:db8:64::/96"), null);
        assertThat(c1.platHolder()).isNotNull();
        assertThat(c1.platHolder().get().prefix().toString()).isEqualTo("2001:db8:64::/96");
        RunTranslators c2 = translators(CLAT.formatted("2001:db8:64::/96"), c1);
        assertThat(c2.platHolder()).as("discovery keeps updating the holder the workers read").isSameAs(c1.platHolder());
        assertThat(translators(RunTranslatorsTest.CONFIG, null).platHolder()).as("siit").isNull();
    }

    @Test
    void aReloadThatChangesTheClatSectionKeepsTheRunningSectionAndSaysSo() throws Exception {
        Config first = ConfigParser.parse(CLAT.formatted("2001:db8:64::/96"), "t");
        AtomicReference<RunTranslators> current = new AtomicReference<>(
                new RunTranslators(first, new Counters[] {new Counters()}, null));
        List<String> log = new ArrayList<>();
        LiveConfig live = new LiveConfig(Path.of("clat.json"), null, false, current, CLAT, log::add);
        LiveConfig.Outcome o = live.apply(CLAT.formatted("64:ff9b::/96").replace("\"mode\": \"clat\"",
                "\"mode\": \"clat\", \"ipv4-mtu\": 1400"), "clat.json", true);
        assertThat(o.applied()).as(o.errors().toString()).isTrue();
        assertThat(o.notes()).anyMatch(n -> n.contains("\"clat\" section changed"));
        assertThat(live.current().config().clat()).isEqualTo(first.clat());
        assertThat(live.current().config().ferry().ipv4Mtu()).as("the rest applied").isEqualTo(1400);
    }

    @Test
    void aReloadWithABadMetricsKeyChangesNothing() throws Exception {
        Config first = ConfigParser.parse(RunTranslatorsTest.CONFIG, "t");
        AtomicReference<RunTranslators> current = new AtomicReference<>(
                new RunTranslators(first, new Counters[] {new Counters()}, null));
        LiveConfig live = new LiveConfig(Path.of("siit.json"), null, false, current, RunTranslatorsTest.CONFIG, l -> { });
        LiveConfig.Outcome o = live.apply("{ \"ferry\": { \"metrics\": \"192.0.2.1:9464\" } }", "siit.json", true);
        assertThat(o.applied()).isFalse();
        assertThat(o.errors()).singleElement().asString().contains("ferry.metrics: \"192.0.2.1:9464\"");
        assertThat(live.current().config()).isSameAs(first);
    }
}
