package ferry.clat;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import ferry.metrics.Counter;
import ferry.metrics.Counters;
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
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Router Advertisements from a raw ICMPv6 socket, through the Foreign Function &amp; Memory API (plain Java has no raw
 * sockets): {@code socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6)}, an {@code ICMP6_FILTER} that passes only type 134,
 * {@code SO_BINDTODEVICE} to the uplink, {@code IPV6_RECVHOPLIMIT} so the hop limit arrives as ancillary data, a
 * one-second {@code SO_RCVTIMEO} so the reading thread can stop, and {@code recvmsg}. The kernel verifies the ICMPv6
 * checksum of raw ICMPv6 sockets; this class checks what RFC 4861 §6.1.2 adds (hop limit 255, link-local source)
 * and hands the message to {@link RouterAdvertisements}. Needs CAP_NET_RAW. Linux x86-64/arm64 (LP64) layouts.
 *
 * <p>Why a raw socket rather than reading RAs off the TUN or an AF_PACKET socket: the RAs arrive on the uplink, not
 * on ferry's TUN device, and a raw ICMPv6 socket gets them after the kernel's own checks with a filter that wakes
 * ferry only for type 134 — no Ethernet or IPv6 header parsing, and the kernel keeps doing its own SLAAC.
 */
public final class RaSocket implements RaReceiver {
    static final int AF_INET6 = 10, SOCK_RAW = 3, SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1, SO_RCVTIMEO = 20, SO_BINDTODEVICE = 25;
    static final int IPPROTO_IPV6 = 41, IPV6_MULTICAST_IF = 17, IPV6_MULTICAST_HOPS = 18, IPV6_RECVHOPLIMIT = 51,
            IPV6_HOPLIMIT = 52;
    static final int IPPROTO_ICMPV6 = 58, ICMP6_FILTER = 1;
    static final int EAGAIN = 11, EINTR = 4;

