package ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.config.ConfigParser;
import ferry.io.tun.PacketHandler;
import ferry.metrics.Counter;
import ferry.metrics.Counters;
import ferry.packet.Bytes;
import ferry.packet.PacketBuilder;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The per-worker handlers of {@code ferry run}: ordinary packets follow the configured MTUs; TCP super-packets are
 * translated whole when each of their segments fits the other side, and answered as their first segment would be
 * when it does not.
 */
class RunTranslatorsTest {
    static final String CONFIG = """
            { "global": { "pool6": "2001:db8:100::/40" },
              "eamt": [ { "ipv6 prefix": "2001:db8:6::/120", "ipv4 prefix": "192.0.2.0/24" } ],
              "ferry": { "ipv4-address": "203.0.113.1", "ipv6-address": "2001:db8:ff::1",
                         "ipv4-mtu": 1400, "ipv6-mtu": 1500 } }
            """;
    static final int OFF = 128;

    final Arena arena = Arena.ofConfined();
    final Counters counters = new Counters();
    final List<byte[]> out = new ArrayList<>();
    final PacketHandler handler;

    RunTranslatorsTest() throws Exception {
        RunTranslators f = new RunTranslators(ConfigParser.parse(CONFIG, "t"), new Counters[] {counters});
        handler = f.newHandler(0, (b, o, l) -> out.add(b.asSlice(o, l).toArray(ValueLayout.JAVA_BYTE)));
    }

    @AfterEach
    void close() {
        arena.close();
    }

    MemorySegment place(byte[] p) {
        MemorySegment s = arena.allocate(OFF + p.length + 1024L);
        MemorySegment.copy(p, 0, s, ValueLayout.JAVA_BYTE, OFF, p.length);
        return s;
    }

    static byte[] tcp4(int payload) {
        return PacketBuilder.ipv4("198.51.100.2", "192.0.2.2").df(true).tcp(80, 40000).payload(payload).build();
    }

    static byte[] tcp6(int payload) {
        return PacketBuilder.ipv6("2001:db8:6::2", "2001:db8:1c6:3364:2::").tcp(40000, 80).payload(payload).build();
    }

    @Test
    void anOrdinaryDfPacketTooBigForTheIpv6SideGetsFragmentationNeeded() {
        byte[] p = tcp4(20_000);
        handler.handle(place(p), OFF, p.length);
        assertThat(out).hasSize(1);
        assertThat(out.get(0)[0] >>> 4).as("an ICMPv4 error").isEqualTo(4);
        assertThat(out.get(0)[9]).isEqualTo((byte) 1);
        assertThat(counters.get(Counter.DROP_46_PACKET_TOO_BIG)).isEqualTo(1);
    }

    @Test
    void anIpv4SuperPacketWhoseSegmentsFitIsTranslatedWhole() {
        byte[] p = tcp4(20_000);
        // 1480-byte segments (1440 payload) become 1500 bytes of IPv6: they fit ipv6-mtu 1500
        handler.handleGso(place(p), OFF, p.length, 20 + 20 + 1440);
        assertThat(out).hasSize(1);
        assertThat(out.get(0)).hasSize(p.length + 20);
        assertThat(out.get(0)[0] >>> 4).isEqualTo(6);
        assertThat(counters.get(Counter.XLAT_46_OK)).isEqualTo(1);
    }

    @Test
    void anIpv4SuperPacketWhoseSegmentsDoNotFitIsAnsweredForItsFirstSegment() {
        byte[] p = tcp4(20_000);
        handler.handleGso(place(p), OFF, p.length, 20 + 20 + 1460); // 1500 -> 1520 > ipv6-mtu 1500
        assertThat(out).hasSize(1);
        byte[] icmp = out.get(0);
        assertThat(icmp[9]).as("ICMPv4").isEqualTo((byte) 1);
        assertThat(icmp[20] & 0xff).as("type 3").isEqualTo(3);
        assertThat(icmp[21] & 0xff).as("code 4").isEqualTo(4);
        assertThat(Bytes.u16(MemorySegment.ofArray(icmp), 26)).as("next-hop MTU 1500 - 20").isEqualTo(1480);
        // the quoted packet is the first segment, not the 20 kB super-packet
        assertThat(Bytes.u16(MemorySegment.ofArray(icmp), 28 + 2)).as("quoted Total Length").isEqualTo(1500);
    }

