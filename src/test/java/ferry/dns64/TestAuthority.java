package ferry.dns64;

import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.DNAMERecord;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Master;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.NameTooLongException;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An upstream the tests control: a small dnsjava-based server on 127.0.0.1 and ::1 (random ports, UDP and TCP)
 * that answers from in-memory zones like a recursive resolver would (CNAME chains followed across zones, DNAME
 * substituted), answers SERVFAIL, REFUSED or nothing for chosen names and types, truncates over UDP what does not
 * fit, and counts the questions it gets. {@link #main} runs it for the benchmark.
 */
public final class TestAuthority implements AutoCloseable {
    /** What to do with one (name, type) instead of answering. */
    public enum Misbehave { SERVFAIL, REFUSED, DROP }

    /** The zones of the end-to-end test and the benchmark (documentation addresses, .example names). */
    public static String defaultZones() {
        StringBuilder z = new StringBuilder();
        z.append("""
                $ORIGIN dns64.example.
                $TTL 3600
                @ IN SOA ns.dns64.example. host.dns64.example. 1 3600 600 86400 300
                @ IN NS ns
                ns IN A 192.0.2.53
                a-only IN A 192.0.2.1
                aaaa-only IN AAAA 2001:db8::1
                both IN A 192.0.2.2
                both IN AAAA 2001:db8::2
                mapped IN AAAA ::ffff:192.0.2.3
                mapped IN A 192.0.2.3
                mixed IN AAAA ::ffff:192.0.2.4
                mixed IN AAAA 2001:db8::4
                mixed IN A 192.0.2.4
                cname IN CNAME a-only
                chain IN CNAME cname
                cross IN CNAME target.other.example.
                cross-aaaa IN CNAME v6.other.example.
                sub IN DNAME other.example.
                nodata IN TXT "no addresses here"
                servfail IN A 192.0.2.10
                refused IN A 192.0.2.11
                timeout IN A 192.0.2.12
                long 86400 IN A 192.0.2.20
                short 5 IN A 192.0.2.21
                private IN A 10.1.2.3
                private2 IN A 192.168.1.1
                """);
        for (int i = 1; i <= 40; i++) z.append("many40 IN A 203.0.113.").append(i).append('\n');
        for (int i = 1; i <= 100; i++) z.append("many100 IN A 198.51.100.").append(i).append('\n');
        z.append("""
                $ORIGIN other.example.
                @ 3600 IN SOA ns.other.example. host.other.example. 1 3600 600 86400 30
                @ 3600 IN NS ns.dns64.example.
                target 3600 IN A 198.51.100.7
                v6 3600 IN AAAA 2001:db8::7
                host 3600 IN A 198.51.100.8
                small 3600 IN A 198.51.100.9
                $ORIGIN 2.0.192.in-addr.arpa.
                @ 3600 IN SOA ns.dns64.example. host.dns64.example. 1 3600 600 86400 300
                1 3600 IN PTR a-only.dns64.example.
                """);
        return z.toString();
    }

    /** The misbehaviour of the default zones: AAAA of servfail/refused/timeout.dns64.example. */
    public static Map<String, Misbehave> defaultMisbehaviour() {
        return Map.of("servfail.dns64.example./AAAA", Misbehave.SERVFAIL,
                "refused.dns64.example./AAAA", Misbehave.REFUSED,
                "timeout.dns64.example./AAAA", Misbehave.DROP);
    }

    private final Map<Name, SOARecord> zones = new HashMap<>();
    private final Map<Name, List<Record>> data = new HashMap<>();
    private final Map<String, Misbehave> misbehave = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> asked = new ConcurrentHashMap<>();
    private final List<DatagramSocket> udp = new ArrayList<>();
    private final List<ServerSocket> tcp = new ArrayList<>();
    private final List<InetSocketAddress> addresses = new ArrayList<>();
    private volatile boolean closed;

    public TestAuthority(String zoneText, Map<String, Misbehave> misbehaviour, int port) throws IOException {
        try (Master m = new Master(new ByteArrayInputStream(zoneText.getBytes(StandardCharsets.US_ASCII)), Name.root, 3600)) {
            Record r;
            while ((r = m.nextRecord()) != null) {
                if (r instanceof SOARecord soa) zones.put(soa.getName(), soa);
                data.computeIfAbsent(r.getName(), k -> new ArrayList<>()).add(r);
            }
        }
        misbehave.putAll(misbehaviour);
        for (String host : new String[] {"127.0.0.1", "::1"}) {
            InetAddress a = InetAddress.ofLiteral(host);
            DatagramSocket ds;
            ServerSocket ss;
            // with port 0 the kernel picks a free UDP port, but the same TCP port may be in use (another process's
            // connection or listener): try again with another UDP port, as Dns64Server does, instead of failing
            for (int attempt = 1; ; attempt++) {
                ds = new DatagramSocket(new InetSocketAddress(a, port));
                ss = new ServerSocket();
                ss.setReuseAddress(true);
                try {
                    ss.bind(new InetSocketAddress(a, ds.getLocalPort()));
                    break;
                } catch (IOException e) {
                    ss.close();
                    ds.close();
                    if (port != 0 || attempt == 20) throw e;
                }
            }
            udp.add(ds);
            tcp.add(ss);
            addresses.add(new InetSocketAddress(a, ds.getLocalPort()));
            DatagramSocket boundUdp = ds;
            ServerSocket boundTcp = ss;
            Thread.ofPlatform().daemon().start(() -> udpLoop(boundUdp));
            Thread.ofVirtual().start(() -> acceptLoop(boundTcp));
        }
    }

    public static TestAuthority startDefault() throws IOException {
        return new TestAuthority(defaultZones(), defaultMisbehaviour(), 0);
    }

    /** 127.0.0.1 first, then ::1. */
    public List<InetSocketAddress> addresses() {
        return addresses;
    }

    public void misbehave(String name, int type, Misbehave how) {
        misbehave.put(name + "/" + Type.string(type), how);
    }

    /** How many times (name, type) was asked, over every transport. */
    public int asked(String name, int type) {
        AtomicInteger n = asked.get(name.toLowerCase() + "/" + Type.string(type));
        return n == null ? 0 : n.get();
    }

    private void udpLoop(DatagramSocket ds) {
        byte[] buf = new byte[65535];
        while (!closed) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                ds.receive(p);
                byte[] r = answer(java.util.Arrays.copyOf(buf, p.getLength()), true);
                if (r != null) ds.send(new DatagramPacket(r, r.length, p.getSocketAddress()));
            } catch (IOException | RuntimeException e) {
                if (closed) return;
            }
        }
    }

    private void acceptLoop(ServerSocket ss) {
        while (!closed) {
            try {
                Socket s = ss.accept();
                Thread.ofVirtual().start(() -> {
                    try (s) {
                        DataInputStream in = new DataInputStream(s.getInputStream());
                        OutputStream out = s.getOutputStream();
                        while (true) {
                            int len = in.readUnsignedShort();
                            byte[] q = new byte[len];
                            in.readFully(q);
                            byte[] r = answer(q, false);
                            if (r == null) continue;
                            byte[] f = new byte[r.length + 2];
                            f[0] = (byte) (r.length >>> 8);
                            f[1] = (byte) r.length;
                            System.arraycopy(r, 0, f, 2, r.length);
                            out.write(f);
                            out.flush();
                        }
                    } catch (IOException | RuntimeException e) {
                        // connection over
                    }
                });
            } catch (IOException e) {
                if (closed) return;
            }
        }
    }

    private byte[] answer(byte[] wire, boolean overUdp) throws IOException {
        Message q = new Message(wire);
        Record question = q.getQuestion();
        if (question == null) return null;
        Name qname = question.getName();
        int qtype = question.getType();
        String key = qname.toString().toLowerCase() + "/" + Type.string(qtype);
        asked.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        Message r = new Message(q.getHeader().getID());
        r.getHeader().setFlag(Flags.QR);
        if (q.getHeader().getFlag(Flags.RD)) r.getHeader().setFlag(Flags.RD);
        r.getHeader().setFlag(Flags.RA);
        r.addRecord(question, Section.QUESTION);
        Misbehave how = misbehave.get(key);
        if (how == Misbehave.DROP) return null;
        if (how == Misbehave.SERVFAIL || how == Misbehave.REFUSED) {
            r.getHeader().setRcode(how == Misbehave.SERVFAIL ? Rcode.SERVFAIL : Rcode.REFUSED);
        } else {
            resolve(qname, qtype, r);
        }
        OPTRecord opt = q.getOPT();
        if (opt != null) r.addRecord(new OPTRecord(1232, 0, 0, opt.getFlags()), Section.ADDITIONAL);
        int limit = !overUdp ? 65535 : opt == null ? 512 : Math.max(512, opt.getPayloadSize());
        byte[] out = r.toWire();
        if (out.length > limit) {
            Message t = new Message(q.getHeader().getID());
            t.getHeader().setFlag(Flags.QR);
            t.getHeader().setFlag(Flags.TC);
            t.getHeader().setFlag(Flags.RA);
            t.addRecord(question, Section.QUESTION);
            out = t.toWire();
        }
        return out;
    }

    private SOARecord zoneOf(Name n) {
        for (Name z = n; ; z = new Name(z, 1)) {
            SOARecord soa = zones.get(z);
            if (soa != null) return soa;
            if (z.labels() <= 1) return null;
        }
    }

    private boolean exists(Name n) {
        if (data.containsKey(n)) return true;
        for (Name k : data.keySet()) if (k.subdomain(n)) return true; // empty non-terminal
        return false;
    }

    /** Under this name every name exists with one A record (not in the zone text; see {@link #resolve}). */
    static final Name WILD = Dns64Resolver.name("wild.dns64.example.");

    private void resolve(Name qname, int qtype, Message r) throws java.net.UnknownHostException {
        Name name = qname;
        for (int hop = 0; hop < 10; hop++) {
            SOARecord soa = zoneOf(name);
            if (soa == null) {
                if (hop == 0) r.getHeader().setRcode(Rcode.REFUSED);
                return;
            }
            List<Record> rs = data.getOrDefault(name, List.of());
            if (rs.isEmpty() && name.subdomain(WILD) && !name.equals(WILD)) {
                // the benchmark's many distinct names: any name under wild.dns64.example has one A record (so
                // DNS64 synthesizes its AAAA) and nothing else
                if (qtype == Type.A) {
                    int h = name.hashCode();
                    r.addRecord(new org.xbill.DNS.ARecord(name, DClass.IN, 3600, java.net.InetAddress.getByAddress(
                            new byte[] {(byte) 198, 51, 100, (byte) (1 + Math.floorMod(h, 254))})), Section.ANSWER);
                } else {
                    r.addRecord(soa, Section.AUTHORITY);
                }
                return;
            }
            boolean found = false;
            for (Record x : rs) if (x.getType() == qtype) { r.addRecord(x, Section.ANSWER); found = true; }
            if (found) return;
            CNAMERecord cname = null;
            for (Record x : rs) if (x instanceof CNAMERecord c) cname = c;
            if (cname != null) {
                r.addRecord(cname, Section.ANSWER);
                name = cname.getTarget();
                continue;
            }
            DNAMERecord dname = null;
            for (Name a = name; a.labels() > soa.getName().labels(); a = new Name(a, 1)) {
                if (a.equals(name)) continue;
                for (Record x : data.getOrDefault(a, List.of())) if (x instanceof DNAMERecord d) dname = d;
                if (dname != null) break;
            }
            if (dname != null) {
                try {
                    Name target = name.fromDNAME(dname);
                    r.addRecord(dname, Section.ANSWER);
                    r.addRecord(new CNAMERecord(name, DClass.IN, dname.getTTL(), target), Section.ANSWER);
                    name = target;
                    continue;
                } catch (NameTooLongException e) {
                    r.getHeader().setRcode(Rcode.YXDOMAIN);
                    return;
                }
            }
            if (!exists(name)) r.getHeader().setRcode(Rcode.NXDOMAIN);
            r.addRecord(soa, Section.AUTHORITY);
            return;
        }
    }

    @Override
    public void close() {
        closed = true;
        for (DatagramSocket d : udp) d.close();
        for (ServerSocket s : tcp) {
            try { s.close(); } catch (IOException ignored) { }
        }
    }

    /** Runs the default zones on 127.0.0.1 and ::1 at {@code args[0]} (port) until killed; for bench/dns64/run.sh. */
    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        try (TestAuthority t = new TestAuthority(defaultZones(), defaultMisbehaviour(), port)) {
            System.out.println("test authority on " + t.addresses());
            System.out.flush();
            new CountDownLatch(1).await();
        }
    }
}
