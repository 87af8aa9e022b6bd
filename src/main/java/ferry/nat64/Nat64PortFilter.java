package ferry.nat64;

/**
 * ferry's {@code nat64-allow}: the destination ports IPv6-initiated flows may open through the NAT64 (the island's
 * "only the ports the operator opens"). Consulted only when a new IPv6-initiated session would be created, never for
 * established flows or for IPv4-initiated traffic (static BIB entries); a refused flow creates no BIB entry and no
 * session. Jool has no such setting (it leaves filtering to the firewall). Immutable; one bit per port and protocol
 * (8 KiB each for TCP and UDP), so a check is one array read.
 */
public final class Nat64PortFilter {
    private final long[] tcp = new long[1024], udp = new long[1024];
    private boolean icmp;

    private Nat64PortFilter() {
    }

    /** Builds a filter; every flow not allowed by one of its calls is refused. */
    public static final class Builder {
        private final Nat64PortFilter f = new Nat64PortFilter();
        private boolean built;

        /**
         * Allows new flows of {@code proto} (6 TCP, 17 UDP) to destination ports {@code first}..{@code last}; for
         * ICMP (1) the ports are ignored and every ICMP query is allowed.
         */
        public Builder allow(int proto, int first, int last) {
            if (built) throw new IllegalStateException("already built");
            if (proto == 1) {
                f.icmp = true;
                return this;
            }
            long[] bits = proto == 6 ? f.tcp : proto == 17 ? f.udp : null;
            if (bits == null) throw new IllegalArgumentException("protocol " + proto + ": expected 6, 17 or 1");
            if (first < 0 || last > 65535 || first > last)
                throw new IllegalArgumentException("ports " + first + "-" + last + ": expected 0 <= first <= last <= 65535");
            for (int p = first; p <= last; p++) bits[p >>> 6] |= 1L << p;
            return this;
        }

        public Nat64PortFilter build() {
            built = true;
            return f;
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** True when a new IPv6-initiated flow of {@code proto} to destination port {@code port} may be created. */
    public boolean allows(int proto, int port) {
        return switch (proto) {
            case 6 -> (tcp[(port & 0xffff) >>> 6] & 1L << port) != 0;
            case 17 -> (udp[(port & 0xffff) >>> 6] & 1L << port) != 0;
            case 1 -> icmp;
            default -> false;
        };
    }
}
