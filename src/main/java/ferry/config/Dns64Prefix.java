package ferry.config;

import ferry.addr.Prefix4;
import ferry.addr.Rfc6052;
import java.util.List;

/**
 * One DNS64 synthesis prefix (RFC 6147 §5.2) and the IPv4 ranges it is used for.
 *
 * @param prefix the RFC 6052 prefix AAAA records are synthesized under
 * @param ipv4   the IPv4 ranges this prefix is chosen for; empty means every IPv4 address
 */
public record Dns64Prefix(Rfc6052 prefix, List<Prefix4> ipv4) {
    public Dns64Prefix {
        ipv4 = List.copyOf(ipv4);
    }
}
