package ferry.cli;

import ferry.control.ControlClient;
import ferry.control.ControlException;
import ferry.control.ControlPaths;
import ferry.control.Request;
import ferry.control.Response;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Sends one request to the daemon named by the root command's {@code -i INSTANCE} / {@code --socket PATH} and prints
 * the reply: a table (or CSV) on stdout, messages and errors on stderr. Exit codes: 0 done, 2 refused (each error on
 * its own line; nothing was applied), no daemon, permission denied.
 */
final class Daemon {
    static final long TIMEOUT_MILLIS = 10_000;

    private Daemon() {
    }

    static Path socket(CommandSpec spec) {
        CommandSpec root = spec.root();
        OptionSpec s = root.findOption("--socket");
        if (s != null && s.getValue() != null) return s.getValue();
        OptionSpec i = root.findOption("-i");
        String instance = i != null && i.getValue() != null ? i.getValue() : "default";
        return ControlPaths.socket(instance);
    }

    /** Runs the request and adds the reply's rows to {@code rows}; errors are printed. Returns the exit code. */
    static int fetch(CommandSpec spec, String noun, String verb, List<String> args, List<List<String>> rows) {
        Response r;
        try {
            r = new ControlClient(socket(spec), TIMEOUT_MILLIS).send(new Request(ferry.control.ControlCodec.VERSION,
                    noun, verb, args));
        } catch (ControlException e) {
            System.err.println("ferry " + noun + " " + verb + ": " + e.getMessage());
            if (!e.hint().isEmpty()) System.err.println("hint: " + e.hint());
            return 2;
        } catch (IllegalArgumentException e) {
            System.err.println("ferry: " + e.getMessage());
            return 2;
        }
        if (!r.ok()) {
            for (String e : r.errors()) System.err.println("ferry " + noun + " " + verb + ": " + e);
            return 2;
        }
        rows.addAll(r.rows());
        return 0;
    }

    /** Runs the request; prints the reply; returns the exit code. */
    static int call(CommandSpec spec, Output o, String noun, String verb, List<String> args) {
        return call(spec, o, noun, verb, args, -1);
    }

    /** Like {@link #call(CommandSpec, Output, String, String, List)}, printing only the first {@code columns} (-1: all). */
    static int call(CommandSpec spec, Output o, String noun, String verb, List<String> args, int columns) {
        PrintStream out = System.out, err = System.err;
        Path sock;
        try {
            sock = socket(spec);
        } catch (IllegalArgumentException e) {
            err.println("ferry: " + e.getMessage());
            return 2;
        }
        Response r;
        try {
            r = new ControlClient(sock, TIMEOUT_MILLIS).send(new Request(ferry.control.ControlCodec.VERSION, noun, verb,
                    args));
        } catch (ControlException e) {
            err.println("ferry " + noun + " " + verb + ": " + e.getMessage());
            if (!e.hint().isEmpty()) err.println("hint: " + e.hint());
            return 2;
        }
        if (!r.ok()) {
            String op = noun + " " + verb;
            for (String e : r.errors()) err.println("ferry " + (e.startsWith(op + ": ") ? e : op + ": " + e));
            return 2;
        }
        for (String m : r.messages()) err.println(m);
        if (!r.headers().isEmpty()) {
            boolean csv = o != null && o.csv, noHeaders = o != null && o.noHeaders;
            List<String> h = r.headers();
            List<List<String>> rows = r.rows();
            if (columns >= 0 && columns < h.size()) {
                h = h.subList(0, columns);
                rows = rows.stream().map(x -> x.subList(0, columns)).toList();
            }
            Output.print(out, h, rows, csv, noHeaders);
        }
        out.flush();
        return 0;
    }
}
