package ferry.dns64;

import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Master;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** Small builders for test messages (records written in master-file syntax with absolute names). */
final class Dns {
    private Dns() {}

    static Name n(String s) {
        try {
            return Name.fromString(s.endsWith(".") ? s : s + ".");
        } catch (TextParseException e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    /** One record: "name. TTL IN TYPE rdata". */
    static Record rr(String line) {
        try (Master m = new Master(new ByteArrayInputStream(line.getBytes(StandardCharsets.US_ASCII)), Name.root, 3600)) {
            return m.nextRecord();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * An upstream answer: lines are records for the answer section, a line starting with "AUTH " goes to the
     * authority section, "ADD " to the additional section.
     */
    static Message msg(int rcode, String... lines) {
        Message m = new Message();
        m.getHeader().setRcode(rcode);
        for (String l : lines) {
            if (l.startsWith("AUTH ")) m.addRecord(rr(l.substring(5)), Section.AUTHORITY);
            else if (l.startsWith("ADD ")) m.addRecord(rr(l.substring(4)), Section.ADDITIONAL);
            else m.addRecord(rr(l), Section.ANSWER);
        }
        return m;
    }

    /** A query as bytes, with optional EDNS (payload, DO). */
    static byte[] query(String name, int type, int id, Integer payload, boolean dnssecOk, boolean cd) {
        Message q = Message.newQuery(Record.newRecord(n(name), type, DClass.IN));
        q.getHeader().setID(id);
        if (cd) q.getHeader().setFlag(org.xbill.DNS.Flags.CD);
        if (payload != null) q.addRecord(new OPTRecord(payload, 0, 0, dnssecOk ? ExtendedFlags.DO : 0), Section.ADDITIONAL);
        return q.toWire();
    }

    static Message parse(byte[] b) {
        try {
            return new Message(b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The answer section as "owner TTL TYPE rdata" lines. */
    static List<String> answers(Message m) {
        return lines(m.getSection(Section.ANSWER));
    }

    static List<String> lines(List<Record> rs) {
        List<String> out = new ArrayList<>();
        for (Record r : rs) {
            String rdata = r.rdataToString();
            if (r instanceof org.xbill.DNS.AAAARecord a) { // RFC 5952 text, as dig prints it
                byte[] b = a.getAddress().getAddress();
                rdata = b.length == 4 ? "::ffff:" + a.getAddress().getHostAddress()
                        : ferry.addr.Ipv6.format(Dns64Resolver.bytesToLong(b, 0), Dns64Resolver.bytesToLong(b, 8));
            }
            out.add(r.getName() + " " + r.getTTL() + " " + org.xbill.DNS.Type.string(r.getType()) + " " + rdata);
        }
        return out;
    }

    static String summary(Message m) {
        return m.getSection(Section.ANSWER).stream().map(Record::toString).collect(Collectors.joining("\n"));
    }

    static Dns64Settings settings(String... prefixes) {
        List<Dns64Settings.PrefixRule> rules = new ArrayList<>();
        for (String p : prefixes) rules.add(Dns64Settings.PrefixRule.parse(p));
        return Dns64Settings.of(List.of(new InetSocketAddress("127.0.0.1", 0)), List.of(new InetSocketAddress("127.0.0.1", 53)), rules);
    }
}
