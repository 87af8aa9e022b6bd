package ferry.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ferry.io.Tshark;
import ferry.packet.IcmpTypes;
import ferry.packet.PacketBuilder;
import ferry.packet.Tcp;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ferry translate} on captures built with {@link PacketBuilder}, its output read back by Wireshark's
 * {@code tshark}: nothing malformed, no expert error, every checksum Wireshark verifies reported good (IPv4 header,
 * UDP, TCP, ICMP, ICMPv6, also inside ICMP errors and after reassembling fragments), and the addresses, ICMP
 * types/codes/MTUs and ports that RFC 7915 and the configuration call for.
 */
class TranslateEndToEndTest {
    static final String CONFIG = """
            { "global": { "pool6": "64:ff9b::/96", "lowest-ipv6-mtu": 1280 },
              "eamt": [ { "ipv6 prefix": "2001:db8:3::/120", "ipv4 prefix": "192.0.2.0/24" } ],
              "ferry": { "ipv4-address": "198.51.100.1", "ipv6-address": "2001:db8:ffff::1" } }
            """;
    // IPv6-only host and router behind the EAMT entry 2001:db8:3::/120 <-> 192.0.2.0/24
    static final String H6 = "2001:db8:3::10", H4 = "192.0.2.16", R6 = "2001:db8:3::1", R4 = "192.0.2.1";
    // IPv4 server and router under pool6 64:ff9b::/96 (RFC 6052: last 32 bits)
    static final String S4 = "198.51.100.7", S6 = "64:ff9b::c633:6407", X4 = "203.0.113.1", X6 = "64:ff9b::cb00:7101";
    // the translator's own addresses (sources of the errors it generates)
    static final String T4 = "198.51.100.1", T6 = "2001:db8:ffff::1";

    /** The tshark command: Wireshark checks ICMP and ICMPv6 checksums always; IPv4, UDP and TCP on request. */
    static final List<String> TSHARK_CHECKS = List.of("-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
            "-o", "tcp.check_checksum:TRUE");
    static final List<String> FIELDS = List.of("frame.number", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
            "ip.frag_offset", "ip.flags.mf", "ipv6.fraghdr.offset", "ipv6.fraghdr.more", "icmp.type", "icmp.code",
            "icmp.mtu", "icmpv6.type", "icmpv6.code", "icmpv6.mtu", "udp.srcport", "udp.dstport", "tcp.srcport",
            "tcp.dstport", "ip.checksum.status", "udp.checksum.status", "tcp.checksum.status", "icmp.checksum.status",
            "icmpv6.checksum.status", "_ws.malformed", "_ws.expert.severity", "_ws.expert.message");
    static final List<String> CHECKSUM_FIELDS = List.of("ip.checksum.status", "udp.checksum.status",
            "tcp.checksum.status", "icmp.checksum.status", "icmpv6.checksum.status");
    static final String SEVERITY_ERROR = "8388608"; // PI_ERROR

    @TempDir
    Path dir;

