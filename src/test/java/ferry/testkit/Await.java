package ferry.testkit;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Bounded polling for state that another thread or process writes a moment after the test saw its cause: a counter
 * the server bumps just after sending the reply the client already read, a log line written after a socket closed,
 * a file rewritten every second. Polls every few milliseconds and fails with a message that names what was awaited
 * and what was last seen; never a bare sleep that hopes the other side got there.
 */
public final class Await {
    private Await() {
    }

    /** A source of values that may throw (a CLI run, a scrape). */
    @FunctionalInterface
    public interface Source<T> {
        T get() throws Exception;
    }

    /**
     * Reads {@code source} every 100 ms until {@code ok} holds for what it gave, or {@code seconds} pass; returns the
     * last value, on which the caller asserts (so a value that never came shows in the assertion's message). For
     * state another thread or process updates a moment after the test saw its cause: counters read through the
     * CLI or a scrape, a status file rewritten by a timer.
     */
    public static <T> T poll(long seconds, Source<T> source, java.util.function.Predicate<? super T> ok) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        T v = source.get();
        while (!ok.test(v) && System.nanoTime() - deadline < 0) {
            Thread.sleep(100);
            v = source.get();
        }
        return v;
    }

    /** Polls {@code condition} every 10 ms until it holds; fails after {@code seconds} naming {@code what}. */
    public static void until(String what, long seconds, BooleanSupplier condition) throws InterruptedException {
        until(what, seconds, condition, () -> "");
    }

    /**
     * Polls {@code condition} every 10 ms until it holds; after {@code seconds} fails with a message that names
     * {@code what} and shows {@code lastSeen} (e.g. the log so far).
     */
    public static void until(String what, long seconds, BooleanSupplier condition, Supplier<?> lastSeen)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                String seen = String.valueOf(lastSeen.get());
                throw new AssertionError("not within " + seconds + " s: " + what + (seen.isEmpty() ? "" : "; last seen:\n" + seen));
            }
            Thread.sleep(10);
        }
    }
}