    @Test
    void anIpv6SuperPacketWhoseSegmentsFitIsTranslatedWholeAndOneThatDoesNotGetsPacketTooBig() {
        byte[] p = tcp6(30_000);
        handler.handleGso(place(p), OFF, p.length, 40 + 20 + 1360); // 1420 -> 1400 = ipv4-mtu: fits
        assertThat(out).hasSize(1);
        assertThat(out.get(0)).hasSize(p.length - 20);
        assertThat(out.get(0)[0] >>> 4).isEqualTo(4);

        out.clear();
        byte[] q = tcp6(30_000);
        handler.handleGso(place(q), OFF, q.length, 40 + 20 + 1361); // 1421 -> 1401 > 1400
        assertThat(out).hasSize(1);
        byte[] ptb = out.get(0);
        assertThat(ptb[0] >>> 4).isEqualTo(6);
        assertThat(ptb[6]).as("ICMPv6").isEqualTo((byte) 58);
        assertThat(ptb[40] & 0xff).as("Packet Too Big").isEqualTo(2);
        assertThat(Bytes.u32(MemorySegment.ofArray(ptb), 44)).as("MTU 1400 + 20").isEqualTo(1420);
    }

    static byte[] udp4(int payload) {
        return PacketBuilder.ipv4("198.51.100.2", "192.0.2.2").df(false).udp(53, 40000).payload(payload).build();
    }

    @Test
    void anIpv4SuperPacketWithDfClearIsTranslatedWholeWhenNoSegmentNeedsFragmenting() {
        byte[] p = udp4(8000);
        boolean handled = handler.handleGso(place(p), OFF, p.length, 20 + 8 + 1000); // 1048 -> 1068 <= 1280
        assertThat(handled).isTrue();
        assertThat(out).hasSize(1);
        assertThat(out.get(0)).hasSize(p.length + 20);
        assertThat(out.get(0)[6]).as("no Fragment header: next header UDP").isEqualTo((byte) 17);
    }

    @Test
    void anIpv4SuperPacketWithDfClearWhoseSegmentsWouldNeedFragmentingIsRefused() {
        byte[] p = udp4(8000);
        boolean handled = handler.handleGso(place(p), OFF, p.length, 20 + 8 + 1300); // 1328 -> 1348 > 1280
        assertThat(handled).isFalse();
        assertThat(out).isEmpty();
    }

    @Test
    void anIpv6SuperPacketOfSmallSegmentsLeavesWithDfClearAsEachSegmentWould() {
        byte[] p = PacketBuilder.ipv6("2001:db8:6::2", "2001:db8:1c6:3364:2::").udp(40000, 53).payload(8000).build();
        assertThat(handler.handleGso(place(p), OFF, p.length, 40 + 8 + 1000)).isTrue();
        assertThat(out).hasSize(1);
        MemorySegment v4 = MemorySegment.ofArray(out.get(0));
        assertThat(Bytes.u16(v4, 6) & 0x4000).as("DF: segments of 1028 bytes <= 1260 (RFC 7915 §5.1)").isZero();
        assertThat(ferry.packet.Checksum.sum(v4, 0, 20)).as("header checksum still verifies").isEqualTo(0xffff);

        out.clear();
        byte[] q = tcp6(30_000);
        assertThat(handler.handleGso(place(q), OFF, q.length, 40 + 20 + 1300)).isTrue();
        assertThat(Bytes.u16(MemorySegment.ofArray(out.get(0)), 6) & 0x4000).as("DF: 1340-byte segments")
                .isEqualTo(0x4000);
    }

    @Test
    void inNat64ModeOnlyTheQueue0WorkerWakesWhenIdleAndSiitWorkersNever() throws Exception {
        String nat64 = """
                { "ferry": { "mode": "nat64" }, "global": { "pool6": "64:ff9b::/96" },
                  "pool4": [ { "protocol": "TCP", "prefix": "203.0.113.1/32" } ] }
                """;
        RunTranslators n = new RunTranslators(ConfigParser.parse(nat64, "t"), new Counters[] {new Counters(), new Counters()});
        assertThat(n.newHandler(0, (b, o, l) -> { }).idleMillis()).isBetween(100, 250);
        assertThat(n.newHandler(1, (b, o, l) -> { }).idleMillis()).isEqualTo(-1);
        assertThat(handler.idleMillis()).isEqualTo(-1); // siit: no timers
    }

