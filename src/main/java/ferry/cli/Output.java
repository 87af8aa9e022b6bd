package ferry.cli;

import java.io.PrintStream;
import java.util.List;
import picocli.CommandLine.Option;

/** The display options: a table by default, {@code --csv}, {@code --no-headers}, {@code --numeric}. */
public final class Output {
    @Option(names = "--csv", description = "print comma-separated values instead of a table")
    boolean csv;

    @Option(names = "--no-headers", description = "leave out the header row")
    boolean noHeaders;

    @Option(names = "--numeric", description = "addresses as numbers (Jool's flag; ferry never resolves names, so "
            + "its output is always numeric)")
    boolean numeric;

    /** Prints {@code rows} under {@code headers} as an aligned table or as CSV (RFC 4180 quoting). */
    public static void print(PrintStream out, List<String> headers, List<List<String>> rows, boolean csv,
                             boolean noHeaders) {
        if (csv) {
            if (!noHeaders) out.println(csvLine(headers));
            for (List<String> r : rows) out.println(csvLine(r));
            return;
        }
        int[] w = new int[headers.size()];
        for (int i = 0; i < w.length; i++) {
            if (!noHeaders) w[i] = headers.get(i).length();
            for (List<String> r : rows) w[i] = Math.max(w[i], r.get(i).length());
        }
        if (!noHeaders) {
            out.println(line(headers, w));
            StringBuilder sep = new StringBuilder();
            for (int i = 0; i < w.length; i++) sep.append(i == 0 ? "" : "-+-").append("-".repeat(w[i]));
            out.println(sep);
        }
        for (List<String> r : rows) out.println(line(r, w));
    }

    private static String line(List<String> cells, int[] w) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) sb.append(" | ");
            sb.append(cells.get(i));
            if (i < cells.size() - 1) sb.append(" ".repeat(w[i] - cells.get(i).length()));
        }
        return sb.toString();
    }

    static String csvLine(List<String> cells) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) sb.append(',');
            String c = cells.get(i);
            if (c.contains(",") || c.contains("\"") || c.contains("\n")) c = '"' + c.replace("\"", "\"\"") + '"';
            sb.append(c);
        }
        return sb.toString();
    }
}
