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
 */
public record Dns64Section(List<InetSocketAddress> listen, List<InetSocketAddress> upstream,
                           List<Dns64Prefix> prefixes, List<Prefix6> exclude, boolean parallelQueries,
                           int cacheSize, int timeoutMs, int retries, int maxInflight) {
    public Dns64Section {
        listen = List.copyOf(listen);
        upstream = List.copyOf(upstream);
        prefixes = List.copyOf(prefixes);
        exclude = List.copyOf(exclude);
    }
}
