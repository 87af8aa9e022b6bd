package ferry.dns64;

/**
 * Raw DNS message checks and patches that run before (or instead of) dnsjava: the bad-input rules of the server,
 * the query fields the fast path needs, error answers, and the TTL offsets of a rendered answer. Works on a byte
 * array and its length; never throws on any input.
 */
final class Wire {
    private Wire() {}

    static final int HEADER = 12;
    static final int TYPE_OPT = 41;
    /** The UDP payload size ferry advertises (the DNS flag day 2020 value). */
    static final int OUR_PAYLOAD = 1232;
    /** Bytes of the OPT record we append (root owner, no options). */
    static final int OPT_LEN = 11;

    // name-walk results below zero
    private static final int E_MALFORMED = -1, E_LOOP = -2, E_LABEL = -3, E_NAME = -4;

    /** What {@link #parseQuery} learned about a query. */
    static final class Query {
        Dns64Counter problem; // null when the query is fine
        int id;
        boolean rd, cd;
        int qnameEnd;         // offset just past the question name
        boolean qnameCompressed;
        int qtype, qclass;
        int questionEnd;      // offset just past QTYPE/QCLASS
        boolean edns;
        int payload;          // EDNS UDP payload size (0 without EDNS)
        int ednsVersion;
        boolean dnssecOk;

        /** Clears every field so the object can describe the next query (receive loops reuse one per thread). */
        void reset() {
            problem = null;
            id = 0;
            rd = cd = qnameCompressed = edns = dnssecOk = false;
            qnameEnd = qtype = qclass = questionEnd = payload = ednsVersion = 0;
        }

        /** A copy, for work handed to another thread while this one is reused. */
        Query copy() {
            Query c = new Query();
            c.problem = problem;
            c.id = id;
            c.rd = rd;
            c.cd = cd;
            c.qnameEnd = qnameEnd;
            c.qnameCompressed = qnameCompressed;
            c.qtype = qtype;
            c.qclass = qclass;
            c.questionEnd = questionEnd;
            c.edns = edns;
            c.payload = payload;
            c.ednsVersion = ednsVersion;
            c.dnssecOk = dnssecOk;
            return c;
        }

        /** The largest answer this client takes over UDP: 512 without EDNS, else its buffer (at least 512). */
        int udpLimit() {
            // RFC 6891 §6.2.5: values lower than 512 MUST be treated as equal to 512.
            return edns ? Math.max(512, payload) : 512;
        }
    }

    static int u16(byte[] b, int p) {
        return ((b[p] & 0xff) << 8) | (b[p + 1] & 0xff);
    }

    static void put16(byte[] b, int p, int v) {
        b[p] = (byte) (v >>> 8);
        b[p + 1] = (byte) v;
    }

    /**
     * Walks one (possibly compressed) name starting at {@code pos}; returns the offset just past it in the
     * message, or a negative error. Compression pointers must point strictly before the start of the labels that
     * led to them, so every walk ends (a loop or a forward pointer is an error).
     */
    static int skipName(byte[] b, int len, int pos) {
        int p = pos, end = -1, limit = pos, wireLen = 0;
        while (true) {
            if (p >= len) return E_MALFORMED;
            int l = b[p] & 0xff;
            if (l == 0) {
                wireLen += 1;
                // RFC 1035 §3.1: "the total length of a domain name ... is restricted to 255 octets or less"
                if (wireLen > 255) return E_NAME;
                return end < 0 ? p + 1 : end;
            }
            if ((l & 0xc0) == 0xc0) {
                if (p + 1 >= len) return E_MALFORMED;
                int target = ((l & 0x3f) << 8) | (b[p + 1] & 0xff);
                if (end < 0) end = p + 2;
                if (target >= limit) return E_LOOP;
                limit = target;
                p = target;
                continue;
            }
            // RFC 1035 §2.3.4: labels are 63 octets or less; 0x40/0x80 are (obsolete) extended label types
            if ((l & 0xc0) != 0) return E_LABEL;
            wireLen += l + 1;
            if (wireLen > 255) return E_NAME;
            p += l + 1;
        }
    }

