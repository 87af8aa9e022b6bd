package ferry.dns64;

import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The upstream client: UDP with a fresh socket (so a fresh random source port) and a random ID per attempt, answers
 * accepted only from the server asked, with the ID and question asked (RFC 5452 §9.1), TCP when the answer is
 * truncated, failover over the upstream list and retries, and a bound on the attempts in flight. Blocking; meant to
 * run on virtual threads.
 */
final class UpstreamClient implements Upstream {
    private final List<InetSocketAddress> servers;
    private final int timeoutMs;
    private final int retries;
    private final Semaphore inflight;
    private final Dns64Counters counters;
    private final SecureRandom random = new SecureRandom();
    /**
     * Receive buffers kept for the next attempts, at most {@link #POOLED}. The answer is parsed from a copy, so a
     * buffer is free again as soon as its attempt ends.
     */
    private final ArrayBlockingQueue<byte[]> buffers = new ArrayBlockingQueue<>(POOLED);
    static final int POOLED = 64;
    /**
     * One byte more than the payload size we advertise: a longer datagram (an upstream that ignores our OPT) shows as
     * a full buffer and is asked again over TCP. A 64 KiB buffer per attempt was half of the garbage of a cache miss
     * (JFR, 100 000 distinct names at 5000 qps: 2.2 of 4.2 GB).
     */
    static final int RECEIVE_BUFFER = Wire.OUR_PAYLOAD + 1;

    UpstreamClient(List<InetSocketAddress> servers, int timeoutMs, int retries, int maxInflight, Dns64Counters counters) {
        this.servers = List.copyOf(servers);
        this.timeoutMs = timeoutMs;
        this.retries = retries;
        this.inflight = new Semaphore(maxInflight);
        this.counters = counters;
    }

    @Override
    public Message query(Name name, int type, int dclass, boolean dnssecOk, boolean cd, long deadline) {
        Message lastError = null;
        boolean[] answeredWithError = new boolean[servers.size()];
        for (int round = 0; round <= retries; round++) {
            for (int i = 0; i < servers.size(); i++) {
                if (answeredWithError[i]) continue; // asking again the server that said SERVFAIL/REFUSED helps nobody
                long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (remainingMs <= 0) return fail(lastError);
                Message r = attempt(servers.get(i), name, type, dclass, dnssecOk, cd, (int) Math.min(timeoutMs, remainingMs));
                if (r == null) continue;
                int rc = r.getRcode();
                if (rc == Rcode.NOERROR || rc == Rcode.NXDOMAIN) return r;
                counters.inc(Dns64Counter.UPSTREAM_ERROR_RCODE);
                answeredWithError[i] = true;
                lastError = r;
            }
        }
        return fail(lastError);
    }

    private Message fail(Message lastError) {
        counters.inc(Dns64Counter.UPSTREAM_FAILURE);
        return lastError;
    }

