package ferry.dns64;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

import java.io.ByteArrayOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.Arrays;

import static ferry.dns64.Dns.msg;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Point 8 of the issue, with hand-built bytes: each bad query is dropped or answered with the right rcode, counted
 * under its own counter, and the server keeps answering.
 */
class BadInputTest {
    final FakeUpstream up = new FakeUpstream().on("ok.example", Type.A, msg(0, "ok.example. 60 IN A 192.0.2.1"));
    final Dns64Server server;

    BadInputTest() throws Exception {
        server = new Dns64Server(Dns.settings("64:ff9b::/96").withUdpThreads(1).withClientBudget(300), up, new Dns64Counters());
    }

    @AfterEach
    void close() {
        server.close();
    }

    /** Header with ID 0x1234, RD, the given opcode, QDCOUNT/ANCOUNT/NSCOUNT/ARCOUNT. */
    static ByteArrayOutputStream header(int opcode, int qd, int an, int ns, int ar) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {0x12, 0x34, (byte) ((opcode << 3) | 1), 0, 0, (byte) qd, 0, (byte) an, 0, (byte) ns, 0, (byte) ar});
        return b;
    }

    static void name(ByteArrayOutputStream b, String... labels) {
        for (String l : labels) {
            b.write(l.length());
            b.writeBytes(l.getBytes());
        }
        b.write(0);
    }

    static void typeClass(ByteArrayOutputStream b, int type) {
        b.writeBytes(new byte[] {0, (byte) type, 0, 1});
    }

    static void opt(ByteArrayOutputStream b) {
        b.writeBytes(new byte[] {0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0}); // root, OPT, 4096, v0, no flags, rdlen 0
    }

    static byte[] goodQuery() {
        ByteArrayOutputStream b = header(0, 1, 0, 0, 0);
        name(b, "ok", "example");
        typeClass(b, Type.A);
        return b.toByteArray();
    }

    byte[] ask(byte[] q) {
        return server.answer(q, q.length, true);
    }

    void assertRcode(byte[] r, int rcode) {
        assertThat(r.length).isGreaterThanOrEqualTo(12);
        assertThat(Wire.u16(r, 0)).as("ID echoed").isEqualTo(0x1234);
        assertThat(r[2] & 0x80).as("QR").isNotZero();
        assertThat(r[3] & 0x0f).isEqualTo(rcode);
    }

    long count(Dns64Counter c) {
        return server.counters().get(c);
    }

    @Test
    void aDatagramShorterThanAHeaderIsDroppedAndCounted() {
        assertThat(ask(Arrays.copyOf(goodQuery(), 11))).isEmpty();
        assertThat(ask(new byte[0])).isEmpty();
        assertThat(count(Dns64Counter.DROP_SHORT)).isEqualTo(2);
    }

    @Test
    void aMessageWithQrSetIsIgnored() {
        byte[] q = goodQuery();
        q[2] |= (byte) 0x80;
        assertThat(ask(q)).isEmpty();
        assertThat(count(Dns64Counter.DROP_QR_SET)).isEqualTo(1);
        assertThat(up.calls).isEmpty();
    }

    @Test
    void anOpcodeOtherThanQueryIsAnsweredNotimp() {
        for (int opcode : new int[] {1, 2, 4, 5}) { // IQUERY, STATUS, NOTIFY, UPDATE
            ByteArrayOutputStream b = header(opcode, 1, 0, 0, 0);
            name(b, "ok", "example");
            typeClass(b, Type.A);
            byte[] r = ask(b.toByteArray());
            assertRcode(r, Rcode.NOTIMP);
            assertThat((r[2] >>> 3) & 0x0f).as("opcode echoed").isEqualTo(opcode);
        }
        assertThat(count(Dns64Counter.NOTIMP_OPCODE)).isEqualTo(4);
    }

    @Test
    void qdcountOtherThanOneIsFormerr() {
        assertRcode(ask(header(0, 0, 0, 0, 0).toByteArray()), Rcode.FORMERR);
        ByteArrayOutputStream b = header(0, 2, 0, 0, 0);
        name(b, "ok", "example");
        typeClass(b, Type.A);
        name(b, "ok", "example");
        typeClass(b, Type.AAAA);
        assertRcode(ask(b.toByteArray()), Rcode.FORMERR);
        assertThat(count(Dns64Counter.FORMERR_QDCOUNT)).isEqualTo(2);
    }

    @Test
    void compressionLoopsAndForwardPointersAreFormerr() {
        ByteArrayOutputStream self = header(0, 1, 0, 0, 0);
        self.writeBytes(new byte[] {(byte) 0xc0, 12}); // points at itself
        typeClass(self, Type.A);
        ByteArrayOutputStream twoStep = header(0, 1, 0, 0, 0);
        twoStep.writeBytes(new byte[] {1, 'a', (byte) 0xc0, 12}); // "a" then back to "a" ...
        typeClass(twoStep, Type.A);
        ByteArrayOutputStream forward = header(0, 1, 0, 0, 0);
        forward.writeBytes(new byte[] {(byte) 0xc0, 18, 0, 1, 0, 1, 1, 'b', 0}); // points past itself
        ByteArrayOutputStream inAnswer = header(0, 1, 1, 0, 0); // the question is fine, an answer record loops
        name(inAnswer, "ok", "example");
        typeClass(inAnswer, Type.A);
        int at = inAnswer.size();
        inAnswer.writeBytes(new byte[] {1, 'x', (byte) 0xc0, (byte) at, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, (byte) 192, 0, 2, 1});
        for (ByteArrayOutputStream b : new ByteArrayOutputStream[] {self, twoStep, forward, inAnswer})
            assertRcode(ask(b.toByteArray()), Rcode.FORMERR);
        assertThat(count(Dns64Counter.FORMERR_COMPRESSION_LOOP)).isEqualTo(4);
    }

    @Test
    void aLabelLongerThan63BytesIsFormerr() {
        ByteArrayOutputStream b = header(0, 1, 0, 0, 0);
        name(b, "x".repeat(64), "example");
        typeClass(b, Type.A);
        assertRcode(ask(b.toByteArray()), Rcode.FORMERR);
        ByteArrayOutputStream ext = header(0, 1, 0, 0, 0); // 0x41: an (obsolete) extended label type
        ext.writeBytes(new byte[] {0x41, 0, 0, 0, 1, 0, 1});
        assertRcode(ask(ext.toByteArray()), Rcode.FORMERR);
        assertThat(count(Dns64Counter.FORMERR_LABEL_TOO_LONG)).isEqualTo(2);
    }

    @Test
    void aNameLongerThan255BytesIsFormerr() {
        String l = "y".repeat(63);
        ByteArrayOutputStream b = header(0, 1, 0, 0, 0);
        name(b, l, l, l, l); // 4 * 64 + 1 = 257 bytes
        typeClass(b, Type.A);
        assertRcode(ask(b.toByteArray()), Rcode.FORMERR);
        ByteArrayOutputStream ok = header(0, 1, 0, 0, 0);
        name(ok, l, l, l, "z".repeat(61)); // 3 * 64 + 62 + 1 = 255 bytes: allowed
        typeClass(ok, Type.A);
        assertThat(ask(ok.toByteArray())[3] & 0x0f).isNotEqualTo(Rcode.FORMERR);
        assertThat(count(Dns64Counter.FORMERR_NAME_TOO_LONG)).isEqualTo(1);
    }

    @Test
    void twoOptRecordsAreFormerr() {
        ByteArrayOutputStream b = header(0, 1, 0, 0, 2);
        name(b, "ok", "example");
        typeClass(b, Type.A);
        opt(b);
        opt(b);
        assertRcode(ask(b.toByteArray()), Rcode.FORMERR);
        assertThat(count(Dns64Counter.FORMERR_TWO_OPT)).isEqualTo(1);
    }

    @Test
    void recordsCutShortAreFormerr() {
        byte[] q = goodQuery();
        assertRcode(ask(Arrays.copyOf(q, q.length - 2)), Rcode.FORMERR); // QCLASS missing
        ByteArrayOutputStream b = header(0, 1, 0, 0, 1); // ARCOUNT 1 but no record
        name(b, "ok", "example");
        typeClass(b, Type.A);
        assertRcode(ask(b.toByteArray()), Rcode.FORMERR);
        assertThat(count(Dns64Counter.FORMERR_MALFORMED)).isEqualTo(2);
    }

    @Test
    void overUdpEveryBadQueryIsHandledAndTheServerKeepsAnswering() throws Exception {
        InetSocketAddress at = server.addresses().get(0);
        ByteArrayOutputStream loop = header(0, 1, 0, 0, 0);
        loop.writeBytes(new byte[] {(byte) 0xc0, 12, 0, 1, 0, 1});
        byte[] qr = goodQuery();
        qr[2] |= (byte) 0x80;
        byte[][] bad = {new byte[5], qr, header(0, 0, 0, 0, 0).toByteArray(), loop.toByteArray(), header(2, 1, 0, 0, 0).toByteArray()};
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(3000);
            for (byte[] b : bad) s.send(new DatagramPacket(b, b.length, at));
            byte[] ok = goodQuery();
            s.send(new DatagramPacket(ok, ok.length, at));
            // three error answers (FORMERR, FORMERR, NOTIMP) and the real answer arrive; the two drops send nothing
            int formerr = 0, notimp = 0;
            Message good = null;
            for (int i = 0; i < 4; i++) {
                DatagramPacket p = new DatagramPacket(new byte[4096], 4096);
                s.receive(p);
                byte[] r = Arrays.copyOf(p.getData(), p.getLength());
                int rc = r[3] & 0x0f;
                if (rc == Rcode.FORMERR) formerr++;
                else if (rc == Rcode.NOTIMP) notimp++;
                else good = Dns.parse(r);
            }
            assertThat(formerr).isEqualTo(2);
            assertThat(notimp).isEqualTo(1);
            assertThat(good).isNotNull();
            assertThat(Dns.answers(good)).containsExactly("ok.example. 60 A 192.0.2.1");
        }
        assertThat(count(Dns64Counter.DROP_SHORT)).isEqualTo(1);
        assertThat(count(Dns64Counter.DROP_QR_SET)).isEqualTo(1);
        assertThat(count(Dns64Counter.INTERNAL_ERROR)).isZero();
    }
}