    static final String NAT64 = """
            { "ferry": { "mode": "nat64" }, "global": { "pool6": "64:ff9b::/96" },
              "pool4": [ { "protocol": "UDP", "prefix": "203.0.113.1/32" },
                         { "protocol": "ICMP", "prefix": "203.0.113.1/32" } ] }
            """;

    @Test
    void onlyANat64HandlerAsksForBatchesSiitAndClatHandlersTakeOnePacketAtATime() throws Exception {
        RunTranslators n = new RunTranslators(ConfigParser.parse(NAT64, "t"), new Counters[] {new Counters()});
        assertThat(n.newHandler(0, (b, o, l) -> { }).batches()).as("nat64").isTrue();
        assertThat(handler.batches()).as("siit").isFalse();
        RunTranslators clat = new RunTranslators(ConfigParser.parse("""
                {"ferry": {"mode": "clat"}, "clat": {"ipv6-address": "2001:db8:1::c1a7", "plat-prefix": "64:ff9b::/96"}}
                """, "t"), new Counters[] {new Counters()});
        assertThat(clat.newHandler(0, (b, o, l) -> { }).batches()).as("clat").isFalse();
    }

    /** Each packet in its own buffer at {@link #OFF} (the worker's layout), as a batch's arrays. */
    record Batch(MemorySegment[] bufs, long[] offs, int[] lens) {
    }

    Batch batch(List<byte[]> packets) {
        int n = packets.size();
        Batch b = new Batch(new MemorySegment[n], new long[n], new int[n]);
        for (int i = 0; i < n; i++) {
            b.bufs[i] = place(packets.get(i));
            b.offs[i] = OFF;
            b.lens[i] = packets.get(i).length;
        }
        return b;
    }

    /**
     * The packet with an IPv4 header's Identification and header checksum zeroed: RFC 7915 §5.1 has the translator
     * generate the Identification (random here), so two translations of one packet differ only there.
     */
    static byte[] withoutIdentification(byte[] p) {
        byte[] q = p.clone();
        if (q.length >= 20 && (q[0] & 0xf0) == 0x40) {
            q[4] = q[5] = 0;
            q[10] = q[11] = 0;
        }
        return q;
    }

