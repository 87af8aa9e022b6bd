package ferry.io.tun;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
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
 * <p>vnet headers ({@code IFF_VNET_HDR}): a packet with {@code gso_type != NONE} is dropped and counted (ferry does
 * not enable TSO/USO, so the kernel sends none). A packet with {@code NEEDS_CSUM} and TCP/UDP right after the IP
 * header is translated with its partial checksum: the field holds the non-inverted pseudo-header sum S; the worker
 * stores ~S before the handler runs, so the handler's ordinary RFC 1624 update {@code ~(~field + ~old + new)} yields
 * ~S', and inverts it back to S' = S + delta (the {@code field += delta} of DESIGN.md) in the translated packet,
 * whose vnet header gets {@code csum_start} = its own L4 offset. Any other partial packet (other protocols,
 * extension headers, IPv4 with DF clear that might be fragmented) has its checksum finished in software first.
 */
public final class TunWorker implements Runnable {
    /** Called once when a worker gives up on its queue (persistent read errors). */
    @FunctionalInterface
    public interface FailureListener {
        void failed(int queue, String message);
    }

    private static final int MAX_PACKET = 65535;
    private static final ValueLayout.OfShort BE16 =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int PROTO_TCP = 6;
    private static final int PROTO_UDP = 17;

    private final int queue;
    private final int fd;
    private final EventFd stopFd;
    private final boolean vnet;
    private final int vhs;
    private final int readAt;
    private final Supplier<PacketHandler.Factory> factories;
    private final FailureListener onFailure;
    private final long giveUpNanos;
    private final long[] stats = new long[TunStat.values().length];
    private volatile boolean stop;
    private volatile boolean finished;

    // worker-thread state
    private MemorySegment cap;
    private MemorySegment rx;
    private MemorySegment tx;
    private long rxAddr;
    private long txAddr;
    private PacketHandler.Factory factory;
    private PacketHandler handler;
    private final PacketOutput output = this::send;
    // partial checksum of the packet in flight: protocol (0 = none) and its checksum field's offset in the L4 header
    private int partialProto;
    private int partialCsumOffset;

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

    /** True once {@link #run()} has returned. */
    public boolean finished() {
        return finished;
    }

    /** A counter (may be slightly stale when read from another thread). */
    public long stat(TunStat s) {
        return stats[s.ordinal()];
    }

