package ferry.nat64;

import static ferry.nat64.Nat64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.packet.IpProto;
import ferry.packet.PacketBuilder;
import ferry.translate.Translator;
import ferry.translate.Verdict;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The translator's batch API ({@link Translator#translate(MemorySegment[], long[], int[], int, long,
 * ferry.translate.PacketSink, Verdict[])}) with the NAT64 look-ahead: a batch must translate exactly as one call per
 * packet in the same order would (issue 4, performance: the look-ahead passes only load memory).
 */
class Nat64BatchTest {
    static final int SYN = 0x02, ACK = 0x10;
    /** One packet of a trace and what the single-packet translator made of it. */
    record Result(Verdict verdict, List<byte[]> emitted) {
    }

    static List<Result> single(Nat64Fixture f, List<byte[]> packets) {
        List<Result> r = new ArrayList<>();
        for (byte[] p : packets) {
            Verdict v = f.send(p);
            r.add(new Result(v, List.copyOf(f.out)));
        }
        return r;
    }

    /**
     * Translates {@code packets} in batches of {@code size} (the last one shorter), all in one segment at offsets
     * 4 KiB apart. The result holds the verdicts per packet; everything the batches emitted, in order, is the
     * emitted list of the first result (the contract is the order of the whole sequence).
     */
    static List<Result> batched(Nat64Fixture f, List<byte[]> packets, int size) {
        List<Result> r = new ArrayList<>();
        List<byte[]> out = new ArrayList<>();
        int slot = 4096;
        MemorySegment seg = MemorySegment.ofArray(new byte[slot * size]);
        MemorySegment[] bufs = new MemorySegment[size];
        long[] offs = new long[size];
        int[] lens = new int[size];
        Verdict[] verdicts = new Verdict[size];
        for (int from = 0; from < packets.size(); from += size) {
            int n = Math.min(size, packets.size() - from);
            for (int j = 0; j < n; j++) {
                byte[] p = packets.get(from + j);
                bufs[j] = seg;
                offs[j] = (long) j * slot + Translator.HEADROOM;
                lens[j] = p.length;
                MemorySegment.copy(MemorySegment.ofArray(p), 0, seg, offs[j], p.length);
            }
            f.translator.translate(bufs, offs, lens, n, f.now,
                    (b, o, l) -> out.add(b.asSlice(o, l).toArray(ValueLayout.JAVA_BYTE)), verdicts);
            for (int j = 0; j < n; j++) r.add(new Result(verdicts[j], r.isEmpty() ? out : List.of()));
        }
        return r;
    }

    static String host(int i) {
        return "2001:db8::" + Integer.toHexString(0x200 + i);
    }

    /** New flows of all three protocols, each flow's first packet twice (the second finds the session just made). */
    static List<byte[]> outbound(int flows) {
        List<byte[]> l = new ArrayList<>();
        for (int i = 0; i < flows; i++) {
            byte[] u = v6(host(i), Y4).udp(40000 + i, 53).payload(20).build();
            l.add(u);
            l.add(u);
            l.add(v6(host(i), Y4).tcp(50000 + i, 80).tcpFlags(SYN).build());
            l.add(v6(host(i), Y4).echoRequest(100 + i, 1).build());
        }
        return l;
    }

    /** Replies to the flows {@code first} emitted (in its order), plus packets that match nothing or are malformed. */
    static List<byte[]> inbound(List<Result> first, int flows) {
        List<byte[]> l = new ArrayList<>();
        for (int i = 0; i < flows; i++) {
            byte[] udp = first.get(i * 4).emitted().get(0);
            byte[] tcp = first.get(i * 4 + 2).emitted().get(0);
            byte[] icmp = first.get(i * 4 + 3).emitted().get(0);
            l.add(v4(Y4, T4).udp(53, srcPort(udp)).payload(30).build());
            l.add(v4(Y4, T4).tcp(80, srcPort(tcp)).tcpFlags(SYN | ACK).build());
            l.add(v4(Y4, T4).echoReply(icmpId(icmp), 1).build());
            l.add(v6(host(i), Y4).tcp(50000 + i, 80).tcpFlags(ACK).build()); // establishes the TCP flow
            l.add(v6(host(i), Y4).udp(40000 + i, 53).payload(40).build()); // an established-flow hit
        }
        l.add(v4(Y4, T4).udp(53, 9).build()); // no BIB entry
        l.add(v4(W4, T4).tcp(80, 9).tcpFlags(ACK).build()); // no session
        l.add(v6(host(0), Y4).destinationOptions().udp(40000, 53).build()); // an extension header: no look-ahead
        l.add(v4(Y4, T4).udp(53, 1).mf(true).identification(7).payload(64).build()); // a first fragment
        l.add(v4(Y4, T4).udp(53, 1).fragmentOffset(9).identification(7).payload(64).build());
        l.add(Arrays.copyOf(v6(host(1), Y4).udp(40001, 53).build(), 30)); // truncated
        l.add(Arrays.copyOf(v4(Y4, T4).udp(53, 1).build(), 24));
        l.add(new byte[] {0x50, 1, 2, 3}); // version 5
        l.add(new byte[0]);
        return l;
    }

