package ferry.dns64;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import static ferry.sys.Libc.CAPTURE;
import static ferry.sys.Libc.SENDTO;
import static ferry.sys.Libc.SOCKET;
import static ferry.sys.Libc.closeQuietly;
import static ferry.sys.Libc.downcall;
import static ferry.sys.Libc.downcallNoErrno;
import static ferry.sys.Libc.errno;
import static ferry.sys.Libc.errnoText;
import static ferry.sys.Libc.intValue;
import static ferry.sys.Libc.setsockopt;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * The DNS64 server's UDP listening socket, through the Foreign Function &amp; Memory API: {@code socket},
 * {@code bind}, {@code recvfrom} and {@code sendto} on native buffers that each receive thread owns.
 *
 * <p>Why not {@link java.nio.channels.DatagramChannel}: its {@code receive} returns the sender as a new
 * {@link InetSocketAddress} (with its {@code InetAddress} and holders, ~110 bytes) whenever the sender differs from
 * the previous datagram's, that is for nearly every query of a server with many clients. Measured with JFR under
 * dnsperf (10 clients): that was all of the garbage of the cache-hit path, and the cause of the young collections
 * during cached runs (README, "DNS64 performance"). Here the sender's {@code sockaddr} stays in native memory and
 * the answer goes back to it as it is: a cache hit allocates nothing.
 *
 * <p>Stopping: {@link #shutdown()} wakes the receive threads (a {@code recvfrom} blocked in a downcall is not woken
 * by {@code close}); a one-second {@code SO_RCVTIMEO} is the fallback. The descriptor is closed by {@link #close()}
 * once no thread uses it any more. Linux, LP64 ({@code sockaddr_in}/{@code sockaddr_in6} layouts).
 */
final class UdpSocket implements AutoCloseable {
    static final int AF_INET = 2, AF_INET6 = 10, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1, SO_RCVBUF = 8, SO_REUSEPORT = 15, SO_RCVTIMEO = 20;
    static final int IPPROTO_IPV6 = 41, IPV6_V6ONLY = 26;
    static final int SHUT_RDWR = 2;
    /** Room for a sockaddr_in6 (28 bytes), the larger of the two. */
    static final int SOCKADDR = 28;
    /** The largest UDP payload (65535 - 8 - 20, or - 40 over IPv6: 65507/65487) fits. */
    static final int MAX_DATAGRAM = 65535;

    private static final MethodHandle BIND = downcall("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKNAME = downcall("getsockname",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    /*
     * The receive loop's calls, without errno capture: a capturing downcall slices its capture segment on each call,
     * an allocation that only disappears once the JIT has inlined the call into a compiled caller; the receive loop
     * runs interpreted until its on-stack replacement is compiled, and made garbage until then. These two calls need
     * no errno: a failed recvfrom is retried (SO_RCVTIMEO's EAGAIN, EINTR; the loop ends when the server closes),
     * a failed sendto is an answer not sent, as for a client that went away.
     */
    private static final MethodHandle RECVFROM_NO_ERRNO = downcallNoErrno("recvfrom",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SENDTO_NO_ERRNO = downcallNoErrno("sendto",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SHUTDOWN = downcall("shutdown", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

    private final int fd;
    private final InetSocketAddress local;
    private volatile boolean closed;
    private boolean fdClosed;

    private UdpSocket(int fd, InetSocketAddress local) {
        this.fd = fd;
        this.local = local;
    }

    /**
     * Opens a UDP socket bound to {@code at} (port 0: any free port), with a 2 MiB receive buffer, SO_REUSEPORT when
     * asked (several sockets on one port, one per receive thread; the kernel spreads clients over them), and for
     * IPv6 both families accepted (IPV6_V6ONLY off, as {@code DatagramChannel} does).
     */
    static UdpSocket open(InetSocketAddress at, boolean reusePort) throws IOException {
        boolean v6 = at.getAddress() instanceof Inet6Address;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(CAPTURE);
            int fd = (int) SOCKET.invokeExact(cap, v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (fd < 0) throw new IOException("socket(" + (v6 ? "AF_INET6" : "AF_INET") + ", SOCK_DGRAM): " + errnoText(cap));
            try {
                if (reusePort) setsockopt(a, fd, SOL_SOCKET, SO_REUSEPORT, intValue(a, 1), "SO_REUSEPORT");
                setsockopt(a, fd, SOL_SOCKET, SO_RCVBUF, intValue(a, 1 << 21), "SO_RCVBUF");
                if (v6) setsockopt(a, fd, IPPROTO_IPV6, IPV6_V6ONLY, intValue(a, 0), "IPV6_V6ONLY");
                MemorySegment tv = a.allocate(16, 8);
                tv.set(JAVA_LONG, 0, 1); // one second: the fallback that lets a receive thread see it must stop
                setsockopt(a, fd, SOL_SOCKET, SO_RCVTIMEO, tv, "SO_RCVTIMEO");
                MemorySegment sa = a.allocate(SOCKADDR, 8);
                int salen = encode(at, sa);
                if ((int) BIND.invokeExact(cap, fd, sa, salen) < 0) {
                    int e = errno(cap);
                    throw new IOException("bind " + at + ": errno " + e + (e == 98 ? " (address in use)" : ""));
                }
                MemorySegment len = a.allocate(JAVA_INT);
                len.set(JAVA_INT, 0, SOCKADDR);
                if ((int) GETSOCKNAME.invokeExact(cap, fd, sa, len) < 0) throw new IOException("getsockname: " + errnoText(cap));
                return new UdpSocket(fd, decode(sa));
            } catch (IOException | RuntimeException | Error e) {
                closeQuietly(fd);
                throw e;
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("UDP socket on " + at + ": " + t, t);
        }
    }

    /** The address bound (with the port the kernel chose when asked for port 0). */
    InetSocketAddress localAddress() {
        return local;
    }

    /** Wakes the threads blocked in {@link Receiver#receive}; they see the server closed and stop. */
    void shutdown() {
        closed = true;
        try (Arena a = Arena.ofConfined()) {
            // on an unconnected UDP socket this fails with ENOTCONN but still marks it shut and wakes its readers
            int r = (int) SHUTDOWN.invokeExact(a.allocate(CAPTURE), fd, SHUT_RDWR);
            if (r < 0) { /* expected: ENOTCONN */ }
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Closes the descriptor (once): call when no thread receives or sends on it any more. */
    @Override
    public synchronized void close() {
        if (fdClosed) return;
        fdClosed = true;
        closed = true;
        closeQuietly(fd);
    }

    /**
     * Sends {@code data[0..len)} to the peer {@code sockaddr} (as {@link Receiver#peer()} copied it); false when
     * it could not be sent. For answers that complete off the receive thread: allocates its native buffers.
     */
    boolean sendTo(byte[] data, int len, byte[] sockaddr) {
        return sendTo(data, len, sockaddr, 0);
    }

    /** Linux's MSG_DONTWAIT: this one send does not block (EAGAIN instead when the socket buffer is full). */
    static final int MSG_DONTWAIT = 0x40;

    /**
     * {@link #sendTo(byte[], int, byte[])} that never blocks: false at once when the socket's send buffer is full
     * (or the send fails otherwise). Safe on a virtual thread: the downcall pins it only for the syscall itself.
     */
    boolean trySendTo(byte[] data, int len, byte[] sockaddr) {
        return sendTo(data, len, sockaddr, MSG_DONTWAIT);
    }

    private boolean sendTo(byte[] data, int len, byte[] sockaddr, int flags) {
        if (closed) return false;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(CAPTURE);
            MemorySegment buf = a.allocate(Math.max(1, len), 8);
            MemorySegment.copy(data, 0, buf, JAVA_BYTE, 0, len);
            MemorySegment to = a.allocate(SOCKADDR, 8);
            MemorySegment.copy(sockaddr, 0, to, JAVA_BYTE, 0, sockaddr.length);
            long n = (long) SENDTO.invokeExact(cap, fd, buf, (long) len, flags, to, sockaddr.length);
            return n == len;
        } catch (Throwable t) {
            return false;
        }
    }

    /** One receive thread's native buffers: create it on that thread, close it there when the loop ends. */
    Receiver receiver() {
        return new Receiver();
    }

    /**
     * A receive thread's state: a confined arena with the datagram buffer, the sender's {@code sockaddr} and its
     * length, the errno capture, and an answer buffer. {@link #receive} and {@link #reply} allocate nothing.
     */
    final class Receiver implements AutoCloseable {
        private final Arena arena = Arena.ofConfined();
        private final MemorySegment in = arena.allocate(MAX_DATAGRAM, 8);
        private final MemorySegment out = arena.allocate(MAX_DATAGRAM, 8);
        private final MemorySegment peer = arena.allocate(SOCKADDR, 8);
        private final MemorySegment peerLen = arena.allocate(JAVA_INT);
        private int lastPeerLen;
        // heap segments over the caller's arrays, made once per array: MemorySegment.copy(byte[], ...) wraps the
        // array in a new segment on each call, which only the JIT's escape analysis removes (when it inlines)
        private byte[] inArray, outArray;
        private MemorySegment inHeap, outHeap;

        private Receiver() {
        }

        /**
         * Waits for the next datagram and copies it to the start of {@code into} (cut at its length); returns its
         * length, or -1 when there is none (timeout, signal, another receive error) or the socket was shut down.
         */
        int receive(byte[] into) {
            if (closed) return -1;
            peerLen.set(JAVA_INT, 0, SOCKADDR);
            long n;
            try {
                n = (long) RECVFROM_NO_ERRNO.invokeExact(fd, in, (long) MAX_DATAGRAM, 0, peer, peerLen);
            } catch (Throwable t) {
                throw new AssertionError(t); // a downcall throws nothing
            }
            if (n < 0) return -1;
            if (closed) return -1; // shutdown() makes recvfrom return 0
            lastPeerLen = Math.min(peerLen.get(JAVA_INT, 0), SOCKADDR);
            int len = (int) Math.min(n, into.length);
            if (into != inArray) {
                inArray = into;
                inHeap = MemorySegment.ofArray(into);
            }
            MemorySegment.copy(in, 0, inHeap, 0, len);
            return len;
        }

        /** Sends {@code data[0..len)} to the sender of the last datagram received; false when it could not be sent. */
        boolean reply(byte[] data, int len) {
            if (data != outArray) {
                outArray = data;
                outHeap = MemorySegment.ofArray(data);
            }
            MemorySegment.copy(outHeap, 0, out, 0, len);
            long n;
            try {
                n = (long) SENDTO_NO_ERRNO.invokeExact(fd, out, (long) len, 0, peer, lastPeerLen);
            } catch (Throwable t) {
                return false;
            }
            return n == len;
        }

        /** A copy of the last sender's {@code sockaddr}, for {@link UdpSocket#sendTo} from another thread. */
        byte[] peer() {
            byte[] b = new byte[lastPeerLen];
            MemorySegment.copy(peer, JAVA_BYTE, 0, b, 0, lastPeerLen);
            return b;
        }

        /** The last sender as a socket address (tests, logs). */
        InetSocketAddress peerAddress() throws UnknownHostException {
            return decode(peer);
        }

        @Override
        public void close() {
            arena.close();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // sockaddr

    /** Writes {@code a} as a sockaddr_in or sockaddr_in6 into {@code sa}; returns its length. */
    static int encode(InetSocketAddress a, MemorySegment sa) {
        sa.fill((byte) 0);
        InetAddress ip = a.getAddress();
        byte[] addr = ip.getAddress();
        boolean v6 = ip instanceof Inet6Address;
        sa.set(JAVA_SHORT, 0, (short) (v6 ? AF_INET6 : AF_INET));
        sa.set(JAVA_BYTE, 2, (byte) (a.getPort() >>> 8)); // network byte order
        sa.set(JAVA_BYTE, 3, (byte) a.getPort());
        if (v6) {
            MemorySegment.copy(addr, 0, sa, JAVA_BYTE, 8, 16);
            sa.set(JAVA_INT, 24, ((Inet6Address) ip).getScopeId());
            return 28;
        }
        MemorySegment.copy(addr, 0, sa, JAVA_BYTE, 4, 4);
        return 16;
    }

    /** Reads a sockaddr_in or sockaddr_in6. */
    static InetSocketAddress decode(MemorySegment sa) throws UnknownHostException {
        int family = sa.get(JAVA_SHORT, 0);
        int port = (sa.get(JAVA_BYTE, 2) & 0xff) << 8 | sa.get(JAVA_BYTE, 3) & 0xff;
        if (family == AF_INET6) {
            byte[] b = new byte[16];
            MemorySegment.copy(sa, JAVA_BYTE, 8, b, 0, 16);
            int scope = sa.get(JAVA_INT, 24);
            InetAddress ip = scope == 0 ? InetAddress.getByAddress(b) : Inet6Address.getByAddress(null, b, scope);
            return new InetSocketAddress(ip, port);
        }
        byte[] b = new byte[4];
        MemorySegment.copy(sa, JAVA_BYTE, 4, b, 0, 4);
        return new InetSocketAddress(Inet4Address.getByAddress(b), port);
    }

    @Override
    public String toString() {
        return "udp " + local + (closed ? " (closed)" : "");
    }

    /** For tests: the bytes of {@code a} as a sockaddr. */
    static byte[] sockaddr(InetSocketAddress a) {
        try (Arena ar = Arena.ofConfined()) {
            MemorySegment sa = ar.allocate(SOCKADDR, 8);
            int n = encode(a, sa);
            return Arrays.copyOf(sa.toArray(JAVA_BYTE), n);
        }
    }
}
