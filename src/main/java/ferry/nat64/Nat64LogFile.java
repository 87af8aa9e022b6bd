package ferry.nat64;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The RFC 6888 REQ-12 mapping log in a file of its own ({@code "ferry": {"nat64-log": {"file": PATH}}}): append-only,
 * one key=value record per line, written by the log thread of {@link Nat64Log} (never by a worker). {@link #reopen()}
 * (SIGHUP) makes the next write close the file and open {@code PATH} again, so logrotate may rename the file and
 * signal ferry (or use {@code copytruncate}, which needs nothing: the file is opened with {@code O_APPEND}). A failing
 * open or write throws to the log, which counts the record ({@code nat64_log_write_error}) and goes on; a file that
 * cannot be opened is retried at most once a second.
 */
public final class Nat64LogFile implements Nat64Log.Sink {
    private static final long RETRY_NANOS = 1_000_000_000L;
    private final Path path;
    private Writer out;
    private volatile boolean reopen;
    private long failedAt;
    private boolean failed;

    private Nat64LogFile(Path path) {
        this.path = path;
    }

    /**
     * Opens (creates, or appends to) {@code path}.
     *
     * @throws IOException it cannot be opened for appending (the message names the path)
     */
    public static Nat64LogFile open(Path path) throws IOException {
        Nat64LogFile f = new Nat64LogFile(path);
        f.out = f.openFile();
        return f;
    }

    private Writer openFile() throws IOException {
        OutputStream o = Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE);
        return new java.io.BufferedWriter(new java.io.OutputStreamWriter(o, StandardCharsets.UTF_8), 1 << 16);
    }

    /** The file written. */
    public Path path() {
        return path;
    }

    /** Asks the log thread to close and reopen the file before its next record (SIGHUP, after logrotate). */
    public void reopen() {
        reopen = true;
    }

    @Override
    public void write(String line) throws IOException {
        if (reopen) {
            reopen = false;
            closeQuietly();
        }
        if (out == null) {
            long now = System.nanoTime(); // the log thread, not the packet path
            if (failed && now - failedAt < RETRY_NANOS) throw new IOException(path + ": not open");
            try {
                out = openFile();
                failed = false;
            } catch (IOException e) {
                failed = true;
                failedAt = now;
                throw e;
            }
        }
        try {
            out.write(line);
            out.write('\n');
        } catch (IOException e) {
            closeQuietly(); // reopened with the next record
            throw e;
        }
    }

    @Override
    public void flush() throws IOException {
        if (out == null) return;
        try {
            out.flush();
        } catch (IOException e) {
            closeQuietly();
            throw e;
        }
    }

    @Override
    public void close() {
        closeQuietly();
    }

    private void closeQuietly() {
        Writer w = out;
        out = null;
        if (w == null) return;
        try {
            w.close();
        } catch (IOException ignored) {
            // the records still buffered are lost; the next flush or write says so
        }
    }
}