    static void assertSame(List<Result> batch, List<Result> single) {
        assertThat(batch).hasSameSizeAs(single);
        List<byte[]> expected = new ArrayList<>();
        for (int i = 0; i < single.size(); i++) {
            assertThat(batch.get(i).verdict()).as("verdict of packet " + i).isEqualTo(single.get(i).verdict());
            expected.addAll(single.get(i).emitted());
        }
        List<byte[]> got = batch.get(0).emitted();
        assertThat(got).as("packets emitted").hasSameSizeAs(expected);
        for (int k = 0; k < expected.size(); k++) {
            assertThat(ferry.testkit.PacketCheck.problems(got.get(k), 1500)).as("emitted packet " + k).isEmpty();
            assertThat(withoutIdentification(got.get(k))).as("emitted packet " + k)
                    .isEqualTo(withoutIdentification(expected.get(k)));
        }
    }

    /**
     * An IPv4 packet with its Identification and header checksum zeroed: each translator draws identifications from
     * its own generator (RFC 7915 §5.1, seeded per instance), so two translators differ there and only there.
     */
    static byte[] withoutIdentification(byte[] p) {
        byte[] c = p.clone();
        if (c.length >= 20 && (c[0] & 0xf0) == 0x40) {
            c[4] = c[5] = c[10] = c[11] = 0;
        }
        return c;
    }

    @Test
    void aBatchTranslatesEveryPacketExactlyAsOneCallPerPacketWould() {
        int flows = 40;
        // small tables skip the look-ahead (worthLookingAhead); with the threshold at 0 they take it: both checked
        for (int rows : new int[] {0, Nat64Mapper.LOOK_AHEAD_ROWS})
        for (int size : new int[] {1, 7, 32, 200}) {
            Nat64Fixture one = new Nat64Fixture(), many = new Nat64Fixture();
            many.mapper.lookAheadRows = rows;
            List<byte[]> out = outbound(flows);
            List<Result> s1 = single(one, out);
            assertThat(s1.stream().filter(r -> r.verdict() == Verdict.EMIT).count()).isEqualTo(out.size());
            List<Result> b1 = batched(many, out, size);
            assertSame(b1, s1);
            one.advance(1);
            many.advance(1);
            List<byte[]> in = inbound(s1, flows);
            List<Result> s2 = single(one, in);
            assertThat(s2.stream().filter(r -> r.verdict() == Verdict.EMIT).count()).isGreaterThanOrEqualTo(5L * flows);
            assertSame(batched(many, in, size), s2);
            for (int proto : new int[] {IpProto.TCP, IpProto.UDP, IpProto.ICMP}) {
                assertThat(many.mapper.sessionCount(proto)).isEqualTo(one.mapper.sessionCount(proto)).isEqualTo(flows);
            }
            assertThat(many.counters.snapshot()).isEqualTo(one.counters.snapshot());
        }
    }

    @Test
    void batchesLookAheadOnlyOnceATableHasMoreRowsThanTheCacheHolds() {
        Nat64Fixture f = new Nat64Fixture();
        assertThat(f.mapper.worthLookingAhead()).as("empty tables").isFalse();
        f.mapper.lookAheadRows = 3;
        for (int i = 0; i < 3; i++) assertThat(f.send(v6(host(i), Y4).udp(40000 + i, 53).payload(8).build())).isEqualTo(Verdict.EMIT);
        assertThat(f.mapper.worthLookingAhead()).as("3 BIB rows, threshold 3").isFalse();
        assertThat(f.send(v6(host(3), Y4).udp(40003, 53).payload(8).build())).isEqualTo(Verdict.EMIT);
        assertThat(f.mapper.worthLookingAhead()).as("4 BIB rows, threshold 3").isTrue();
        assertThat(new Nat64Fixture().mapper.lookAheadRows).isEqualTo(Nat64Mapper.LOOK_AHEAD_ROWS).isPositive();
    }

