package ferry.io.tun;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import ferry.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

/**
 * The few libc calls of the TUN data plane, as FFM downcall handles (no JNI). Every handle that can fail captures
 * {@code errno} ({@link Linker.Option#captureCallState}); its first argument is a capture segment of
 * {@link #CAPTURE_LAYOUT} owned by the calling thread. Pointers into native buffers on the packet path are passed
 * as {@code long} addresses, so a read or write allocates no {@link MemorySegment} view.
 *
 * <p>{@code open} and {@code ioctl} are variadic: {@code Linker.Option.firstVariadicArg(2)}. {@code TUNSETOFFLOAD}
 * takes its argument by value, so it has its own handle ({@link #IOCTL_VALUE}).
 */
final class LinuxC {
    private LinuxC() {
    }

    // fcntl.h (same values on x86-64 and arm64)
    static final int O_RDWR = 2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;

    // sys/eventfd.h
    static final int EFD_NONBLOCK = 0x800;
    static final int EFD_CLOEXEC = 0x80000;

    // poll.h
    static final short POLLIN = 0x1;
    static final short POLLERR = 0x8;
    static final short POLLHUP = 0x10;
    static final short POLLNVAL = 0x20;

    // linux/if_tun.h: _IOW('T', n, int)
    static final long TUNSETIFF = 0x400454caL;
    static final long TUNSETOFFLOAD = 0x400454d0L;
    static final long TUNSETVNETHDRSZ = 0x400454d8L;
    static final short IFF_TUN = 0x0001;
    static final short IFF_MULTI_QUEUE = 0x0100;
    static final short IFF_NO_PI = 0x1000;
    static final short IFF_VNET_HDR = 0x4000;
    static final int TUN_F_CSUM = 0x01;
    static final int TUN_F_TSO4 = 0x02;
    static final int TUN_F_TSO6 = 0x04;
    static final int TUN_F_TSO_ECN = 0x08;
    static final int TUN_F_USO4 = 0x20;
    static final int TUN_F_USO6 = 0x40;
    static final int IFNAMSIZ = 16;
    static final int IFREQ_SIZE = 40;

    // errno.h
    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EIO = 5;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int ENOMEM = 12;
    static final int EACCES = 13;
    static final int EBUSY = 16;
    static final int ETIME = 62;
    static final int ECANCELED = 125;
    static final int ENODEV = 19;
    static final int EINVAL = 22;
    static final int EMSGSIZE = 90;
    static final int EBADFD = 77;
    static final int ENETDOWN = 100;
    static final int ENOBUFS = 105;

    static final StructLayout CAPTURE_LAYOUT = Libc.CAPTURE;
    private static final Linker.Option ERRNO_OPT = Libc.ERRNO_OPT;

    /** {@code int open(const char *path, int flags, ...)}. */
    static final MethodHandle OPEN = Libc.downcall("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT),
            Linker.Option.firstVariadicArg(2), ERRNO_OPT);
    /** {@code int ioctl(int fd, unsigned long request, void *arg)}. */
    static final MethodHandle IOCTL_PTR = Libc.downcall("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2),
            ERRNO_OPT);
    /** {@code int ioctl(int fd, unsigned long request, unsigned long arg)}: the argument by value. */
    static final MethodHandle IOCTL_VALUE = Libc.downcall("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(2),
            ERRNO_OPT);
    /** {@code ssize_t read(int fd, void *buf, size_t count)}, buf as an address. */
    static final MethodHandle READ = Libc.downcall("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO_OPT);
    /** {@code ssize_t write(int fd, const void *buf, size_t count)}, buf as an address. */
    static final MethodHandle WRITE = Libc.downcall("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO_OPT);
    /** {@code int poll(struct pollfd *fds, nfds_t nfds, int timeout)}, fds as an address. */
    static final MethodHandle POLL = Libc.downcall("poll",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT), ERRNO_OPT);
    /** {@code int eventfd(unsigned int initval, int flags)}. */
    static final MethodHandle EVENTFD = Libc.downcall("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT),
            ERRNO_OPT);
    /** {@code int close(int fd)}. */
    static final MethodHandle CLOSE = Libc.CLOSE;

    /** A capture segment for one thread's calls. */
    static MemorySegment captureSegment(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    static int errno(MemorySegment capture) {
        return Libc.errno(capture);
    }

    /** Closes a file descriptor, ignoring errors (used on shutdown and failure paths). */
    static void closeQuietly(int fd) {
        Libc.closeQuietly(fd);
    }

    /** The symbolic name of an errno value, with its number ("EAGAIN (11)"). */
    static String errnoName(int e) {
        String n = switch (e) {
            case EPERM -> "EPERM";
            case ENOENT -> "ENOENT";
            case EINTR -> "EINTR";
            case EIO -> "EIO";
            case EBADF -> "EBADF";
            case EAGAIN -> "EAGAIN";
            case ENOMEM -> "ENOMEM";
            case EACCES -> "EACCES";
            case EBUSY -> "EBUSY";
            case ETIME -> "ETIME";
            case ECANCELED -> "ECANCELED";
            case ENODEV -> "ENODEV";
            case EINVAL -> "EINVAL";
            case EBADFD -> "EBADFD";
            case EMSGSIZE -> "EMSGSIZE";
            case ENETDOWN -> "ENETDOWN";
            case ENOBUFS -> "ENOBUFS";
            default -> "errno";
        };
        return n + " (" + e + ")";
    }
}