    private Message attempt(InetSocketAddress server, Name name, int type, int dclass, boolean dnssecOk, boolean cd, int ms) {
        try {
            if (!inflight.tryAcquire(ms, TimeUnit.MILLISECONDS)) {
                counters.inc(Dns64Counter.UPSTREAM_INFLIGHT_LIMIT);
                return null;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
        byte[] reused = null;
        try {
            // RFC 5452 §9.2: use an unpredictable query ID (and, below, a new random source port per query)
            int id = random.nextInt(0x10000);
            Message q = Message.newQuery(Record.newRecord(name, type, dclass));
            q.getHeader().setID(id);
            if (cd) q.getHeader().setFlag(Flags.CD);
            q.addRecord(new OPTRecord(Wire.OUR_PAYLOAD, 0, 0, dnssecOk ? ExtendedFlags.DO : 0), Section.ADDITIONAL);
            byte[] out = q.toWire();
            counters.inc(Dns64Counter.UPSTREAM_QUERIES);
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
            try (DatagramSocket s = new DatagramSocket()) {
                s.connect(server); // a connected socket takes datagrams from this server's address and port only
                s.send(new DatagramPacket(out, out.length));
                byte[] buf = buffers.poll();
                if (buf == null) buf = new byte[RECEIVE_BUFFER];
                reused = buf;
                while (true) {
                    int left = (int) TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (left <= 0) throw new SocketTimeoutException();
                    s.setSoTimeout(left);
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    s.receive(p);
                    if (p.getLength() > Wire.OUR_PAYLOAD) {
                        // more than the payload size our OPT advertised (RFC 6891 §6.2.3): the receive cut it; if it
                        // answers our query, ask again over TCP as for TC
                        if (p.getLength() < Wire.HEADER || Wire.u16(buf, 0) != id || (buf[2] & 0x80) == 0) {
                            counters.inc(Dns64Counter.UPSTREAM_BAD_REPLY);
                            continue;
                        }
                        counters.inc(Dns64Counter.UPSTREAM_TCP_RETRY);
                        int left2 = (int) TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                        if (left2 <= 0) throw new SocketTimeoutException();
                        return overTcp(server, q, name, type, dclass, left2);
                    }
                    Message r = check(buf, p.getLength(), id, name, type, dclass);
                    if (r == null) continue;
                    if (r.getHeader().getFlag(Flags.TC)) {
                        // RFC 7766 §5: a truncated UDP answer is asked again over TCP
                        counters.inc(Dns64Counter.UPSTREAM_TCP_RETRY);
                        int left2 = (int) TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                        if (left2 <= 0) throw new SocketTimeoutException();
                        return overTcp(server, q, name, type, dclass, left2);
                    }
                    return r;
                }
            }
        } catch (SocketTimeoutException e) {
            counters.inc(Dns64Counter.UPSTREAM_TIMEOUT);
            return null;
        } catch (IOException | RuntimeException e) {
            counters.inc(Dns64Counter.UPSTREAM_NETWORK_ERROR);
            return null;
        } finally {
            if (reused != null) buffers.offer(reused); // dropped when the pool is full
            inflight.release();
        }
    }

    private Message overTcp(InetSocketAddress server, Message q, Name name, int type, int dclass, int ms) throws IOException {
        int id = random.nextInt(0x10000);
        q.getHeader().setID(id);
        byte[] out = q.toWire();
        try (Socket s = new Socket()) {
            s.connect(server, ms);
            s.setSoTimeout(ms);
            byte[] framed = new byte[out.length + 2];
            Wire.put16(framed, 0, out.length);
            System.arraycopy(out, 0, framed, 2, out.length);
            OutputStream os = s.getOutputStream();
            os.write(framed);
            os.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            int len = in.readUnsignedShort();
            byte[] buf = new byte[len];
            in.readFully(buf);
            Message r = check(buf, len, id, name, type, dclass);
            if (r == null) throw new IOException("bad TCP answer from " + server);
            return r;
        }
    }

    /** RFC 5452 §9.1: accept only an answer with our ID and our question; anything else is ignored and counted. */
    private Message check(byte[] buf, int len, int id, Name name, int type, int dclass) {
        try {
            if (len < Wire.HEADER || Wire.u16(buf, 0) != id || (buf[2] & 0x80) == 0) {
                counters.inc(Dns64Counter.UPSTREAM_BAD_REPLY);
                return null;
            }
            Message r = new Message(java.util.Arrays.copyOf(buf, len));
            Record question = r.getQuestion();
            if (question == null || !question.getName().equals(name) || question.getType() != type
                    || question.getDClass() != dclass) {
                counters.inc(Dns64Counter.UPSTREAM_BAD_REPLY);
                return null;
            }
            return r;
        } catch (IOException | RuntimeException e) {
            counters.inc(Dns64Counter.UPSTREAM_BAD_REPLY);
            return null;
        }
    }
}
