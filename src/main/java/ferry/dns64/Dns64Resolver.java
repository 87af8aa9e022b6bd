package ferry.dns64;

import ferry.addr.Ipv4;
import ferry.addr.NonGlobal;
import ferry.addr.Prefix6;
import ferry.addr.Rfc6052;

import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The DNS64 decisions of RFC 6147 §5 on parsed messages: AAAA synthesis, exclusion, CNAME/DNAME chains, TTLs, the
 * reverse mapping, ipv4only.arpa and DNSSEC. It answers one question with a message that has no header ID, no
 * question and no OPT: the server adds those. Thread-safe; blocking (it waits for the upstream).
 */
final class Dns64Resolver {
    /** RFC 6147 §5.1.7: "If the SOA RR was not delivered ... the TTL of the synthesized AAAA ... 600 seconds". */
    static final long NO_SOA_TTL = 600;
    /** TTL of the CNAME synthesized for a reverse query (§5.3.1); the mapping lives as long as the configuration. */
    static final long PTR_CNAME_TTL = 600;
    static final Name IPV4ONLY = name("ipv4only.arpa.");
    static final int IPV4ONLY_A1 = Ipv4.parse("192.0.0.170"), IPV4ONLY_A2 = Ipv4.parse("192.0.0.171");
    static final long IPV4ONLY_TTL = 86400;
    private static final Name IP6_ARPA = name("ip6.arpa."), IN_ADDR_ARPA = name("in-addr.arpa.");
    private static final SOARecord IPV4ONLY_SOA = new SOARecord(IPV4ONLY, DClass.IN, 3600, name("localhost."),
            name("nobody.invalid."), 1, 3600, 1200, 604800, 3600);

    /**
     * One answer.
     *
     * @param message    rcode, flags (AD only) and the answer, authority and additional sections
     * @param synthesized true when DNS64 made records up (never AD, §5.5)
     */
    record Answer(Message message, boolean synthesized) {}

    private final Dns64Settings settings;
    private final Upstream upstream;
    private final Dns64Counters counters;
    private final Executor parallel = Executors.newVirtualThreadPerTaskExecutor();

    Dns64Resolver(Dns64Settings settings, Upstream upstream, Dns64Counters counters) {
        this.settings = settings;
        this.upstream = upstream;
        this.counters = counters;
    }

