package ferry.nat64;

import ferry.addr.Ipv4;
import ferry.addr.Ipv6;
import ferry.packet.IpProto;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;

/**
 * RFC 6888 REQ-12 logging: a record per BIB entry and/or session created and deleted, with the time, the protocol,
 * the IPv6 source transport address and the IPv4 transport address it is bound to — and no destination (REQ-12:
 * logging destinations is a privacy issue; Jool's {@code logging-bib} does the same). Records go through a bounded
 * lock-free multi-producer queue of preallocated primitive slots: a worker never waits and never allocates; when
 * the queue is full the record is dropped and counted ({@link #dropped()}). One consumer formats them
 * ({@link #drain} or the thread of {@link #start}).
 *
 * <p>Line format, one key=value record per line (the daemon's log style; no destination):
 * {@code ts=2026-01-01T00:00:00.000000123Z level=info event=nat64_bib_add proto=UDP ipv6=2001:db8::1 ipv6_port=40000
 * ipv4=203.0.113.1 ipv4_port=61001}; events {@code nat64_bib_add}, {@code nat64_bib_del}, {@code nat64_session_add},
 * {@code nat64_session_del}. The consumer writes them to a {@link Sink}: stderr, or an append-only file
 * ({@link Nat64LogFile}); a record the sink fails to write is counted ({@link #writeErrors()}), never fatal.
 */
public final class Nat64Log implements AutoCloseable {
    static final int BIB_ADD = 0, BIB_DEL = 1, SESSION_ADD = 2, SESSION_DEL = 3;
    private static final String[] WHAT = {"nat64_bib_add", "nat64_bib_del", "nat64_session_add", "nat64_session_del"};

    /** Where the log thread writes formatted records (called on that thread only). */
    public interface Sink {
        /** Writes one record (without its line end). */
        void write(String line) throws java.io.IOException;

        /** Pushes buffered records out (after each batch). */
        default void flush() throws java.io.IOException {
        }

        /** Releases the sink (when replaced or when the log closes). */
        default void close() {
        }
    }

    /** A sink that never fails (stderr, tests). */
    public static Sink sinkOf(Consumer<String> out) {
        return out::accept;
    }

    private final boolean bib, session;
    private final int mask;
    private final long[] time, hi, lo, info; // info: kind | proto << 8 | port6 << 16 | port4 << 32 (v4 apart)
    private final int[] v4;
    private final AtomicLongArray published; // sequence + 1 once slot is written
    private final AtomicLong tail = new AtomicLong(), head = new AtomicLong(), dropped = new AtomicLong();
    /** Not yet handed to a counter: records dropped (queue full), records not written (sink error). */
    private final AtomicLong droppedUncounted = new AtomicLong(), writeErrors = new AtomicLong(),
            writeErrorsUncounted = new AtomicLong();
    private volatile boolean closed;
    private Thread thread;

    /**
     * @param logBib     Jool's logging-bib
     * @param logSession Jool's logging-session (without destinations)
     * @param capacity   records the queue holds (rounded up to a power of two)
     */
    public Nat64Log(boolean logBib, boolean logSession, int capacity) {
        this.bib = logBib;
        this.session = logSession;
        int n = Integer.highestOneBit(Math.max(2, capacity - 1)) << 1;
        mask = n - 1;
        time = new long[n];
        hi = new long[n];
        lo = new long[n];
        info = new long[n];
        v4 = new int[n];
        published = new AtomicLongArray(n);
    }

    boolean wants(int kind) {
        return kind <= BIB_DEL ? bib : session;
    }

    /** Queues one record; never blocks (a full queue drops it and counts). */
    void record(int kind, long now, int proto, long v6Hi, long v6Lo, int port6, int addr4, int port4) {
        if (!wants(kind)) return;
        long t;
        do {
            t = tail.get();
            if (t - head.get() > mask) {
                dropped.incrementAndGet();
                droppedUncounted.incrementAndGet();
                return;
            }
        } while (!tail.compareAndSet(t, t + 1));
        int i = (int) t & mask;
        time[i] = now;
        hi[i] = v6Hi;
        lo[i] = v6Lo;
        v4[i] = addr4;
        info[i] = kind | (long) proto << 8 | (long) port6 << 16 | (long) port4 << 32;
        published.set(i, t + 1); // release: the fields above are visible to the consumer
    }

