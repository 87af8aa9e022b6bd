package ferry.dns64;

import ferry.sys.ThreadNice;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * The threads that resolve cache misses and refresh answers (setting {@code worker-nice}). At nice 0, virtual threads
 * as before. At nice N > 0, platform threads that set their own nice value to N when they start, so that on a CPU
 * shared with the UDP receive threads (nice 0) the scheduler runs a receive thread first: a cache hit does not wait
 * behind a miss's parsing and synthesis (~0.1 ms of CPU each, measured). Measured with 500 misses/s beside 10 000
 * cached queries/s on one CPU (bench/dns64/thread-probe.sh, README "DNS64 performance"): the hits' p99 went from
 * 1.3-2.1 ms to 0.26-0.30 ms.
 *
 * <p>The pool has no bound of its own and no queue: a task runs at once on an idle thread or a new one, so a miss
 * never waits for a slot behind refreshes or slow upstreams. The server bounds the tasks in flight (its
 * pendingResolves permits), and so the threads; idle ones end after {@link #KEEP_ALIVE_S} seconds.
 *
 * <p>A nice value the system refuses (not Linux, a seccomp filter) is reported once through {@code warn} and the
 * threads run at the process's priority: never fatal.
 */
final class Workers {
    private Workers() {
    }

    static final int KEEP_ALIVE_S = 30;
    private static final AtomicBoolean WARNED = new AtomicBoolean();
    /** Where the one warning goes (tests replace it). */
    static volatile Consumer<String> warn = m -> System.err.println("ferry dns64: " + m);

    /** Lets the next refused nice value be reported again (tests). */
    static void resetWarnedForTests() {
        WARNED.set(false);
    }

    /** An executor for misses and refreshes at {@code nice} (0: virtual threads); threads named {@code name-N}. */
    static ExecutorService executor(String name, int nice) {
        if (nice == 0) return Executors.newVirtualThreadPerTaskExecutor();
        return new ThreadPoolExecutor(0, Integer.MAX_VALUE, KEEP_ALIVE_S, TimeUnit.SECONDS, new SynchronousQueue<>(),
                factory(name, nice));
    }

    /** Daemon platform threads that set their nice value to {@code nice} first. */
    static ThreadFactory factory(String name, int nice) {
        ThreadFactory platform = Thread.ofPlatform().daemon().name(name + "-", 0).factory();
        return r -> platform.newThread(() -> {
            String failed;
            try {
                failed = ThreadNice.set(nice);
            } catch (RuntimeException | LinkageError e) {
                failed = e.toString();
            }
            if (failed != null && WARNED.compareAndSet(false, true))
                warn.accept("worker-nice " + nice + " not applied (" + failed + "): misses run at the process's priority");
            r.run();
        });
    }
}
