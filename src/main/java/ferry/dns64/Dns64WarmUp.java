package ferry.dns64;

import ferry.addr.Ipv4;
import ferry.addr.Prefix4;

import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The JIT warm-up of the miss path, run once in the background when a server starts ({@code warm-up}, default
 * {@link Dns64Settings#DEFAULT_WARM_UP} names; 0 = off).
 *
 * <p><b>Why.</b> A DNS64 whose clients ask mostly for cached names runs its miss path (dnsjava parsing and building
 * messages, the upstream client, synthesis, the cache insert) a few times a second at most, too rarely for the JIT to
 * compile it: every miss and every prefetch then ran in the interpreter, 5.5-10 ms per miss measured against 1.1-2.4
 * ms for unbound, on the one CPU that also answers the cached queries queued behind it (README, "DNS64 performance").
 * After 20 000 misses the same probe measured 1.1-2.1 ms.
 *
 * <p><b>How.</b> A throwaway server with the real one's synthesis settings (prefixes, exclusions, parallel queries,
 * {@code wkp-strict}), its own counters and cache, listening on a loopback port, asks a throwaway authority on another
 * loopback port; a client sends it each warm-up name twice (a miss, then a hit), so the very methods the real server
 * runs (receive loop, miss hand-off, upstream client, resolver, cache, rendering) collect their profiles and get
 * compiled. The names are {@code <kind><n>.warm-up.invalid.} (RFC 2606 {@code .invalid}): synthesized AAAA, real AAAA,
 * NXDOMAIN and CNAME chains, with and without EDNS. Nothing leaves the machine's loopback, the real server's counters
 * and cache are untouched, and the warm-up stops early when the server closes. Without a loopback address (a
 * namespace whose {@code lo} is down) it is skipped, and says so.
 */
public final class Dns64WarmUp {
    /** The zone the warm-up names live in. */
    static final Name ZONE = Dns64Resolver.name("warm-up.invalid.");
    private static final SOARecord SOA = new SOARecord(ZONE, DClass.IN, 60, Dns64Resolver.name("ns.warm-up.invalid."),
            Dns64Resolver.name("nobody.warm-up.invalid."), 1, 3600, 600, 86400, 60);
    /** Give up when this many queries in a row get no answer (something is wrong; the server serves regardless). */
    private static final int MAX_SILENT = 20;

    private Dns64WarmUp() {
    }

    /**
     * What a warm-up did.
     *
     * @param names       warm-up names resolved (each asked twice: a miss, then a hit)
     * @param answered    answers received
     * @param synthesized of those, answers with synthesized AAAA records (the throwaway server's count)
     * @param cacheHits   of those, answers from the throwaway server's cache
     * @param millis      wall time it took
     * @param skipped     why it did not run or stopped early, null when it ran to the end
     */
    public record Result(int names, int answered, long synthesized, long cacheHits, long millis, String skipped) {
        static Result none(String why) {
            return new Result(0, 0, 0, 0, 0, why);
        }
    }

    /** Runs the warm-up for {@code settings} ({@link Dns64Settings#warmUp()} names); stops early when {@code stop} says. */
    static Result run(Dns64Settings settings, BooleanSupplier stop) {
        long t0 = System.nanoTime();
        int want = settings.warmUp();
        InetAddress loop = loopback();
        if (loop == null) return Result.none("no loopback address to run on");
        try (DatagramSocket auth = new DatagramSocket(new InetSocketAddress(loop, 0))) {
            auth.setSoTimeout(200);
            Thread authority = Thread.ofPlatform().daemon().name("dns64-warm-up-authority").start(() -> serve(auth, settings));
            InetSocketAddress up = (InetSocketAddress) auth.getLocalSocketAddress();
            Dns64Settings s = settings.withListen(List.of(new InetSocketAddress(loop, 0))).withUpstream(List.of(up))
                    .withUdpThreads(1).withTimeout(1000, 0).withCacheSize(Math.min(settings.cacheSize(), 4 << 20))
                    .withWarmUp(0);
            Dns64Counters counters = new Dns64Counters();
            int names = 0, answered = 0;
            String skipped = null;
            try (Dns64Server server = new Dns64Server(s, new UpstreamClient(s.upstream(), s.timeoutMs(), s.retries(),
                    s.maxInflight(), counters), counters)) {
                // CLIENTS clients at once, each its share of the names: misses overlap as they do under real
                // traffic (several virtual threads waiting for the upstream, shared lookups, the send path)
                InetSocketAddress at = server.addresses().get(0);
                int[][] done = new int[CLIENTS][];
                Thread[] clients = new Thread[CLIENTS];
                for (int c = 0; c < CLIENTS; c++) {
                    int first = c;
                    clients[c] = Thread.ofPlatform().daemon().name("dns64-warm-up-client-" + c)
                            .start(() -> done[first] = drive(loop, at, first, want, stop));
                }
                for (Thread t : clients) t.join();
                for (int[] d : done) {
                    names += d[0];
                    answered += d[1];
                    if (d[2] == STOPPED && skipped == null) skipped = "the server closed";
                    if (d[2] == SILENT) skipped = "no answers from the warm-up server";
                }
            } finally {
                authority.interrupt();
                auth.close();
            }
            return new Result(names, answered, counters.get(Dns64Counter.SYNTHESIZED), counters.get(Dns64Counter.CACHE_HIT),
                    (System.nanoTime() - t0) / 1_000_000, skipped);
        } catch (IOException | RuntimeException e) {
            return new Result(0, 0, 0, 0, (System.nanoTime() - t0) / 1_000_000, "failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(0, 0, 0, 0, (System.nanoTime() - t0) / 1_000_000, "interrupted");
        }
    }

    /** Clients asking at once. */
    static final int CLIENTS = 4;
    private static final int RAN = 0, STOPPED = 1, SILENT = 2;

    /**
     * One client: names {@code first}, {@code first + CLIENTS}, ... below {@code want}, each asked twice (a miss, then
     * a hit). Returns {names resolved, answers, how it ended: RAN, STOPPED or SILENT}.
     */
    private static int[] drive(InetAddress loop, InetSocketAddress server, int first, int want, BooleanSupplier stop) {
        int names = 0, answered = 0, silent = 0;
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(loop, 0))) {
            client.connect(server);
            client.setSoTimeout(2000);
            byte[] buf = new byte[Wire.OUR_PAYLOAD];
            for (int i = first; i < want; i += CLIENTS) {
                if (stop.getAsBoolean()) return new int[] {names, answered, STOPPED};
                for (int pass = 0; pass < 2; pass++) { // a miss, then a hit of the same question
                    if (ask(client, query(i), buf) > 0) {
                        answered++;
                        silent = 0;
                    } else if (++silent >= MAX_SILENT) {
                        return new int[] {names, answered, SILENT};
                    }
                }
                names++;
            }
        } catch (IOException | RuntimeException e) {
            return new int[] {names, answered, SILENT};
        }
        return new int[] {names, answered, RAN};
    }

    /** 127.0.0.1 if it can be bound, else ::1, else null. */
    private static InetAddress loopback() {
        for (String a : new String[] {"127.0.0.1", "::1"}) {
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(a), 0))) {
                return s.getLocalAddress();
            } catch (IOException e) {
                // try the next one
            }
        }
        return null;
    }

    /**
     * The {@code k}th IPv4 address of the warm-up answers: one the first prefix synthesizes for, counting up within its
     * first IPv4 range (at most 256 addresses), or within 192.0.2.0/24 (TEST-NET-1, RFC 5737) when it takes every
     * address.
     */
    static int sampleAddress(Dns64Settings settings, int k) {
        List<Prefix4> ranges = settings.prefixes().get(0).ipv4();
        if (ranges.isEmpty()) return Ipv4.parse("192.0.2.0") + (k & 0xff);
        Prefix4 r = ranges.get(0);
        long span = Math.min(256, 1L << (32 - r.len()));
        return r.addr() + (int) (k % span);
    }

    /** The {@code i}th warm-up query: kinds and EDNS in turn, a fresh name per {@code i}. */
    static byte[] query(int i) {
        Name n = nameOf(i);
        int type = i % 5 == 4 ? Type.A : Type.AAAA;
        Message q = Message.newQuery(Record.newRecord(n, type, DClass.IN));
        q.getHeader().setID(i & 0xffff);
        if (i % 3 != 0) q.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        return q.toWire();
    }

    static Name nameOf(int i) {
        char kind = "srnc".charAt(i % 4);
        return Dns64Resolver.name(kind + Integer.toString(i) + "." + ZONE);
    }

    /** Sends {@code q} and waits for the answer with its ID; its length, or 0 when none came in time. */
    private static int ask(DatagramSocket s, byte[] q, byte[] buf) throws IOException {
        s.send(new DatagramPacket(q, q.length));
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < deadline) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                s.receive(p);
            } catch (SocketTimeoutException e) {
                return 0;
            }
            if (p.getLength() >= Wire.HEADER && buf[0] == q[0] && buf[1] == q[1]) return p.getLength();
        }
        return 0;
    }

    /** The throwaway authority: answers the warm-up zone from the name alone, until its socket closes. */
    private static void serve(DatagramSocket s, Dns64Settings settings) {
        byte[] buf = new byte[512];
        while (!s.isClosed()) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                s.receive(p);
            } catch (SocketTimeoutException e) {
                continue;
            } catch (IOException e) {
                return; // closed
            }
            try {
                byte[] r = answer(new Message(java.util.Arrays.copyOf(buf, p.getLength())), settings).toWire(512);
                s.send(new DatagramPacket(r, r.length, p.getSocketAddress()));
            } catch (IOException | RuntimeException e) {
                // not one of ours: no answer
            }
        }
    }

    /**
     * The authority's answer: {@code s<n>} has only an A record (its AAAA is synthesized), {@code r<n>} has A and AAAA,
     * {@code n<n>} does not exist, {@code c<n>} is a CNAME to {@code s<n>}. Negative answers carry the zone's SOA.
     */
    static Message answer(Message q, Dns64Settings settings) {
        Record question = q.getQuestion();
        Message r = new Message(q.getHeader().getID());
        r.getHeader().setFlag(Flags.QR);
        r.getHeader().setFlag(Flags.AA);
        r.addRecord(question, Section.QUESTION);
        Name n = question.getName();
        String label = n.getLabelString(0);
        int type = question.getType();
        int k;
        try {
            k = Integer.parseInt(label.substring(1));
        } catch (RuntimeException e) {
            r.getHeader().setRcode(Rcode.NXDOMAIN);
            r.addRecord(SOA, Section.AUTHORITY);
            return r;
        }
        InetAddress v4 = v4(sampleAddress(settings, k));
        switch (label.charAt(0)) {
            case 'r' -> {
                if (type == Type.AAAA) r.addRecord(new AAAARecord(n, DClass.IN, 300, v6(k)), Section.ANSWER);
                else if (type == Type.A) r.addRecord(new ARecord(n, DClass.IN, 300, v4), Section.ANSWER);
                else r.addRecord(SOA, Section.AUTHORITY);
            }
            case 's' -> {
                if (type == Type.A) r.addRecord(new ARecord(n, DClass.IN, 300, v4), Section.ANSWER);
                else r.addRecord(SOA, Section.AUTHORITY);
            }
            case 'c' -> {
                Name target = Dns64Resolver.name("s" + k + "." + ZONE);
                r.addRecord(new CNAMERecord(n, DClass.IN, 300, target), Section.ANSWER);
                if (type == Type.A) r.addRecord(new ARecord(target, DClass.IN, 300, v4), Section.ANSWER);
                else r.addRecord(SOA, Section.AUTHORITY);
            }
            default -> {
                r.getHeader().setRcode(Rcode.NXDOMAIN);
                r.addRecord(SOA, Section.AUTHORITY);
            }
        }
        return r;
    }

    private static InetAddress v4(int a) {
        return inet(new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a});
    }

    /** 2001:db8::(k) (RFC 3849 documentation addresses). */
    private static InetAddress v6(int k) {
        return inet(new byte[] {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,
                (byte) (k >>> 24), (byte) (k >>> 16), (byte) (k >>> 8), (byte) k});
    }

    private static InetAddress inet(byte[] a) {
        try {
            return InetAddress.getByAddress(a);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e); // 4 or 16 bytes are always an address
        }
    }
}
