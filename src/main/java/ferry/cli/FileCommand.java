package ferry.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ferry file handle FILE.json}: replace the whole running configuration atomically. */
@Command(name = "file", description = "Atomic configuration (Jool's file format).")
public final class FileCommand {
    @Spec
    CommandSpec spec;

    @Command(name = "handle", description = {"Validate the whole file, then swap it in at once.",
            "An invalid file changes nothing: every error is printed with its line and column (exit 2)."})
    int handle(@Parameters(paramLabel = "FILE.json") Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            System.err.println("ferry file handle: " + file + ": cannot read: " + e.getMessage());
            return 2;
        }
        return Daemon.call(spec, null, "file", "handle", List.of(file.toAbsolutePath().toString(), text));
    }
}
