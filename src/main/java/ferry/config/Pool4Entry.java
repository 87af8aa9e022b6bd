package ferry.config;

import ferry.addr.Prefix4;

/**
 * One Jool {@code pool4} entry: {@code {"protocol": "TCP", "prefix": "192.0.2.1/32", "port range": "61001-65535",
 * "mark": 0, "max-iterations": "auto"}}.
 *
 * @param protocol      IANA protocol number: 6 TCP, 17 UDP, 1 ICMP
 * @param prefix        the IPv4 addresses
 * @param portMin       first port (ICMP: identifier), default 1 (ICMP 0)
 * @param portMax       last port, default 65535
 * @param mark          Jool's packet mark (ferry has no marks: accepted and ignored)
 * @param maxIterations {@code max-iterations}: 0 auto (default), -1 infinity, else the number
 */
public record Pool4Entry(int protocol, Prefix4 prefix, int portMin, int portMax, long mark, int maxIterations) {
}
