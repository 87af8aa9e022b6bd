package ferry.io.tun;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import ferry.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One io_uring instance (io_uring(7)) through the FFM API, for the thread that created it: {@code io_uring_setup}
 * and {@code io_uring_enter} through the {@code syscall(2)} downcall, the SQ ring, CQ ring and SQE array mapped
 * with {@code mmap(2)}, the shared heads and tails read with acquire and written with release semantics (the
 * kernel is the other side). Only what a TUN queue needs: {@code READ}, {@code WRITE}, {@code POLL_ADD} and
 * {@code ASYNC_CANCEL}; SQEs are prepared into the local tail and published by {@link #enter}. Nothing here
 * allocates after {@link #open}: user data, results and flags are primitives.
 *
 * <p>Not thread-safe: one instance per worker thread (it is set up {@code SINGLE_ISSUER} where the kernel has it).
 */
final class IoUring implements AutoCloseable {
    // linux/io_uring.h; the syscall numbers are the same on every architecture (asm-generic, since 5.1)
    static final long SYS_IO_URING_SETUP = 425;
    static final long SYS_IO_URING_ENTER = 426;
    static final long SYS_IO_URING_REGISTER = 427;
    static final int REGISTER_FILES = 2;
    static final int UNREGISTER_FILES = 3;
    /** {@code IOSQE_FIXED_FILE}: the SQE's fd is an index into the registered files. */
    static final byte SQE_FIXED_FILE = 1;

    static final int SETUP_SUBMIT_ALL = 1 << 7;
    static final int SETUP_COOP_TASKRUN = 1 << 8;
    static final int SETUP_SINGLE_ISSUER = 1 << 12;
    static final int SETUP_DEFER_TASKRUN = 1 << 13;
    static final int FEAT_SINGLE_MMAP = 1;
    static final int FEAT_EXT_ARG = 1 << 8;

    static final int ENTER_GETEVENTS = 1;
    static final int ENTER_EXT_ARG = 8;

    static final byte OP_POLL_ADD = 6;
    static final byte OP_ASYNC_CANCEL = 14;
    static final byte OP_READ = 22;
    static final byte OP_WRITE = 23;
    static final int ASYNC_CANCEL_ALL = 1;
    /** {@code RWF_NOWAIT}: fail with EAGAIN rather than wait (linux/fs.h). */
    static final int RWF_NOWAIT = 8;
    static final int ASYNC_CANCEL_ANY = 1 << 2;

    static final long OFF_SQ_RING = 0L;
    static final long OFF_CQ_RING = 0x8000000L;
    static final long OFF_SQES = 0x10000000L;

    private static final int SQE_SIZE = 64;
    private static final int CQE_SIZE = 16;
    private static final int PARAMS_SIZE = 120;

    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int MAP_SHARED = 1;
    private static final int MAP_POPULATE = 0x8000;

    private static final Linker.Option ERRNO = Libc.ERRNO_OPT;
    /** {@code long syscall(long number, ...)} with two arguments (io_uring_setup). */
    private static final MethodHandle SYSCALL2 = Libc.downcall("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(1), ERRNO);
    /** {@code long syscall(long number, ...)} with six arguments (io_uring_enter). */
    private static final MethodHandle SYSCALL6 = Libc.downcall("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG,
                    JAVA_LONG), Linker.Option.firstVariadicArg(1), ERRNO);
    /** {@code void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)}. */
    private static final MethodHandle MMAP = Libc.downcall("mmap",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    /** {@code int munmap(void *addr, size_t len)}, no errno. */
    private static final MethodHandle MUNMAP = Libc.downcallNoErrno("munmap",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));

    /** {@code long syscall(long number, ...)} with four arguments (io_uring_register). */
    private static final MethodHandle SYSCALL4 = Libc.downcall("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Linker.Option.firstVariadicArg(1), ERRNO);

    private static final VarHandle INT = JAVA_INT.varHandle();

    /** Why io_uring cannot be used: a message for the log line of the fallback. */
    static final class Unavailable extends Exception {
        Unavailable(String message) {
            super(message);
        }
    }

    /** Tests set a reason here to make {@link #open} fail as on a host without io_uring; null otherwise. */
    static volatile String unavailableForTest;

    private final MemorySegment cap;
    private final int ringFd;
    private final MemorySegment sqRing;
    private final MemorySegment cqRing; // the same mapping as sqRing with FEAT_SINGLE_MMAP
    private final MemorySegment sqes;
    private final long sqRingLen;
    private final long cqRingLen;
    private final boolean singleMmap;
    private final long sqHead;
    private final long sqTail;
    private final int sqMask;
    private final int sqEntries;
    private final long cqHead;
    private final long cqTail;
    private final int cqMask;
    private final long cqes;
    private final boolean extArg;
    private final int setupFlags;
    private final MemorySegment waitArg; // io_uring_getevents_arg (24 bytes) + __kernel_timespec (16 bytes)

    private int fixedFd = -1; // the fd registered as file 0 (IOSQE_FIXED_FILE), -1: none
    private int localTail; // SQEs prepared, not yet published
    private int published; // the tail the kernel has seen
    private int localCqHead;

    private IoUring(MemorySegment cap, int ringFd, MemorySegment params, MemorySegment sqRing, long sqRingLen,
                    MemorySegment cqRing, long cqRingLen, boolean singleMmap, MemorySegment sqes, int setupFlags,
                    MemorySegment waitArg) {
        this.cap = cap;
        this.ringFd = ringFd;
        this.sqRing = sqRing;
        this.cqRing = cqRing;
        this.sqRingLen = sqRingLen;
        this.cqRingLen = cqRingLen;
        this.singleMmap = singleMmap;
        this.sqes = sqes;
        this.setupFlags = setupFlags;
        this.waitArg = waitArg;
        this.sqEntries = params.get(JAVA_INT, 0);
        long sqOff = 40;
        long cqOff = 80;
        this.sqHead = params.get(JAVA_INT, sqOff);
        this.sqTail = params.get(JAVA_INT, sqOff + 4);
        this.sqMask = sqRing.get(JAVA_INT, params.get(JAVA_INT, sqOff + 8));
        this.cqHead = params.get(JAVA_INT, cqOff);
        this.cqTail = params.get(JAVA_INT, cqOff + 4);
        this.cqMask = cqRing.get(JAVA_INT, params.get(JAVA_INT, cqOff + 8));
        this.cqes = params.get(JAVA_INT, cqOff + 20);
        this.extArg = (params.get(JAVA_INT, 20) & FEAT_EXT_ARG) != 0;
        // the SQ index array: slot i always holds SQE i (the SQEs are used in ring order)
        long array = params.get(JAVA_INT, sqOff + 24);
        for (int i = 0; i < sqEntries; i++) sqRing.set(JAVA_INT, array + 4L * i, i);
        this.localTail = (int) INT.getAcquire(sqRing, sqTail);
        this.published = localTail;
        this.localCqHead = (int) INT.getAcquire(cqRing, cqHead);
    }

    /**
     * Whether the kernel lets this process use io_uring at all: {@code /proc/sys/kernel/io_uring_disabled} is 0, or 1
     * (only for privileged processes or the {@code io_uring_group}: {@link #open} may then fail with EPERM). Null
     * when allowed as far as the file says, else the reason.
     */
    static String disabledReason() {
        String forced = unavailableForTest;
        if (forced != null) return forced;
        Path p = Path.of("/proc/sys/kernel/io_uring_disabled");
        try {
            if (!Files.exists(p)) return null; // older kernels: no switch
            String v = Files.readString(p).trim();
            return v.equals("2") ? "kernel.io_uring_disabled=2 (io_uring is disabled on this host)" : null;
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /**
     * Sets up a ring of at least {@code entries} SQEs (a power of two; the CQ ring twice that) in {@code arena}'s
     * thread, trying {@code SINGLE_ISSUER | DEFER_TASKRUN} first, then {@code COOP_TASKRUN}, then no flags.
     *
     * @throws Unavailable when io_uring is disabled, forbidden (seccomp, EPERM), missing (ENOSYS) or setup fails
     */
    static IoUring open(Arena arena, int entries) throws Unavailable {
        String off = disabledReason();
        if (off != null) throw new Unavailable(off);
        MemorySegment cap = LinuxC.captureSegment(arena);
        MemorySegment params = arena.allocate(PARAMS_SIZE, 8);
        int[] tries = {SETUP_SUBMIT_ALL | SETUP_SINGLE_ISSUER | SETUP_DEFER_TASKRUN,
                SETUP_SUBMIT_ALL | SETUP_COOP_TASKRUN, 0};
        int fd = -1;
        int flags = 0;
        int errno = 0;
        try {
            for (int f : tries) {
                params.fill((byte) 0);
                params.set(JAVA_INT, 8, f);
                long r = (long) SYSCALL2.invokeExact(cap, SYS_IO_URING_SETUP, (long) entries, params.address());
                if (r >= 0) {
                    fd = (int) r;
                    flags = f;
                    break;
                }
                errno = LinuxC.errno(cap);
                if (errno != LinuxC.EINVAL) break; // EPERM, ENOSYS, ENOMEM ...: flags are not the problem
            }
        } catch (Throwable t) {
            throw new Unavailable("io_uring_setup failed: " + t);
        }
        if (fd < 0) throw new Unavailable("io_uring_setup failed with " + LinuxC.errnoName(errno)
                + (errno == LinuxC.EPERM ? " (forbidden: kernel.io_uring_disabled=1 or a seccomp filter)" : "")
                + (errno == 38 ? " (ENOSYS: the kernel has no io_uring)" : ""));
        boolean ok = false;
        long sqMapped = 0;
        long cqMapped = 0;
        long sqesMapped = 0;
        long sqLen = 0;
        long cqLen = 0;
        long sqesLen = 0;
        try {
            int sqEntries = params.get(JAVA_INT, 0);
            int cqEntries = params.get(JAVA_INT, 4);
            boolean single = (params.get(JAVA_INT, 20) & FEAT_SINGLE_MMAP) != 0;
            sqLen = params.get(JAVA_INT, 40 + 24) + 4L * sqEntries;
            cqLen = params.get(JAVA_INT, 80 + 20) + (long) CQE_SIZE * cqEntries;
            if (single) sqLen = cqLen = Math.max(sqLen, cqLen);
            sqMapped = mmap(cap, sqLen, fd, OFF_SQ_RING);
            cqMapped = single ? sqMapped : mmap(cap, cqLen, fd, OFF_CQ_RING);
            sqesLen = (long) SQE_SIZE * sqEntries;
            sqesMapped = mmap(cap, sqesLen, fd, OFF_SQES);
            MemorySegment sq = MemorySegment.ofAddress(sqMapped).reinterpret(sqLen);
            MemorySegment cq = MemorySegment.ofAddress(cqMapped).reinterpret(cqLen);
            MemorySegment se = MemorySegment.ofAddress(sqesMapped).reinterpret(sqesLen);
            IoUring u = new IoUring(cap, fd, params, sq, sqLen, cq, cqLen, single, se, flags,
                    arena.allocate(40, 8));
            ok = true;
            return u;
        } catch (Unavailable e) {
            throw e;
        } catch (Throwable t) {
            throw new Unavailable("io_uring mmap failed: " + t);
        } finally {
            if (!ok) {
                unmap(sqesMapped, sqesLen);
                if (cqMapped != sqMapped) unmap(cqMapped, cqLen);
                unmap(sqMapped, sqLen);
                LinuxC.closeQuietly(fd);
            }
        }
    }

    private static long mmap(MemorySegment cap, long len, int fd, long offset) throws Throwable {
        long a = (long) MMAP.invokeExact(cap, 0L, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                offset);
        if (a == -1L) throw new Unavailable("io_uring mmap failed with " + LinuxC.errnoName(LinuxC.errno(cap)));
        return a;
    }

    private static void unmap(long address, long len) {
        if (address == 0 || address == -1L) return;
        try {
            int r = (int) MUNMAP.invokeExact(address, len);
            if (r != 0) { /* nothing to do on a close path */ }
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * Registers {@code fd} as the ring's file 0: SQEs on it then name the index ({@code IOSQE_FIXED_FILE}) and the
     * kernel skips looking the fd up and counting references on it for every request. False (and nothing changes)
     * when the kernel refuses.
     */
    boolean registerFile(Arena arena, int fd) {
        try {
            MemorySegment fds = arena.allocate(JAVA_INT);
            fds.set(JAVA_INT, 0, fd);
            long r = (long) SYSCALL4.invokeExact(cap, SYS_IO_URING_REGISTER, (long) ringFd, (long) REGISTER_FILES,
                    fds.address(), 1L);
            if (r < 0) return false;
            fixedFd = fd;
            return true;
        } catch (Throwable t) {
            return false;
        }
    }

    /** The setup flags the kernel accepted (for the log line). */
    int setupFlags() {
        return setupFlags;
    }

    /** Number of SQEs the ring holds. */
    int entries() {
        return sqEntries;
    }

    /** SQEs that can still be prepared before the next {@link #enter}. */
    int sqSpace() {
        return sqEntries - (localTail - (int) INT.getAcquire(sqRing, sqHead));
    }

    /** SQEs prepared and not yet published. */
    int pending() {
        return localTail - published;
    }

    /** Takes back the last prepared (unpublished) SQE. */
    void unprepareLast() {
        if (localTail == published) throw new IllegalStateException("no unpublished SQE");
        localTail--;
    }

    private long nextSqe() {
        if (sqSpace() <= 0) throw new IllegalStateException("SQ ring full");
        long at = (long) (localTail & sqMask) * SQE_SIZE;
        localTail++;
        // zero the 64 bytes: 8 long stores
        for (long i = 0; i < SQE_SIZE; i += 8) sqes.set(JAVA_LONG, at + i, 0L);
        return at;
    }

    /** {@code read(fd, address, len)} at the file position (offset -1) with {@code rwFlags}, tagged {@code userData}. */
    void prepRead(int fd, long address, int len, long userData, int rwFlags) {
        prepRw(OP_READ, fd, address, len, userData);
        sqes.set(JAVA_INT, (long) ((localTail - 1) & sqMask) * SQE_SIZE + 28, rwFlags);
    }

    /** {@code write(fd, address, len)} at the file position (offset -1) with {@code rwFlags}, tagged {@code userData}. */
    void prepWrite(int fd, long address, int len, long userData, int rwFlags) {
        prepRw(OP_WRITE, fd, address, len, userData);
        sqes.set(JAVA_INT, (long) ((localTail - 1) & sqMask) * SQE_SIZE + 28, rwFlags);
    }

    /** Sets the SQE's fd: the registered index with {@code IOSQE_FIXED_FILE} when {@code fd} is registered. */
    private void setFd(long at, int fd) {
        if (fd == fixedFd) {
            sqes.set(JAVA_BYTE, at + 1, SQE_FIXED_FILE);
            sqes.set(JAVA_INT, at + 4, 0);
        } else {
            sqes.set(JAVA_INT, at + 4, fd);
        }
    }

    private void prepRw(byte op, int fd, long address, int len, long userData) {
        long at = nextSqe();
        sqes.set(JAVA_BYTE, at, op);
        setFd(at, fd);
        sqes.set(JAVA_LONG, at + 8, -1L);
        sqes.set(JAVA_LONG, at + 16, address);
        sqes.set(JAVA_INT, at + 24, len);
        sqes.set(JAVA_LONG, at + 32, userData);
    }

    /** A one-shot {@code POLL_ADD} of {@code events} on {@code fd}; its completion's result is the revents. */
    void prepPoll(int fd, short events, long userData) {
        long at = nextSqe();
        sqes.set(JAVA_BYTE, at, OP_POLL_ADD);
        setFd(at, fd);
        sqes.set(JAVA_INT, at + 28, events & 0xffff); // poll32_events, little endian
        sqes.set(JAVA_LONG, at + 32, userData);
    }

    /** Cancels every request on {@code fd} ({@code ASYNC_CANCEL} with {@code ALL | FD} semantics, kernel 5.19+). */
    void prepCancelFd(int fd, long userData) {
        long at = nextSqe();
        sqes.set(JAVA_BYTE, at, OP_ASYNC_CANCEL);
        if (fd == fixedFd) {
            sqes.set(JAVA_INT, at + 4, 0);
            // IORING_ASYNC_CANCEL_FD = 1 << 1, IORING_ASYNC_CANCEL_FD_FIXED = 1 << 3
            sqes.set(JAVA_INT, at + 28, ASYNC_CANCEL_ALL | (1 << 1) | (1 << 3));
        } else {
            sqes.set(JAVA_INT, at + 4, fd);
            sqes.set(JAVA_INT, at + 28, ASYNC_CANCEL_ALL | (1 << 1)); // IORING_ASYNC_CANCEL_FD = 1 << 1
        }
        sqes.set(JAVA_LONG, at + 32, userData);
    }

    /**
     * Publishes the prepared SQEs (release store of the SQ tail) and calls {@code io_uring_enter} once: submits them
     * and, with {@code minComplete > 0}, waits until that many completions are ready, for {@code timeoutMillis} at
     * most ({@code < 0}: no limit).
     *
     * @return the number submitted, or {@code -errno} (ETIME: the timeout passed, EINTR: a signal)
     */
    int enter(int minComplete, int timeoutMillis) throws Throwable {
        int toSubmit = localTail - published;
        if (toSubmit > 0) {
            INT.setRelease(sqRing, sqTail, localTail);
            published = localTail;
        }
        int flags = ENTER_GETEVENTS; // also runs deferred task work (DEFER_TASKRUN) when it does not wait
        long arg = 0;
        long argSize = 0;
        if (minComplete > 0 && timeoutMillis >= 0) {
            if (!extArg) throw new IllegalStateException("the kernel has no IORING_FEAT_EXT_ARG (5.11+)");
            MemorySegment w = waitArg;
            w.set(JAVA_LONG, 0, 0L); // sigmask
            w.set(JAVA_INT, 8, 0); // sigmask_sz
            w.set(JAVA_INT, 12, 0); // min_wait_usec / pad
            w.set(JAVA_LONG, 16, w.address() + 24); // ts
            w.set(JAVA_LONG, 24, timeoutMillis / 1000);
            w.set(JAVA_LONG, 32, (timeoutMillis % 1000) * 1_000_000L);
            flags |= ENTER_EXT_ARG;
            arg = w.address();
            argSize = 24;
        }
        long r = (long) SYSCALL6.invokeExact(cap, SYS_IO_URING_ENTER, (long) ringFd, (long) toSubmit,
                (long) minComplete, (long) flags, arg, argSize);
        return r >= 0 ? (int) r : -LinuxC.errno(cap);
    }

    /** Completions ready to read (acquire load of the CQ tail). */
    int ready() {
        return (int) INT.getAcquire(cqRing, cqTail) - localCqHead;
    }

    /** User data of the {@code i}-th ready completion. */
    long userData(int i) {
        return cqRing.get(JAVA_LONG, cqes + (long) ((localCqHead + i) & cqMask) * CQE_SIZE);
    }

    /** Result of the {@code i}-th ready completion (bytes, or {@code -errno}). */
    int result(int i) {
        return cqRing.get(JAVA_INT, cqes + (long) ((localCqHead + i) & cqMask) * CQE_SIZE + 8);
    }

    /** Hands {@code n} completions back to the kernel (release store of the CQ head). */
    void consume(int n) {
        localCqHead += n;
        INT.setRelease(cqRing, cqHead, localCqHead);
    }

    /**
     * Unregisters the registered file (at once: the ring's teardown after close runs in the background, and until
     * then its file table would keep the TUN queue attached), unmaps the rings and closes the ring fd (the kernel
     * cancels what is still in flight).
     */
    @Override
    public void close() {
        if (fixedFd >= 0) {
            try {
                long r = (long) SYSCALL4.invokeExact(cap, SYS_IO_URING_REGISTER, (long) ringFd, (long) UNREGISTER_FILES,
                        0L, 0L);
                if (r < 0) { /* closing anyway */ }
            } catch (Throwable t) {
                // closing anyway
            }
            fixedFd = -1;
        }
        unmap(sqes.address(), sqes.byteSize());
        if (!singleMmap) unmap(cqRing.address(), cqRingLen);
        unmap(sqRing.address(), sqRingLen);
        LinuxC.closeQuietly(ringFd);
    }
}
