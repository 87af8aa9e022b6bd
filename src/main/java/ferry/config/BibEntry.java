package ferry.config;

import ferry.addr.Prefix4;
import ferry.addr.Prefix6;

/**
 * One Jool static {@code bib} entry: {@code {"protocol": "TCP", "ipv6 address": "2001:db8::1#80",
 * "ipv4 address": "192.0.2.1#80"}}.
 *
 * @param protocol IANA protocol number: 6 TCP, 17 UDP, 1 ICMP
 * @param ipv6     the IPv6 address (a /128)
 * @param port6    its port (ICMP: identifier)
 * @param ipv4     the IPv4 address (a /32, inside pool4)
 * @param port4    its port
 */
public record BibEntry(int protocol, Prefix6 ipv6, int port6, Prefix4 ipv4, int port4) {
}
