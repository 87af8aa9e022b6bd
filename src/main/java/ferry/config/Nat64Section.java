package ferry.config;

import java.util.List;

/**
 * The stateful NAT64 part of a configuration: Jool's {@code pool4} and {@code bib} arrays and the NAT64 globals
 * (Jool's names and defaults; durations in seconds), plus ferry's {@code "ferry": {"max-sessions": N}}.
 *
 * @param pool4                      pool4 entries, in file order
 * @param bib                        static BIB entries, in file order
 * @param udpTimeout                 {@code udp-timeout}, default 300 (5:00)
 * @param tcpEstTimeout              {@code tcp-est-timeout}, default 7440 (2:04:00)
 * @param tcpTransTimeout            {@code tcp-trans-timeout}, default 240 (4:00)
 * @param icmpTimeout                {@code icmp-timeout}, default 60 (1:00)
 * @param maximumSimultaneousOpens   {@code maximum-simultaneous-opens}, default 10
 * @param addressDependentFiltering  {@code address-dependent-filtering}, default false
 * @param dropExternallyInitiatedTcp {@code drop-externally-initiated-tcp}, default false
 * @param dropIcmpv6Info             {@code drop-icmpv6-info}, default false
 * @param handleRstDuringFinRcv      {@code handle-rst-during-fin-rcv}, default false
 * @param fArgs                      {@code f-args}, default 11 (0b1011)
 * @param sourceIcmpv6ErrorsBetter   {@code source-icmpv6-errors-better}, default false (accepted; see nat64 README)
 * @param loggingBib                 {@code logging-bib}, default false (accepted; logging is not implemented yet)
 * @param loggingSession             {@code logging-session}, default false (likewise)
 * @param maxSessions                ferry's {@code max-sessions}: most sessions per protocol, default 262144
 * @param maxSessionsPerSubscriber   ferry's {@code max-sessions-per-subscriber} (RFC 6888), 0 = none (default)
 * @param maxPortsPerSubscriber      ferry's {@code max-ports-per-subscriber} (RFC 6888), 0 = none (default)
 * @param subscriberPrefixLength     ferry's {@code subscriber-prefix-length}: 128 (default) or 64
 * @param fragmentTimeout            ferry's {@code fragment-timeout}: seconds the fragments of a datagram are
 *                                   awaited after its first, at least 2 (default 2)
 * @param logFile                    ferry's {@code "nat64-log": {"file": PATH}}: the RFC 6888 REQ-12 mapping log's
 *                                   own file (absolute path); null: stderr ({@code "nat64-log": "stderr"}, default)
 * @param allow                      ferry's {@code nat64-allow}: the ports IPv6-initiated flows may open; null: no
 *                                   filter (default); empty: no new IPv6-initiated flow at all
 */
public record Nat64Section(List<Pool4Entry> pool4, List<BibEntry> bib, int udpTimeout, int tcpEstTimeout,
                           int tcpTransTimeout, int icmpTimeout, int maximumSimultaneousOpens,
                           boolean addressDependentFiltering, boolean dropExternallyInitiatedTcp,
                           boolean dropIcmpv6Info, boolean handleRstDuringFinRcv, int fArgs,
                           boolean sourceIcmpv6ErrorsBetter, boolean loggingBib, boolean loggingSession,
                           int maxSessions, int maxSessionsPerSubscriber, int maxPortsPerSubscriber,
                           int subscriberPrefixLength, int fragmentTimeout, String logFile,
                           List<Nat64Allow> allow) {
    public static final int DEFAULT_MAX_SESSIONS = 1 << 18;

    public Nat64Section {
        pool4 = List.copyOf(pool4);
        bib = List.copyOf(bib);
        if (allow != null) allow = List.copyOf(allow);
    }

    /** Without a log file (stderr) and without a port filter. */
    public Nat64Section(List<Pool4Entry> pool4, List<BibEntry> bib, int udpTimeout, int tcpEstTimeout,
                        int tcpTransTimeout, int icmpTimeout, int maximumSimultaneousOpens,
                        boolean addressDependentFiltering, boolean dropExternallyInitiatedTcp,
                        boolean dropIcmpv6Info, boolean handleRstDuringFinRcv, int fArgs,
                        boolean sourceIcmpv6ErrorsBetter, boolean loggingBib, boolean loggingSession,
                        int maxSessions, int maxSessionsPerSubscriber, int maxPortsPerSubscriber,
                        int subscriberPrefixLength, int fragmentTimeout) {
        this(pool4, bib, udpTimeout, tcpEstTimeout, tcpTransTimeout, icmpTimeout, maximumSimultaneousOpens,
                addressDependentFiltering, dropExternallyInitiatedTcp, dropIcmpv6Info, handleRstDuringFinRcv, fArgs,
                sourceIcmpv6ErrorsBetter, loggingBib, loggingSession, maxSessions, maxSessionsPerSubscriber,
                maxPortsPerSubscriber, subscriberPrefixLength, fragmentTimeout, null, null);
    }

    /**
     * This section without the settings that a running NAT64 applies in place ({@code nat64-log},
     * {@code nat64-allow}): what its tables are built from, so that changing only those keeps every BIB entry and
     * session across a reload.
     */
    public Nat64Section tables() {
        return logFile == null && allow == null ? this : new Nat64Section(pool4, bib, udpTimeout, tcpEstTimeout,
                tcpTransTimeout, icmpTimeout, maximumSimultaneousOpens, addressDependentFiltering,
                dropExternallyInitiatedTcp, dropIcmpv6Info, handleRstDuringFinRcv, fArgs, sourceIcmpv6ErrorsBetter,
                loggingBib, loggingSession, maxSessions, maxSessionsPerSubscriber, maxPortsPerSubscriber,
                subscriberPrefixLength, fragmentTimeout);
    }
}