    private static Dns64Counter nameError(int r) {
        return switch (r) {
            case E_LOOP -> Dns64Counter.FORMERR_COMPRESSION_LOOP;
            case E_LABEL -> Dns64Counter.FORMERR_LABEL_TOO_LONG;
            case E_NAME -> Dns64Counter.FORMERR_NAME_TOO_LONG;
            default -> Dns64Counter.FORMERR_MALFORMED;
        };
    }

    /**
     * Checks a query against the bad-input rules, in order: shorter than a header (drop), QR set (ignore), opcode
     * not QUERY (NOTIMP), QDCOUNT not 1, bad names anywhere, a record cut short, two OPT records (FORMERR).
     */
    static Query parseQuery(byte[] b, int len) {
        return parseQuery(b, len, new Query());
    }

    /** {@link #parseQuery(byte[], int)} into a reused {@code q} (reset first); returns {@code q}. */
    static Query parseQuery(byte[] b, int len, Query q) {
        q.reset();
        if (len < HEADER) { q.problem = Dns64Counter.DROP_SHORT; return q; }
        q.id = u16(b, 0);
        int f1 = b[2] & 0xff, f2 = b[3] & 0xff;
        if ((f1 & 0x80) != 0) { q.problem = Dns64Counter.DROP_QR_SET; return q; }
        q.rd = (f1 & 0x01) != 0;
        q.cd = (f2 & 0x10) != 0;
        int opcode = (f1 >>> 3) & 0x0f;
        if (opcode != 0) { q.problem = Dns64Counter.NOTIMP_OPCODE; return q; }
        if (u16(b, 4) != 1) { q.problem = Dns64Counter.FORMERR_QDCOUNT; return q; }
        int p = skipName(b, len, HEADER);
        if (p < 0) { q.problem = nameError(p); return q; }
        q.qnameEnd = p;
        for (int i = HEADER; i < p; ) { // detect a pointer in the question name (the fast path wants it literal)
            int l = b[i] & 0xff;
            if ((l & 0xc0) == 0xc0) { q.qnameCompressed = true; break; }
            if (l == 0) break;
            i += l + 1;
        }
        if (p + 4 > len) { q.problem = Dns64Counter.FORMERR_MALFORMED; return q; }
        q.qtype = u16(b, p);
        q.qclass = u16(b, p + 2);
        p += 4;
        q.questionEnd = p;
        int an = u16(b, 6), ns = u16(b, 8), ar = u16(b, 10);
        int opts = 0;
        for (int i = 0; i < an + ns + ar; i++) {
            int n = skipName(b, len, p);
            if (n < 0) { q.problem = nameError(n); return q; }
            if (n + 10 > len) { q.problem = Dns64Counter.FORMERR_MALFORMED; return q; }
            int type = u16(b, n);
            int rdlen = u16(b, n + 8);
            if (n + 10 + rdlen > len) { q.problem = Dns64Counter.FORMERR_MALFORMED; return q; }
            if (type == TYPE_OPT) {
                // RFC 6891 §6.1.1: "If a query message with more than one OPT RR is received, a FORMERR (RCODE=1)
                // MUST be returned." An OPT outside the additional section or not owned by the root is malformed.
                if (i < an + ns || n != p + 1) { q.problem = Dns64Counter.FORMERR_MALFORMED; return q; }
                if (++opts > 1) { q.problem = Dns64Counter.FORMERR_TWO_OPT; return q; }
                q.edns = true;
                q.payload = u16(b, n + 2);
                q.ednsVersion = b[n + 5] & 0xff;
                q.dnssecOk = (b[n + 6] & 0x80) != 0;
            }
            p = n + 10 + rdlen;
        }
        return q;
    }

