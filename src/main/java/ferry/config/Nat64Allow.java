package ferry.config;

import java.util.List;

/**
 * One rule of ferry's {@code "ferry": {"nat64-allow": [...]}} port filter for IPv6-initiated flows (no Jool
 * equivalent: Jool leaves this to the firewall): new flows of {@code protocol} to a destination port in
 * {@code ports} may create a BIB entry / session; with the key present, all other new IPv6-initiated flows are
 * refused. ICMP rules have no ports (every ICMP query is allowed).
 *
 * @param protocol 6 (TCP), 17 (UDP) or 1 (ICMP)
 * @param ports    allowed destination port ranges; empty: every port of the protocol
 */
public record Nat64Allow(int protocol, List<Range> ports) {
    public Nat64Allow {
        ports = List.copyOf(ports);
    }

    /** Destination ports {@code first}..{@code last}, inclusive. */
    public record Range(int first, int last) {
    }
}
