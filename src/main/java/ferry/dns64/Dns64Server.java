package ferry.dns64;

import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;

/**
 * The DNS64 server: UDP and TCP listeners on every configured address (IPv4 and IPv6), the bad-input rules, EDNS0
 * and answer sizes, and the cache in front of {@link Dns64Resolver}. Cache hits are answered on the receiving
 * thread from rendered bytes; misses go to a virtual thread that waits for the upstream. Over TCP (RFC 7766)
 * queries on one connection are handled concurrently and answered as they complete, possibly out of order.
 */
public final class Dns64Server implements AutoCloseable {
    /** RFC 7766 §6.2.3: close TCP connections idle this long. */
    static final int TCP_IDLE_MS = 10_000;
    static final int MAX_TCP_CONNECTIONS = 512;
    static final int MAX_TCP_PIPELINE = 128;
    private static final byte[] DROP = new byte[0];

    private final Dns64Settings settings;
    private final Dns64Counters counters;
    private final Dns64Resolver resolver;
    private final AnswerCache cache;
    /** Questions being resolved now, for the identical queries that miss meanwhile ({@link #slow}). */
    private final ConcurrentHashMap<AnswerCache.Key, CompletableFuture<Resolved>> resolving = new ConcurrentHashMap<>();
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private final Semaphore pendingResolves;
    private final List<UdpSocket> udp = new ArrayList<>();
    private final List<ServerSocket> tcp = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final List<ExecutorService> senders = new ArrayList<>();
    private final Map<Socket, TcpState> connections = new ConcurrentHashMap<>();
    private final Thread idleCloser;
    private final Semaphore connectionSlots = new Semaphore(MAX_TCP_CONNECTIONS);
    private final List<InetSocketAddress> bound = new ArrayList<>();
    private volatile boolean closed;
    private volatile LongConsumer latency;
    private final CompletableFuture<Dns64WarmUp.Result> warmUp = new CompletableFuture<>();
    private volatile Thread warmUpThread;

    /**
     * Starts a server that asks the configured upstream servers, and its warm-up in the background ({@link
     * Dns64WarmUp}, {@link #warmUp()}): the server answers from the start.
     */
    public static Dns64Server start(Dns64Settings settings) throws IOException {
        Dns64Counters c = new Dns64Counters();
        UpstreamClient up = new UpstreamClient(settings.upstream(), settings.timeoutMs(), settings.retries(), settings.maxInflight(), c);
        Dns64Server s = new Dns64Server(settings, up, c);
        s.startWarmUp();
        return s;
    }

    private void startWarmUp() {
        if (settings.warmUp() == 0) {
            warmUp.complete(Dns64WarmUp.Result.none("off"));
            return;
        }
        warmUpThread = Thread.ofPlatform().daemon().name("dns64-warm-up").start(() -> {
            try {
                warmUp.complete(Dns64WarmUp.run(settings, () -> closed));
            } catch (Throwable t) {
                warmUp.complete(Dns64WarmUp.Result.none("failed: " + t));
            }
        });
    }

    /**
     * The warm-up's outcome, complete when it has ended: at once when it is off; at {@link #close} for a server made
     * without {@link #start} (tests), which runs none.
     */
    public CompletableFuture<Dns64WarmUp.Result> warmUp() {
        return warmUp;
    }