    private static final MethodHandle RECVMSG = downcall("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle IF_NAMETOINDEX = downcallNoErrno("if_nametoindex", FunctionDescriptor.of(JAVA_INT, ADDRESS));

    private static final int BUF = 2048, NAME = 28, CONTROL = 64, MSGHDR = 56;

    private final int fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment capture, buf, name, control, iov, msg;
    private final byte[] copy = new byte[BUF];
    private final Counters counters = new Counters();
    private volatile boolean closed;

    private RaSocket(int fd) {
        this.fd = fd;
        capture = arena.allocate(CAPTURE);
        buf = arena.allocate(BUF, 8);
        name = arena.allocate(NAME, 8);
        control = arena.allocate(CONTROL, 8);
        iov = arena.allocate(16, 8);
        msg = arena.allocate(MSGHDR, 8);
    }

    /**
     * Opens the receiving socket.
     *
     * @param ifnameOrNull the uplink (SO_BINDTODEVICE), or null for every interface
     * @throws IOException no permission (CAP_NET_RAW), unknown interface, ...
     */
    public static RaSocket open(String ifnameOrNull) throws IOException {
        int fd;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(CAPTURE);
            fd = (int) SOCKET.invokeExact(cap, AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
            if (fd < 0) throw new IOException("socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6): " + errnoText(cap)
                    + (errno(cap) == 1 ? " (needs CAP_NET_RAW)" : ""));
            try {
                // RFC 3542 §3.2 ICMP6_FILTER: a set bit blocks its type; pass only Router Advertisements
                MemorySegment filter = a.allocate(32, 4);
                for (int i = 0; i < 8; i++) filter.setAtIndex(JAVA_INT, i, -1);
                int t = RouterAdvertisements.TYPE_RA;
                filter.setAtIndex(JAVA_INT, t >>> 5, filter.getAtIndex(JAVA_INT, t >>> 5) & ~(1 << (t & 31)));
                setsockopt(a, fd, IPPROTO_ICMPV6, ICMP6_FILTER, filter, "ICMP6_FILTER");
                setsockopt(a, fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, intValue(a, 1), "IPV6_RECVHOPLIMIT");
                MemorySegment tv = a.allocate(16, 8);
                tv.set(JAVA_LONG, 0, 1); // one second
                setsockopt(a, fd, SOL_SOCKET, SO_RCVTIMEO, tv, "SO_RCVTIMEO");
                if (ifnameOrNull != null) {
                    MemorySegment n = a.allocateFrom(ifnameOrNull, StandardCharsets.US_ASCII);
                    setsockopt(a, fd, SOL_SOCKET, SO_BINDTODEVICE, n, "SO_BINDTODEVICE " + ifnameOrNull);
                }
            } catch (IOException e) {
                closeQuietly(fd);
                throw e;
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("raw ICMPv6 socket: " + t, t);
        }
        return new RaSocket(fd);
    }

    @Override
    public List<Pref64Option> receive() throws IOException {
        if (closed) throw new IOException("closed");
        iov.set(ADDRESS, 0, buf);
        iov.set(JAVA_LONG, 8, BUF);
        msg.fill((byte) 0);
        msg.set(ADDRESS, 0, name);
        msg.set(JAVA_INT, 8, NAME);
        msg.set(ADDRESS, 16, iov);
        msg.set(JAVA_LONG, 24, 1);
        msg.set(ADDRESS, 32, control);
        msg.set(JAVA_LONG, 40, CONTROL);
        long n;
        try {
            n = (long) RECVMSG.invokeExact(capture, fd, msg, 0);
        } catch (Throwable t) {
            throw new IOException("recvmsg: " + t, t);
        }
        if (n < 0) {
            int e = errno(capture);
            if (e == EAGAIN || e == EINTR) return null; // the one-second timeout
            throw new IOException("recvmsg on the raw ICMPv6 socket: errno " + e);
        }
        counters.inc(Counter.CLAT_RA_RECEIVED);
        // RFC 4861 §6.1.2: "IP Source Address is a link-local address" (fe80::/10)
        int family = name.get(JAVA_SHORT, 0);
        int b0 = name.get(JAVA_BYTE, 8) & 0xff, b1 = name.get(JAVA_BYTE, 9) & 0xff;
        boolean linkLocal = family == AF_INET6 && b0 == 0xfe && (b1 & 0xc0) == 0x80;
        // RFC 4861 §6.1.2: "The IP Hop Limit field has a value of 255"
        int hopLimit = hopLimit(msg.get(JAVA_LONG, 40));
        if (!linkLocal || hopLimit != 255) {
            counters.inc(Counter.CLAT_RA_MALFORMED);
            return null;
        }
        int len = (int) Math.min(n, BUF);
        MemorySegment.copy(buf, JAVA_BYTE, 0, copy, 0, len);
        return RouterAdvertisements.pref64Options(copy, 0, len, counters);
    }

    /** The IPV6_HOPLIMIT ancillary value among {@code controllen} bytes of control messages, or -1. */
    private int hopLimit(long controllen) {
        long off = 0;
        while (off + 16 <= controllen) {
            long clen = control.get(JAVA_LONG, off);
            int level = control.get(JAVA_INT, off + 8), type = control.get(JAVA_INT, off + 12);
            if (clen < 16) return -1;
            if (level == IPPROTO_IPV6 && type == IPV6_HOPLIMIT && clen >= 20) return control.get(JAVA_INT, off + 16);
            off += (clen + 7) & ~7L;
        }
        return -1;
    }

    @Override
    public Map<Counter, Long> counters() {
        return counters.snapshot();
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        closeQuietly(fd);
        // the caller stops the receiving thread first (PlatDiscovery joins it); a receive() still running would fail
        // with an IllegalStateException, which its loop treats as the end
        try {
            arena.close();
        } catch (IllegalStateException e) {
            // a receive() is still inside recvmsg (its segments are acquired): leave the memory to the GC-less end
            // of the process rather than fail the shutdown
        }
    }

    /**
     * Sends one ICMPv6 message (a Router Advertisement, for tests and labs) to ff02::1 out of {@code ifname} with hop
     * limit 255, as a router would. Needs CAP_NET_RAW.
     */
    public static void sendToAllNodes(String ifname, byte[] icmp) throws IOException {
        sendToAllNodes(ifname, icmp, 255);
    }

    /** Like {@link #sendToAllNodes(String, byte[])} with another hop limit (tests of the RFC 4861 check). */
    static void sendToAllNodes(String ifname, byte[] icmp, int hopLimit) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(CAPTURE);
            int index = (int) IF_NAMETOINDEX.invokeExact(a.allocateFrom(ifname, StandardCharsets.US_ASCII));
            if (index == 0) throw new IOException("no interface " + ifname);
            int fd = (int) SOCKET.invokeExact(cap, AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
            if (fd < 0) throw new IOException("socket: " + errnoText(cap));
            try {
                setsockopt(a, fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, intValue(a, hopLimit), "IPV6_MULTICAST_HOPS");
                setsockopt(a, fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, intValue(a, index), "IPV6_MULTICAST_IF");
                MemorySegment to = a.allocate(NAME, 8);
                to.set(JAVA_SHORT, 0, (short) AF_INET6);
                to.set(JAVA_BYTE, 8, (byte) 0xff);
                to.set(JAVA_BYTE, 9, (byte) 0x02);
                to.set(JAVA_BYTE, 23, (byte) 0x01);
                to.set(JAVA_INT.withOrder(ByteOrder.nativeOrder()), 24, index);
                MemorySegment data = a.allocate(icmp.length, 8);
                MemorySegment.copy(icmp, 0, data, JAVA_BYTE, 0, icmp.length);
                long n = (long) SENDTO.invokeExact(cap, fd, data, (long) icmp.length, 0, to, NAME);
                if (n != icmp.length) throw new IOException("sendto ff02::1%" + ifname + ": " + errnoText(cap));
            } finally {
                closeQuietly(fd);
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("sending a router advertisement: " + t, t);
        }
    }
}
