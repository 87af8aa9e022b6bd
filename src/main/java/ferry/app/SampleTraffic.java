package ferry.app;

import ferry.packet.IcmpTypes;
import ferry.packet.PacketBuilder;
import ferry.packet.Tcp;
import java.util.List;

/**
 * The demonstration capture of {@code ferry sample-pcap}: a few packets in each direction across the SIIT of
 * {@code examples/siit.json}, each chosen to show one part of RFC 7915. Deterministic: the same bytes every run.
 *
 * <p>Addresses (documentation ranges only), as {@code examples/siit.json} maps them:
 * <ul>
 * <li>{@value #V6_HOST} ⇄ {@value #V4_HOST}: an IPv6-only host, through the EAMT entry
 *     2001:db8:3::/120 ⇄ 192.0.2.0/24 (RFC 7757);</li>
 * <li>{@value #V4_SERVER} ⇄ {@value #V6_SERVER}: an IPv4 server, through pool6 2001:db8:100::/40 (RFC 6052 §2.2,
 *     u-octet between its third and fourth bytes);</li>
 * <li>{@value #V4_ROUTER} ⇄ {@value #V6_ROUTER}: an IPv4 router that sends an ICMP error;</li>
 * <li>{@value #V4_DENIED}: in denylist4 203.0.113.0/28, never translated through pool6.</li>
 * </ul>
 */
public final class SampleTraffic {
    public static final String V6_HOST = "2001:db8:3::10";
    public static final String V4_HOST = "192.0.2.16";
    public static final String V4_SERVER = "198.51.100.7";
    public static final String V6_SERVER = "2001:db8:1c6:3364:7::";
    public static final String V4_ROUTER = "198.51.100.254";
    public static final String V6_ROUTER = "2001:db8:1c6:3364:fe::";
    public static final String V4_DENIED = "203.0.113.5";
    /** The translator's own addresses in examples/siit.json: the sources of the ICMP errors it generates. */
    public static final String V4_TRANSLATOR = "198.51.100.1";
    public static final String V6_TRANSLATOR = "2001:db8:1c0:2:1::";

    /** 2026-01-01T00:00:00Z in ns; packet i is stamped i milliseconds (plus a few ns) later. */
    static final long START_NS = 1_767_225_600_000_000_000L;

    /** One packet of the sample and what the translator should make of it. */
    public record Sample(String what, byte[] packet, long timestampNanos) {
    }

    /** DNS query for example.com A (RFC 1035 §4.1), id 0x1234, recursion desired. */
    private static final byte[] DNS_QUERY = dns(new int[] {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0}, false);
    /** Its answer: example.com A 198.51.100.80, TTL 300. */
    private static final byte[] DNS_ANSWER = dns(new int[] {0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0}, true);