    /** Starts a server that asks {@code upstream} (tests use their own). */
    Dns64Server(Dns64Settings settings, Upstream upstream, Dns64Counters counters) throws IOException {
        this.settings = settings;
        this.counters = counters;
        this.resolver = new Dns64Resolver(settings, upstream, counters);
        this.cache = new AnswerCache(settings.cacheSize(), settings.prefetchTrigger(), settings.prefetchMinTtl(), counters);
        this.pendingResolves = new Semaphore(Math.max(64, settings.maxInflight() * 2));
        this.idleCloser = Thread.ofVirtual().name("dns64-tcp-idle").unstarted(this::idleLoop);
        try {
            for (InetSocketAddress a : settings.listen()) bind(a);
            idleCloser.start();
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The addresses actually bound (UDP and TCP share each port), in the order of {@code settings.listen()}. */
    public List<InetSocketAddress> addresses() {
        return List.copyOf(bound);
    }

    public Dns64Counters counters() {
        return counters;
    }

    public Dns64Settings settings() {
        return settings;
    }

    /** Answers currently cached. */
    int cachedAnswers() {
        return cache.size();
    }

    // ---------------------------------------------------------------------------------------------------------
    // listeners

    private void bind(InetSocketAddress want) throws IOException {
        int threadsPer = settings.udpThreads() == 0 ? Runtime.getRuntime().availableProcessors() : settings.udpThreads();
        IOException last = null;
        for (int attempt = 0; attempt < 20; attempt++) {
            List<UdpSocket> chans = new ArrayList<>();
            ServerSocket ss = null;
            try {
                UdpSocket first = UdpSocket.open(want, threadsPer > 1);
                chans.add(first);
                InetSocketAddress got = first.localAddress();
                // SO_REUSEPORT: one socket per receive thread, the kernel spreads clients over them
                for (int i = 1; i < threadsPer; i++) chans.add(UdpSocket.open(got, true));
                ss = new ServerSocket();
                ss.setReuseAddress(true);
                ss.bind(got, 256);
                udp.addAll(chans);
                tcp.add(ss);
                bound.add(got);
                int n = 0;
                for (UdpSocket ch : chans) {
                    ExecutorService sender = Executors.newSingleThreadExecutor(
                            Thread.ofPlatform().daemon().name("dns64-udp-send-" + got + "-", 0).factory());
                    senders.add(sender);
                    Thread t = Thread.ofPlatform().daemon().name("dns64-udp-" + got + "-" + n++).start(() -> udpLoop(ch, sender));
                    threads.add(t);
                }
                ServerSocket acceptOn = ss;
                threads.add(Thread.ofVirtual().name("dns64-tcp-" + got).start(() -> acceptLoop(acceptOn)));
                return;
            } catch (IOException e) {
                for (UdpSocket c : chans) c.close();
                if (ss != null) ss.close();
                last = e;
                if (want.getPort() != 0) break; // a fixed port that is taken stays taken
            }
        }
        throw new IOException("dns64.listen: cannot bind " + want + ": " + (last == null ? "?" : last.getMessage()), last);
    }

    /** One receive thread's buffers and reusable objects: a cache hit allocates nothing. */
    private static final class UdpState {
        final byte[] in = new byte[UdpSocket.MAX_DATAGRAM];
        final byte[] out = new byte[AnswerCache.MAX_ENTRY_BYTES + 2 * Wire.OPT_LEN];
        final Wire.Query q = new Wire.Query();
        final AnswerCache.Key probe = AnswerCache.Key.probe();
    }

    private void udpLoop(UdpSocket sock, ExecutorService sender) {
        UdpState st = new UdpState();
        try (UdpSocket.Receiver rx = sock.receiver()) {
            while (!closed) serveUdp(sock, sender, rx, st);
        }
    }

    /**
     * Receives one datagram and answers it (or hands it to a worker). A method of its own rather than the body of
     * {@link #udpLoop}'s endless loop: the JIT compiles a loop that never returns only by on-stack replacement, and
     * when that code was deoptimized (the first time a branch it had never seen taken is taken: the first expired
     * answer, prefetch or receive timeout after warm-up) the loop ran in the interpreter, then in C1 code, for the
     * next ~100 000 datagrams until a new OSR compilation was ready: 10-18 ms answers measured with dnsperf at
     * 10 000 qps (README, "DNS64 performance"). A method is recompiled after a few thousand calls.
     */
    private void serveUdp(UdpSocket sock, ExecutorService sender, UdpSocket.Receiver rx, UdpState st) {
        byte[] arr = st.in;
        int len = rx.receive(arr);
        if (len < 0) return; // nothing yet (timeout), or shut down: the loop condition decides
        try {
            Wire.Query q = Wire.parseQuery(arr, len, st.q);
            long now = System.nanoTime();
            byte[] early = screen(arr, q, true);
            if (early != null) {
                if (early != DROP && rx.reply(early, early.length)) sent(early, q, now);
                return;
            }
            int n = q.qnameCompressed ? -1 : hitInto(arr, q, true, now, st.probe, st.out);
            if (n >= 0) { // the fast path: bytes from the cache, patched in place, no dnsjava
                if (rx.reply(st.out, n)) sent(st.out, q, now); // not sent: the client went away
                return;
            }
            byte[] to = rx.peer();
            if (!pendingResolves.tryAcquire()) {
                counters.inc(Dns64Counter.UPSTREAM_INFLIGHT_LIMIT);
                counters.inc(Dns64Counter.SERVFAIL_SENT);
                byte[] r = Wire.errorAnswer(arr, Rcode.SERVFAIL); // shed load: answer at once
                if (rx.reply(r, r.length)) sent(r, q, now);
                return;
            }
            byte[] copy = Arrays.copyOf(arr, len);
            Wire.Query qc = q.copy();
            workers.execute(() -> {
                try {
                    byte[] rr = slow(copy, len, qc, true, now);
                    // Sent from here, without blocking (MSG_DONTWAIT): a hand-off to another thread cost
                    // each miss one more wake-up (up to 0.8 ms measured with the JVM on one CPU). Only
                    // when the socket's send buffer is full does a platform thread send, blocking: a
                    // blocking downcall would pin this virtual thread (and its carrier) meanwhile.
                    if (rr != DROP) {
                        if (sock.trySendTo(rr, rr.length, to)) sent(rr, qc, now);
                        else sender.execute(() -> {
                            if (sock.sendTo(rr, rr.length, to)) sent(rr, qc, now);
                        });
                    }
                } catch (Throwable t) {
                    counters.inc(Dns64Counter.INTERNAL_ERROR);
                } finally {
                    pendingResolves.release();
                }
            });
        } catch (Throwable t) { // nothing a client sends stops the listener
            counters.inc(Dns64Counter.INTERNAL_ERROR);
        }
    }

    /** Counts an answer by rcode and reports its latency (receive to sent) to the observer, if one is set. */
    private void sent(byte[] r, Wire.Query q, long start) {
        counters.answered(q.problem == null && q.edns && q.ednsVersion != 0 ? 16 : r[3] & 0x0f);
        LongConsumer o = latency;
        if (o != null) o.accept(System.nanoTime() - start);
    }

    /**
     * Reports the time from receiving each answered query to sending its answer, in nanoseconds, to {@code observer}
     * (null: none). It runs on the receive threads: it must not block, and should not allocate.
     */
    public void setLatencyObserver(LongConsumer observer) {
        this.latency = observer;
    }

    /** Answers in the cache now. */
    public int cacheEntries() {
        return cache.size();
    }

    /** Bytes the cached answers cost now (answer and name bytes plus a fixed per-entry overhead). */
    public long cacheBytes() {
        return cache.bytes();
    }

    private void acceptLoop(ServerSocket ss) {
        while (!closed) {
            Socket s;
            try {
                s = ss.accept();
            } catch (IOException e) {
                if (closed || ss.isClosed()) return;
                continue;
            }
            if (!connectionSlots.tryAcquire()) {
                counters.inc(Dns64Counter.TCP_CONNECTIONS_REFUSED);
                try { s.close(); } catch (IOException ignored) { }
                continue;
            }
            counters.inc(Dns64Counter.TCP_CONNECTIONS);
            TcpState st = new TcpState(System.nanoTime());
            connections.put(s, st);
            Thread.ofVirtual().name("dns64-tcp-conn").start(() -> {
                try {
                    serveTcp(s, st);
                } catch (Throwable t) {
                    // connection-level failure: the connection ends, the server does not
                } finally {
                    connections.remove(s);
                    try { s.close(); } catch (IOException ignored) { }
                    connectionSlots.release();
                }
            });
        }
    }

    /**
     * One TCP connection's buffers and reusable objects (a cache hit allocates nothing), its pipeline bound and when
     * it was last active (for {@link #idleLoop}).
     */
    private static final class TcpState {
        byte[] in = new byte[512];
        byte[] out = new byte[512];
        final Wire.Query q = new Wire.Query();
        final AnswerCache.Key probe = AnswerCache.Key.probe();
        final Semaphore pipeline = new Semaphore(MAX_TCP_PIPELINE);
        final ReentrantLock writeLock = new ReentrantLock();
        volatile long lastActive;

        TcpState(long now) {
            lastActive = now;
        }

        boolean idle(long now) {
            return now - lastActive >= TimeUnit.MILLISECONDS.toNanos(TCP_IDLE_MS) && pipeline.availablePermits() == MAX_TCP_PIPELINE;
        }
    }

    /**
     * RFC 7766 §6.2.3: closes connections idle for {@link #TCP_IDLE_MS} (no query read, no answer pending), checked
     * every second. A sweep instead of a read timeout: a timed read on a virtual thread schedules a timer task per
     * read, that is garbage per query.
     */
    private void idleLoop() {
        while (!closed) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return; // close()
            }
            long now = System.nanoTime();
            for (Map.Entry<Socket, TcpState> c : connections.entrySet()) {
                if (c.getValue().idle(now) && connections.remove(c.getKey(), c.getValue())) {
                    counters.inc(Dns64Counter.TCP_IDLE_CLOSED);
                    try { c.getKey().close(); } catch (IOException ignored) { }
                }
            }
        }
    }

