package ferry.config;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Bad input never crashes the parser: any text gives a Config or a ConfigException with positioned errors. */
class ConfigParserPropertyTest {

    @Property(tries = 2000)
    void mutatedJoolFilesGiveAConfigOrErrorsButNeverCrash(@ForAll("mutations") String text) {
        try {
            Config c = ConfigParser.parse(text, "fuzz.json");
            assertThat(c.global()).isNotNull();
        } catch (ConfigException e) {
            assertThat(e.errors()).isNotEmpty();
            for (ConfigError err : e.errors()) {
                assertThat(err.message()).isNotBlank();
                assertThat(err.line()).isNotNegative();
            }
        }
    }

    @Property(tries = 500)
    void arbitraryTextNeverCrashes(@ForAll String text) {
        try {
            ConfigParser.parse(text, "fuzz.json");
        } catch (ConfigException e) {
            assertThat(e.errors()).isNotEmpty();
        }
    }

    @Provide
    Arbitrary<String> mutations() {
        String base = ConfigParserTest.JOOL_SIIT;
        Arbitrary<Integer> pos = Arbitraries.integers().between(0, base.length() - 1);
        Arbitrary<String> piece = Arbitraries.of("", "\"", "{", "}", "[", "]", ",", ":", "null", "true", "0", "-1",
                "1e999", "99999999999999999999", "\"x\"", "\"2001:db8::/33\"", "\"::/0\"", "\"0.0.0.0/0\"", "[[[[",
                "{\"a\":", "\\u0000", "\u00e9");
        return net.jqwik.api.Combinators.combine(pos, pos, piece, pos, piece).as((a, b, p1, c, p2) -> {
            int lo = Math.min(a, b), hi = Math.min(Math.max(a, b), lo + 20);
            String s = base.substring(0, lo) + p1 + base.substring(hi);
            int at = Math.min(c, s.length());
            return s.substring(0, at) + p2 + s.substring(at);
        });
    }
}
