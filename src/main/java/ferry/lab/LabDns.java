package ferry.lab;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The lab's tiny authoritative DNS server for the IPv4 Internet host: one zone ({@value #ZONE}) whose names have
 * only A records, so every AAAA answer a client of the DNS64 sees is synthesized. UDP only; anything it cannot
 * parse is ignored; names outside the zone get REFUSED, unknown names NXDOMAIN, known names without the type asked
 * NOERROR with no answer and the SOA (RFC 2308 §2.2 NODATA).
 */
public final class LabDns {
    /** The zone served. */
    public static final String ZONE = "example.net.";
    /** The names of the zone and their one IPv4 address each. */
    public static final Map<String, String> NAMES = Map.of(
            "www.example.net.", "192.0.2.1",
            "ipv4only-web.example.net.", "203.0.113.1");

    private LabDns() {
    }

    /** Serves on {@code bind} until the process ends. */
    public static void serve(InetSocketAddress bind, java.io.PrintStream log) throws IOException {
        try (DatagramSocket s = new DatagramSocket(bind)) {
            log.println("ferry lab dns: serving " + ZONE + " on " + bind + " (UDP)");
            log.flush();
            byte[] buf = new byte[1500];
            while (true) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                s.receive(p);
                byte[] answer = answer(java.util.Arrays.copyOf(p.getData(), p.getLength()));
                if (answer != null) s.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
            }
        }
    }

    /** The wire answer to one wire query, or null when the query is not worth an answer. */
    static byte[] answer(byte[] query) {
        Message q;
        try {
            q = new Message(query);
        } catch (IOException | RuntimeException e) {
            return null;
        }
        if (q.getHeader().getFlag(Flags.QR) || q.getQuestion() == null) return null;
        Record question = q.getQuestion();
        Message r = new Message(q.getHeader().getID());
        r.getHeader().setFlag(Flags.QR);
        if (q.getHeader().getFlag(Flags.RD)) r.getHeader().setFlag(Flags.RD);
        r.addRecord(question, Section.QUESTION);
        try {
            Name zone = Name.fromString(ZONE);
            Name name = question.getName();
            if (!name.subdomain(zone) || question.getDClass() != DClass.IN) {
                r.getHeader().setRcode(Rcode.REFUSED);
                return r.toWire();
            }
            r.getHeader().setFlag(Flags.AA);
            String v4 = NAMES.get(name.toString().toLowerCase(java.util.Locale.ROOT));
            if (v4 != null && (question.getType() == Type.A || question.getType() == Type.ANY)) {
                r.addRecord(new ARecord(name, DClass.IN, 300, InetAddress.getByName(v4)), Section.ANSWER);
            } else {
                if (v4 == null && !name.equals(zone)) r.getHeader().setRcode(Rcode.NXDOMAIN);
                r.addRecord(new SOARecord(zone, DClass.IN, 300, Name.fromString("ns." + ZONE),
                        Name.fromString("hostmaster." + ZONE), 1, 3600, 600, 86400, 60), Section.AUTHORITY);
            }
            return r.toWire();
        } catch (IOException e) {
            return null;
        }
    }
}