    static Name name(String s) {
        try {
            return Name.fromString(s);
        } catch (TextParseException e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    /** Answers one question. {@code deadline} is the client's budget on the {@link System#nanoTime()} scale. */
    Answer resolve(Name qname, int qtype, int qclass, boolean dnssecOk, boolean cd, long deadline) {
        // RFC 6147 §5.5: "If CD is set and DO is set, then the DNS64 MAY perform validation, but MUST NOT perform
        // synthesis. It MUST return the data to the query initiator, just like a regular recursive resolver."
        boolean noSynthesis = dnssecOk && cd;
        if (qclass == DClass.IN) {
            if (qname.equals(IPV4ONLY) || qname.subdomain(IPV4ONLY)) return ipv4only(qname, qtype, noSynthesis);
            if (qtype == Type.PTR) {
                Answer local = localReverse(qname);
                if (local != null) return local;
            }
            if (qtype == Type.AAAA) {
                if (noSynthesis) {
                    counters.inc(Dns64Counter.DNSSEC_NO_SYNTHESIS);
                    return forward(qname, qtype, qclass, dnssecOk, cd, deadline, false);
                }
                return aaaa(qname, dnssecOk, cd, deadline);
            }
            if (qtype == Type.PTR) {
                long v4 = reverseUnderPrefix(qname);
                if (v4 >= 0) {
                    if (noSynthesis) {
                        counters.inc(Dns64Counter.DNSSEC_NO_SYNTHESIS);
                        return forward(qname, qtype, qclass, dnssecOk, cd, deadline, false);
                    }
                    return ptr(qname, (int) v4, dnssecOk, cd, deadline);
                }
            }
        }
        return forward(qname, qtype, qclass, dnssecOk, cd, deadline, true);
    }

    // ---------------------------------------------------------------------------------------------------------
    // pass-through

    private Answer forward(Name qname, int qtype, int qclass, boolean dnssecOk, boolean cd, long deadline, boolean count) {
        Message m = upstream.query(qname, qtype, qclass, dnssecOk, cd, deadline);
        if (m == null) return servfail();
        if (count) counters.inc(Dns64Counter.PASSED_THROUGH);
        return new Answer(copy(m, true), false);
    }

    static Answer servfail() {
        Message m = new Message();
        m.getHeader().setRcode(Rcode.SERVFAIL);
        return new Answer(m, false);
    }

    /** A copy of an upstream answer's rcode, AD and sections; the upstream's OPT is not ours to pass on. */
    private static Message copy(Message from, boolean keepAd) {
        Message m = new Message();
        m.getHeader().setRcode(from.getHeader().getRcode());
        if (keepAd && from.getHeader().getFlag(Flags.AD)) m.getHeader().setFlag(Flags.AD);
        for (int s : new int[] {Section.ANSWER, Section.AUTHORITY, Section.ADDITIONAL})
            for (Record r : from.getSection(s))
                if (r.getType() != Type.OPT) m.addRecord(r, s);
        return m;
    }

    // ---------------------------------------------------------------------------------------------------------
    // AAAA: RFC 6147 §5.1

    private Answer aaaa(Name qname, boolean dnssecOk, boolean cd, long deadline) {
        CompletableFuture<Message> aJob = null;
        long now = System.nanoTime();
        long aaaaDeadline = deadline;
        if (settings.parallelQueries()) {
            // RFC 6147 §5.1.8: "the DNS64 MAY perform the query for the AAAA RR and for the A RR in parallel"
            aJob = CompletableFuture.supplyAsync(() -> lookup(qname, Type.A, dnssecOk, cd, deadline), parallel);
        } else {
            aaaaDeadline = now + (deadline - now) / 2; // leave the A query the other half of the client's budget
        }
        Message aaaa = lookup(qname, Type.AAAA, dnssecOk, cd, aaaaDeadline);
        if (aaaa != null) {
            int rc = aaaa.getRcode();
            // RFC 6147 §5.1.2: "RCODE=3 (Name Error) is handled by ... returning the response to the stub as is"
            if (rc == Rcode.NXDOMAIN) {
                if (aJob != null) aJob.cancel(true);
                return new Answer(copy(aaaa, true), false);
            }
            if (rc == Rcode.NOERROR) {
                int real = 0, excluded = 0;
                for (Record r : aaaa.getSection(Section.ANSWER)) {
                    if (r instanceof AAAARecord a) {
                        if (isExcluded(a)) excluded++;
                        else real++;
                    }
                }
                if (real > 0) {
                    // RFC 6147 §5.1.1: "If the response contains AAAA RRs, the DNS64 returns them ... without
                    // synthesizing"; §5.1.4: records in the exclusion set are removed from a mixed answer ("the DNS64
                    // SHOULD ... not include them in the answer")
                    if (aJob != null) aJob.cancel(true);
                    counters.inc(Dns64Counter.REAL_AAAA);
                    if (excluded > 0) counters.add(Dns64Counter.EXCLUDED_AAAA_REMOVED, excluded);
                    return new Answer(withoutExcluded(aaaa), false);
                }
                // §5.1.4: "If all the AAAA RRs are in the exclusion set, the DNS64 treats the answer as if it were
                // an empty answer" and goes on to synthesize.
                if (excluded > 0) counters.add(Dns64Counter.EXCLUDED_AAAA_REMOVED, excluded);
            }
            // §5.1.2: "any other RCODE (SERVFAIL, REFUSED, ...) is treated as though the RCODE were 0 and the
            // answer section were empty"
        }
        // §5.1.3: a timed-out AAAA query (aaaa == null) is treated like an empty answer as well.
        Message a;
        if (aJob != null) {
            a = join(aJob, deadline);
        } else {
            a = lookup(qname, Type.A, dnssecOk, cd, deadline);
        }
        Message synth = a == null || a.getRcode() != Rcode.NOERROR ? null : synthesize(aaaa, a);
        if (synth != null) {
            counters.inc(Dns64Counter.SYNTHESIZED);
            return new Answer(synth, true);
        }
        // Nothing to synthesize from: the answer to the AAAA query stands (exclusion-set records removed).
        if (aaaa != null && aaaa.getRcode() == Rcode.NOERROR) return new Answer(withoutExcluded(aaaa), false);
        // The AAAA query failed; the A answer still tells whether the name exists (NXDOMAIN / NODATA).
        if (a != null && (a.getRcode() == Rcode.NOERROR || a.getRcode() == Rcode.NXDOMAIN)) {
            Message m = copy(a, false);
            m.removeAllRecords(Section.ANSWER);
            for (Record r : a.getSection(Section.ANSWER))
                if (r.getType() == Type.CNAME || r.getType() == Type.DNAME) m.addRecord(r, Section.ANSWER);
            return new Answer(m, false);
        }
        if (aaaa != null) return new Answer(copy(aaaa, false), false);
        return servfail();
    }

    /** Maximum CNAME hops followed on the upstream's behalf. */
    static final int MAX_CHAIN = 8;

    /**
     * One upstream lookup, with a CNAME chain the upstream left unfinished followed to its end: RFC 6147 §5.1.5
     * ("the CNAME or DNAME chain is followed until the first terminating A or AAAA record is reached"). A recursive
     * upstream returns whole chains; an answer that ends in a CNAME whose target has no record of the type asked and
     * no SOA saying it has none (what an authoritative-only server gives for a target outside its zones) is
     * continued by asking for the target.
     */
    Message lookup(Name qname, int type, boolean dnssecOk, boolean cd, long deadline) {
        Message m = upstream.query(qname, type, DClass.IN, dnssecOk, cd, deadline);
        java.util.Set<Name> seen = new java.util.HashSet<>();
        seen.add(qname);
        for (int hop = 0; hop < MAX_CHAIN && m != null && m.getRcode() == Rcode.NOERROR; hop++) {
            Name end = chainEnd(qname, m);
            if (end.equals(qname) || !seen.add(end)) return m; // no chain, or a loop: nothing to follow
            for (Record r : m.getSection(Section.ANSWER)) if (r.getType() == type && r.getName().equals(end)) return m;
            for (Record r : m.getSection(Section.AUTHORITY)) if (r instanceof SOARecord) return m;
            Message next = upstream.query(end, type, DClass.IN, dnssecOk, cd, deadline);
            if (next == null) return m;
            Message merged = new Message();
            merged.getHeader().setRcode(next.getHeader().getRcode());
            for (Record r : m.getSection(Section.ANSWER)) merged.addRecord(r, Section.ANSWER);
            for (Record r : next.getSection(Section.ANSWER))
                if (!merged.findRecord(r, Section.ANSWER)) merged.addRecord(r, Section.ANSWER);
            for (Record r : next.getSection(Section.AUTHORITY)) merged.addRecord(r, Section.AUTHORITY);
            for (Record r : next.getSection(Section.ADDITIONAL)) merged.addRecord(r, Section.ADDITIONAL);
            m = merged;
        }
        return m;
    }

    /**
     * Where the CNAME chain starting at {@code qname} in the answer section ends: qname itself without a chain, and
     * also when the chain loops (there is no end to follow).
     */
    static Name chainEnd(Name qname, Message m) {
        Name cur = qname;
        java.util.Set<Name> visited = new java.util.HashSet<>();
        while (visited.add(cur)) {
            Name next = null;
            for (Record r : m.getSection(Section.ANSWER))
                if (r instanceof CNAMERecord c && c.getName().equals(cur)) next = c.getTarget();
            if (next == null) return cur;
            cur = next;
        }
        return qname; // a loop
    }

    private static Message join(CompletableFuture<Message> job, long deadline) {
        try {
            return job.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            return null;
        }
    }

    private boolean isExcluded(AAAARecord r) {
        byte[] b = r.getAddress().getAddress();
        long hi, lo;
        if (b.length == 4) { // Java hands ::ffff:a.b.c.d back as an Inet4Address
            hi = 0;
            lo = 0x0000_ffff_0000_0000L | (((long) Wire.getInt(b, 0)) & 0xffffffffL);
        } else {
            hi = bytesToLong(b, 0);
            lo = bytesToLong(b, 8);
        }
        for (Prefix6 p : settings.exclude()) if (p.contains(hi, lo)) return true;
        return false;
    }

    private Message withoutExcluded(Message aaaa) {
        Message m = copy(aaaa, true);
        for (Record r : aaaa.getSection(Section.ANSWER))
            if (r instanceof AAAARecord a && isExcluded(a)) m.removeRecord(r, Section.ANSWER);
        return m;
    }

    /**
     * RFC 6147 §5.1.6 and §5.1.7: one synthetic AAAA per A record and per prefix that covers it, owned by the A
     * record's name (the end of any CNAME/DNAME chain, which is kept whole); null when nothing was synthesized.
     */
    Message synthesize(Message aaaa, Message a) {
        long ttlCap = NO_SOA_TTL;
        if (aaaa != null && aaaa.getRcode() == Rcode.NOERROR) {
            for (Record r : aaaa.getSection(Section.AUTHORITY)) {
                if (r instanceof SOARecord soa) {
                    // §5.1.7: "the TTL of the synthesized AAAA RR ... SHOULD be the minimum of the TTL of the
                    // original A RR and the SOA RR for the original AAAA query"; the SOA's negative-caching TTL is
                    // min(SOA TTL, SOA MINIMUM) (RFC 2308 §5).
                    ttlCap = Math.min(soa.getTTL(), soa.getMinimum());
                    break;
                }
            }
        }
        Message m = new Message();
        int made = 0;
        for (Record r : a.getSection(Section.ANSWER)) {
            if (r instanceof ARecord ar) {
                int v4 = Ipv4.parse(ar.getAddress().getHostAddress());
                long ttl = Math.min(ar.getTTL(), ttlCap);
                for (Dns64Settings.PrefixRule rule : settings.prefixes()) {
                    if (!rule.covers(v4)) continue;
                    Rfc6052 p = rule.prefix();
                    // RFC 6052 §3.1: "The Well-Known Prefix MUST NOT be used to represent non-global IPv4 addresses"
                    if (p.isWellKnown() && settings.wkpStrict() && NonGlobal.forbiddenUnderWkp(v4)) {
                        counters.inc(Dns64Counter.WKP_NON_GLOBAL_SKIPPED);
                        continue;
                    }
                    m.addRecord(new AAAARecord(ar.getName(), DClass.IN, ttl, toInet(p.embedHi(v4), p.embedLo(v4))), Section.ANSWER);
                    made++;
                }
            } else if (r instanceof RRSIGRecord sig && sig.getTypeCovered() == Type.A) {
                // a signature over the A RRset does not cover the synthetic AAAA RRset
            } else {
                m.addRecord(r, Section.ANSWER); // CNAME, DNAME (and their signatures): the chain stays whole
            }
        }
        if (made == 0) return null;
        counters.add(Dns64Counter.SYNTHESIZED_RECORDS, made);
        // §5.3.2 / issue: the authority and additional sections of the A answer are passed on unchanged
        for (Record r : a.getSection(Section.AUTHORITY)) m.addRecord(r, Section.AUTHORITY);
        for (Record r : a.getSection(Section.ADDITIONAL)) if (r.getType() != Type.OPT) m.addRecord(r, Section.ADDITIONAL);
        // §5.5: a synthesized answer is never authenticated data (AD stays clear)
        return m;
    }

    static long bytesToLong(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | (b[off + i] & 0xff);
        return v;
    }

    static InetAddress toInet(long hi, long lo) {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (hi >>> (56 - 8 * i));
            b[8 + i] = (byte) (lo >>> (56 - 8 * i));
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // reverse: RFC 6147 §5.3.1

    /**
     * The IPv4 address embedded in a full ip6.arpa name that lies under one of our prefixes, or -1. Under
     * 64:ff9b::/96 with wkp-strict a non-global IPv4 address is not ours to map (RFC 6052 §3.1).
     */
    long reverseUnderPrefix(Name qname) {
        if (qname.labels() != 35 || !qname.subdomain(IP6_ARPA)) return -1; // 32 nibbles + ip6 + arpa + root
        long hi = 0, lo = 0;
        for (int i = 31; i >= 0; i--) { // label 0 is the least significant nibble
            byte[] l = qname.getLabel(i);
            if (l.length != 2) return -1;
            int d = Character.digit((char) l[1], 16);
            if (d < 0) return -1;
            int nibble = 31 - i; // 0 = most significant
            if (nibble < 16) hi = (hi << 4) | d;
            else lo = (lo << 4) | d;
        }
        for (Dns64Settings.PrefixRule rule : settings.prefixes()) {
            Rfc6052 p = rule.prefix();
            if (!p.matches(hi, lo)) continue;
            if (p.len() < 96 && (lo & 0xff00_0000_0000_0000L) != 0) continue; // RFC 6052 §2.2: u-octet is zero
            int v4 = p.extract(hi, lo);
            if (p.isWellKnown() && settings.wkpStrict() && NonGlobal.forbiddenUnderWkp(v4)) continue;
            return v4 & 0xffffffffL;
        }
        return -1;
    }

    static Name inAddrArpa(int v4) {
        return name(((v4) & 0xff) + "." + ((v4 >>> 8) & 0xff) + "." + ((v4 >>> 16) & 0xff) + "." + ((v4 >>> 24) & 0xff)
                + ".in-addr.arpa.");
    }

    private Answer ptr(Name qname, int v4, boolean dnssecOk, boolean cd, long deadline) {
        // RFC 6147 §5.3.1: "the DNS64 ... synthesize[s] a CNAME mapping the IP6.ARPA namespace to the
        // corresponding IN-ADDR.ARPA name", and resolves that name onward.
        Name target = inAddrArpa(v4);
        Message onward;
        Answer local = localReverse(target);
        if (local != null) {
            onward = local.message();
        } else {
            onward = lookup(target, Type.PTR, dnssecOk, cd, deadline);
            if (onward == null) return servfail();
        }
        Message m = new Message();
        m.getHeader().setRcode(onward.getHeader().getRcode());
        m.addRecord(new CNAMERecord(qname, DClass.IN, PTR_CNAME_TTL, target), Section.ANSWER);
        for (Record r : onward.getSection(Section.ANSWER)) m.addRecord(r, Section.ANSWER);
        for (Record r : onward.getSection(Section.AUTHORITY)) m.addRecord(r, Section.AUTHORITY);
        counters.inc(Dns64Counter.PTR_SYNTHESIZED);
        return new Answer(m, true);
    }

    // ---------------------------------------------------------------------------------------------------------
    // ipv4only.arpa: RFC 7050 §2.2, RFC 8880 §7

    private Answer ipv4only(Name qname, int qtype, boolean noSynthesis) {
        counters.inc(Dns64Counter.IPV4ONLY_LOCAL);
        Message m = new Message();
        if (!qname.equals(IPV4ONLY)) {
            m.getHeader().setRcode(Rcode.NXDOMAIN);
            m.addRecord(IPV4ONLY_SOA, Section.AUTHORITY);
            return new Answer(m, false);
        }
        // RFC 8880 §7.2: the well-known name "ipv4only.arpa" has the A records 192.0.0.170 and 192.0.0.171; the
        // DNS64 answers it itself, synthesizing the AAAA records (RFC 7050 §2.2) from those.
        if (qtype == Type.A || qtype == Type.ANY) {
            m.addRecord(new ARecord(IPV4ONLY, DClass.IN, IPV4ONLY_TTL, toInet4(IPV4ONLY_A1)), Section.ANSWER);
            m.addRecord(new ARecord(IPV4ONLY, DClass.IN, IPV4ONLY_TTL, toInet4(IPV4ONLY_A2)), Section.ANSWER);
            return new Answer(m, false);
        }
        if (qtype == Type.AAAA && !noSynthesis) {
            Message a = new Message();
            a.addRecord(new ARecord(IPV4ONLY, DClass.IN, IPV4ONLY_TTL, toInet4(IPV4ONLY_A1)), Section.ANSWER);
            a.addRecord(new ARecord(IPV4ONLY, DClass.IN, IPV4ONLY_TTL, toInet4(IPV4ONLY_A2)), Section.ANSWER);
            Message nodata = new Message();
            nodata.addRecord(IPV4ONLY_SOA, Section.AUTHORITY);
            Message s = synthesize(nodata, a);
            if (s != null) {
                counters.inc(Dns64Counter.SYNTHESIZED);
                return new Answer(s, true);
            }
        }
        m.addRecord(IPV4ONLY_SOA, Section.AUTHORITY); // NODATA
        return new Answer(m, false);
    }

    /** PTR for 170.0.0.192.in-addr.arpa and 171.0.0.192.in-addr.arpa: "ipv4only.arpa" (RFC 8880 §7.2). */
    private Answer localReverse(Name qname) {
        if (!qname.subdomain(IN_ADDR_ARPA)) return null;
        if (!qname.equals(inAddrArpa(IPV4ONLY_A1)) && !qname.equals(inAddrArpa(IPV4ONLY_A2))) return null;
        counters.inc(Dns64Counter.IPV4ONLY_LOCAL);
        Message m = new Message();
        m.addRecord(new PTRRecord(qname, DClass.IN, IPV4ONLY_TTL, IPV4ONLY), Section.ANSWER);
        return new Answer(m, false);
    }

    static InetAddress toInet4(int v4) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) (v4 >>> 24), (byte) (v4 >>> 16), (byte) (v4 >>> 8), (byte) v4});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
