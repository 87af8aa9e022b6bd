package ferry.io.tun;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The loop of one TUN queue, meant for its own platform thread (downcalls pin virtual threads): read until
 * {@code EAGAIN}, hand each packet to the current {@link PacketHandler}, then {@code poll(2)} the queue fd together
 * with a stop {@link EventFd}. Writes never block: {@code EAGAIN} drops the packet and counts
 * {@link TunStat#TX_DROP_QUEUE_FULL}. No exception ends the loop: one escaping the handler is counted
 * ({@link TunStat#HANDLER_EXCEPTION}) and the next packet is read.
 *
 * <p>Buffers: one confined {@link Arena} per worker, created and closed on its thread. Packets are read at offset
 * {@code headroom + vnet header size}, so a handler can prepend a longer header in place.
 *
 * <p>Configuration swaps: the handler factory comes from a {@link Supplier} read (a volatile load) between packets;
 * when it returns a different factory the worker makes a new handler with it before the next packet.
 *
 * <p>vnet headers ({@code IFF_VNET_HDR}): a packet with {@code NEEDS_CSUM} is handled by {@link VnetChecksum}: kept
 * partial across translation when it is TCP/UDP right after the IP header (the translated packet's vnet header gets
 * {@code csum_start} = its own L4 offset), finished in software otherwise. A TCP GSO super-packet (TSO4/TSO6) goes
 * to {@link PacketHandler#handleGso} whole, and its translation leaves with the other family's GSO type (ECN bit
 * kept), the same {@code gso_size}, and {@code hdr_len}/{@code csum_start} moved by the header-size difference: it
 * is never segmented in userspace. UDP super-packets (USO, {@code GSO_UDP_L4}) likewise. Other GSO packets (UFO,
 * other protocols, and those the handler cannot translate whole) are dropped and counted.
 *
 * <p>Batches: with read/write I/O (the default) and a handler that {@link PacketHandler#batches() batches} (NAT64),
 * the worker reads up to {@link PacketHandler#MAX_BATCH} packets, each into its own receive buffer (made once, when
 * the first such handler comes: SIIT and CLAT workers keep their one buffer), until {@code EAGAIN}, a stop, or the
 * first packet that must go alone (a vnet header with GSO or a partial checksum, whose sends need its vnet state);
 * the ordinary packets go to {@link PacketHandler#handleBatch} in one call, then the one that ended the reads to the
 * usual per-packet path, so no packet overtakes an earlier one of its queue. Writes stay one per output packet, sent
 * at once. With io_uring the worker hands each completed read to {@link PacketHandler#handle} on its own.
 */
public final class TunWorker implements Runnable {
    /** Called once when a worker gives up on its queue (persistent read errors). */
    @FunctionalInterface
    public interface FailureListener {
        void failed(int queue, String message);
    }

    /** Largest packet read or written: an IPv6 super-packet may total 65536 bytes (GSO_LEGACY_MAX_SIZE), plus slack. */
    private static final int MAX_PACKET = 65536 + 64;
    /** Read slots of an io_uring worker without vnet headers (half that with them). */
    static final int URING_SLOTS = 32;

    private final int queue;
    private final int fd;
    private final EventFd stopFd;
    private final boolean vnet;
    private final int vhs;
    private final int readAt;
    private final Supplier<PacketHandler.Factory> factories;
    private final FailureListener onFailure;
    private final long giveUpNanos;
    private final TunIo io;
    private final int slots;
    private volatile TunIo ioInUse;
    private final long[] stats = new long[TunStat.values().length];
    /** The receive buffers of a batch (read/write I/O with a batching handler), slot 0 being {@code rx}; else null. */
    private MemorySegment[] batchBufs;
    private long[] batchAddrs;
    private long[] batchOffs;
    private int[] batchLens;
    private volatile boolean stop;
    private volatile boolean finished;
    private volatile Runnable onRemoved;

    // worker-thread state
    private Arena arena;
    private MemorySegment cap;
    private MemorySegment rx;
    private MemorySegment tx;
    private long rxAddr;
    private long txAddr;
    /** Offset of the packet in flight in {@code rx} (its slot's read offset with io_uring). */
    private long at;
    private PacketHandler.Factory factory;
    private PacketHandler handler;
    private final PacketOutput output = this::send;
    // partial checksum of the packet in flight: protocol (0 = none) and its checksum field's offset in the L4 header
    private int partialProto;
    private int partialCsumOffset;
    // GSO super-packet in flight: its gso_type (0 = none, with the ECN bit) and gso_size
    private int gsoType;
    private int gsoSize;

    /**
     * @param queue       index (for handlers and messages)
     * @param fd          the queue's fd, non-blocking
     * @param vnet        the device has {@code IFF_VNET_HDR}
     * @param headroom    bytes the handler may write before a packet
     * @param stopFd      written by {@link #stop()}; polled with the queue fd
     * @param factories   the current handler factory (read between packets)
     * @param onFailure   told when the worker gives up
     * @param giveUpAfter how long read errors may persist (with backoff retries) before the worker gives up
     */
    public TunWorker(int queue, int fd, boolean vnet, int headroom, EventFd stopFd,
                     Supplier<PacketHandler.Factory> factories, FailureListener onFailure, long giveUpAfter,
                     TimeUnit unit) {
        this(queue, fd, vnet, headroom, stopFd, factories, onFailure, giveUpAfter, unit, TunIo.SYSCALLS);
    }

    /**
     * As above, with the I/O mode: {@link TunIo#URING} keeps {@value #URING_SLOTS} reads (16 with vnet headers,
     * whose super-packets fill a slot) posted on the queue fd, each into its own slot of {@code headroom} + 64 KiB.
     */
    public TunWorker(int queue, int fd, boolean vnet, int headroom, EventFd stopFd,
                     Supplier<PacketHandler.Factory> factories, FailureListener onFailure, long giveUpAfter,
                     TimeUnit unit, TunIo io) {
        this.io = io;
        this.slots = vnet ? URING_SLOTS / 2 : URING_SLOTS;
        this.queue = queue;
        this.fd = fd;
        this.vnet = vnet;
        this.vhs = vnet ? VnetHeader.SIZE : 0;
        this.readAt = (headroom + VnetHeader.SIZE + 63) & ~63;
        this.stopFd = stopFd;
        this.factories = factories;
        this.onFailure = onFailure;
        this.giveUpNanos = unit.toNanos(giveUpAfter);
    }

    /** Asks the worker to stop after the packet in flight (it also needs the stop eventfd signalled). */
    public void stop() {
        stop = true;
    }

    /**
     * With a callback set, a read that fails with {@code EBADFD} (the device was removed under the queue) calls it
     * once and ends this worker at once instead of retrying with backoff: the caller re-creates the device and
     * starts new workers ({@link TunDataplane}). Other read errors keep the backoff-and-give-up behaviour.
     */
    void onDeviceRemoved(Runnable callback) {
        onRemoved = callback;
    }

    /** True once {@link #run()} has returned. */
    public boolean finished() {
        return finished;
    }

    /** A counter (may be slightly stale when read from another thread). */
    public long stat(TunStat s) {
        return stats[s.ordinal()];
    }

    /** The worker made the receive buffers of batches (read after the worker ended, for tests). */
    boolean hasBatchBuffers() {
        return batchBufs != null;
    }

    /** io_uring writes still carry RWF_NOWAIT (false once the file refused it with EOPNOTSUPP). */
    boolean writesNowait() {
        return writeNowait;
    }

    /** The I/O mode the worker runs with (set when it starts: {@link TunIo#URING} may have fallen back). */
    public TunIo ioInUse() {
        return ioInUse;
    }

    @Override
    public void run() {
        try (Arena arena = Arena.ofConfined()) {
            this.arena = arena;
            cap = LinuxC.captureSegment(arena);
            if (io == TunIo.URING) {
                IoUring r = null;
                try {
                    r = IoUring.open(arena, Integer.highestOneBit(2 * slots + 8) * 2);
                } catch (IoUring.Unavailable u) {
                    // one key=value event (the app's log format), once per worker at start
                    System.err.println("ts=" + java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS)
                            + " level=warn event=tun_io_uring_unavailable queue=" + queue + " reason=\""
                            + u.getMessage() + "\" action=using_read_write");
                }
                if (r != null) {
                    ioInUse = TunIo.URING;
                    try {
                        uringLoop(arena, r);
                    } finally {
                        quiesce();
                        ring = null;
                        r.close();
                    }
                    return;
                }
            }
            ioInUse = TunIo.SYSCALLS;
            at = readAt;
            rx = arena.allocate(RX_SIZE + readAt, 64);
            tx = arena.allocate(VnetHeader.SIZE + MAX_PACKET + 64L, 64);
            rxAddr = rx.address();
            txAddr = tx.address();
            MemorySegment pfds = arena.allocate(16, 8);
            pfds.set(ValueLayout.JAVA_INT, 0, fd);
            pfds.set(ValueLayout.JAVA_SHORT, 4, LinuxC.POLLIN);
            pfds.set(ValueLayout.JAVA_INT, 8, stopFd.fd());
            pfds.set(ValueLayout.JAVA_SHORT, 12, LinuxC.POLLIN);
            loop(pfds);
        } catch (Throwable t) {
            // Only a bug in this class gets here (downcalls do not throw); say so and let the supervisor decide.
            onFailure.failed(queue, "TUN queue " + queue + " worker failed: " + t);
        } finally {
            finished = true;
        }
    }

    private void loop(MemorySegment pfds) throws Throwable {
        ReadFailures failures = new ReadFailures(null);
        while (!stop) {
            readOk = false;
            int e = readBurst();
            if (readOk) failures.ok();
            if (e == 0) continue; // stopped
            if (e == LinuxC.EAGAIN) {
                waitReadable(pfds);
                continue;
            }
            stats[TunStat.RX_ERROR.ordinal()]++;
            if (failures.failed(e)) return;
            // Back off without spinning, but wake at once when stopped: poll only the stop eventfd.
            pfds.set(ValueLayout.JAVA_SHORT, 14, (short) 0);
            int r = (int) LinuxC.POLL.invokeExact(cap, pfds.address() + 8, 1L, failures.backoff());
            if (r < 0 && LinuxC.errno(cap) != LinuxC.EINTR) {
                throw new IllegalStateException("poll failed: " + LinuxC.errnoName(LinuxC.errno(cap)));
            }
        }
    }

    /**
     * What both I/O modes do when reads fail (error path only): a removed device (EBADFD with an {@code onRemoved}
     * action) ends the worker at once; otherwise one warning event when the failures start, a wait that doubles from
     * 10 ms to 1 s between attempts, and the worker gives up ({@code onFailure}) once reads have failed for
     * {@code giveUpNanos}. A successful read starts over.
     */
    private final class ReadFailures {
        private final String io;
        private long failingSince;
        private long backoffMs = 10;

        /** @param io the I/O mode named in the warning event ({@code io=...}), or null for read/write calls */
        ReadFailures(String io) {
            this.io = io;
        }

        void ok() {
            failingSince = 0;
            backoffMs = 10;
        }

        /** A read failed with {@code errno}: true when the worker must end now. */
        boolean failed(int errno) {
            Runnable removed = onRemoved;
            if (errno == LinuxC.EBADFD && removed != null) {
                removed.run();
                return true;
            }
            long now = System.nanoTime(); // error path only
            if (failingSince == 0) {
                failingSince = now;
                // one key=value event (the app's log format; io cannot see ferry.app.Log), error path only
                System.err.println("ts=" + java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS)
                        + " level=warn event=tun_read_failed queue=" + queue + " errno=" + LinuxC.errnoName(errno)
                        + (io == null ? "" : " io=" + io) + " action=retrying_with_backoff");
            } else if (now - failingSince > giveUpNanos) {
                onFailure.failed(queue, "TUN queue " + queue + ": read keeps failing with " + LinuxC.errnoName(errno)
                        + " for " + TimeUnit.NANOSECONDS.toSeconds(now - failingSince) + " s"
                        + (errno == LinuxC.EBADFD ? " (the device was removed)" : "") + "; giving up");
                return true;
            }
            return false;
        }

        /** Milliseconds to wait before the next attempt (doubling up to one second). */
        int backoff() {
            int b = (int) backoffMs;
            backoffMs = Math.min(backoffMs * 2, 1000);
            return b;
        }
    }

    /** Set by {@link #readBurst} when a read succeeded. */
    private boolean readOk;

    /**
     * Reads and handles packets until a read fails or the worker is stopped (a small method of its own, so the JIT
     * compiles the hot loop whole rather than through on-stack replacement of {@link #loop}).
     *
     * @return the errno of the failed read (EAGAIN: nothing more to read), or 0 when stopped
     */
    private int readBurst() throws Throwable {
        while (!stop) {
            refreshHandler();
            if (handler.batches()) {
                int e = readBatch();
                if (e != 0) return e;
                continue;
            }
            long n = (long) LinuxC.READ.invokeExact(cap, fd, rxAddr + readAt - vhs, (long) (MAX_PACKET + vhs));
            if (n >= 0) {
                readOk = true;
                onPacket((int) n);
                continue;
            }
            int e = LinuxC.errno(cap);
            if (e != LinuxC.EINTR) return e;
        }
        return 0;
    }

    /** Bytes of a receive buffer after {@code readAt}: the largest packet with its vnet header, plus slack. */
    private static final long RX_SIZE = MAX_PACKET + 4096L;

    /**
     * A batching handler's turn (read/write I/O): reads up to {@link PacketHandler#MAX_BATCH} packets, each into its
     * own buffer, until a read fails (EAGAIN: the queue is empty), the worker is stopped, or a packet must go alone
     * (a vnet header with GSO or {@code NEEDS_CSUM}: its sends need its vnet state, which a batch cannot carry); then
     * hands the ordinary packets to {@link PacketHandler#handleBatch} in one call and the one that ended the reads to
     * {@link #onPacket} after them, so arrival order holds. Runts are counted and skipped as before.
     *
     * @return 0 to read on (the batch was full, a packet went alone, or stopped), else the errno of the read that
     *         ended it, after its packets were handled
     */
    private int readBatch() throws Throwable {
        if (batchBufs == null) allocateBatch();
        int k = 0;
        int alone = -1;
        int e = 0;
        while (k < PacketHandler.MAX_BATCH && !stop) {
            long n = (long) LinuxC.READ.invokeExact(cap, fd, batchAddrs[k] + readAt - vhs, (long) (MAX_PACKET + vhs));
            if (n < 0) {
                int err = LinuxC.errno(cap);
                if (err == LinuxC.EINTR) continue;
                e = err;
                break;
            }
            readOk = true;
            if (n < vhs) {
                stats[TunStat.RX_RUNT.ordinal()]++;
                continue;
            }
            if (vnet && (VnetHeader.gsoType(batchBufs[k], readAt - VnetHeader.SIZE) != VnetHeader.GSO_NONE
                    || (VnetHeader.flags(batchBufs[k], readAt - VnetHeader.SIZE) & VnetHeader.F_NEEDS_CSUM) != 0)) {
                alone = (int) n;
                break;
            }
            stats[TunStat.RX_PACKETS.ordinal()]++;
            batchLens[k++] = (int) n - vhs;
        }
        if (k > 0) handleBatch(k);
        if (alone >= 0) {
            MemorySegment own = rx;
            rx = batchBufs[k]; // onPacket and the vnet code read the packet in flight at rx[at]; at == readAt
            try {
                onPacket(alone);
            } finally {
                rx = own;
            }
        }
        return e;
    }

    /** The batch's receive buffers: slot 0 is {@code rx}, the others are made once (first batching handler). */
    private void allocateBatch() {
        int b = PacketHandler.MAX_BATCH;
        long slot = (readAt + RX_SIZE + 63) & ~63L;
        MemorySegment more = arena.allocate(slot * (b - 1), 64);
        MemorySegment[] bufs = new MemorySegment[b];
        long[] addrs = new long[b];
        long[] offs = new long[b];
        bufs[0] = rx;
        for (int i = 1; i < b; i++) bufs[i] = more.asSlice((i - 1) * slot, readAt + RX_SIZE);
        for (int i = 0; i < b; i++) {
            addrs[i] = bufs[i].address();
            offs[i] = readAt;
        }
        batchLens = new int[b];
        batchOffs = offs;
        batchAddrs = addrs;
        batchBufs = bufs;
    }

    /**
     * Hands {@code k} ordinary packets (no vnet state: their outputs leave with all-zero vnet headers) to the handler
     * at once. Packets whose handling threw are counted ({@link PacketHandler.BatchFailures}: each of them; another
     * exception: one, and what the handler had not handled yet is lost with it).
     */
    private void handleBatch(int k) {
        partialProto = 0;
        gsoType = 0;
        stats[TunStat.RX_BATCHES.ordinal()]++;
        try {
            handler.handleBatch(batchBufs, batchOffs, batchLens, k);
        } catch (PacketHandler.BatchFailures f) {
            stats[TunStat.HANDLER_EXCEPTION.ordinal()] += f.failed();
        } catch (Throwable t) {
            stats[TunStat.HANDLER_EXCEPTION.ordinal()]++;
        }
    }

    /**
     * poll(2) on the queue and the stop eventfd until either is readable (POLLERR/POLLHUP: the next read says), or
     * for the handler's {@link PacketHandler#idleMillis()} at most; when that passes with nothing readable, the
     * handler's {@link PacketHandler#idle()} runs (timers due without traffic).
     */
    private void waitReadable(MemorySegment pfds) throws Throwable {
        pfds.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
        pfds.set(ValueLayout.JAVA_SHORT, 14, (short) 0);
        PacketHandler h = handler;
        int timeout = h == null ? -1 : h.idleMillis();
        int r = (int) LinuxC.POLL.invokeExact(cap, pfds.address(), 2L, timeout);
        if (r < 0 && LinuxC.errno(cap) != LinuxC.EINTR) {
            throw new IllegalStateException("poll failed: " + LinuxC.errnoName(LinuxC.errno(cap)));
        }
        if (r == 0 && h != null) {
            try {
                h.idle();
            } catch (Throwable t) {
                stats[TunStat.HANDLER_EXCEPTION.ordinal()]++;
            }
        }
    }

    private void refreshHandler() {
        PacketHandler.Factory f = factories.get();
        if (f != factory) {
            factory = f;
            handler = f.newHandler(queue, output);
        }
    }

    private void onPacket(int n) {
        if (n < vhs) {
            stats[TunStat.RX_RUNT.ordinal()]++;
            return;
        }
        stats[TunStat.RX_PACKETS.ordinal()]++;
        int len = n - vhs;
        partialProto = 0;
        gsoType = 0;
        if (vnet && !prepareVnet(len)) return;
        try {
            if (gsoType == 0) handler.handle(rx, at, len);
            else if (!handler.handleGso(rx, at, len, segmentLength(len))) stats[TunStat.RX_DROP_GSO.ordinal()]++;
        } catch (Throwable t) {
            stats[TunStat.HANDLER_EXCEPTION.ordinal()]++;
        }
    }

    /** Reads the vnet header of the packet at {@code at}; false when the packet is dropped. */
    private boolean prepareVnet(int len) {
        long h = at - VnetHeader.SIZE;
        int gso = VnetHeader.gsoType(rx, h);
        boolean partial = (VnetHeader.flags(rx, h) & VnetHeader.F_NEEDS_CSUM) != 0;
        if (gso != VnetHeader.GSO_NONE) return prepareGso(len, h, gso, partial);
        if (!partial) return true;
        int csumOff = VnetHeader.csumOffset(rx, h);
        int r = VnetChecksum.prepare(rx, at, len, VnetHeader.csumStart(rx, h), csumOff);
        if (r == VnetChecksum.BAD) {
            stats[TunStat.RX_DROP_BAD_VNET.ordinal()]++;
            return false;
        }
        if (r == VnetChecksum.COMPLETED) {
            stats[TunStat.RX_CSUM_COMPLETED.ordinal()]++;
        } else {
            partialProto = r;
            partialCsumOffset = csumOff;
            stats[TunStat.RX_CSUM_PARTIAL.ordinal()]++;
        }
        return true;
    }

    /**
     * A GSO super-packet: only TCP (TSO4/TSO6, what ferry enables) with its partial checksum, the transport header
     * right after the IP header, and for IPv4 DF set (the translator would fragment it otherwise). Anything else is
     * dropped and counted: ferry never segments in userspace.
     */
    private boolean prepareGso(int len, long h, int gso, boolean partial) {
        int base = gso & ~VnetHeader.GSO_ECN;
        int version = len > 0 ? (rx.get(ValueLayout.JAVA_BYTE, at) & 0xff) >>> 4 : 0;
        boolean udp = base == VnetHeader.GSO_UDP_L4 && (version == 4 || version == 6);
        boolean ok = partial && VnetHeader.gsoSize(rx, h) > 0 && (udp
                || base == VnetHeader.GSO_TCPV4 && version == 4 || base == VnetHeader.GSO_TCPV6 && version == 6);
        int csumOff = VnetHeader.csumOffset(rx, h);
        int want = udp ? VnetChecksum.PROTO_UDP : VnetChecksum.PROTO_TCP;
        if (ok && VnetChecksum.prepare(rx, at, len, VnetHeader.csumStart(rx, h), csumOff, true) == want) {
            partialProto = want;
            partialCsumOffset = csumOff;
            gsoType = gso;
            gsoSize = VnetHeader.gsoSize(rx, h);
            stats[(udp ? TunStat.RX_GSO_UDP : TunStat.RX_GSO_TCP).ordinal()]++;
            return true;
        }
        stats[TunStat.RX_DROP_GSO.ordinal()]++;
        return false;
    }

    /** IP + TCP/UDP header + gso_size: the size of each segment the kernel would cut the super-packet into. */
    private int segmentLength(int len) {
        int l4 = (rx.get(ValueLayout.JAVA_BYTE, at) & 0xf0) == 0x40
                ? (rx.get(ValueLayout.JAVA_BYTE, at) & 0x0f) * 4 : 40;
        if (partialProto == VnetChecksum.PROTO_UDP) return l4 + 8 + gsoSize;
        int tcpHeader = l4 + 13 <= len ? ((rx.get(ValueLayout.JAVA_BYTE, at + l4 + 12) & 0xf0) >>> 2) : 20;
        return l4 + tcpHeader + gsoSize;
    }

    /**
     * {@link PacketOutput#send}: one write per packet; never blocks. With io_uring, the first packet a handler sends
     * from inside the input's own slot is queued as a ring write and leaves with the next {@code io_uring_enter}
     * (zero copy: the slot is not read into again until that write completes); everything else (a second packet
     * from the same input, packets from a handler's own buffers, packets sent from {@code idle()}) is written at once
     * with {@code write(2)}, after the queued ring writes so nothing is reordered.
     */
    private void send(MemorySegment buf, long off, int len) {
        if (len <= 0 || len > MAX_PACKET) {
            stats[TunStat.TX_ERROR.ordinal()]++;
            return;
        }
        try {
            if (ring != null) sendUring(buf, off, len);
            else sendNow(buf, off, len);
        } catch (Throwable t) {
            stats[TunStat.HANDLER_EXCEPTION.ordinal()]++;
        }
    }

    private void sendNow(MemorySegment buf, long off, int len) throws Throwable {
        if (vnet) sendVnet(buf, off, len);
        else if (buf.isNative()) write(buf.address() + off, len);
        else {
            MemorySegment.copy(buf, off, tx, 0, len);
            stats[TunStat.TX_COPIED.ordinal()]++;
            write(txAddr, len);
        }
    }

    private void sendVnet(MemorySegment buf, long off, int len) throws Throwable {
        boolean inPlace = buf.isNative() && off >= VnetHeader.SIZE;
        MemorySegment s;
        long p;
        if (inPlace) {
            s = buf;
            p = off;
        } else {
            MemorySegment.copy(buf, off, tx, VnetHeader.SIZE, len);
            stats[TunStat.TX_COPIED.ordinal()]++;
            s = tx;
            p = VnetHeader.SIZE;
        }
        long h = p - VnetHeader.SIZE;
        // the handler may still need the bytes before this packet (fragments built one after the other): keep them
        long saved8 = s.get(ValueLayout.JAVA_LONG_UNALIGNED, h);
        short saved2 = s.get(ValueLayout.JAVA_SHORT_UNALIGNED, h + 8);
        putVnetHeader(s, p, len);
        write(s.address() + h, len + VnetHeader.SIZE);
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, h, saved8);
        s.set(ValueLayout.JAVA_SHORT_UNALIGNED, h + 8, saved2);
    }

    /** Writes the vnet header of the translated packet {@code s[p, p+len)} into the 10 bytes before it. */
    private void putVnetHeader(MemorySegment s, long p, int len) {
        long h = p - VnetHeader.SIZE;
        int l4 = partialProto == 0 ? -1 : VnetChecksum.finish(s, p, len, partialProto, partialCsumOffset);
        if (l4 >= 0 && gsoType != 0) {
            // the translated super-packet: GSO type of its new family (ECN bit kept), same gso_size (the TCP payload
            // per segment does not change), hdr_len and csum_start moved by the header-size difference
            // (UDP_L4 serves both families)
            boolean udp = partialProto == VnetChecksum.PROTO_UDP;
            int type = udp ? VnetHeader.GSO_UDP_L4 : ((s.get(ValueLayout.JAVA_BYTE, p) & 0xf0) == 0x40
                    ? VnetHeader.GSO_TCPV4 : VnetHeader.GSO_TCPV6) | (gsoType & VnetHeader.GSO_ECN);
            int l4Header = udp ? 8 : (s.get(ValueLayout.JAVA_BYTE, p + l4 + 12) & 0xf0) >>> 2;
            VnetHeader.put(s, h, VnetHeader.F_NEEDS_CSUM, type, l4 + l4Header, gsoSize, l4, partialCsumOffset);
            partialProto = 0;
        } else if (l4 >= 0) {
            VnetHeader.put(s, h, VnetHeader.F_NEEDS_CSUM, VnetHeader.GSO_NONE, l4 + partialCsumOffset + 2, 0, l4,
                    partialCsumOffset);
            partialProto = 0; // one translation per input packet carries the partial checksum
        } else {
            VnetHeader.putNone(s, h);
        }
    }

    private void write(long address, int len) throws Throwable {
        long r = (long) LinuxC.WRITE.invokeExact(cap, fd, address, (long) len);
        if (r >= 0) {
            stats[TunStat.TX_PACKETS.ordinal()]++;
            return;
        }
        int e = LinuxC.errno(cap);
        if (e == LinuxC.EAGAIN) stats[TunStat.TX_DROP_QUEUE_FULL.ordinal()]++;
        else stats[TunStat.TX_ERROR.ordinal()]++;
    }

    // ---------------------------------------------------------------------------------------------------------
    // io_uring: N read slots posted on the queue fd, completions reaped in batches, writes queued and submitted
    // together with the next reads, one io_uring_enter per batch.

    private static final long TAG_READ = 1L << 32;
    private static final long TAG_WRITE = 2L << 32;
    private static final long TAG_POLL = 3L << 32;
    private static final long TAG_STOP = 4L << 32;
    private static final long TAG_CANCEL = 5L << 32;
    private static final long TAG_ARMED = 6L << 32;
    /** Reads posted after a wake-up, at least: a poll wake-up rarely finds more than a few packets. */
    private static final int MIN_READS = 4;

    private IoUring ring;
    private long slotSize;
    private int[] freeSlots;
    private int freeCount;
    private boolean[] slotWriting;
    private long[] slotWriteAddr;
    private int[] slotWriteLen;
    private boolean writeNowait = true;
    private boolean readNowait = true;
    private static final int EOPNOTSUPP = 95;
    private int inflightReads;
    private int inflightWrites;
    private boolean pollArmed;
    private int armedSlot = -1; // the slot of the read parked on the fd while the queue is empty, -1: none
    private boolean armedReads = true;
    // the input being handled: its slot (-1 outside a handle call), the sends it made, its queued zero-copy write
    private int curSlot = -1;
    private int curSends;
    private long inputEnd;
    private boolean curDeferred;
    private long defAddr;
    private int defLen;
    private MemorySegment defBuf;
    private long defH;
    private long defSaved8;
    private short defSaved2;

    /**
     * The ring loop. Reads and writes carry {@code RWF_NOWAIT}: each runs inline in the {@code io_uring_enter} that
     * submits it and completes at once, a read with a packet or EAGAIN (the queue is drained), a write with EAGAIN
     * when the queue is full (dropped and counted) — nothing is parked on the fd or handed to an io-wq thread.
     * One enter submits the writes of the last batch and the reads of the next; after an EAGAIN the loop posts one
     * read without the flag, which the kernel parks on the queue until a packet comes, and sleeps in
     * {@code io_uring_enter} until it (or the stop eventfd's poll) completes: a wake-up arrives with its packet
     * read. Where a kernel fails that read with EAGAIN instead, the loop polls the fd ({@code POLL_ADD}).
     * Without the flag (a file without {@code FMODE_NOWAIT} answers EOPNOTSUPP), reads stay posted and armed on
     * the fd's wait queue by the kernel, and writes are issued without it.
     */
    private void uringLoop(Arena arena, IoUring r) throws Throwable {
        ring = r;
        slotSize = ((long) readAt + MAX_PACKET + 4096L + 4095L) & ~4095L;
        rx = arena.allocate(slotSize * slots, 4096);
        tx = arena.allocate(VnetHeader.SIZE + MAX_PACKET + 64L, 64);
        rxAddr = rx.address();
        txAddr = tx.address();
        freeSlots = new int[slots];
        slotWriting = new boolean[slots];
        slotWriteAddr = new long[slots];
        slotWriteLen = new int[slots];
        for (int i = 0; i < slots; i++) freeSlots[freeCount++] = slots - 1 - i;
        ring.registerFile(arena, fd); // not essential: without it each request looks the fd up
        ring.prepPoll(stopFd.fd(), LinuxC.POLLIN, TAG_STOP);
        ReadFailures failures = new ReadFailures("uring");
        int want = MIN_READS;
        boolean needPoll = false; // reads complete with EAGAIN on this fd: poll before reading again
        boolean block = false;
        while (!stop) {
            refreshHandler(); // also before the first packet: idle() needs a handler
            int queuedWrites = ring.pending(); // only writes wait in the SQ between rounds
            if (!needPoll) {
                int k = Math.min(Math.min(freeCount, want - inflightReads), ring.sqSpace() - 2);
                for (int i = 0; i < k; i++) {
                    int slot = freeSlots[--freeCount];
                    ring.prepRead(fd, rxAddr + slot * slotSize + readAt - vhs, MAX_PACKET + vhs, TAG_READ | slot,
                            readNowait ? IoUring.RWF_NOWAIT : 0);
                    inflightReads++;
                }
            } else if (armedSlot < 0 && !pollArmed) {
                if (armedReads && freeCount > 0) {
                    // drained: one read without RWF_NOWAIT, which the kernel parks on the queue's wait queue and
                    // completes with the next packet (one wake-up, packet already read; one read, so no herd)
                    int slot = freeSlots[--freeCount];
                    ring.prepRead(fd, rxAddr + slot * slotSize + readAt - vhs, MAX_PACKET + vhs, TAG_ARMED | slot, 0);
                    inflightReads++;
                    armedSlot = slot;
                } else {
                    ring.prepPoll(fd, LinuxC.POLLIN, TAG_POLL);
                    pollArmed = true;
                }
            }
            int timeout = -1;
            if (block) {
                PacketHandler h = handler;
                timeout = h == null ? -1 : h.idleMillis();
            }
            // the writes' completions are reaped (and counted) within 1 ms even when no packet follows
            if (block && queuedWrites > 0) timeout = timeout < 0 ? 1 : Math.min(timeout, 1);
            // waiting: the queued writes complete inline in this call, so wait for one completion more (the parked
            // read, the poll, the stop eventfd) and the writes and the wait share one io_uring_enter
            int e = ring.enter(block ? 1 + queuedWrites : 0, timeout);
            stats[TunStat.URING_ENTERS.ordinal()]++;
            if (e < 0 && e != -LinuxC.EINTR && e != -LinuxC.ETIME && e != -LinuxC.EBUSY) {
                throw new IllegalStateException("io_uring_enter failed: " + LinuxC.errnoName(-e));
            }
            int n = ring.ready();
            // a wait that ends with nothing ready timed out (with SQEs submitted, enter returns their count instead)
            if (block && timeout >= 0 && n == 0 && (e == -LinuxC.ETIME || e >= 0)) {
                PacketHandler h = handler;
                if (h != null) {
                    try {
                        h.idle();
                    } catch (Throwable t) {
                        stats[TunStat.HANDLER_EXCEPTION.ordinal()]++;
                    }
                }
                continue;
            }
            int got = 0;
            int failed = 0;
            int lastErrno = 0;
            for (int i = 0; i < n; i++) {
                long ud = ring.userData(i);
                int res = ring.result(i);
                int slot = (int) ud;
                long tag = ud & 0xffffffff00000000L;
                if (tag == TAG_ARMED) {
                    armedSlot = -1;
                    needPoll = false;
                    // a kernel that fails a parked read with EAGAIN instead (O_NONBLOCK): poll from now on
                    if (res == -LinuxC.EAGAIN) armedReads = false;
                }
                if (tag == TAG_READ || tag == TAG_ARMED) {
                    inflightReads--;
                    if (res >= 0) {
                        got++;
                        handleSlot(slot, res);
                        if (!slotWriting[slot]) freeSlots[freeCount++] = slot;
                    } else {
                        freeSlots[freeCount++] = slot;
                        if (res == -LinuxC.EAGAIN) needPoll = true;
                        else if (res == -EOPNOTSUPP && readNowait) readNowait = false; // no FMODE_NOWAIT: armed reads
                        else if (res != -LinuxC.EINTR && res != -LinuxC.ECANCELED) {
                            failed++;
                            lastErrno = -res;
                        }
                    }
                } else if (tag == TAG_WRITE) {
                    if (res == -EOPNOTSUPP && writeNowait) {
                        writeNowait = false; // the file has no FMODE_NOWAIT: write this one again without the flag
                        if (ring.sqSpace() > 0) {
                            ring.prepWrite(fd, slotWriteAddr[slot], slotWriteLen[slot], TAG_WRITE | slot, 0);
                            continue;
                        }
                    }
                    inflightWrites--;
                    slotWriting[slot] = false;
                    freeSlots[freeCount++] = slot;
                    if (res >= 0) stats[TunStat.TX_PACKETS.ordinal()]++;
                    else if (res == -LinuxC.EAGAIN) stats[TunStat.TX_DROP_QUEUE_FULL.ordinal()]++;
                    else stats[TunStat.TX_ERROR.ordinal()]++;
                } else if (tag == TAG_POLL) {
                    pollArmed = false;
                    needPoll = false;
                }
                // TAG_STOP: stop() set the flag before signalling; TAG_CANCEL: nothing to do
            }
            ring.consume(n);
            block = n == 0 || needPoll; // nothing came, or the queue is drained and a parked read/poll waits
            if (got > 0) {
                failures.ok();
                // every posted read found a packet: post more; else keep about twice what came
                want = got >= want ? Math.min(slots, want * 2) : Math.max(MIN_READS, Math.min(slots, got * 2));
            }
            if (failed > 0 && got == 0) {
                stats[TunStat.RX_ERROR.ordinal()] += failed;
                if (failures.failed(lastErrno)) return;
                // back off without spinning; the stop eventfd's poll completes the wait at once when stopped
                int w = ring.enter(1, failures.backoff());
                if (w < 0 && w != -LinuxC.EINTR && w != -LinuxC.ETIME) {
                    throw new IllegalStateException("io_uring_enter failed: " + LinuxC.errnoName(-w));
                }
                want = 1;
                block = false;
            }
        }
    }

    /**
     * Handles the packet a ring read put into {@code slot}: one {@link PacketHandler#handle} call per packet, also
     * for a batching handler (the ring's completions are already handled in batches of system calls; handing them to
     * {@link PacketHandler#handleBatch} would need the zero-copy write bookkeeping per packet of a batch).
     */
    private void handleSlot(int slot, int n) {
        at = slot * slotSize + readAt;
        inputEnd = rxAddr + at + n - vhs;
        curSlot = slot;
        curSends = 0;
        curDeferred = false;
        refreshHandler();
        onPacket(n);
        curSlot = -1;
    }

    private void sendUring(MemorySegment buf, long off, int len) throws Throwable {
        curSends++;
        int slot = curSlot;
        if (slot >= 0 && curSends == 1 && buf.isNative() && ring.sqSpace() > 0) {
            long a = buf.address() + off;
            if (a - vhs >= rxAddr + slot * slotSize && a + len == inputEnd) {
                if (vnet) {
                    // kept in case a second packet follows and the first must be written at once after all
                    defH = off - VnetHeader.SIZE;
                    defSaved8 = buf.get(ValueLayout.JAVA_LONG_UNALIGNED, defH);
                    defSaved2 = buf.get(ValueLayout.JAVA_SHORT_UNALIGNED, defH + 8);
                    putVnetHeader(buf, off, len);
                }
                ring.prepWrite(fd, a - vhs, len + vhs, TAG_WRITE | slot, writeNowait ? IoUring.RWF_NOWAIT : 0);
                slotWriteAddr[slot] = a - vhs;
                slotWriteLen[slot] = len + vhs;
                inflightWrites++;
                slotWriting[slot] = true;
                curDeferred = true;
                defBuf = buf;
                defAddr = a - vhs;
                defLen = len + vhs;
                return;
            }
        }
        if (curDeferred) {
            // a second packet from the same input (fragments, an error after a packet): the handler may now write
            // over the first one's bytes, so the first leaves at once, in order, with write(2)
            ring.unprepareLast();
            inflightWrites--;
            slotWriting[slot] = false;
            curDeferred = false;
            flushQueued();
            write(defAddr, defLen);
            if (vnet) {
                defBuf.set(ValueLayout.JAVA_LONG_UNALIGNED, defH, defSaved8);
                defBuf.set(ValueLayout.JAVA_SHORT_UNALIGNED, defH + 8, defSaved2);
            }
            defBuf = null;
        } else {
            flushQueued();
        }
        sendNow(buf, off, len);
    }

    /** Submits the queued ring writes (so a packet written now with write(2) does not overtake them). */
    private void flushQueued() throws Throwable {
        if (ring.pending() == 0) return;
        int e = ring.enter(0, -1);
        stats[TunStat.URING_ENTERS.ordinal()]++;
        if (e < 0 && e != -LinuxC.EINTR && e != -LinuxC.EBUSY) {
            throw new IllegalStateException("io_uring_enter failed: " + LinuxC.errnoName(-e));
        }
    }

    /**
     * Before the buffers go: cancels what is still in flight on the queue fd (reads, writes, the poll) and waits
     * (1 s at most) until no ring request can touch the buffers or hold the queue's file: a poll left armed would
     * keep the queue attached after its fd is closed, until the kernel tears the ring down in the background.
     */
    private void quiesce() {
        try {
            if (inflightReads + inflightWrites == 0 && !pollArmed) return;
            if (ring.sqSpace() > 0) ring.prepCancelFd(fd, TAG_CANCEL);
            for (int round = 0; round < 20 && (inflightReads + inflightWrites > 0 || pollArmed); round++) {
                ring.enter(1, 50);
                int n = ring.ready();
                for (int i = 0; i < n; i++) {
                    long tag = ring.userData(i) & 0xffffffff00000000L;
                    if (tag == TAG_READ || tag == TAG_ARMED) inflightReads--;
                    else if (tag == TAG_WRITE) inflightWrites--;
                    else if (tag == TAG_POLL) pollArmed = false;
                }
                ring.consume(n);
            }
        } catch (Throwable t) {
            // closing anyway
        }
    }
}