    /** Runs tshark over a capture; one map of field -> value (occurrences joined by ',') per frame. */
    static List<Map<String, String>> tshark(Path capture) throws Exception {
        List<String> args = new ArrayList<>(List.of("-r", capture.toString()));
        args.addAll(TSHARK_CHECKS);
        args.addAll(List.of("-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,"));
        for (String f : FIELDS) args.addAll(List.of("-e", f));
        List<Map<String, String>> rows = new ArrayList<>();
        for (String line : Tshark.run(args.toArray(String[]::new))) {
            String[] v = line.split("\t", -1);
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < FIELDS.size(); i++) row.put(FIELDS.get(i), i < v.length ? v[i] : "");
            rows.add(row);
        }
        return rows;
    }

    static String first(String v) {
        int c = v.indexOf(',');
        return c < 0 ? v : v.substring(0, c);
    }

    static boolean yes(String v) {
        return v.equals("1") || v.equalsIgnoreCase("true") || v.equalsIgnoreCase("set");
    }

    /** A readable summary of one frame: family, src>dst (outer,inner), fragment, ICMP, ports. */
    static String summary(Map<String, String> r) {
        StringBuilder sb = new StringBuilder();
        if (!r.get("ip.src").isEmpty()) {
            sb.append("v4 ").append(r.get("ip.src")).append('>').append(r.get("ip.dst"));
            String off = first(r.get("ip.frag_offset"));
            boolean mf = yes(first(r.get("ip.flags.mf")));
            if (mf || !(off.isEmpty() || off.equals("0"))) sb.append(" frag ").append(off).append(mf ? "+" : "");
        }
        if (!r.get("ipv6.src").isEmpty()) {
            sb.append("v6 ").append(r.get("ipv6.src")).append('>').append(r.get("ipv6.dst"));
            String off = first(r.get("ipv6.fraghdr.offset"));
            if (!off.isEmpty()) sb.append(" frag ").append(off).append(yes(first(r.get("ipv6.fraghdr.more"))) ? "+" : "");
        }
        if (!r.get("icmp.type").isEmpty()) {
            sb.append(" icmp ").append(r.get("icmp.type")).append('/').append(r.get("icmp.code"));
            if (!r.get("icmp.mtu").isEmpty()) sb.append(" mtu ").append(r.get("icmp.mtu"));
        }
        if (!r.get("icmpv6.type").isEmpty()) {
            sb.append(" icmpv6 ").append(r.get("icmpv6.type")).append('/').append(r.get("icmpv6.code"));
            if (!r.get("icmpv6.mtu").isEmpty()) sb.append(" mtu ").append(r.get("icmpv6.mtu"));
        }
        if (!r.get("udp.srcport").isEmpty()) sb.append(" udp ").append(r.get("udp.srcport")).append('>')
                .append(r.get("udp.dstport"));
        if (!r.get("tcp.srcport").isEmpty()) sb.append(" tcp ").append(r.get("tcp.srcport")).append('>')
                .append(r.get("tcp.dstport"));
        return sb.toString();
    }

    /** No malformed packet, no expert error, every checksum Wireshark looked at reported Good (1). */
    static void assertWiresharkHappy(List<Map<String, String>> rows) {
        assertWiresharkHappy(rows, Set.of());
    }

    /**
     * As {@link #assertWiresharkHappy(List)}, except the TCP checksum of the frames in {@code innerTcpTruncated}:
     * ICMP errors that quote a truncated TCP segment, whose checksum Wireshark 4.0 nevertheless computes over the
     * bytes present and calls bad (it does so on the input too). Their checksum is checked against the value
     * computed over the whole segment instead (see the tests).
     */
    static void assertWiresharkHappy(List<Map<String, String>> rows, Set<Integer> innerTcpTruncated) {
        for (Map<String, String> r : rows) {
            int n = Integer.parseInt(r.get("frame.number"));
            String frame = "frame " + n + " " + r;
            assertThat(r.get("_ws.malformed")).as("malformed: " + frame).isEmpty();
            boolean exempt = innerTcpTruncated.contains(n);
            if (exempt) {
                assertThat(r.get("_ws.expert.message")).as(frame).startsWith("Bad checksum");
                assertThat(r.get("_ws.expert.severity")).as(frame).isEqualTo(SEVERITY_ERROR);
            } else {
                assertThat(Arrays.asList(r.get("_ws.expert.severity").split(","))).as("expert error: " + frame)
                        .doesNotContain(SEVERITY_ERROR);
            }
            for (String f : CHECKSUM_FIELDS) {
                String v = r.get(f);
                if (v.isEmpty() || exempt && f.equals("tcp.checksum.status")) continue;
                assertThat(v.split(",")).as(f + " (1 = Good): " + frame).containsOnly("1");
            }
        }
    }

    static List<byte[]> inputs() {
        List<byte[]> in = new ArrayList<>();
        in.add(PacketBuilder.ipv6(H6, S6).udp(5000, 6000).payload(100).build());
        in.add(PacketBuilder.ipv4(S4, H4).df(true).identification(1).udp(6000, 5000).payload(200).build());
        in.add(PacketBuilder.ipv6(H6, S6).tcp(40001, 443).seq(1000).tcpFlags(Tcp.SYN).build());
        in.add(PacketBuilder.ipv4(S4, H4).df(true).identification(2).tcp(443, 40001).seq(7).ack(1001)
                .payload(1000).build());
        in.add(PacketBuilder.ipv6(H6, S6).echoRequest(1, 1).payload(56).build());
        in.add(PacketBuilder.ipv4(S4, H4).identification(3).echoReply(1, 1).payload(56).build());
        in.add(PacketBuilder.ipv4(S4, H4).identification(4).echoRequest(2, 1).payload(56).build());
        in.add(PacketBuilder.ipv6(H6, S6).echoReply(2, 1).payload(56).build());
        // IPv4 fragments of one UDP datagram (1508 bytes of UDP), split at 1000
        in.addAll(E2e.fragments4(S4, H4, 0x1111,
                PacketBuilder.ipv4(S4, H4).udp(6000, 5000).payload(1500).build(), 1000));
        // IPv6 fragments of one UDP datagram, split at 1232
        in.addAll(E2e.fragments6(H6, S6, 0x2222,
                PacketBuilder.ipv6(H6, S6).udp(5000, 6000).payload(1500).build(), 1232));
        // ICMPv4 Port Unreachable quoting a whole UDP packet
        in.add(PacketBuilder.ipv4(S4, H4).identification(5).icmpError(IcmpTypes.V4_DEST_UNREACH,
                IcmpTypes.V4_PORT_UNREACH, 0, PacketBuilder.ipv4(H4, S4).ttl(63).udp(5000, 6000).payload(100)
                        .build()).build());
        // ICMPv6 Port Unreachable quoting a whole UDP packet
        in.add(PacketBuilder.ipv6(H6, S6).icmpError(IcmpTypes.V6_DEST_UNREACH, IcmpTypes.V6_PORT_UNREACH, 0,
                PacketBuilder.ipv6(S6, H6).hopLimit(63).udp(6000, 5000).payload(200).build()).build());
        // ICMPv6 Packet Too Big (MTU 1400) quoting as much of a 1460-byte TCP packet as fits in 1280 (RFC 4443)
        in.add(PacketBuilder.ipv6(R6, S6).icmpError(IcmpTypes.V6_PACKET_TOO_BIG, 0, 1400,
                PacketBuilder.ipv6(S6, H6).hopLimit(63).tcp(443, 40001).seq(9).payload(1400).truncate(1232)
                        .build()).build());
        // ICMPv4 Fragmentation Needed (MTU 1400) quoting an IPv4 header and 8 bytes of TCP (RFC 792)
        in.add(PacketBuilder.ipv4(X4, H4).identification(6).icmpError(IcmpTypes.V4_DEST_UNREACH,
                IcmpTypes.V4_FRAG_NEEDED, 1400, PacketBuilder.ipv4(H4, S4).df(true).ttl(63).tcp(40001, 443)
                        .seq(1001).payload(1400).truncate(28).build()).build());
        // TTL 1 and Hop Limit 1: the translator answers Time Exceeded itself
        in.add(PacketBuilder.ipv4(S4, H4).identification(7).ttl(1).udp(6000, 33434).payload(24).build());
        in.add(PacketBuilder.ipv6(H6, S6).hopLimit(1).udp(5000, 33434).payload(24).build());
        // DF=0 and larger than lowest-ipv6-mtu: fragmented by the translator; DF=1 1428 bytes: fits ipv6-mtu 1500
        in.add(PacketBuilder.ipv4(S4, H4).identification(8).udp(6000, 5001).payload(2000).build());
        in.add(PacketBuilder.ipv4(S4, H4).identification(9).df(true).udp(6000, 5002).payload(1400).build());
        return in;
    }

    /** Frame number of the Packet Too Big in the input, and of its translation in the output. */
    static final int PTB_FRAME = 15;

    /** What RFC 7915 and the configuration say the output is, frame by frame (see {@link #summary}). */
    static final List<String> EXPECTED = List.of(
            "v4 " + H4 + ">" + S4 + " udp 5000>6000",
            "v6 " + S6 + ">" + H6 + " udp 6000>5000",
            "v4 " + H4 + ">" + S4 + " tcp 40001>443",
            "v6 " + S6 + ">" + H6 + " tcp 443>40001",
            "v4 " + H4 + ">" + S4 + " icmp 8/0",
            "v6 " + S6 + ">" + H6 + " icmpv6 129/0",
            "v6 " + S6 + ">" + H6 + " icmpv6 128/0",
            "v4 " + H4 + ">" + S4 + " icmp 0/0",
            // RFC 7915 §4.1: a fragment gets a Fragment header with the same offset and M flag
            "v6 " + S6 + ">" + H6 + " frag 0+",
            "v6 " + S6 + ">" + H6 + " frag 125 udp 6000>5000",
            // RFC 7915 §5.1.1: IPv6 fragment -> IPv4 fragment, same offset, MF from M
            "v4 " + H4 + ">" + S4 + " frag 0+",
            "v4 " + H4 + ">" + S4 + " frag 154 udp 5000>6000",
            // RFC 7915 §4.2: Port Unreachable -> Destination Unreachable code 4; inner packet translated (§4.5)
            "v6 " + S6 + "," + H6 + ">" + H6 + "," + S6 + " icmpv6 1/4 udp 5000>6000",
            // RFC 7915 §5.2: Destination Unreachable code 4 -> Port Unreachable (3/3)
            "v4 " + H4 + "," + S4 + ">" + S4 + "," + H4 + " icmp 3/3 udp 6000>5000",
            // RFC 7915 §5.2: Packet Too Big -> Fragmentation Needed, MTU = min(1400 - 20, ipv4-mtu, ipv6-mtu - 20)
            "v4 " + R4 + "," + S4 + ">" + S4 + "," + H4 + " icmp 3/4 mtu 1380 tcp 443>40001",
            // RFC 7915 §4.2: Fragmentation Needed -> Packet Too Big, MTU = 1400 + 20 (within ipv6-mtu 1500)
            "v6 " + X6 + "," + H6 + ">" + H6 + "," + S6 + " icmpv6 2/0 mtu 1420 tcp 40001>443",
            // RFC 7915 §4.1/§5.1: TTL/Hop Limit would reach 0: Time Exceeded from the translator's own address
            "v4 " + T4 + "," + S4 + ">" + S4 + "," + H4 + " icmp 11/0 udp 6000>33434",
            "v6 " + T6 + "," + H6 + ">" + H6 + "," + S6 + " icmpv6 3/0 udp 5000>33434",
            // RFC 7915 §4.1 + lowest-ipv6-mtu 1280: 2008 bytes of UDP in 1232 + 776
            "v6 " + S6 + ">" + H6 + " frag 0+",
            "v6 " + S6 + ">" + H6 + " frag 154 udp 6000>5001",
            "v6 " + S6 + ">" + H6 + " udp 6000>5002");

    @Test
    void tsharkFindsEveryTranslatedPacketWellFormedWithGoodChecksumsAndTheConfiguredAddresses() throws Exception {
        assumeTrue(Tshark.available(), Tshark.SKIP_REASON);
        Path cfg = E2e.write(dir, "siit.json", CONFIG);
        Path in = E2e.pcap(dir, "in.pcap", inputs());
        Path out = dir.resolve("out.pcap");

        // The input itself is clean in Wireshark's eyes, so whatever it finds in the output is the translator's.
        assertWiresharkHappy(tshark(in), Set.of(PTB_FRAME));
        E2e.Run run = E2e.main("translate", "--config", cfg.toString(), in.toString(), out.toString());
        List<Map<String, String>> rows = tshark(out);

        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(rows.stream().map(TranslateEndToEndTest::summary).toList()).containsExactlyElementsOf(EXPECTED);
        assertWiresharkHappy(rows, Set.of(PTB_FRAME));
        // The inner TCP checksum of the translated Packet Too Big is that of the whole segment, as IPv4 would
        // have carried it (RFC 7915 §5.5: inner transport checksums are updated like outer ones).
        byte[] whole4 = PacketBuilder.ipv4(S4, H4).tcp(443, 40001).seq(9).payload(1400).build();
        String expectedSum = String.format("0x%02x%02x", whole4[20 + 16], whole4[20 + 17]);
        assertThat(Tshark.run("-r", out.toString(), "-Y", "frame.number == " + PTB_FRAME, "-T", "fields", "-e",
                "tcp.checksum")).containsExactly(expectedSum);
        assertThat(run.stderr()).contains("packets in:  20").contains("packets out: 21");
    }

    @Test
    void outputPacketsCarryTheTimestampOfTheInputPacketTheyCameFrom() throws Exception {
        Path cfg = E2e.write(dir, "siit.json", CONFIG);
        List<byte[]> ins = inputs();
        Path in = E2e.pcap(dir, "in.pcap", ins);
        Path out = dir.resolve("out.pcap");

        E2e.Run run = E2e.main("translate", "--config", cfg.toString(), in.toString(), out.toString());
        List<Long> ts = E2e.read(out).stream().map(E2e.Pkt::ts).toList();

        assertThat(run.exit()).isZero();
        // every input gives one packet, except input 19 (DF=0, 2028 bytes): two fragments
        List<Long> expected = new ArrayList<>();
        for (int i = 0; i < ins.size(); i++) {
            expected.add(E2e.T0 + i * 1_000_000L);
            if (i == 18) expected.add(E2e.T0 + i * 1_000_000L);
        }
        assertThat(ts).containsExactlyElementsOf(expected);
    }

    @Test
    void theReadmeCommandTranslatesTheCommittedSampleCleanly() throws Exception {
        assumeTrue(Tshark.available(), Tshark.SKIP_REASON);
        Path out = dir.resolve("ferry-out.pcap");

        E2e.Run run = E2e.main("translate", "--config", "examples/siit.json", "examples/sample.pcap",
                out.toString());
        List<Map<String, String>> rows = tshark(out);

        assertThat(run.exit()).as(run.stderr()).isZero();
        assertWiresharkHappy(rows);
        String v4Host = SampleTraffic.V4_HOST, v6Host = SampleTraffic.V6_HOST;
        String v4Srv = SampleTraffic.V4_SERVER, v6Srv = SampleTraffic.V6_SERVER;
        assertThat(rows.stream().map(TranslateEndToEndTest::summary).toList()).containsExactly(
                "v4 " + v4Host + ">" + v4Srv + " icmp 8/0",
                "v6 " + v6Srv + ">" + v6Host + " icmpv6 129/0",
                "v6 " + v6Srv + ">" + v6Host + " icmpv6 128/0",
                "v4 " + v4Host + ">" + v4Srv + " icmp 0/0",
                "v4 " + v4Host + ">" + v4Srv + " udp 40000>53",
                "v6 " + v6Srv + ">" + v6Host + " udp 53>40000",
                "v4 " + v4Host + ">" + v4Srv + " tcp 40001>443",
                "v6 " + v6Srv + ">" + v6Host + " tcp 443>40001",
                "v6 " + v6Srv + "," + v6Host + ">" + v6Host + "," + v6Srv + " icmpv6 1/4 udp 40000>53",
                "v6 " + SampleTraffic.V6_ROUTER + "," + v6Host + ">" + v6Host + "," + v6Srv
                        + " icmpv6 2/0 mtu 1420 tcp 40001>443",
                "v4 " + SampleTraffic.V4_TRANSLATOR + "," + v4Srv + ">" + v4Srv + "," + v4Host
                        + " icmp 11/0 udp 33434>33435",
                "v6 " + SampleTraffic.V6_TRANSLATOR + "," + v6Host + ">" + v6Host + "," + v6Srv
                        + " icmpv6 3/0 udp 33434>33435",
                "v6 " + v6Srv + ">" + v6Host + " frag 0+",
                "v6 " + v6Srv + ">" + v6Host + " frag 154+",
                "v6 " + v6Srv + ">" + v6Host + " frag 308 udp 50000>50001");
        assertThat(run.stderr()).contains("packets in:  14").contains("packets out: 15");
    }
}