    /** The rcode a bad query is answered with, or -1 when it is dropped without an answer. */
    static int rcodeFor(Dns64Counter problem) {
        return switch (problem) {
            case DROP_SHORT, DROP_QR_SET -> -1;
            case NOTIMP_OPCODE -> 4;
            default -> 1; // FORMERR
        };
    }

    /**
     * A header-only answer to a bad query: the query's ID, opcode and RD, QR set, the given rcode, no records
     * (RFC 1035 §4.1.1 allows an error answer without the question, which may be what could not be parsed).
     */
    static byte[] errorAnswer(byte[] q, int rcode) {
        byte[] r = new byte[HEADER];
        r[0] = q[0];
        r[1] = q[1];
        r[2] = (byte) (0x80 | (q[2] & 0x79)); // QR, opcode, RD kept; AA, TC cleared
        r[3] = (byte) (0x80 | (rcode & 0x0f)); // RA
        return r;
    }

    /**
     * RFC 6891 §6.1.3: a query with an EDNS version we do not implement gets BADVERS (extended rcode 16: upper
     * eight bits 1 in the OPT, lower four 0 in the header) and an OPT with the highest version we do support, 0.
     */
    static byte[] badversAnswer(byte[] q, Query info) {
        int qlen = info.questionEnd - HEADER;
        byte[] r = new byte[HEADER + qlen + 11];
        r[0] = q[0];
        r[1] = q[1];
        r[2] = (byte) (0x80 | (q[2] & 0x01));
        r[3] = (byte) 0x80;
        put16(r, 4, 1);
        put16(r, 10, 1);
        System.arraycopy(q, HEADER, r, HEADER, qlen);
        appendOpt(r, HEADER + qlen, 1, info.dnssecOk);
        return r;
    }

    /** Writes our OPT record (root owner, payload 1232, version 0) at {@code p}; 11 bytes. */
    static void appendOpt(byte[] r, int p, int extendedRcode, boolean dnssecOk) {
        r[p] = 0;
        put16(r, p + 1, TYPE_OPT);
        put16(r, p + 3, OUR_PAYLOAD);
        r[p + 5] = (byte) extendedRcode;
        r[p + 6] = 0; // version 0
        r[p + 7] = (byte) (dnssecOk ? 0x80 : 0); // RFC 3225 §3: the DO bit is copied into the response
        r[p + 8] = 0;
        put16(r, p + 9, 0);
    }

    /**
     * Offsets of the TTL field of every record in a rendered message (the OPT pseudo-record excluded, its TTL
     * field holds flags), or null when the message does not walk cleanly.
     */
    static int[] ttlOffsets(byte[] b, int len) {
        if (len < HEADER) return null;
        int qd = u16(b, 4), total = u16(b, 6) + u16(b, 8) + u16(b, 10);
        int p = HEADER;
        for (int i = 0; i < qd; i++) {
            p = skipName(b, len, p);
            if (p < 0 || p + 4 > len) return null;
            p += 4;
        }
        int[] out = new int[total];
        int k = 0;
        for (int i = 0; i < total; i++) {
            int n = skipName(b, len, p);
            if (n < 0 || n + 10 > len) return null;
            if (u16(b, n) != TYPE_OPT) out[k++] = n + 4;
            p = n + 10 + u16(b, n + 8);
            if (p > len) return null;
        }
        return k == out.length ? out : java.util.Arrays.copyOf(out, k);
    }

    static int getInt(byte[] b, int p) {
        return ((b[p] & 0xff) << 24) | ((b[p + 1] & 0xff) << 16) | ((b[p + 2] & 0xff) << 8) | (b[p + 3] & 0xff);
    }

    static void putInt(byte[] b, int p, int v) {
        b[p] = (byte) (v >>> 24);
        b[p + 1] = (byte) (v >>> 16);
        b[p + 2] = (byte) (v >>> 8);
        b[p + 3] = (byte) v;
    }
}
