package ferry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The package rules of the design notes (README "Package rules"): which of ferry's packages each package may import,
 * checked on the sources under src/main/java, so an arrow that points the wrong way fails the build instead of
 * living on.
 */
class PackageRulesTest {
    /** Package -> the ferry packages it may import (besides itself). A package missing here fails the test. */
    private static final Map<String, Set<String>> MAY_IMPORT = Map.ofEntries(
            Map.entry("addr", Set.of()),
            Map.entry("packet", Set.of()),
            Map.entry("metrics", Set.of()),
            Map.entry("sys", Set.of()),
            Map.entry("translate", Set.of("packet", "addr", "metrics")),
            Map.entry("siit", Set.of("addr", "translate", "metrics")),
            Map.entry("nat64", Set.of("addr", "packet", "translate", "metrics")),
            Map.entry("clat", Set.of("addr", "translate", "siit", "metrics", "sys")),
            Map.entry("dns64", Set.of("addr", "config", "metrics", "sys")),
            Map.entry("io", Set.of("metrics", "sys")),
            Map.entry("config", Set.of("addr")),
            Map.entry("control", Set.of("config", "addr")),
            Map.entry("cli", Set.of("control", "config", "addr")),
            Map.entry("lab", Set.of("addr", "io", "metrics")),
            Map.entry("app", Set.of("*")));

    private static final Pattern IMPORT = Pattern.compile("^import\\s+(?:static\\s+)?ferry\\.([a-z0-9]+)\\.", Pattern.MULTILINE);

    @Test
    void everyPackageImportsOnlyWhatTheDesignAllows() throws IOException {
        Path root = Path.of("src/main/java/ferry");
        assertThat(root).isDirectory();
        List<String> wrong = new ArrayList<>();
        Set<String> seen = new TreeSet<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Path rel = root.relativize(f);
                if (rel.getNameCount() < 2) continue; // a class directly in ferry (none today)
                String pkg = rel.getName(0).toString();
                seen.add(pkg);
                Set<String> allowed = MAY_IMPORT.get(pkg);
                if (allowed == null) {
                    wrong.add(rel + ": package '" + pkg + "' has no rule (add it to MAY_IMPORT and the README)");
                    continue;
                }
                Matcher m = IMPORT.matcher(Files.readString(f));
                while (m.find()) {
                    String to = m.group(1);
                    if (!to.equals(pkg) && !allowed.contains("*") && !allowed.contains(to)) {
                        wrong.add(rel + " imports ferry." + to + " (" + pkg + " may import " + allowed + ")");
                    }
                }
            }
        }
        assertThat(seen).as("the packages found").contains("addr", "packet", "translate", "nat64", "dns64", "io", "app");
        assertThat(wrong).as("imports against the package rules").isEmpty();
    }

    @Test
    void theRuleCatchesAnImportThatPointsTheWrongWay() {
        // the check itself: the pattern finds plain and static imports of a ferry package
        Matcher m = IMPORT.matcher("package ferry.packet;\nimport ferry.nat64.SessionTable;\nimport static ferry.sys.Libc.errno;\n");
        List<String> found = new ArrayList<>();
        while (m.find()) found.add(m.group(1));
        assertThat(found).containsExactly("nat64", "sys");
        assertThat(MAY_IMPORT.get("packet")).doesNotContain("nat64");
    }
}
