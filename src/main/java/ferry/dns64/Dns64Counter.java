package ferry.dns64;

/**
 * Every outcome and every error class of the DNS64 server, each with a stable id (usable as a Prometheus name
 * suffix) and a one-line explanation, in the shape of {@link ferry.metrics.Counter}.
 */
public enum Dns64Counter {
    // --- traffic ---
    QUERIES_UDP("queries_udp", "queries received over UDP (well-formed enough to be answered)"),
    QUERIES_TCP("queries_tcp", "queries received over TCP (well-formed enough to be answered)"),
    TCP_CONNECTIONS("tcp_connections", "TCP connections accepted"),
    TCP_CONNECTIONS_REFUSED("tcp_connections_refused", "TCP connections closed at once because too many were open"),
    TCP_IDLE_CLOSED("tcp_idle_closed", "TCP connections closed after the RFC 7766 idle timeout"),

    // --- outcomes ---
    SYNTHESIZED("synthesized", "AAAA answers synthesized from A records (RFC 6147 §5.1.7)"),
    SYNTHESIZED_RECORDS("synthesized_records", "synthetic AAAA records written into those answers"),
    REAL_AAAA("real_aaaa", "AAAA answers that carried real (non-excluded) AAAA records (§5.1.1)"),
    EXCLUDED_AAAA_REMOVED("excluded_aaaa_removed", "AAAA records removed because they lie in an exclusion prefix (§5.1.4)"),
    WKP_NON_GLOBAL_SKIPPED("wkp_non_global_skipped",
            "A records not synthesized under 64:ff9b::/96 because the IPv4 address is not global (RFC 6052 §3.1, wkp-strict)"),
    PTR_SYNTHESIZED("ptr_synthesized", "ip6.arpa PTR queries under a prefix answered with a synthesized CNAME (§5.3.1)"),
    IPV4ONLY_LOCAL("ipv4only_local", "ipv4only.arpa queries answered locally (RFC 7050, RFC 8880)"),
    DNSSEC_NO_SYNTHESIS("dnssec_no_synthesis", "AAAA/PTR queries with DO and CD set, passed through unsynthesized (§5.5)"),
    PASSED_THROUGH("passed_through", "queries forwarded and answered unchanged (other types and classes)"),
    TRUNCATED("truncated", "UDP answers sent with TC because they did not fit the client's buffer"),

    // --- cache ---
    CACHE_HIT("cache_hit", "answers served from the cache"),
    CACHE_MISS("cache_miss", "queries not found in the cache"),
    CACHE_MISS_SHARED("cache_miss_shared",
            "cache misses answered with the lookup of an identical query already under way (no upstream query of their own)"),
    CACHE_PREFETCH("cache_prefetch",
            "cached answers refreshed from the upstream before they expired, started by a hit in the last seconds of their TTL"),
    CACHE_PREFETCH_FAILED("cache_prefetch_failed",
            "prefetches that brought no answer to cache (upstream failure, error rcode): the entry expires as it would have"),
    CACHE_EVICTED("cache_evicted", "cache entries dropped to keep the cache within its size"),

    // --- upstream ---
    UPSTREAM_QUERIES("upstream_queries", "queries sent to an upstream server (each attempt counts)"),
    UPSTREAM_TIMEOUT("upstream_timeout", "upstream attempts that got no valid answer in time"),
    UPSTREAM_ERROR_RCODE("upstream_error_rcode", "upstream answers with SERVFAIL, REFUSED or another error rcode (failover)"),
    UPSTREAM_NETWORK_ERROR("upstream_network_error", "upstream attempts that failed with a socket error"),
    UPSTREAM_BAD_REPLY("upstream_bad_reply",
            "upstream datagrams ignored: wrong ID, wrong question, not a response or unparseable (RFC 5452)"),
    UPSTREAM_TCP_RETRY("upstream_tcp_retry", "upstream UDP answers with TC set, asked again over TCP"),
    UPSTREAM_INFLIGHT_LIMIT("upstream_inflight_limit", "upstream attempts not sent because max-inflight queries were pending"),
    UPSTREAM_FAILURE("upstream_failure", "lookups for which every upstream and retry failed"),
    SERVFAIL_SENT("servfail_sent", "SERVFAIL answers sent to clients (every upstream failed, or passed on from the upstream)"),

    // --- bad input ---
    DROP_SHORT("drop_short", "datagrams shorter than a DNS header (12 bytes), dropped"),
    DROP_QR_SET("drop_qr_set", "messages with QR set (responses, not queries), ignored"),
    FORMERR_QDCOUNT("formerr_qdcount", "queries with QDCOUNT other than 1, answered FORMERR"),
    FORMERR_COMPRESSION_LOOP("formerr_compression_loop",
            "names whose compression pointer loops or points forward, answered FORMERR"),
    FORMERR_LABEL_TOO_LONG("formerr_label_too_long", "labels longer than 63 bytes (or extended label types), answered FORMERR"),
    FORMERR_NAME_TOO_LONG("formerr_name_too_long", "names longer than 255 bytes on the wire, answered FORMERR"),
    FORMERR_TWO_OPT("formerr_two_opt", "queries with more than one OPT record (RFC 6891 §6.1.1), answered FORMERR"),
    FORMERR_MALFORMED("formerr_malformed", "queries cut short or otherwise unparseable, answered FORMERR"),
    NOTIMP_OPCODE("notimp_opcode", "queries with an opcode other than QUERY, answered NOTIMP"),
    BADVERS("badvers", "queries with an EDNS version other than 0, answered BADVERS (RFC 6891 §6.1.3)"),
    INTERNAL_ERROR("internal_error", "unexpected exceptions while answering (a bug; answered SERVFAIL or dropped)"),
    ;

    private final String id;
    private final String explanation;

    Dns64Counter(String id, String explanation) {
        this.id = id;
        this.explanation = explanation;
    }

    /** Stable snake_case name. */
    public String id() {
        return id;
    }

    /** One line saying what makes this counter go up. */
    public String explanation() {
        return explanation;
    }
}
