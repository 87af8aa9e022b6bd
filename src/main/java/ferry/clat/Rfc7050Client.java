package ferry.clat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * RFC 7050 §3: "the node SHALL send a DNS query for AAAA resource records of the Well-Known IPv4-only Name (WKN)
 * 'ipv4only.arpa.'", here through dnsjava to the configured resolvers or the system's ({@code /etc/resolv.conf}).
 * Blocking; run it off the packet path (a virtual thread).
 */
public final class Rfc7050Client {
    private static final Name WKN = Name.fromConstantString(Rfc7050.WELL_KNOWN_NAME);

    /**
     * The AAAA addresses of one answer and their smallest TTL (0 when there are none).
     *
     * @param aaaa       each {hi, lo}
     * @param ttlSeconds the smallest TTL among them
     */
    public record Answer(List<long[]> aaaa, long ttlSeconds) {
    }

    private final Resolver resolver;
    private final List<InetSocketAddress> servers;

    /**
     * @param serversOrEmpty resolvers to ask; empty: the system's resolvers
     * @param timeout        per query (all retries included)
     */
    public Rfc7050Client(List<InetSocketAddress> serversOrEmpty, Duration timeout) {
        this.servers = serversOrEmpty.isEmpty() ? ResolverConfig.getCurrentConfig().servers() : List.copyOf(serversOrEmpty);
        if (servers.isEmpty()) throw new IllegalArgumentException("no DNS resolver configured and none in the system");
        List<Resolver> rs = new ArrayList<>();
        for (InetSocketAddress s : servers) rs.add(new SimpleResolver(s));
        Resolver r = rs.size() == 1 ? rs.getFirst() : new ExtendedResolver(rs);
        r.setTimeout(timeout);
        this.resolver = r;
    }

    /** The resolvers asked. */
    public List<InetSocketAddress> servers() {
        return servers;
    }

    /**
     * Asks once. NOERROR (with or without AAAA records) and NXDOMAIN give an {@link Answer}, possibly empty.
     *
     * @throws IOException no answer (timeout, network) or another response code (SERVFAIL, REFUSED ...)
     */
    public Answer query() throws IOException {
        Message q = Message.newQuery(Record.newRecord(WKN, Type.AAAA, DClass.IN));
        Message r = resolver.send(q);
        int rcode = r.getRcode();
        if (rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN)
            throw new IOException("ipv4only.arpa AAAA: " + Rcode.string(rcode));
        List<long[]> out = new ArrayList<>();
        long ttl = Long.MAX_VALUE;
        for (Record rec : r.getSection(Section.ANSWER)) {
            if (!(rec instanceof AAAARecord a)) continue;
            out.add(words(a.getAddress()));
            ttl = Math.min(ttl, rec.getTTL());
        }
        return new Answer(out, out.isEmpty() ? 0 : ttl);
    }

    private static long[] words(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length == 4) // Java turns ::ffff:a.b.c.d into an Inet4Address
            return new long[] {0, 0xffff_0000_0000L | (((b[0] & 0xffL) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff))};
        long hi = 0, lo = 0;
        for (int i = 0; i < 8; i++) hi = (hi << 8) | (b[i] & 0xff);
        for (int i = 8; i < 16; i++) lo = (lo << 8) | (b[i] & 0xff);
        return new long[] {hi, lo};
    }
}