    @Test
    void aLookAheadPassCountsTheTokensWithALineLeftToLoad() {
        Nat64Fixture f = new Nat64Fixture();
        f.send(v6(host(0), Y4).udp(40000, 53).payload(8).build());
        long[] x = ferry.addr.Ipv6.parse(host(0));
        long[] tokens = {f.mapper.lookAhead64(IpProto.UDP, x[0], x[1], 40000), 0L,
                f.mapper.lookAhead64(IpProto.UDP, x[0], x[1], 40001)};
        long row = f.mapper.lookAhead(tokens[0]); // one step alone: the flow's BIB row is next
        assertThat(f.mapper.lookAhead(tokens, 3)).as("a 6->4 window is done in one pass").isZero();
        assertThat(tokens[0] & (3L << 62)).as("done").isZero();
        assertThat((int) tokens[0]).as("naming the flow's BIB row, for the lookup's hint").isEqualTo((int) row);
        assertThat(tokens[1]).isZero();
        assertThat(tokens[2]).as("no such flow").isZero();
        long done = tokens[0];
        assertThat(f.mapper.lookAhead(tokens, 3)).isZero();
        assertThat(tokens[0]).as("done stays done").isEqualTo(done);
        // a BIB row's token (what one step from a 4->6 packet's pool4 slot gives) takes one step per pass
        long[] four = {row};
        assertThat(f.mapper.lookAhead(four, 1)).as("BIB row loaded with its home session: done").isZero();
        assertThat((int) four[0]).isEqualTo((int) row);
    }

    @Test
    void lookAheadWithAnyKeyOrTokenNeitherThrowsNorChangesTheTables() {
        Nat64Fixture f = new Nat64Fixture();
        List<Result> first = single(f, outbound(8));
        // a second session for host 3's UDP BIB entry (another remote port): an ordinary session row, at the head of
        // the entry's list; its first session lives in the BIB row (the home session)
        assertThat(f.send(v6(host(3), Y4).udp(40003, 54).build())).isEqualTo(Verdict.EMIT);
        f.only();
        int sessions = f.mapper.sessionCount(IpProto.UDP) + f.mapper.sessionCount(IpProto.TCP)
                + f.mapper.sessionCount(IpProto.ICMP);
        SplittableRandom r = new SplittableRandom(5);
        int[] protos = {IpProto.TCP, IpProto.UDP, IpProto.ICMP, 0, 255};
        for (int i = 0; i < 100_000; i++) {
            int proto = protos[r.nextInt(protos.length)];
            long t = f.mapper.lookAhead64(proto, r.nextLong(), r.nextLong(), r.nextInt(65536));
            t ^= f.mapper.lookAhead46(proto, r.nextInt(), r.nextInt(65536));
            f.mapper.lookAhead(f.mapper.lookAhead(r.nextLong()));
            f.mapper.lookAhead(f.mapper.lookAhead(t));
        }
        // real keys: the first step names the index position, the next ones find the BIB row, then the first session
        // of its list (an ordinary row), then load it and end
        long[] x = ferry.addr.Ipv6.parse(host(3));
        long position = f.mapper.lookAhead64(IpProto.UDP, x[0], x[1], 40003);
        assertThat(position).isNotZero();
        long bibRow = f.mapper.lookAhead(position);
        assertThat(bibRow).isNotZero().isNotEqualTo(position);
        long session = f.mapper.lookAhead(bibRow);
        assertThat(session).isNotZero().isNotEqualTo(bibRow);
        long done = f.mapper.lookAhead(session);
        assertThat(done).isNotZero().isNotEqualTo(session);
        assertThat(f.mapper.lookAhead(done)).as("done stays done").isEqualTo(done);
        assertThat(f.mapper.lookAhead(f.mapper.lookAhead64(IpProto.UDP, x[0], x[1], 40004))).as("no such flow").isZero();
        // a BIB entry whose only session is its home session: loading the BIB row loads the session too, and ends
        long[] y = ferry.addr.Ipv6.parse(host(4));
        long bibRow4 = f.mapper.lookAhead(f.mapper.lookAhead64(IpProto.UDP, y[0], y[1], 40004));
        assertThat(bibRow4).isNotZero().isNotEqualTo(bibRow);
        long done4 = f.mapper.lookAhead(bibRow4);
        assertThat(done4).isNotZero().isNotEqualTo(bibRow4);
        assertThat(f.mapper.lookAhead(done4)).as("done at once, and stays done").isEqualTo(done4);
        int port4 = srcPort(first.get(3 * 4).emitted().get(0));
        long slot4 = f.mapper.lookAhead46(IpProto.UDP, ferry.addr.Ipv4.parse(T4), port4);
        assertThat(slot4).as("a pool4 slot, nothing loaded yet").isNotZero().isNotEqualTo(bibRow);
        long bib4 = f.mapper.lookAhead(slot4);
        assertThat(bib4).as("its owner word names the flow's BIB row").isEqualTo(bibRow);
        assertThat(f.mapper.lookAhead(bib4)).isEqualTo(session);
        long[] window = {slot4};
        assertThat(f.mapper.lookAhead(window, 1)).as("a 4->6 window is done in one pass").isZero();
        assertThat(window[0] & (3L << 62)).isZero();
        assertThat((int) window[0]).as("naming the flow's BIB row").isEqualTo((int) bibRow);
        assertThat(f.mapper.lookAhead46(IpProto.UDP, ferry.addr.Ipv4.parse("192.0.2.99"), port4))
                .as("an address outside pool4").isZero();
        assertThat(f.mapper.sessionCount(IpProto.UDP) + f.mapper.sessionCount(IpProto.TCP)
                + f.mapper.sessionCount(IpProto.ICMP)).isEqualTo(sessions);
        assertThat(f.send(v6(host(3), Y4).udp(40003, 53).build())).isEqualTo(Verdict.EMIT);
        assertThat(srcPort(f.only())).isEqualTo(port4);
    }