    @Override
    public void run() {
        try (Arena arena = Arena.ofConfined()) {
            cap = LinuxC.captureSegment(arena);
            rx = arena.allocate(readAt + MAX_PACKET + 4096L, 64);
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
        long failingSince = 0;
        long backoffMs = 10;
        while (!stop) {
            refreshHandler();
            long n = (long) LinuxC.READ.invokeExact(cap, fd, rxAddr + readAt - vhs, (long) (MAX_PACKET + vhs));
            if (n >= 0) {
                failingSince = 0;
                backoffMs = 10;
                onPacket((int) n);
                continue;
            }
            int e = LinuxC.errno(cap);
            if (e == LinuxC.EAGAIN) {
                pfds.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
                pfds.set(ValueLayout.JAVA_SHORT, 14, (short) 0);
                int r = (int) LinuxC.POLL.invokeExact(cap, pfds.address(), 2L, -1);
                if (r < 0 && LinuxC.errno(cap) != LinuxC.EINTR) {
                    throw new IllegalStateException("poll failed: " + LinuxC.errnoName(LinuxC.errno(cap)));
                }
                // POLLERR/POLLHUP on the queue: the next read reports the errno and takes the error path.
                continue;
            }
            if (e == LinuxC.EINTR) continue;
            stats[TunStat.RX_ERROR.ordinal()]++;
            long now = System.nanoTime(); // error path only
            if (failingSince == 0) {
                failingSince = now;
                System.err.println("ferry run: TUN queue " + queue + ": read failed: " + LinuxC.errnoName(e)
                        + "; retrying with backoff");
            } else if (now - failingSince > giveUpNanos) {
                onFailure.failed(queue, "TUN queue " + queue + ": read keeps failing with " + LinuxC.errnoName(e)
                        + " for " + TimeUnit.NANOSECONDS.toSeconds(now - failingSince) + " s"
                        + (e == LinuxC.EBADFD ? " (the device was removed)" : "") + "; giving up");
                return;
            }
            // Back off without spinning, but wake at once when stopped: poll only the stop eventfd.
            pfds.set(ValueLayout.JAVA_SHORT, 14, (short) 0);
            int r = (int) LinuxC.POLL.invokeExact(cap, pfds.address() + 8, 1L, (int) backoffMs);
            if (r < 0 && LinuxC.errno(cap) != LinuxC.EINTR) {
                throw new IllegalStateException("poll failed: " + LinuxC.errnoName(LinuxC.errno(cap)));
            }
            backoffMs = Math.min(backoffMs * 2, 1000);
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
        if (vnet && !prepareVnet(len)) return;
        try {
            handler.handle(rx, readAt, len);
        } catch (Throwable t) {
            stats[TunStat.HANDLER_EXCEPTION.ordinal()]++;
        }
    }

    /** Reads the vnet header of the packet at {@code readAt}; false when the packet is dropped. */
    private boolean prepareVnet(int len) {
        long h = readAt - VnetHeader.SIZE;
        int gso = VnetHeader.gsoType(rx, h);
        if (gso != VnetHeader.GSO_NONE) {
            stats[TunStat.RX_DROP_GSO.ordinal()]++;
            return false;
        }
        if ((VnetHeader.flags(rx, h) & VnetHeader.F_NEEDS_CSUM) == 0) return true;
        int start = VnetHeader.csumStart(rx, h);
        int csumOff = VnetHeader.csumOffset(rx, h);
        if ((long) start + csumOff + 2 > len) {
            stats[TunStat.RX_DROP_BAD_VNET.ordinal()]++;
            return false;
        }
        long p = readAt;
        int version = len > 0 ? (rx.get(ValueLayout.JAVA_BYTE, p) & 0xff) >>> 4 : 0;
        int l4 = -1;
        int proto = 0;
        if (version == 4 && len >= 20) {
            int ihl = (rx.get(ValueLayout.JAVA_BYTE, p) & 0x0f) * 4;
            int frag = rx.get(BE16, p + 6) & 0xffff;
            boolean df = (frag & 0x4000) != 0;
            boolean fragment = (frag & 0x3fff) != 0;
            proto = rx.get(ValueLayout.JAVA_BYTE, p + 9) & 0xff;
            // DF clear: the translator may fragment it (RFC 7915 §4.1), and a partial checksum cannot span fragments
            if (df && !fragment) l4 = ihl;
        } else if (version == 6 && len >= 40) {
            proto = rx.get(ValueLayout.JAVA_BYTE, p + 6) & 0xff;
            l4 = 40;
        }
        boolean keep = l4 == start
                && ((proto == PROTO_TCP && csumOff == 16) || (proto == PROTO_UDP && csumOff == 6));
        long field = p + start + csumOff;
        int s = rx.get(BE16, field) & 0xffff;
        if (keep) {
            // 0xffff and 0 are the same one's-complement number; use 0 so that ~S is never the "no UDP checksum" 0
            if (s == 0xffff) s = 0;
            rx.set(BE16, field, (short) ~s);
            partialProto = proto;
            partialCsumOffset = csumOff;
            stats[TunStat.RX_CSUM_PARTIAL.ordinal()]++;
        } else {
            // finish it here: sum from csum_start to the end (the field already holds the pseudo-header sum)
            long sum = 0;
            long i = p + start;
            long end = p + len;
            for (; i + 1 < end; i += 2) sum += rx.get(BE16, i) & 0xffff;
            if (i < end) sum += (rx.get(ValueLayout.JAVA_BYTE, i) & 0xff) << 8;
            while ((sum >>> 16) != 0) sum = (sum & 0xffff) + (sum >>> 16);
            int c = (int) ~sum & 0xffff;
            if (c == 0 && proto == PROTO_UDP) c = 0xffff;
            rx.set(BE16, field, (short) c);
            stats[TunStat.RX_CSUM_COMPLETED.ordinal()]++;
        }
        return true;
    }

    /** {@link PacketOutput#send}: one write per packet; never blocks. */
    private void send(MemorySegment buf, long off, int len) {
        if (len <= 0 || len > MAX_PACKET) {
            stats[TunStat.TX_ERROR.ordinal()]++;
            return;
        }
        try {
            if (vnet) sendVnet(buf, off, len);
            else if (buf.isNative()) write(buf.address() + off, len);
            else {
                MemorySegment.copy(buf, off, tx, 0, len);
                stats[TunStat.TX_COPIED.ordinal()]++;
                write(txAddr, len);
            }
        } catch (Throwable t) {
            stats[TunStat.HANDLER_EXCEPTION.ordinal()]++;
        }
    }

    private void sendVnet(MemorySegment buf, long off, int len) throws Throwable {
        boolean inPlace = buf.isNative() && off >= VnetHeader.SIZE;
        MemorySegment s;
        long at;
        if (inPlace) {
            s = buf;
            at = off;
        } else {
            MemorySegment.copy(buf, off, tx, VnetHeader.SIZE, len);
            stats[TunStat.TX_COPIED.ordinal()]++;
            s = tx;
            at = VnetHeader.SIZE;
        }
        long h = at - VnetHeader.SIZE;
        // the handler may still need the bytes before this packet (fragments built one after the other): keep them
        long saved8 = s.get(ValueLayout.JAVA_LONG_UNALIGNED, h);
        short saved2 = s.get(ValueLayout.JAVA_SHORT_UNALIGNED, h + 8);
        int l4 = partialProto == 0 ? -1 : partialL4(s, at, len);
        if (l4 >= 0) {
            long field = at + l4 + partialCsumOffset;
            s.set(BE16, field, (short) ~s.get(BE16, field)); // back to S' = S + delta (non-inverted)
            VnetHeader.put(s, h, VnetHeader.F_NEEDS_CSUM, VnetHeader.GSO_NONE, l4 + partialCsumOffset + 2, 0, l4,
                    partialCsumOffset);
            partialProto = 0; // one translation per input packet carries the partial checksum
        } else {
            VnetHeader.putNone(s, h);
        }
        write(s.address() + h, len + VnetHeader.SIZE);
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, h, saved8);
        s.set(ValueLayout.JAVA_SHORT_UNALIGNED, h + 8, saved2);
    }

    /**
     * The L4 offset of an emitted packet that is the translation of a partial-checksum input: the same transport
     * protocol right after the IP header, not a fragment. -1 otherwise (an ICMP error, for instance).
     */
    private int partialL4(MemorySegment s, long at, int len) {
        int version = (s.get(ValueLayout.JAVA_BYTE, at) & 0xff) >>> 4;
        int l4;
        int proto;
        if (version == 4 && len >= 20) {
            if ((s.get(BE16, at + 6) & 0x3fff) != 0) return -1;
            l4 = (s.get(ValueLayout.JAVA_BYTE, at) & 0x0f) * 4;
            proto = s.get(ValueLayout.JAVA_BYTE, at + 9) & 0xff;
        } else if (version == 6 && len >= 40) {
            l4 = 40;
            proto = s.get(ValueLayout.JAVA_BYTE, at + 6) & 0xff;
        } else {
            return -1;
        }
        if (proto != partialProto || l4 + partialCsumOffset + 2 > len) return -1;
        return l4;
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
}
