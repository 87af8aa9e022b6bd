package ferry.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ferry.config.Config;
import ferry.config.ConfigError;
import ferry.config.ConfigException;
import ferry.config.ConfigParser;
import ferry.config.Mode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The running configuration of {@code ferry run} and the one path that changes it: SIGHUP, {@code ferry file
 * handle} and every CLI edit parse and validate a whole new document with {@link ConfigParser}, build new
 * {@link RunTranslators} from it (which may still refuse it), and only then publish them with one volatile write.
 * Anything wrong leaves the running configuration untouched. Serialized by this object's lock.
 *
 * <p>The document edited by the CLI is the JSON text last applied (the file at start and after SIGHUP, the handled
 * file after {@code file handle}); CLI edits are not written back to the file, so a SIGHUP returns to the file's
 * contents.
 */
final class LiveConfig {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final Mode modeOverride;
    private final boolean force;
    private final AtomicReference<RunTranslators> current;
    private final Consumer<String> log;
    private String text;
    private volatile java.util.function.BiConsumer<RunTranslators, RunTranslators> onApplied = (a, b) -> { };

    LiveConfig(Path file, Mode modeOverride, boolean force, AtomicReference<RunTranslators> current, String text,
               Consumer<String> log) {
        this.file = file;
        this.modeOverride = modeOverride;
        this.force = force;
        this.current = current;
        this.text = text;
        this.log = log;
    }

    /** Called (under this object's lock) with the old and the new configuration after each swap. */
    void onApplied(java.util.function.BiConsumer<RunTranslators, RunTranslators> listener) {
        this.onApplied = listener;
    }

    Path file() {
        return file;
    }

    RunTranslators current() {
        return current.get();
    }

    /** The outcome of an attempt: the errors (nothing applied) or the notes about what was applied. */
    record Outcome(boolean applied, List<String> errors, List<String> notes) {
    }

    /** SIGHUP: re-read the file and apply it. */
    synchronized Outcome reloadFile() {
        String t;
        try {
            t = Files.readString(file);
        } catch (IOException e) {
            return new Outcome(false, List.of(file + ": cannot read: " + e.getMessage()), List.of());
        }
        return apply(t, file.toString(), true);
    }

    /**
     * Parses {@code newText} (named {@code source} in error messages), validates it completely and swaps it in.
     *
     * @param withLocations format errors as {@code source:line:column: path: message} (a file), else
     *                      {@code path: message} (an edit made by the CLI, whose JSON the operator never saw)
     */
    synchronized Outcome apply(String newText, String source, boolean withLocations) {
        Config cfg;
        try {
            cfg = ConfigParser.parse(newText, source, force, modeOverride);
        } catch (ConfigException e) {
            List<String> errs = new ArrayList<>();
            for (ConfigError ce : e.errors()) {
                errs.add(withLocations ? ce.format(e.source())
                        : (ce.path().isEmpty() ? "" : ce.path() + ": ") + ce.message());
            }
            return new Outcome(false, errs, List.of());
        }
        RunTranslators old = current.get();
        if (!cfg.instance().equals(old.config().instance())) {
            return new Outcome(false, List.of("instance: \"" + cfg.instance() + "\" is not the running instance \""
                    + old.config().instance() + "\" (its control socket is named after it; give another instance its"
                    + " own file: ferry run --config A.json --config B.json)"), List.of());
        }
        if (cfg.ferry().mode() != old.config().ferry().mode()) {
            return new Outcome(false, List.of("ferry.mode: \"" + cfg.ferry().mode().jsonName()
                    + "\" differs from the running mode \"" + old.config().ferry().mode().jsonName()
                    + "\"; the mode is read only at start (restart ferry to change it)"), List.of());
        }
        if (cfg.ferry().metrics() != null) {
            try {
                ferry.metrics.MetricsEndpoint.loopback(cfg.ferry().metrics());
            } catch (IllegalArgumentException e) {
                return new Outcome(false, List.of(source + ": ferry." + e.getMessage()), List.of());
            }
        }
        List<String> notes = new ArrayList<>();
        if (cfg.ferry().mode() == Mode.CLAT && !java.util.Objects.equals(cfg.clat(), old.config().clat())) {
            // discovery, the source mapping's routes and proxy NDP were set up from the old section
            notes.add("the \"clat\" section changed; it is read only at start (restart ferry to apply it)");
            cfg = new Config(cfg.instance(), cfg.framework(), cfg.global(), cfg.eamt(), cfg.denylist4(), cfg.ferry(),
                    cfg.dns64(), cfg.tun(), cfg.nat64(), old.config().clat());
        }
        if (!java.util.Objects.equals(cfg.ferry().metrics(), old.config().ferry().metrics()))
            notes.add("ferry.metrics changed; the metrics endpoint is set up only at start (restart ferry to apply it)");
        RunTranslators next;
        try {
            // keeps the NAT64 tables when their part is unchanged, and the CLAT's discovered PLAT prefix
            next = new RunTranslators(cfg, old.counters(), old);
        } catch (IllegalArgumentException e) {
            return new Outcome(false, List.of(source + ": " + e.getMessage()), List.of());
        }
        if (!cfg.tun().equals(old.config().tun()))
            notes.add("the \"tun\" section changed; it is read only at start (restart ferry to apply it)");
        if (old.nat64() != null) {
            if (next.nat64() == old.nat64()) {
                notes.add("NAT64 tables kept: BIB and sessions carry over");
            } else {
                int n = 0;
                for (int p : new int[] {6, 17, 1}) n += old.nat64().sessionCount(p);
                notes.add("pool4, bib or NAT64 globals changed: NAT64 tables rebuilt, " + n
                        + " session(s) of the old tables ended");
            }
        }
        current.set(next);
        text = newText;
        onApplied.accept(old, next);
        log.accept("level=info event=config_applied source=\"" + source + "\"" + (notes.isEmpty() ? ""
                : " notes=\"" + String.join("; ", notes) + "\""));
        return new Outcome(true, List.of(), notes);
    }

    /** Applies an edit of the running document (a JSON tree the edit may change in place). */
    synchronized Outcome edit(String what, UnaryOperator<ObjectNode> change) {
        ObjectNode doc;
        try {
            JsonNode n = JSON.readTree(text);
            if (!(n instanceof ObjectNode o)) return new Outcome(false, List.of("running document is not an object"), List.of());
            doc = o;
        } catch (IOException e) {
            return new Outcome(false, List.of("cannot re-read the running document: " + e.getMessage()), List.of());
        }
        ObjectNode changed;
        try {
            changed = change.apply(doc);
        } catch (IllegalArgumentException e) {
            return new Outcome(false, List.of(e.getMessage()), List.of());
        }
        try {
            return apply(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(changed), what, false);
        } catch (IOException e) {
            return new Outcome(false, List.of("cannot write the edited document: " + e.getMessage()), List.of());
        }
    }

    synchronized String text() {
        return text;
    }
}