    @Test
    void theLeanWindowPassesLeaveTheTokensTheGeneralPassWould() {
        Nat64Fixture f = new Nat64Fixture();
        List<Result> first = single(f, outbound(8));
        // per table (0 TCP, 1 UDP, 2 ICMP): index positions of flows that exist and of flows that do not, and pool4
        // slots owned and not
        int[] protos = {IpProto.TCP, IpProto.UDP, IpProto.ICMP};
        List<List<Long>> positions = new ArrayList<>(), slots = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            List<Long> p = new ArrayList<>(), s = new ArrayList<>();
            for (int i = 0; i < 10; i++) { // hosts 8 and 9 have no flows
                long[] x = ferry.addr.Ipv6.parse(host(i));
                int port = k == 0 ? 50000 + i : k == 1 ? 40000 + i : 100 + i;
                p.add(f.mapper.lookAhead64(protos[k], x[0], x[1], port));
                p.add(f.mapper.lookAhead64(protos[k], x[0], x[1], port + 1000));
                if (i < 8) {
                    byte[] out = first.get(i * 4 + (k == 0 ? 2 : k == 1 ? 0 : 3)).emitted().get(0);
                    int port4 = k == 2 ? icmpId(out) : srcPort(out);
                    s.add(f.mapper.lookAhead46(protos[k], ferry.addr.Ipv4.parse(T4), port4));
                    s.add(f.mapper.lookAhead46(protos[k], ferry.addr.Ipv4.parse(T4), port4 ^ 0x55));
                }
            }
            assertThat(p).as("real index positions").doesNotContain(0L);
            assertThat(s).as("slots in pool4").doesNotContain(0L);
            positions.add(p);
            slots.add(s);
        }
        SplittableRandom r = new SplittableRandom(11);
        long found = 0;
        for (int w = 0; w < 20_000; w++) {
            int n = 1 + r.nextInt(32), k = r.nextInt(3), mode = r.nextInt(3);
            long[] window = new long[32];
            for (int i = 0; i < n; i++) {
                int pick = r.nextInt(10);
                long t;
                if (pick < 6 && mode < 2) { // the tokens of one table's window (mode 0: 6->4, 1: 4->6)
                    List<Long> from = (mode == 0 ? positions : slots).get(k);
                    t = from.get(r.nextInt(from.size()));
                    // token layout (Nat64Mapper): a position's home slot in bits 32-59 and tag in bits 0-31
                    if (pick == 5) t = mode == 0 ? t & 0xf000_0000_0000_0000L | r.nextLong() >>> 4 : t ^ r.nextInt(1 << 20);
                } else if (pick < 8) {
                    t = pick == 6 ? 0 : r.nextLong() & 0x3fff_ffff_ffff_ffffL | 1L << 59; // nothing; done (kind 0, bit 59)
                } else if (mode < 2 && pick == 8) { // any table's first step (a mixed window)
                    List<Long> from = (r.nextBoolean() ? positions : slots).get(r.nextInt(3));
                    t = from.get(r.nextInt(from.size()));
                } else {
                    t = r.nextLong();
                }
                window[i] = t;
            }
            long[] before = window.clone(), general = window.clone();
            int more = f.mapper.lookAheadMixed(general, n);
            assertThat(f.mapper.lookAhead(window, n)).as("window %d: tokens with a line left to load", w).isEqualTo(more);
            assertThat(window).as("window %d", w).isEqualTo(general);
            for (int i = 0; i < n; i++) if (general[i] != before[i] && general[i] != 0 && (general[i] & 3L << 62) == 0) found++;
        }
        assertThat(found).as("windows found BIB rows").isGreaterThan(10_000);
        // a count beyond the array or below 0 reads what there is, and throws nothing
        long[] four = {positions.get(1).get(0), positions.get(1).get(2), 0, slots.get(1).get(0)};
        assertThat(f.mapper.lookAhead(four, 9)).isZero();
        assertThat(four[0] & 3L << 62).as("done").isZero();
        assertThat((int) four[0]).as("host 0's UDP BIB row").isEqualTo((int) f.mapper.lookAhead(positions.get(1).get(0)));
        long[] one = {positions.get(1).get(0)};
        assertThat(f.mapper.lookAhead(one, -1)).isZero();
        assertThat(one[0]).as("nothing read, nothing changed").isEqualTo(positions.get(1).get(0));
        assertThat(f.mapper.lookAhead(new long[0], -1)).isZero();
        assertThat(f.mapper.lookAhead(new long[0], 3)).isZero();
        assertThat(f.send(v6(host(3), Y4).udp(40003, 53).build())).isEqualTo(Verdict.EMIT);
    }

    /** map64 of host {@code i}'s UDP flow (port 40000 + i to Y4#53) with the look-ahead hint {@code hint}. */
    static ferry.translate.Tuple udpTuple(Nat64Fixture f, int i, long hint) {
        ferry.translate.Tuple t = new ferry.translate.Tuple();
        long[] src = ferry.addr.Ipv6.parse(host(i)), dst = ferry.addr.Ipv6.parse(Y6);
        t.srcHi = src[0];
        t.srcLo = src[1];
        t.dstHi = dst[0];
        t.dstLo = dst[1];
        t.proto = IpProto.UDP;
        t.srcPort = 40000 + i;
        t.dstPort = 53;
        t.now = f.now;
        t.hint = hint;
        assertThat(f.mapper.map64(t)).isNull();
        return t;
    }

    @Test
    void aLookAheadHintIsCheckedAgainstThePacketSoAnyTokenMapsAsNoHintDoes() {
        Nat64Fixture f = new Nat64Fixture();
        single(f, outbound(8));
        int sessions = f.mapper.sessionCount(IpProto.UDP);
        long[] y = ferry.addr.Ipv6.parse(host(4));
        long bib4 = f.mapper.lookAhead(f.mapper.lookAhead64(IpProto.UDP, y[0], y[1], 40004));
        long done4 = f.mapper.lookAhead(bib4);
        long tcp4 = f.mapper.lookAhead(f.mapper.lookAhead64(IpProto.TCP, y[0], y[1], 50004));
        ferry.translate.Tuple plain = udpTuple(f, 3, 0);
        SplittableRandom r = new SplittableRandom(9);
        long[] hints = {bib4, done4, tcp4, f.mapper.lookAhead(tcp4), -1L, Long.MIN_VALUE, 1L << 59, r.nextLong(),
                r.nextLong(), r.nextLong()};
        for (long h : hints) {
            ferry.translate.Tuple t = udpTuple(f, 3, h); // host 3's packet, another flow's (or no flow's) token
            assertThat(t.src4).as("hint %x", h).isEqualTo(plain.src4);
            assertThat(t.srcPort).as("hint %x", h).isEqualTo(plain.srcPort);
        }
        ferry.translate.Tuple own = udpTuple(f, 4, done4); // its own token: the same mapping as without one
        assertThat(own.srcPort).isEqualTo(udpTuple(f, 4, 0).srcPort).isNotEqualTo(plain.srcPort);
        assertThat(f.mapper.sessionCount(IpProto.UDP)).isEqualTo(sessions);
    }
}