    private void serveTcp(Socket s, TcpState st) throws IOException, InterruptedException {
        s.setTcpNoDelay(true);
        DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 8192));
        OutputStream out = new BufferedOutputStream(s.getOutputStream(), 1024);
        ReentrantLock writeLock = st.writeLock;
        Semaphore pipeline = st.pipeline;
        try {
            while (!closed) {
                int len;
                try {
                    len = in.readUnsignedShort();
                } catch (EOFException | SocketException e) {
                    return; // the client closed, or the idle sweep closed the socket
                }
                if (st.in.length < len) st.in = new byte[len];
                byte[] msg = st.in;
                in.readFully(msg, 0, len);
                long now = System.nanoTime();
                st.lastActive = now;
                Wire.Query q = Wire.parseQuery(msg, len, st.q);
                byte[] early = screen(msg, q, false);
                if (early != null) {
                    if (early != DROP && writeFramed(out, writeLock, early, early.length)) sent(early, q, now);
                    continue;
                }
                AnswerCache.Entry e = q.qnameCompressed ? null : lookup(msg, q, now, st.probe);
                if (e != null) { // the fast path, as over UDP: the cached bytes patched in this connection's buffer
                    if (st.out.length < e.wire().length + Wire.OPT_LEN) st.out = new byte[e.wire().length + Wire.OPT_LEN];
                    int n = renderHit(e, msg, q, false, now, st.out);
                    if (writeFramed(out, writeLock, st.out, n)) sent(st.out, q, now);
                    continue;
                }
                // RFC 7766 §6.2.1.1: pipelined queries are processed concurrently and answered in any order
                byte[] copy = Arrays.copyOf(msg, len);
                Wire.Query qc = q.copy();
                pipeline.acquire();
                workers.execute(() -> {
                    try {
                        byte[] rr = slow(copy, len, qc, false, now);
                        if (rr != DROP && writeFramed(out, writeLock, rr, rr.length)) sent(rr, qc, now);
                        st.lastActive = System.nanoTime();
                    } catch (Throwable t) {
                        counters.inc(Dns64Counter.INTERNAL_ERROR);
                    } finally {
                        pipeline.release();
                    }
                });
            }
        } finally {
            // let the answers still being worked on go out before the connection closes
            if (pipeline.tryAcquire(MAX_TCP_PIPELINE, settings.clientBudgetMs() + 1000L, TimeUnit.MILLISECONDS))
                pipeline.release(MAX_TCP_PIPELINE);
        }
    }

    /** Writes {@code r[0..n)} with its two-byte length (RFC 1035 §4.2.2) and flushes; false when the client is gone. */
    private static boolean writeFramed(OutputStream out, ReentrantLock lock, byte[] r, int n) {
        lock.lock();
        try {
            out.write(n >>> 8);
            out.write(n & 0xff);
            out.write(r, 0, n);
            out.flush();
            return true;
        } catch (IOException e) {
            return false; // the client closed; nothing to do
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // answering

    /** Answers one raw query, waiting for the upstream if needed; an empty array means "send nothing". */
    byte[] answer(byte[] b, int len, boolean udp) {
        Wire.Query q = Wire.parseQuery(b, len);
        long now = System.nanoTime();
        byte[] r = quick(b, len, q, udp, now);
        return r != null ? r : slow(b, len, q, udp, now);
    }

    /** The part that needs no upstream: bad input, BADVERS, cache hits. Null when the query must be resolved. */
    private byte[] quick(byte[] b, int len, Wire.Query q, boolean udp, long now) {
        byte[] early = screen(b, q, udp);
        if (early != null || q.qnameCompressed) return early;
        AnswerCache.Key k = AnswerCache.Key.ofRaw(b, q.qnameEnd, q.qtype, q.qclass, q.dnssecOk, q.cd);
        AnswerCache.Entry e = cache.get(k, now);
        if (e == null) return null;
        byte[] r = new byte[e.wire().length + Wire.OPT_LEN];
        int n = hitInto(b, q, udp, now, k, r); // through lookup: starts the prefetch when due
        if (n < 0) return null; // expired in between
        return n == r.length ? r : Arrays.copyOf(r, n);
    }

    /**
     * Bad input and BADVERS: the answer to send ({@link #DROP} for none), or null for a well-formed query, which is
     * then counted by transport and type.
     */
    private byte[] screen(byte[] b, Wire.Query q, boolean udp) {
        if (q.problem != null) {
            counters.inc(q.problem);
            int rcode = Wire.rcodeFor(q.problem);
            return rcode < 0 ? DROP : Wire.errorAnswer(b, rcode);
        }
        counters.inc(udp ? Dns64Counter.QUERIES_UDP : Dns64Counter.QUERIES_TCP);
        counters.query(q.qtype);
        if (q.edns && q.ednsVersion != 0) {
            counters.inc(Dns64Counter.BADVERS);
            return Wire.badversAnswer(b, q);
        }
        return null;
    }

    /**
     * The cache-hit fast path: looks the query's question up (through {@code probe}, set here) and writes this
     * client's answer into {@code out} (room for the largest cached answer plus an OPT record); returns its length,
     * or -1 on a miss. The query must be well-formed, EDNS version 0, its name not compressed.
     */
    private int hitInto(byte[] b, Wire.Query q, boolean udp, long now, AnswerCache.Key probe, byte[] out) {
        AnswerCache.Entry e = lookup(b, q, now, probe);
        return e == null ? -1 : renderHit(e, b, q, udp, now, out);
    }

    /**
     * The cached answer to the query's question, looked up through {@code probe} (set here), or null. A hit in the
     * entry's prefetch window starts its refresh ({@link #startPrefetch}); outside it, that costs one compare.
     */
    private AnswerCache.Entry lookup(byte[] b, Wire.Query q, long now, AnswerCache.Key probe) {
        AnswerCache.Entry e = cache.get(probe.setRaw(b, q.qnameEnd, q.qtype, q.qclass, q.dnssecOk, q.cd), now);
        if (e != null && e.prefetchDue(now)) startPrefetch(e, b, q);
        return e;
    }

    /**
     * Prefetch, as BIND ({@code prefetch 2 9}) and unbound ({@code prefetch: yes}) do it: a hit on an answer about to
     * expire (at most the trigger's seconds of TTL left, and cached with a TTL of at least the eligibility) asks the
     * upstream again in the background, once per entry; the hit itself is answered from the cache as usual, its TTLs
     * lowered as always (nothing stale is served). The fresh answer replaces the entry, so a name asked steadily never
     * misses: without it every query for the name waits for the upstream when the entry expires. The refresh shares
     * the {@link #resolving} map with the misses: a miss for the question waits for it rather than asking again, and
     * no refresh starts while a miss for it is under way. A refresh that fails leaves the entry to expire.
     */
    private void startPrefetch(AnswerCache.Entry e, byte[] b, Wire.Query q) {
        if (!e.claimPrefetch()) return; // one refresh per entry: this one's is started already
        if (!pendingResolves.tryAcquire()) { // at the limit: no refresh now, a later hit may try again
            e.unclaimPrefetch();
            return;
        }
        try {
            // the question alone (header counts 1, 0, 0, 0): all dnsjava needs to rebuild it; flags, DO, CD from q
            byte[] query = Arrays.copyOf(b, q.questionEnd);
            Wire.put16(query, 6, 0);
            Wire.put16(query, 8, 0);
            Wire.put16(query, 10, 0);
            Wire.Query qc = q.copy();
            workers.execute(() -> {
                try {
                    prefetch(query, qc);
                } catch (Throwable t) {
                    counters.inc(Dns64Counter.INTERNAL_ERROR);
                } finally {
                    pendingResolves.release();
                }
            });
        } catch (RuntimeException ex) { // e.g. the executor shut down by close()
            pendingResolves.release();
        }
    }

    /** The background refresh of one cached answer (see {@link #startPrefetch}). */
    private void prefetch(byte[] query, Wire.Query q) {
        AnswerCache.Key key = AnswerCache.Key.ofRaw(query, q.qnameEnd, q.qtype, q.qclass, q.dnssecOk, q.cd);
        CompletableFuture<Resolved> mine = new CompletableFuture<>();
        if (resolving.putIfAbsent(key, mine) != null) return; // a miss for it is being resolved: that one refreshes it
        Resolved r = null;
        try {
            counters.inc(Dns64Counter.CACHE_PREFETCH);
            r = resolve(query, query.length, q, System.nanoTime(), key, true);
            if (r == null || !r.cached()) counters.inc(Dns64Counter.CACHE_PREFETCH_FAILED);
        } catch (RuntimeException | Error e) {
            counters.inc(Dns64Counter.CACHE_PREFETCH_FAILED);
            mine.completeExceptionally(e);
            throw e;
        } finally {
            mine.complete(r); // no-op when completed exceptionally above
            resolving.remove(key, mine);
        }
    }

    /** Counts a hit and writes entry {@code e} as this client's answer into {@code out} (room: its bytes + OPT). */
    private int renderHit(AnswerCache.Entry e, byte[] b, Wire.Query q, boolean udp, long now, byte[] out) {
        counters.inc(Dns64Counter.CACHE_HIT);
        int n = AnswerCache.renderInto(e, now, out);
        return finishInto(out, n, b, q, udp);
    }

    /**
     * An answer resolved for one question, rendered as the cache keeps it (ID 0, no OPT), when it was resolved, and
     * its rcode; handed to the queries for the same question that came while it was being resolved.
     */
    private record Resolved(byte[] wire, int[] ttlOffsets, long resolvedNanos, int rcode, boolean cached) {
    }

    /**
     * Resolves a query that missed the cache and renders the answer for this client. Identical questions (name,
     * type, class, DO, CD) that miss while one of them is being resolved wait for that one and share its answer:
     * one upstream lookup, not one per query. An answer that expires from the cache under load is otherwise
     * resolved once per query that arrives during the upstream round trip (hundreds at 10 000 qps), and that
     * burst of garbage made the young collections of a cached benchmark.
     */
    private byte[] slow(byte[] b, int len, Wire.Query q, boolean udp, long now) {
        AnswerCache.Key key = q.qnameCompressed ? null : AnswerCache.Key.ofRaw(b, q.qnameEnd, q.qtype, q.qclass, q.dnssecOk, q.cd);
        CompletableFuture<Resolved> mine = null, first = null;
        if (key != null) {
            mine = new CompletableFuture<>();
            first = resolving.putIfAbsent(key, mine);
        }
        Resolved r = null;
        if (first != null) {
            long wait = now + TimeUnit.MILLISECONDS.toNanos(settings.clientBudgetMs()) - System.nanoTime();
            try {
                r = first.get(Math.max(0, wait), TimeUnit.NANOSECONDS);
                if (r != null) {
                    counters.inc(Dns64Counter.CACHE_MISS);
                    counters.inc(Dns64Counter.CACHE_MISS_SHARED);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return DROP;
            } catch (ExecutionException | TimeoutException e) {
                r = null; // the first one failed unexpectedly, or took too long: resolve this one on its own
            }
        }
        if (r == null) {
            try {
                r = resolve(b, len, q, now, key, false);
                if (r == null) return Wire.errorAnswer(b, Rcode.FORMERR);
            } catch (RuntimeException | Error e) {
                if (first == null && mine != null) mine.completeExceptionally(e);
                throw e;
            } finally {
                if (first == null && mine != null) {
                    mine.complete(r); // no-op when completed exceptionally above
                    resolving.remove(key, mine);
                }
            }
        }
        if (r.rcode() == Rcode.SERVFAIL) counters.inc(Dns64Counter.SERVFAIL_SENT);
        // as a cache hit would render it: TTLs lowered by the whole seconds since it was resolved
        byte[] out = new byte[r.wire().length + Wire.OPT_LEN];
        int n = AnswerCache.renderInto(new AnswerCache.Entry(r.wire(), r.ttlOffsets(), r.resolvedNanos(), Long.MAX_VALUE, 0),
                Math.max(now, r.resolvedNanos()), out);
        n = finishInto(out, n, b, q, udp);
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    /**
     * Parses the query with dnsjava, resolves it and caches the answer; null when dnsjava cannot parse it. A
     * {@code prefetch} is not counted as a cache miss (no client waits for it).
     */
    private Resolved resolve(byte[] b, int len, Wire.Query q, long now, AnswerCache.Key key, boolean prefetch) {
        Message query;
        try {
            query = new Message(Arrays.copyOf(b, len));
        } catch (IOException | RuntimeException e) {
            counters.inc(Dns64Counter.FORMERR_MALFORMED);
            return null;
        }
        Record question = query.getQuestion();
        if (question == null) {
            counters.inc(Dns64Counter.FORMERR_MALFORMED);
            return null;
        }
        if (!prefetch) counters.inc(Dns64Counter.CACHE_MISS);
        Name qname = question.getName();
        long deadline = now + TimeUnit.MILLISECONDS.toNanos(settings.clientBudgetMs());
        Dns64Resolver.Answer a;
        try {
            a = resolver.resolve(qname, q.qtype, q.qclass, q.dnssecOk, q.cd, deadline);
        } catch (RuntimeException e) {
            counters.inc(Dns64Counter.INTERNAL_ERROR);
            a = Dns64Resolver.servfail();
        }
        Message m = a.message();
        Message out = new Message();
        out.getHeader().setFlag(Flags.QR);
        out.getHeader().setFlag(Flags.RA);
        // RFC 6147 §5.5: "the DNS64 MUST NOT set the AD bit" on synthesized answers
        if (!a.synthesized() && m.getHeader().getFlag(Flags.AD)) out.getHeader().setFlag(Flags.AD);
        out.getHeader().setRcode(m.getHeader().getRcode());
        out.addRecord(Record.newRecord(qname, q.qtype, q.qclass), Section.QUESTION);
        for (int s : new int[] {Section.ANSWER, Section.AUTHORITY, Section.ADDITIONAL})
            for (Record r : m.getSection(s)) out.addRecord(r, s);
        byte[] wire = out.toWire();
        int[] ttls = Wire.ttlOffsets(wire, wire.length);
        long ttl = cacheTtl(m, q.qtype);
        boolean cached = key != null && cache.put(key, wire, ttls, ttl, now);
        return new Resolved(wire, ttls, now, m.getHeader().getRcode(), cached);
    }

    /** Seconds an answer may be cached: the smallest TTL of a positive answer, the SOA's negative TTL otherwise. */
    static long cacheTtl(Message m, int qtype) {
        int rc = m.getHeader().getRcode();
        if (rc != Rcode.NOERROR && rc != Rcode.NXDOMAIN) return 0;
        long min = Long.MAX_VALUE;
        boolean positive = false;
        for (Record r : m.getSection(Section.ANSWER)) {
            min = Math.min(min, r.getTTL());
            if (r.getType() == qtype || qtype == Type.ANY) positive = true;
        }
        if (positive && rc == Rcode.NOERROR) return min;
        for (Record r : m.getSection(Section.AUTHORITY)) {
            if (r instanceof SOARecord soa) {
                // RFC 2308 §5: negative answers are cached for min(SOA TTL, SOA MINIMUM)
                return Math.min(min, Math.min(soa.getTTL(), soa.getMinimum()));
            }
        }
        return 0; // a negative answer without SOA is not cached (RFC 2308 §5)
    }

    /**
     * Makes a rendered answer this client's, in place: its ID, RD and CD, its spelling of the name, an OPT when it
     * sent one, and TC with the answer cut when it does not fit the client's UDP buffer. {@code r} holds the answer
     * in its first {@code n} bytes and has room for {@link Wire#OPT_LEN} more; returns the new length.
     */
    private int finishInto(byte[] r, int n, byte[] q, Wire.Query info, boolean udp) {
        r[0] = q[0];
        r[1] = q[1];
        r[2] = (byte) ((r[2] & 0xfe) | (info.rd ? 1 : 0));
        r[3] = (byte) ((r[3] & 0xef) | (info.cd ? 0x10 : 0));
        if (!info.qnameCompressed) System.arraycopy(q, Wire.HEADER, r, Wire.HEADER, info.qnameEnd - Wire.HEADER);
        if (info.edns) {
            // RFC 6891 §7: an OPT in the answer only when the query had one
            Wire.appendOpt(r, n, 0, info.dnssecOk);
            n += Wire.OPT_LEN;
            Wire.put16(r, 10, Wire.u16(r, 10) + 1);
        }
        if (udp && n > info.udpLimit()) {
            // RFC 1035 §4.2.1 / RFC 6891 §7: answers over 512 bytes, or over the advertised EDNS buffer, are
            // truncated and TC set; the client asks again over TCP. We keep the question (and OPT) only.
            counters.inc(Dns64Counter.TRUNCATED);
            int qEnd = info.questionEnd;
            System.arraycopy(q, Wire.HEADER, r, Wire.HEADER, qEnd - Wire.HEADER);
            r[2] |= 0x02; // TC
            Wire.put16(r, 4, 1);
            Wire.put16(r, 6, 0);
            Wire.put16(r, 8, 0);
            Wire.put16(r, 10, info.edns ? 1 : 0);
            if (info.edns) Wire.appendOpt(r, qEnd, 0, info.dnssecOk);
            return qEnd + (info.edns ? Wire.OPT_LEN : 0);
        }
        return n;
    }

    /** Stops every listener, waits briefly for the threads, and leaves the counters readable. */
    @Override
    public void close() {
        closed = true;
        Thread w = warmUpThread;
        if (w != null) {
            try {
                w.join(5000); // it stops at its next name (its queries time out within 2 s at worst)
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        warmUp.complete(Dns64WarmUp.Result.none("not run"));
        for (UdpSocket c : udp) c.shutdown();
        for (ServerSocket s : tcp) {
            try { s.close(); } catch (IOException ignored) { }
        }
        idleCloser.interrupt();
        for (Socket s : connections.keySet()) {
            try { s.close(); } catch (IOException ignored) { }
        }
        for (Thread t : threads) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        workers.shutdownNow();
        senders.forEach(ExecutorService::shutdownNow);
        for (ExecutorService e : senders) {
            try {
                e.awaitTermination(1, TimeUnit.SECONDS);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        // the descriptors last: a number closed while a thread still used it could be reused by another socket
        for (int i = 0; i < threads.size(); i++) {
            if (threads.get(i).isAlive()) return; // a receive thread that did not stop: leave its socket open
        }
        for (UdpSocket c : udp) c.close();
    }
}
