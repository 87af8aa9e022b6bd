package ferry.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * libc through the Foreign Function &amp; Memory API (no JNI): downcall handles that capture {@code errno}, and the
 * socket calls every FFM socket of ferry shares (the DNS64 UDP listeners, the CLAT's Router Advertisement socket,
 * the TUN device's descriptors). A capturing handle takes a capture segment of {@link #CAPTURE} as its first
 * argument, owned by the calling thread; {@link #errno} reads it after the call.
 *
 * <p>Imports java.base only, so any package may use it (README: package rules).
 */
public final class Libc {
    private Libc() {
    }

    /** The layout of a capture segment ({@link Linker.Option#captureStateLayout()}). */
    public static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker LINKER = Linker.nativeLinker();
    /** The option that makes a downcall capture {@code errno}. */
    public static final Linker.Option ERRNO_OPT = Linker.Option.captureCallState("errno");

    /** {@code int socket(int domain, int type, int protocol)}, capturing errno. */
    public static final MethodHandle SOCKET = downcall("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    /** {@code int setsockopt(int fd, int level, int name, const void *value, socklen_t len)}, capturing errno. */
    public static final MethodHandle SETSOCKOPT = downcall("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    /** {@code ssize_t sendto(int fd, const void *buf, size_t len, int flags, const sockaddr *to, socklen_t tolen)}. */
    public static final MethodHandle SENDTO = downcall("sendto",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    /** {@code int close(int fd)}, capturing errno. */
    public static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    /** A downcall handle for libc's {@code name} that captures errno (its first argument: a capture segment). */
    public static MethodHandle downcall(String name, FunctionDescriptor fd) {
        return downcall(name, fd, ERRNO_OPT);
    }

    /** A downcall handle for libc's {@code name} that does not capture errno (no capture segment argument). */
    public static MethodHandle downcallNoErrno(String name, FunctionDescriptor fd) {
        return downcall(name, fd, new Linker.Option[0]);
    }

    /** A downcall handle for libc's {@code name} with these linker options (none: no errno capture). */
    public static MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment sym = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        return LINKER.downcallHandle(sym, fd, options);
    }

    /** The errno a capturing call left in {@code capture}. */
    public static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    /** "errno N", for messages. */
    public static String errnoText(MemorySegment capture) {
        return "errno " + errno(capture);
    }

    /** A native int holding {@code v}, from {@code a} (a socket option's value). */
    public static MemorySegment intValue(Arena a, int v) {
        MemorySegment s = a.allocate(JAVA_INT);
        s.set(JAVA_INT, 0, v);
        return s;
    }

    /**
     * {@code setsockopt(fd, level, opt, value, value.byteSize())}.
     *
     * @param what the option's name, for the message
     * @throws IOException the call failed: "setsockopt WHAT: errno N"
     */
    public static void setsockopt(Arena a, int fd, int level, int opt, MemorySegment value, String what) throws IOException {
        MemorySegment cap = a.allocate(CAPTURE);
        int r;
        try {
            r = (int) SETSOCKOPT.invokeExact(cap, fd, level, opt, value, (int) value.byteSize());
        } catch (Throwable t) {
            throw new AssertionError(t); // a downcall with these types throws nothing
        }
        if (r < 0) throw new IOException("setsockopt " + what + ": " + errnoText(cap));
    }

    /** Closes a file descriptor, ignoring errors (shutdown and failure paths; close(2): never retried). */
    public static void closeQuietly(int fd) {
        if (fd < 0) return;
        try (Arena a = Arena.ofConfined()) {
            int r = (int) CLOSE.invokeExact(a.allocate(CAPTURE), fd);
            if (r < 0) { /* nothing to do: the fd is gone either way */ }
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
