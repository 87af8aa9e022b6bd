package ferry.nat64;

import ferry.addr.Ipv4;
import ferry.addr.Ipv6;
import ferry.packet.IpProto;

/**
 * A static BIB entry (port forwarding, RFC 6146 §3.1: "BIB entries ... may be created ... by manual configuration"):
 * IPv4 hosts may open sessions to the IPv6 transport address through the IPv4 one. The IPv4 transport address must
 * lie in pool4 (as Jool requires), so it is never handed out dynamically.
 *
 * @param proto  TCP, UDP or ICMP (for ICMP, the ports are identifiers)
 * @param v6Hi   IPv6 address, high 64 bits
 * @param v6Lo   IPv6 address, low 64 bits
 * @param port6  IPv6 port
 * @param v4     IPv4 address
 * @param port4  IPv4 port
 */
public record StaticBib(int proto, long v6Hi, long v6Lo, int port6, int v4, int port4) {
    @Override
    public String toString() {
        return IpProto.name(proto) + " " + Ipv6.format(v6Hi, v6Lo) + "#" + port6 + " " + Ipv4.format(v4) + "#" + port4;
    }
}
