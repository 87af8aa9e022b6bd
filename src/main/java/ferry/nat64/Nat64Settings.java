package ferry.nat64;

/**
 * The NAT64 globals, in Jool's terms, with Jool's defaults. Durations are in seconds, as in Jool's files.
 *
 * @param udpTimeout                 {@code udp-timeout}, default 300 (RFC 6146 §4: UDP default 5 min)
 * @param tcpEstTimeout              {@code tcp-est-timeout}, default 7440 (§4: TCP_EST 2 h 4 min)
 * @param tcpTransTimeout            {@code tcp-trans-timeout}, default 240 (§4: TCP_TRANS 4 min)
 * @param icmpTimeout                {@code icmp-timeout}, default 60 (§4: ICMP 60 s)
 * @param maximumSimultaneousOpens   {@code maximum-simultaneous-opens}, default 10 (parsed; see the README)
 * @param addressDependentFiltering  {@code address-dependent-filtering}, default false (§3.5.1: EIF)
 * @param dropExternallyInitiatedTcp {@code drop-externally-initiated-tcp}, default false
 * @param dropIcmpv6Info             {@code drop-icmpv6-info}, default false
 * @param handleRstDuringFinRcv      {@code handle-rst-during-fin-rcv}, default false
 * @param fArgs                      {@code f-args}, default 0b1011 (RFC 6056 F over source address, destination
 *                                   address and destination port)
 * @param maxSessions                ferry's {@code max-sessions}: most sessions per protocol (memory is allocated
 *                                   for them at start)
 * @param maxSessionsPerSubscriber   ferry's {@code max-sessions-per-subscriber} (RFC 6888 REQ-4), per protocol;
 *                                   0: no limit (default)
 * @param maxPortsPerSubscriber      ferry's {@code max-ports-per-subscriber} (RFC 6888 REQ-3/REQ-4): dynamic BIB
 *                                   entries per subscriber and protocol; 0: no limit (default)
 * @param subscriberPrefixLength     ferry's {@code subscriber-prefix-length}: a subscriber is an IPv6 /128
 *                                   (default) or /64
 * @param fragmentTimeout            ferry's {@code fragment-timeout}: seconds a fragmented datagram's mapping is kept
 *                                   for its later fragments, at least 2 (issue 4), default 2
 */
public record Nat64Settings(int udpTimeout, int tcpEstTimeout, int tcpTransTimeout, int icmpTimeout,
                            int maximumSimultaneousOpens, boolean addressDependentFiltering,
                            boolean dropExternallyInitiatedTcp, boolean dropIcmpv6Info,
                            boolean handleRstDuringFinRcv, int fArgs, int maxSessions,
                            int maxSessionsPerSubscriber, int maxPortsPerSubscriber, int subscriberPrefixLength,
                            int fragmentTimeout) {
    /** RFC 6146 §4: TCP_INCOMING_SYN, "must be at least 6 seconds" (RFC 5382). */
    public static final int TCP_INCOMING_SYN_SECONDS = 6;
    public static final int DEFAULT_MAX_SESSIONS = 1 << 18;

    public Nat64Settings {
        if (udpTimeout < 120) throw new IllegalArgumentException("udp-timeout must be at least 120 s (RFC 4787 REQ-5), not " + udpTimeout);
        if (tcpEstTimeout < 7440) throw new IllegalArgumentException("tcp-est-timeout must be at least 7440 s (RFC 5382 REQ-5), not " + tcpEstTimeout);
        if (tcpTransTimeout < 240) throw new IllegalArgumentException("tcp-trans-timeout must be at least 240 s (RFC 5382 REQ-5), not " + tcpTransTimeout);
        if (icmpTimeout < 1) throw new IllegalArgumentException("icmp-timeout must be positive, not " + icmpTimeout);
        if (maxSessions < 1) throw new IllegalArgumentException("max-sessions must be positive, not " + maxSessions);
        if (fArgs < 0 || fArgs > 15) throw new IllegalArgumentException("f-args must be 0..15, not " + fArgs);
        if (maxSessionsPerSubscriber < 0 || maxPortsPerSubscriber < 0)
            throw new IllegalArgumentException("per-subscriber limits must be 0 (none) or positive");
        if (fragmentTimeout < 2) throw new IllegalArgumentException("fragment-timeout must be at least 2 s, not " + fragmentTimeout);
        if (subscriberPrefixLength != 64 && subscriberPrefixLength != 128)
            throw new IllegalArgumentException("subscriber-prefix-length must be 64 or 128, not " + subscriberPrefixLength);
    }

    /** Without per-subscriber limits. */
    public Nat64Settings(int udpTimeout, int tcpEstTimeout, int tcpTransTimeout, int icmpTimeout,
                         int maximumSimultaneousOpens, boolean addressDependentFiltering,
                         boolean dropExternallyInitiatedTcp, boolean dropIcmpv6Info, boolean handleRstDuringFinRcv,
                         int fArgs, int maxSessions) {
        this(udpTimeout, tcpEstTimeout, tcpTransTimeout, icmpTimeout, maximumSimultaneousOpens,
                addressDependentFiltering, dropExternallyInitiatedTcp, dropIcmpv6Info, handleRstDuringFinRcv, fArgs,
                maxSessions, 0, 0, 128, 2);
    }

    /** A copy with per-subscriber limits (RFC 6888). */
    public Nat64Settings withSubscriberLimits(int sessions, int ports, int prefixLength) {
        return new Nat64Settings(udpTimeout, tcpEstTimeout, tcpTransTimeout, icmpTimeout, maximumSimultaneousOpens,
                addressDependentFiltering, dropExternallyInitiatedTcp, dropIcmpv6Info, handleRstDuringFinRcv, fArgs,
                maxSessions, sessions, ports, prefixLength, fragmentTimeout);
    }

    /** Jool's defaults and {@link #DEFAULT_MAX_SESSIONS}. */
    public static Nat64Settings defaults() {
        return new Nat64Settings(300, 7440, 240, 60, 10, false, false, false, false, 0b1011, DEFAULT_MAX_SESSIONS);
    }

    /** A copy with another session cap. */
    public Nat64Settings withMaxSessions(int n) {
        return new Nat64Settings(udpTimeout, tcpEstTimeout, tcpTransTimeout, icmpTimeout, maximumSimultaneousOpens,
                addressDependentFiltering, dropExternallyInitiatedTcp, dropIcmpv6Info, handleRstDuringFinRcv, fArgs, n,
                maxSessionsPerSubscriber, maxPortsPerSubscriber, subscriberPrefixLength, fragmentTimeout);
    }

    /** A copy with another fragment timeout (seconds). */
    public Nat64Settings withFragmentTimeout(int seconds) {
        return new Nat64Settings(udpTimeout, tcpEstTimeout, tcpTransTimeout, icmpTimeout, maximumSimultaneousOpens,
                addressDependentFiltering, dropExternallyInitiatedTcp, dropIcmpv6Info, handleRstDuringFinRcv, fArgs,
                maxSessions, maxSessionsPerSubscriber, maxPortsPerSubscriber, subscriberPrefixLength, seconds);
    }
}