    private static byte[] dns(int[] header, boolean answer) {
        int[] question = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1};
        int[] rr = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4, 198, 51, 100, 80};
        int n = header.length + question.length + (answer ? rr.length : 0);
        byte[] b = new byte[n];
        int i = 0;
        for (int v : header) b[i++] = (byte) v;
        for (int v : question) b[i++] = (byte) v;
        if (answer) for (int v : rr) b[i++] = (byte) v;
        return b;
    }

    private SampleTraffic() {
    }

    /** The packets in capture order. */
    public static List<Sample> packets() {
        // The packets the ICMP errors quote, as they left the translator towards the IPv4 side.
        byte[] innerUdp = PacketBuilder.ipv4(V4_HOST, V4_SERVER).df(true).identification(0x2a2a).ttl(63)
                .udp(40000, 53).payload(DNS_QUERY).build();
        byte[] innerTcp = PacketBuilder.ipv4(V4_HOST, V4_SERVER).df(true).identification(0x2a2b).ttl(63)
                .tcp(40001, 443).seq(1001).ack(5001).tcpFlags(Tcp.ACK | Tcp.PSH).payload(1400).truncate(28).build();
        var list = List.of(
                s("IPv6 -> IPv4: ICMPv6 Echo Request becomes ICMPv4 Echo Request (RFC 7915 §5.2)",
                        PacketBuilder.ipv6(V6_HOST, V6_SERVER).echoRequest(0x1234, 1).payload(56).build()),
                s("IPv4 -> IPv6: ICMPv4 Echo Reply becomes ICMPv6 Echo Reply (RFC 7915 §4.2)",
                        PacketBuilder.ipv4(V4_SERVER, V4_HOST).identification(1).echoReply(0x1234, 1).payload(56)
                                .build()),
                s("IPv4 -> IPv6: ICMPv4 Echo Request (RFC 7915 §4.2)",
                        PacketBuilder.ipv4(V4_SERVER, V4_HOST).identification(2).echoRequest(0x0777, 1).payload(32)
                                .build()),
                s("IPv6 -> IPv4: ICMPv6 Echo Reply (RFC 7915 §5.2)",
                        PacketBuilder.ipv6(V6_HOST, V6_SERVER).echoReply(0x0777, 1).payload(32).build()),
                s("IPv6 -> IPv4: UDP DNS query, checksum updated for the new pseudo-header (RFC 7915 §5.5)",
                        PacketBuilder.ipv6(V6_HOST, V6_SERVER).udp(40000, 53).payload(DNS_QUERY).build()),
                s("IPv4 -> IPv6: UDP DNS answer (RFC 7915 §4.5)",
                        PacketBuilder.ipv4(V4_SERVER, V4_HOST).identification(3).df(true).udp(53, 40000)
                                .payload(DNS_ANSWER).build()),
                s("IPv6 -> IPv4: TCP SYN; DF set because the IPv6 packet is not a fragment (RFC 7915 §5.1)",
                        PacketBuilder.ipv6(V6_HOST, V6_SERVER).tcp(40001, 443).seq(1000).tcpFlags(Tcp.SYN).build()),
                s("IPv4 -> IPv6: TCP SYN-ACK",
                        PacketBuilder.ipv4(V4_SERVER, V4_HOST).identification(4).df(true).tcp(443, 40001).seq(5000)
                                .ack(1001).tcpFlags(Tcp.SYN | Tcp.ACK).build()),
                s("IPv4 -> IPv6: Port Unreachable quoting the whole DNS query becomes ICMPv6 Destination"
                                + " Unreachable (Port), its inner packet translated too, UDP checksum included"
                                + " (RFC 7915 §4.2, §4.5)",
                        PacketBuilder.ipv4(V4_SERVER, V4_HOST).identification(5)
                                .icmpError(IcmpTypes.V4_DEST_UNREACH, IcmpTypes.V4_PORT_UNREACH, 0, innerUdp).build()),
                s("IPv4 -> IPv6: Fragmentation Needed (next-hop MTU 1400) quoting an IPv4 header and 8 bytes of TCP"
                                + " (RFC 792) becomes Packet Too Big with MTU 1420 (RFC 7915 §4.2)",
                        PacketBuilder.ipv4(V4_ROUTER, V4_HOST).identification(6)
                                .icmpError(IcmpTypes.V4_DEST_UNREACH, IcmpTypes.V4_FRAG_NEEDED, 1400, innerTcp)
                                .build()),
                s("IPv4 -> IPv6 with TTL 1: not translated; the translator answers ICMPv4 Time Exceeded from its own"
                                + " address (RFC 7915 §4.1)",
                        PacketBuilder.ipv4(V4_SERVER, V4_HOST).identification(8).ttl(1).udp(33434, 33435).payload(24)
                                .build()),
                s("IPv6 -> IPv4 with Hop Limit 1: the translator answers ICMPv6 Time Exceeded (RFC 7915 §5.1)",
                        PacketBuilder.ipv6(V6_HOST, V6_SERVER).hopLimit(1).udp(33434, 33435).payload(24).build()),
                s("IPv4 -> IPv6: 3028-byte UDP with DF=0, larger than lowest-ipv6-mtu 1280: sent as IPv6 fragments"
                                + " (RFC 7915 §4.1)",
                        PacketBuilder.ipv4(V4_SERVER, V4_HOST).identification(0x4242).df(false).udp(50000, 50001)
                                .payload(3000).build()),
                s("IPv4 -> IPv6 from a denylist4 address: dropped with a counter",
                        PacketBuilder.ipv4(V4_DENIED, V4_HOST).identification(9).udp(50000, 50001).payload(16).build()));
        Sample[] out = new Sample[list.size()];
        for (int i = 0; i < out.length; i++) {
            Sample x = list.get(i);
            out[i] = new Sample(x.what(), x.packet(), START_NS + i * 1_000_000L + i);
        }
        return List.of(out);
    }

    private static Sample s(String what, byte[] packet) {
        return new Sample(what, packet, 0);
    }
}