    /** Formats every published record to {@code out} (one consumer at a time); returns how many. */
    public synchronized int drain(Consumer<String> out) {
        int n = 0;
        while (true) {
            long h = head.get();
            int i = (int) h & mask;
            if (published.get(i) != h + 1) return n;
            String line = format(time[i], (int) (info[i] & 0xff), (int) (info[i] >>> 8 & 0xff), hi[i], lo[i],
                    (int) (info[i] >>> 16 & 0xffff), v4[i], (int) (info[i] >>> 32 & 0xffff));
            head.set(h + 1);
            out.accept(line);
            n++;
        }
    }

    static String format(long now, int kind, int proto, long v6Hi, long v6Lo, int port6, int addr4, int port4) {
        // times after 2001 are taken as Unix time (pcap timestamps); others as seconds since an arbitrary origin
        String when = now > 1_000_000_000L * 1_000_000_000L
                ? Instant.ofEpochSecond(now / 1_000_000_000L, now % 1_000_000_000L).toString()
                : String.format("%.9f", now / 1e9);
        return "ts=" + when + " level=info event=" + WHAT[kind] + " proto=" + IpProto.name(proto) + " ipv6="
                + Ipv6.format(v6Hi, v6Lo) + " ipv6_port=" + port6 + " ipv4=" + Ipv4.format(addr4) + " ipv4_port=" + port4;
    }

    /** Records dropped because the queue was full. */
    public long dropped() {
        return dropped.get();
    }

    /** Records dropped because the queue was full since the last call (for the counters). */
    long takeDropped() {
        return droppedUncounted.get() == 0 ? 0 : droppedUncounted.getAndSet(0);
    }

    /** Records the sink failed to write. */
    public long writeErrors() {
        return writeErrors.get();
    }

    /** Records the sink failed to write since the last call (for the counters). */
    long takeWriteErrors() {
        return writeErrorsUncounted.get() == 0 ? 0 : writeErrorsUncounted.getAndSet(0);
    }

    /** Starts a daemon thread that drains to {@code out} every few milliseconds until {@link #close()}. */
    public void start(Consumer<String> out) {
        startWith(sinkOf(out));
    }

    private volatile Sink sink;

    /** Starts a daemon thread that writes to {@code sink} every few milliseconds until {@link #close()}. */
    public synchronized void startWith(Sink sink) {
        this.sink = sink;
        if (thread != null) return;
        thread = Thread.ofPlatform().daemon().name("ferry-nat64-log").start(() -> {
            Sink current = this.sink;
            while (!closed) {
                current = swap(current);
                if (write(current) == 0) {
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        break;
                    }
                }
            }
            current = swap(current);
            write(current);
            current.close();
        });
    }

    /** Sends the records from now on to {@code next} (the old sink is closed by the log thread). */
    public void sink(Sink next) {
        this.sink = next;
    }

    /** The sink records go to (null before {@link #start}). */
    public Sink sink() {
        return sink;
    }

    private Sink swap(Sink current) {
        Sink next = sink;
        if (next != current) current.close();
        return next;
    }

    /** Drains to {@code s}; a record it fails to write (or flush) is counted, and the next one is tried. */
    private int write(Sink s) {
        int[] failed = {0};
        int n = drain(line -> {
            try {
                s.write(line);
            } catch (java.io.IOException | RuntimeException e) {
                failed[0]++;
            }
        });
        if (n > failed[0]) {
            try {
                s.flush();
            } catch (java.io.IOException | RuntimeException e) {
                failed[0] = n; // buffered records lost
            }
        }
        if (failed[0] > 0) {
            writeErrors.addAndGet(failed[0]);
            writeErrorsUncounted.addAndGet(failed[0]);
        }
        return n;
    }

    /** Stops the thread after a last drain. */
    @Override
    public void close() throws InterruptedException {
        closed = true;
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) t.join();
    }
}