    @Test
    void aNat64BatchEmitsThePacketsAndCountsOfOneCallPerPacketInTheSameOrder() throws Exception {
        Counters c = new Counters();
        RunTranslators n = new RunTranslators(ConfigParser.parse(NAT64, "t"), new Counters[] {c});
        List<byte[]> got = new ArrayList<>();
        PacketHandler h = n.newHandler(0, (b, o, l) -> got.add(b.asSlice(o, l).toArray(ValueLayout.JAVA_BYTE)));
        // six IPv6 hosts open UDP flows and one pings, towards 198.51.100.7 (64:ff9b::c633:6407)
        List<byte[]> out6 = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            out6.add(PacketBuilder.ipv6("2001:db8::" + i, "64:ff9b::c633:6407").udp(40000 + i, 53).payload(20 + i).build());
        }
        out6.add(PacketBuilder.ipv6("2001:db8::9", "64:ff9b::c633:6407").echoRequest(77, 1).payload(16).build());
        for (byte[] p : out6) h.handle(place(p), OFF, p.length);
        assertThat(got).as("every flow created").hasSize(out6.size());
        // the answers, to the pool4 ports the flows got
        List<byte[]> replies = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            int port = Bytes.u16(MemorySegment.ofArray(got.get(i)), 20);
            replies.add(PacketBuilder.ipv4("198.51.100.7", "203.0.113.1").udp(53, port).payload(40 + i).build());
        }
        int id = Bytes.u16(MemorySegment.ofArray(got.get(6)), 24);
        replies.add(PacketBuilder.ipv4("198.51.100.7", "203.0.113.1").echoReply(id, 1).payload(16).build());
        // established packets both ways, interleaved, a datagram to a port nobody bound, and a truncated packet
        List<byte[]> mix = new ArrayList<>();
        for (int i = 0; i < out6.size(); i++) {
            mix.add(out6.get(i));
            mix.add(replies.get(i));
        }
        mix.add(7, PacketBuilder.ipv4("198.51.100.7", "203.0.113.1").udp(53, 1).payload(8).build());
        mix.add(3, new byte[] {0x45, 0});

        got.clear();
        java.util.Map<Counter, Long> c0 = c.snapshot();
        for (byte[] p : mix) h.handle(place(p), OFF, p.length);
        List<byte[]> one = new ArrayList<>(got);
        java.util.Map<Counter, Long> c1 = c.snapshot();

        got.clear();
        Batch b = batch(mix);
        h.handleBatch(b.bufs(), b.offs(), b.lens(), mix.size());
        java.util.Map<Counter, Long> c2 = c.snapshot();

        assertThat(one).as("established packets translated").hasSizeGreaterThanOrEqualTo(14);
        assertThat(got).as("the same packets in the same order").hasSameSizeAs(one);
        for (int i = 0; i < one.size(); i++) {
            assertThat(withoutIdentification(got.get(i))).as("packet %d", i).isEqualTo(withoutIdentification(one.get(i)));
        }
        for (Counter k : Counter.values()) {
            long d1 = c1.getOrDefault(k, 0L) - c0.getOrDefault(k, 0L);
            long d2 = c2.getOrDefault(k, 0L) - c1.getOrDefault(k, 0L);
            assertThat(d2).as("%s in a batch", k).isEqualTo(d1);
        }
        assertThat(c2.getOrDefault(Counter.XLAT_64_OK, 0L) - c1.getOrDefault(Counter.XLAT_64_OK, 0L)).isEqualTo(7);
        assertThat(c2.getOrDefault(Counter.XLAT_46_OK, 0L) - c1.getOrDefault(Counter.XLAT_46_OK, 0L)).isEqualTo(7);
    }

    @Test
    void changingOnlyNat64LogOrNat64AllowKeepsTheTablesAndAppliesTheNewSinkInPlace() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("ferry-rt");
        String nat64 = """
                { "ferry": { "mode": "nat64", "nat64-log": { "file": "%s" } %s },
                  "global": { "pool6": "64:ff9b::/96", "logging-bib": true },
                  "pool4": [ { "protocol": "UDP", "prefix": "203.0.113.1/32" } ] }
                """;
        Counters[] cs = {new Counters()};
        RunTranslators a = new RunTranslators(ConfigParser.parse(nat64.formatted(dir.resolve("a.log"), ""), "t"), cs);
        assertThat(a.nat64().log().sink()).isInstanceOfSatisfying(ferry.nat64.Nat64LogFile.class,
                f -> assertThat(f.path()).isEqualTo(dir.resolve("a.log")));
        RunTranslators b = new RunTranslators(ConfigParser.parse(nat64.formatted(dir.resolve("b.log"),
                ", \"nat64-allow\": [ { \"protocol\": \"UDP\", \"ports\": \"53\" } ]"), "t"), cs, a);
        assertThat(b.nat64().sharesTablesWith(a.nat64())).as("BIB and sessions kept").isTrue();
        assertThat(b.nat64().log()).as("the same log thread, its sink swapped").isSameAs(a.nat64().log());
        assertThat(b.nat64().log().sink()).isInstanceOfSatisfying(ferry.nat64.Nat64LogFile.class,
                f -> assertThat(f.path()).isEqualTo(dir.resolve("b.log")));
        assertThat(java.nio.file.Files.exists(dir.resolve("b.log"))).isTrue();
        // an unopenable file is an error naming the key and the value
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new RunTranslators(ConfigParser.parse(
                        nat64.formatted("/nonexistent-ferry-dir/x.log", ""), "t"), cs, b))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ferry.nat64-log.file")
                .hasMessageContaining("/nonexistent-ferry-dir/x.log");
        b.nat64().log().close();
        for (String f : new String[] {"a.log", "b.log"}) java.nio.file.Files.deleteIfExists(dir.resolve(f));
        java.nio.file.Files.delete(dir);
    }
}
