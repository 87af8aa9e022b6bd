package ferry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * DESIGN.md: the CLI speaks only the control protocol. Every reference from ferry.cli (and ferry.control) to another
 * ferry package, by import or fully qualified name, must be to control, config or addr.
 */
class CliImportsTest {
    static final Pattern FERRY_REF = Pattern.compile("\\bferry\\.([a-z0-9]+)\\.");
    static final Pattern STRING = Pattern.compile("\"(\\\\.|[^\"\\\\])*\"");

    static List<String> violations(String pkg, List<String> allowed) throws Exception {
        List<String> bad = new ArrayList<>();
        Path dir = Path.of("src/main/java/ferry", pkg);
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    String line = lines.get(i);
                    if (line.startsWith("package ")) continue;
                    // a class named in a string (the daemon's main class, for a child process) is not a link
                    Matcher m = FERRY_REF.matcher(STRING.matcher(line).replaceAll("\"\""));
                    while (m.find()) {
                        if (!allowed.contains(m.group(1))) bad.add(f.getFileName() + ":" + (i + 1) + ": " + line.strip());
                    }
                }
            }
        }
        return bad;
    }

    @Test
    void theCliLinksOnlyControlConfigAndAddr() throws Exception {
        assertThat(Files.list(Path.of("src/main/java/ferry/cli")).count()).isGreaterThan(5);
        assertThat(violations("cli", List.of("cli", "control", "config", "addr"))).isEmpty();
    }

    @Test
    void theControlProtocolLinksOnlyConfigAndAddr() throws Exception {
        assertThat(violations("control", List.of("control", "config", "addr"))).isEmpty();
    }

    @Test
    void theScannerSeesAForbiddenReference() throws Exception {
        Matcher m = FERRY_REF.matcher("import ferry.translate.Translator;");
        assertThat(m.find()).isTrue();
        assertThat(m.group(1)).isEqualTo("translate");
        assertThat(FERRY_REF.matcher(STRING.matcher("c.add(\"ferry.app.Main\");").replaceAll("\"\"")).find()).isFalse();
        assertThat(FERRY_REF.matcher(STRING.matcher("x(\"a\", ferry.translate.Verdict.EMIT)").replaceAll("\"\"")).find())
                .isTrue(); // code next to a string still counts
    }
}
