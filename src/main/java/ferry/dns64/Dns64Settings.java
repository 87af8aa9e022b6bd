package ferry.dns64;

import ferry.addr.AddressFormatException;
import ferry.addr.Prefix4;
import ferry.addr.Prefix6;
import ferry.addr.Rfc6052;
import ferry.config.Dns64Prefix;
import ferry.config.Dns64Section;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything the DNS64 server needs, immutable and validated. Built by the {@code ferry dns64} command line or
 * mapped from the config file's {@code "dns64"} section.
 *
 * @param listen          addresses to serve on, UDP and TCP each (at least one)
 * @param upstream        recursive resolvers to ask, in failover order (at least one)
 * @param prefixes        RFC 6052 prefixes, each with the IPv4 ranges it synthesizes for (empty = all); an A record
 *                        gets one synthetic AAAA per prefix whose ranges contain it (RFC 6147 §5.2)
 * @param exclude         IPv6 ranges whose AAAA records do not count as real (§5.1.4; default ::ffff:0:0/96)
 * @param parallelQueries send the A query together with the AAAA query (§5.1.8)
 * @param cacheSize       bytes the cache may hold (0 = no cache; default {@link #DEFAULT_CACHE_BYTES}); each answer
 *                        costs its size plus its name and a fixed overhead, see {@code AnswerCache}
 * @param timeoutMs       time to wait for one upstream attempt
 * @param retries         extra rounds over the upstream list after the first
 * @param maxInflight     most upstream queries pending at once
 * @param wkpStrict       RFC 6052 §3.1: never synthesize non-global IPv4 addresses under 64:ff9b::/96
 * @param udpThreads      UDP receive threads per listen address (0 = one per core)
 * @param clientBudgetMs  the whole time allowed for answering one client query, upstream retries included; kept
 *                        below the usual stub timeout (5 s) so clients get SERVFAIL rather than silence
 * @param prefetchTrigger seconds of TTL left at which a cache hit starts one background refresh of the answer (0 =
 *                        no prefetch; default {@link #DEFAULT_PREFETCH_TRIGGER}); the hit is answered from the cache
 * @param prefetchMinTtl  only answers cached with a TTL of at least this many seconds are prefetched (default
 *                        {@link #DEFAULT_PREFETCH_MIN_TTL}); greater than the trigger
 * @param warmUp          names a throwaway server resolves at start, in the background, so that the JIT compiles the
 *                        miss path before clients need it ({@link Dns64WarmUp}; 0 = off; default {@link
 *                        #DEFAULT_WARM_UP})
 */
public record Dns64Settings(List<InetSocketAddress> listen, List<InetSocketAddress> upstream, List<PrefixRule> prefixes,
                            List<Prefix6> exclude, boolean parallelQueries, int cacheSize, int timeoutMs, int retries,
                            int maxInflight, boolean wkpStrict, int udpThreads, int clientBudgetMs,
                            int prefetchTrigger, int prefetchMinTtl, int warmUp) {

    /** Default prefetch trigger: BIND's {@code prefetch 2 9} (seconds of TTL left when a hit refreshes the entry). */
    public static final int DEFAULT_PREFETCH_TRIGGER = 2;
    /** Default prefetch eligibility: answers whose TTL was at least this many seconds are prefetched (BIND: 9). */
    public static final int DEFAULT_PREFETCH_MIN_TTL = 9;

    /** Default warm-up: names resolved at start by a throwaway server ({@link Dns64WarmUp}). */
    public static final int DEFAULT_WARM_UP = 20_000;

    /** The default cache size: 16 MiB (unbound's msg-cache-size defaults to 4 MiB, its rrset cache to 4 MiB). */
    public static final int DEFAULT_CACHE_BYTES = 16 << 20;

    /**
     * Parses a byte size: a number of bytes, or a number with {@code k}, {@code m} or {@code g} (KiB, MiB, GiB,
     * either case, an optional trailing {@code b}), e.g. {@code 16m}; at most 2 GiB - 1.
     *
     * @param field the setting's name, for the error message
     * @throws IllegalArgumentException naming {@code field} and the value
     */
    public static int parseSize(String field, String text) {
        String t = text == null ? "" : text.trim().toLowerCase(java.util.Locale.ROOT);
        if (t.endsWith("b")) t = t.substring(0, t.length() - 1);
        long mult = 1;
        if (!t.isEmpty()) {
            switch (t.charAt(t.length() - 1)) {
                case 'k' -> mult = 1L << 10;
                case 'm' -> mult = 1L << 20;
                case 'g' -> mult = 1L << 30;
                default -> { }
            }
        }
        if (mult != 1) t = t.substring(0, t.length() - 1);
        long v;
        try {
            v = Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(field + ": '" + text + "' is not a size (bytes, or a number with k, m or g, e.g. 16m)");
        }
        if (v < 0 || v > Integer.MAX_VALUE / mult)
            throw new IllegalArgumentException(field + ": '" + text + "' must be 0 (no cache) .. 2047m");
        return (int) (v * mult);
    }

    /** The default exclusion list of RFC 6147 §5.1.4: IPv4-mapped addresses. */
    public static final List<Prefix6> DEFAULT_EXCLUDE = List.of(Prefix6.parse("::ffff:0:0/96"));

    /**
     * One synthesis prefix and the IPv4 ranges it applies to.
     *
     * @param prefix the RFC 6052 prefix
     * @param ipv4   IPv4 ranges this prefix synthesizes for; empty means every address
     */
    public record PrefixRule(Rfc6052 prefix, List<Prefix4> ipv4) {
        public PrefixRule {
            if (prefix == null) throw new IllegalArgumentException("dns64.prefixes: prefix missing");
            ipv4 = List.copyOf(ipv4);
        }

        /** True when this prefix synthesizes for {@code v4}. */
        public boolean covers(int v4) {
            if (ipv4.isEmpty()) return true;
            for (Prefix4 p : ipv4) if (p.contains(v4)) return true;
            return false;
        }

        /** Parses "64:ff9b::/96" or "2001:db8:64::/48=192.0.2.0/24,198.51.100.0/24". */
        public static PrefixRule parse(String text) {
            int eq = text.indexOf('=');
            String p = eq < 0 ? text : text.substring(0, eq);
            List<Prefix4> ranges = new ArrayList<>();
            try {
                Rfc6052 pre = Rfc6052.parse(p.trim());
                if (eq >= 0) for (String r : text.substring(eq + 1).split(",")) ranges.add(Prefix4.parse(r.trim()));
                return new PrefixRule(pre, ranges);
            } catch (AddressFormatException e) {
                throw new IllegalArgumentException("dns64.prefixes: '" + text + "': " + e.getMessage(), e);
            }
        }

        @Override
        public String toString() {
            return ipv4.isEmpty() ? prefix.toString() : prefix + "=" + String.join(",", ipv4.stream().map(Prefix4::toString).toList());
        }
    }

    public Dns64Settings {
        listen = List.copyOf(listen);
        upstream = List.copyOf(upstream);
        prefixes = List.copyOf(prefixes);
        exclude = List.copyOf(exclude);
        if (listen.isEmpty()) throw new IllegalArgumentException("dns64.listen: at least one ADDR:PORT is needed");
        if (upstream.isEmpty()) throw new IllegalArgumentException("dns64.upstream: at least one ADDR:PORT is needed");
        if (prefixes.isEmpty()) throw new IllegalArgumentException("dns64.prefixes: at least one RFC 6052 prefix is needed");
        for (InetSocketAddress u : upstream)
            if (u.getPort() == 0) throw new IllegalArgumentException("dns64.upstream: '" + u + "' needs a port other than 0");
        if (cacheSize < 0) throw new IllegalArgumentException("dns64.cache-size: must be >= 0 bytes, got " + cacheSize);
        if (timeoutMs < 1 || timeoutMs > 60_000)
            throw new IllegalArgumentException("dns64.timeout-ms: must be 1..60000, got " + timeoutMs);
        if (retries < 0 || retries > 10) throw new IllegalArgumentException("dns64.retries: must be 0..10, got " + retries);
        if (maxInflight < 1) throw new IllegalArgumentException("dns64.max-inflight: must be >= 1, got " + maxInflight);
        if (udpThreads < 0 || udpThreads > 256) throw new IllegalArgumentException("dns64 threads: must be 0..256, got " + udpThreads);
        if (clientBudgetMs < 100 || clientBudgetMs > 60_000)
            throw new IllegalArgumentException("dns64 client budget: must be 100..60000 ms, got " + clientBudgetMs);
        Dns64Section.checkPrefetch("dns64.prefetch", prefetchTrigger, prefetchMinTtl);
        Dns64Section.checkWarmUp("dns64.warm-up", warmUp);
    }

    /** Settings with the defaults for everything but the addresses and prefixes. */
    public static Dns64Settings of(List<InetSocketAddress> listen, List<InetSocketAddress> upstream, List<PrefixRule> prefixes) {
        return new Dns64Settings(listen, upstream, prefixes, DEFAULT_EXCLUDE, false, DEFAULT_CACHE_BYTES, 1000, 1, 1024, true, 0, 4000,
                DEFAULT_PREFETCH_TRIGGER, DEFAULT_PREFETCH_MIN_TTL, DEFAULT_WARM_UP);
    }

    /**
     * The settings of a config file's {@code "dns64"} section, with the {@code ferry.wkp-strict} switch the
     * translator uses (RFC 6052 §3.1). Settings the file has no key for (receive threads, client budget) keep their
     * defaults.
     */
    public static Dns64Settings fromConfig(Dns64Section d, boolean wkpStrict) {
        List<PrefixRule> rules = new ArrayList<>();
        for (Dns64Prefix p : d.prefixes()) rules.add(new PrefixRule(p.prefix(), p.ipv4()));
        return of(d.listen(), d.upstream(), rules)
                .withExclude(d.exclude()).withParallelQueries(d.parallelQueries()).withCacheSize(d.cacheSize())
                .withTimeout(d.timeoutMs(), d.retries()).withMaxInflight(d.maxInflight()).withWkpStrict(wkpStrict)
                .withPrefetch(d.prefetchTrigger(), d.prefetchMinTtl()).withWarmUp(d.warmUp());
    }

    public Dns64Settings withExclude(List<Prefix6> e) {
        return new Dns64Settings(listen, upstream, prefixes, e, parallelQueries, cacheSize, timeoutMs, retries, maxInflight, wkpStrict, udpThreads, clientBudgetMs, prefetchTrigger, prefetchMinTtl, warmUp);
    }

    public Dns64Settings withParallelQueries(boolean p) {
        return new Dns64Settings(listen, upstream, prefixes, exclude, p, cacheSize, timeoutMs, retries, maxInflight, wkpStrict, udpThreads, clientBudgetMs, prefetchTrigger, prefetchMinTtl, warmUp);
    }

    public Dns64Settings withCacheSize(int c) {
        return new Dns64Settings(listen, upstream, prefixes, exclude, parallelQueries, c, timeoutMs, retries, maxInflight, wkpStrict, udpThreads, clientBudgetMs, prefetchTrigger, prefetchMinTtl, warmUp);
    }

    public Dns64Settings withTimeout(int ms, int r) {
        return new Dns64Settings(listen, upstream, prefixes, exclude, parallelQueries, cacheSize, ms, r, maxInflight, wkpStrict, udpThreads, clientBudgetMs, prefetchTrigger, prefetchMinTtl, warmUp);
    }

    public Dns64Settings withMaxInflight(int m) {
        return new Dns64Settings(listen, upstream, prefixes, exclude, parallelQueries, cacheSize, timeoutMs, retries, m, wkpStrict, udpThreads, clientBudgetMs, prefetchTrigger, prefetchMinTtl, warmUp);
    }

    public Dns64Settings withWkpStrict(boolean w) {
        return new Dns64Settings(listen, upstream, prefixes, exclude, parallelQueries, cacheSize, timeoutMs, retries, maxInflight, w, udpThreads, clientBudgetMs, prefetchTrigger, prefetchMinTtl, warmUp);
    }

    public Dns64Settings withUdpThreads(int t) {
        return new Dns64Settings(listen, upstream, prefixes, exclude, parallelQueries, cacheSize, timeoutMs, retries, maxInflight, wkpStrict, t, clientBudgetMs, prefetchTrigger, prefetchMinTtl, warmUp);
    }

    public Dns64Settings withClientBudget(int ms) {
        return new Dns64Settings(listen, upstream, prefixes, exclude, parallelQueries, cacheSize, timeoutMs, retries, maxInflight, wkpStrict, udpThreads, ms, prefetchTrigger, prefetchMinTtl, warmUp);
    }

    /** Prefetch {@code trigger} seconds before expiry for answers with a TTL of at least {@code minTtl} (0, 0: off). */
    public Dns64Settings withPrefetch(int trigger, int minTtl) {
        return new Dns64Settings(listen, upstream, prefixes, exclude, parallelQueries, cacheSize, timeoutMs, retries, maxInflight, wkpStrict, udpThreads, clientBudgetMs, trigger, minTtl, warmUp);
    }

    /**
     * Parses "TRIGGER:ELIGIBILITY" (seconds, e.g. "2:9") or "off"; returns {trigger, eligibility} ({0, 0}: off).
     *
     * @param field the option's name, for the error message
     * @throws IllegalArgumentException naming {@code field} and the value
     */
    public static int[] parsePrefetch(String field, String text) {
        return Dns64Section.parsePrefetch(field, text);
    }

    /** True when cache hits refresh answers about to expire. */
    public boolean prefetch() {
        return prefetchTrigger > 0;
    }

    public Dns64Settings withListen(List<InetSocketAddress> l) {
        return new Dns64Settings(l, upstream, prefixes, exclude, parallelQueries, cacheSize, timeoutMs, retries, maxInflight, wkpStrict, udpThreads, clientBudgetMs, prefetchTrigger, prefetchMinTtl, warmUp);
    }

    public Dns64Settings withUpstream(List<InetSocketAddress> u) {
        return new Dns64Settings(listen, u, prefixes, exclude, parallelQueries, cacheSize, timeoutMs, retries, maxInflight, wkpStrict, udpThreads, clientBudgetMs, prefetchTrigger, prefetchMinTtl, warmUp);
    }

    /** Resolve {@code names} warm-up names at start (0: no warm-up); see {@link Dns64WarmUp}. */
    public Dns64Settings withWarmUp(int names) {
        return new Dns64Settings(listen, upstream, prefixes, exclude, parallelQueries, cacheSize, timeoutMs, retries, maxInflight, wkpStrict, udpThreads, clientBudgetMs, prefetchTrigger, prefetchMinTtl, names);
    }

    /**
     * Parses "192.0.2.1:53" or "[2001:db8::1]:53" (IP literals only; no name lookups).
     *
     * @param field the setting's name, for the error message
     */
    public static InetSocketAddress parseSocketAddress(String field, String text) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException(field + ": expected ADDR:PORT, got an empty value");
        String s = text.trim();
        String host, port;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':')
                throw new IllegalArgumentException(field + ": '" + text + "' is not [IPV6]:PORT");
            host = s.substring(1, close);
            port = s.substring(close + 2);
        } else {
            int colon = s.lastIndexOf(':');
            if (colon < 0 || s.indexOf(':') != colon)
                throw new IllegalArgumentException(field + ": '" + text + "' is not ADDR:PORT (write IPv6 as [ADDR]:PORT)");
            host = s.substring(0, colon);
            port = s.substring(colon + 1);
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(field + ": '" + text + "' has no valid port");
        }
        if (p < 0 || p > 65535) throw new IllegalArgumentException(field + ": port in '" + text + "' must be 0..65535");
        InetAddress a;
        try {
            a = InetAddress.ofLiteral(host);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + ": '" + host + "' in '" + text + "' is not an IP address");
        }
        return new InetSocketAddress(a, p);
    }
}
