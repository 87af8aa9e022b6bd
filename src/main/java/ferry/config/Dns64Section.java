package ferry.config;

import ferry.addr.Prefix6;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * The top-level {@code "dns64"} object (RFC 6147). Addresses are IP literals (never resolved).
 *
 * @param listen          {@code listen}: where to serve, default 127.0.0.1:53 and [::1]:53
 * @param upstream        {@code upstream}: resolvers to ask, required and non-empty; port 53 when omitted
 * @param prefixes        {@code prefixes}: default the global pool6 if set, else 64:ff9b::/96
 * @param exclude         {@code exclude}: IPv6 prefixes whose AAAA records are treated as absent (RFC 6147 §5.1.4),
 *                        default ::ffff:0:0/96
 * @param parallelQueries {@code parallel-queries}: send A and AAAA queries at once, default false
 * @param cacheSize       {@code cache-size}: bytes, 0..2^31-1 (a number, or a string such as "16m"), default 16 MiB
 * @param timeoutMs       {@code timeout-ms}: per upstream query, default 2000
 * @param retries         {@code retries}: default 2
 * @param maxInflight     {@code max-inflight}: queries in flight upstream at once, default 1024
 * @param prefetchTrigger {@code prefetch} "TRIGGER:ELIGIBILITY" (or "off"/false): a cache hit on an answer with at
 *                        most TRIGGER seconds of TTL left refreshes it in the background; 0 = off; default 2
 * @param prefetchMinTtl  ... only for answers whose TTL was at least ELIGIBILITY seconds; default 9 (BIND's
 *                        {@code prefetch 2 9})
 * @param warmUp          {@code warm-up}: names a throwaway server resolves at start, in the background, so that the
 *                        JIT compiles the miss path before clients need it; 0 = off; default 20000
 */
public record Dns64Section(List<InetSocketAddress> listen, List<InetSocketAddress> upstream,
                           List<Dns64Prefix> prefixes, List<Prefix6> exclude, boolean parallelQueries,
                           int cacheSize, int timeoutMs, int retries, int maxInflight,
                           int prefetchTrigger, int prefetchMinTtl, int warmUp) {
    /** Largest prefetch trigger, in seconds. */
    public static final int MAX_PREFETCH_TRIGGER = 3600;
    /** Largest prefetch eligibility, in seconds (the cache keeps nothing longer than a day). */
    public static final int MAX_PREFETCH_MIN_TTL = 86400;

    public Dns64Section {
        listen = List.copyOf(listen);
        upstream = List.copyOf(upstream);
        prefixes = List.copyOf(prefixes);
        exclude = List.copyOf(exclude);
        checkPrefetch("dns64.prefetch", prefetchTrigger, prefetchMinTtl);
        checkWarmUp("dns64.warm-up", warmUp);
    }

    /** Most warm-up names. */
    public static final int MAX_WARM_UP = 1_000_000;

    /** Checks a warm-up setting: 0 (off) .. {@value #MAX_WARM_UP} names. */
    public static void checkWarmUp(String field, int names) {
        if (names < 0 || names > MAX_WARM_UP)
            throw new IllegalArgumentException(field + ": must be 0.." + MAX_WARM_UP + " names (0 = off), got " + names);
    }

    /**
     * Checks a prefetch setting: trigger 0 (off), or 1..{@value #MAX_PREFETCH_TRIGGER} seconds with an eligibility
     * greater than the trigger (else every entry would be due at once) and at most {@value #MAX_PREFETCH_MIN_TTL}.
     *
     * @throws IllegalArgumentException naming {@code field} and the values
     */
    public static void checkPrefetch(String field, int trigger, int minTtl) {
        if (trigger == 0) return;
        if (trigger < 0 || trigger > MAX_PREFETCH_TRIGGER)
            throw new IllegalArgumentException(field + ": the trigger must be 0 (off) or 1.." + MAX_PREFETCH_TRIGGER
                    + " seconds, got " + trigger);
        if (minTtl <= trigger || minTtl > MAX_PREFETCH_MIN_TTL)
            throw new IllegalArgumentException(field + ": the eligibility must be greater than the trigger (" + trigger
                    + ") and at most " + MAX_PREFETCH_MIN_TTL + " seconds, got " + minTtl);
    }

    /**
     * Parses a prefetch setting: "TRIGGER:ELIGIBILITY" in seconds (e.g. "2:9"), or "off" (also "0"); returns
     * {trigger, eligibility}, {0, 0} for off.
     *
     * @throws IllegalArgumentException naming {@code field} and the value
     */
    public static int[] parsePrefetch(String field, String text) {
        String t = text == null ? "" : text.trim().toLowerCase(java.util.Locale.ROOT);
        if (t.equals("off") || t.equals("0")) return new int[] {0, 0};
        int colon = t.indexOf(':');
        int trigger, minTtl;
        try {
            if (colon < 0) throw new NumberFormatException();
            trigger = Integer.parseInt(t.substring(0, colon));
            minTtl = Integer.parseInt(t.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(field + ": '" + text
                    + "' is not TRIGGER:ELIGIBILITY in seconds (e.g. 2:9) or off");
        }
        try {
            checkPrefetch(field, trigger, minTtl);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " (in '" + text + "')", e);
        }
        return new int[] {trigger, minTtl};
    }
}
