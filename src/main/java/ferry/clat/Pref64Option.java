package ferry.clat;

import ferry.addr.Rfc6052;

/**
 * One PREF64 option (RFC 8781) read from a Router Advertisement.
 *
 * @param prefix          the NAT64 prefix (its length from the Prefix Length Code)
 * @param lifetimeSeconds Scaled Lifetime × 8 (0 .. 65528); 0 withdraws the prefix
 */
public record Pref64Option(Rfc6052 prefix, int lifetimeSeconds) {
}
