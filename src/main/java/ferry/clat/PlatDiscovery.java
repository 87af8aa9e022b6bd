package ferry.clat;

import ferry.metrics.Counter;
import ferry.metrics.Counters;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Runs PLAT-prefix discovery and feeds a {@link PlatPrefixSelector}: RFC 7050 queries (repeated before the answer's
 * TTL runs out), PREF64 options from a {@link RaReceiver} (its own platform thread), and a one-second tick that
 * expires lifetimes. The clock is injected; only this class reads it.
 */
public final class PlatDiscovery implements AutoCloseable {
    /** Re-query when this fraction of the TTL has passed (RFC 7050 §3: re-query before the TTL runs out). */
    static final double REQUERY_AT = 0.8;
    /** Never re-query sooner than this, even for a tiny TTL (and retry a first failed query after it). */
    static final long MIN_REQUERY_MS = 10_000;
    /** Failed queries back off, doubling from {@link #MIN_REQUERY_MS} up to this. */
    static final long MAX_RETRY_MS = 300_000;
    /** How long to wait after an answer without any AAAA record or well-known address. */
    static final long NO_PREFIX_REQUERY_MS = 300_000;
    /** The longest wait between queries. */
    static final long MAX_REQUERY_MS = 86_400_000;

    private final PlatPrefixSelector selector;
    private final Rfc7050Client dns;
    private final RaReceiver ra;
    private final LongSupplier clock;
    private final Consumer<String> log;
    private final Counters dnsCounters = new Counters();
    private ScheduledExecutorService scheduler;
    private Thread raThread;
    private volatile boolean stopping;
    private int failures; // consecutive failed queries (the scheduler thread only)

    /**
     * @param selector  receives what is learned
     * @param dnsOrNull RFC 7050 client, or null when disabled
     * @param raOrNull  PREF64 receiver, or null when disabled
     * @param clock     epoch milliseconds
     * @param log       one line per event worth logging
     */
    public PlatDiscovery(PlatPrefixSelector selector, Rfc7050Client dnsOrNull, RaReceiver raOrNull,
                         LongSupplier clock, Consumer<String> log) {
        this.selector = selector;
        this.dns = dnsOrNull;
        this.ra = raOrNull;
        this.clock = clock;
        this.log = log;
    }

    /** Starts the threads (no-op parts for disabled sources). */
    public synchronized void start() {
        scheduler = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("ferry-clat-discovery").factory());
        scheduler.scheduleAtFixedRate(() -> selector.tick(clock.getAsLong()), 1, 1, TimeUnit.SECONDS);
        if (dns != null) scheduler.execute(this::queryAndReschedule);
        if (ra != null) {
            raThread = Thread.ofPlatform().daemon().name("ferry-clat-ra").start(() -> {
                while (!stopping) {
                    try {
                        List<Pref64Option> opts = ra.receive();
                        if (opts == null) continue;
                        long now = clock.getAsLong();
                        for (Pref64Option o : opts) selector.onPref64(o, now);
                    } catch (IOException | RuntimeException e) {
                        if (stopping) break;
                        log.accept("router advertisements: " + e.getMessage() + "; retrying in 1 s");
                        try { Thread.sleep(1000); } catch (InterruptedException ie) { break; }
                    }
                }
            });
        }
    }

    private void queryAndReschedule() {
        if (stopping) return;
        long delay = queryOnce();
        if (!stopping) scheduler.schedule(this::queryAndReschedule, delay, TimeUnit.MILLISECONDS);
    }

    /** One RFC 7050 query, its result handed to the selector; returns when to ask again (milliseconds). */
    long queryOnce() {
        synchronized (dnsCounters) {
            dnsCounters.inc(Counter.CLAT_RFC7050_QUERY);
        }
        Rfc7050Client.Answer a;
        try {
            a = dns.query();
        } catch (IOException | RuntimeException e) {
            synchronized (dnsCounters) {
                dnsCounters.inc(Counter.CLAT_RFC7050_FAILED);
            }
            failures++;
            long retry = retryDelay(failures);
            // log the first failure and then every tenth, not every retry
            if (failures == 1 || failures % 10 == 0)
                log.accept("RFC 7050: ipv4only.arpa query to " + dns.servers() + " failed (" + failures + " in a row): "
                        + e.getMessage() + "; retrying in " + retry / 1000 + " s");
            selector.tick(clock.getAsLong());
            return retry;
        }
        if (failures > 0) log.accept("RFC 7050: " + dns.servers() + " answers again after " + failures + " failures");
        failures = 0;
        List<ferry.addr.Rfc6052> found = Rfc7050.prefixes(a.aaaa());
        synchronized (dnsCounters) {
            dnsCounters.inc(found.isEmpty() ? Counter.CLAT_RFC7050_NO_WKA : Counter.CLAT_RFC7050_FOUND);
        }
        selector.onRfc7050(found, a.ttlSeconds(), clock.getAsLong());
        return requeryDelay(found.isEmpty(), a.ttlSeconds());
    }

    /** When to retry after {@code failures} consecutive failures: 10 s, 20 s, 40 s ... at most 5 minutes. */
    static long retryDelay(int failures) {
        int doublings = Math.min(Math.max(0, failures - 1), 20);
        return Math.min(MAX_RETRY_MS, MIN_REQUERY_MS << doublings);
    }

    /** When to ask again after an answer: at 80 % of its TTL, within [10 s, 1 day]; 5 minutes when it had no prefix. */
    static long requeryDelay(boolean noPrefix, long ttlSeconds) {
        if (noPrefix) return NO_PREFIX_REQUERY_MS;
        long d = (long) (ttlSeconds * 1000 * REQUERY_AT);
        return Math.max(MIN_REQUERY_MS, Math.min(MAX_REQUERY_MS, d));
    }

    /** Discovery counters (RFC 7050 and Router Advertisements) plus the selector's. */
    public Map<Counter, Long> counters() {
        Map<Counter, Long> m;
        synchronized (dnsCounters) {
            m = dnsCounters.snapshot();
        }
        if (ra != null) ra.counters().forEach((k, v) -> m.merge(k, v, Long::sum));
        selector.counters().forEach((k, v) -> m.merge(k, v, Long::sum));
        return m;
    }

    @Override
    public synchronized void close() {
        stopping = true;
        if (scheduler != null) scheduler.shutdownNow();
        if (raThread != null) {
            try {
                raThread.join(3000); // the receiver wakes up at least once a second
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (ra != null) ra.close();
    }
}
