package ferry.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Linux scheduling priority ("nice") of the calling OS thread, through libc's {@code gettid} and
 * {@code setpriority} (FFM, no JNI). On Linux the nice value belongs to each thread: {@code setpriority(PRIO_PROCESS,
 * tid, n)} with the thread's own id changes that thread only (setpriority(2), "NOTES": "a call to setpriority() with
 * PRIO_PROCESS and a thread ID affects that thread"). Raising the nice value (a lower priority) needs no privilege;
 * lowering it below the process's needs CAP_SYS_NICE.
 *
 * <p>Meant for platform threads: a virtual thread runs on whatever carrier thread it is mounted on, so the call
 * would renice that carrier, for every virtual thread it carries afterwards.
 *
 * <p>Imports java.base only (README: package rules).
 */
public final class ThreadNice {
    private ThreadNice() {
    }

    /** {@code PRIO_PROCESS} of sys/resource.h: "which" for a process or, on Linux, a thread id. */
    static final int PRIO_PROCESS = 0;
    /** The range of nice values Linux accepts (setpriority(2)): -20 (highest priority) .. 19 (lowest). */
    public static final int MIN = -20, MAX = 19;

    private static final MethodHandle GETTID = lookup("gettid", FunctionDescriptor.of(JAVA_INT), false);
    private static final MethodHandle SETPRIORITY = lookup("setpriority",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), true);

    private static MethodHandle lookup(String name, FunctionDescriptor fd, boolean errno) {
        try {
            return errno ? Libc.downcall(name, fd) : Libc.downcallNoErrno(name, fd);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return null; // not Linux, or a libc without it: set() says so
        }
    }

    /** The calling thread's kernel thread id ({@code gettid(2)}), or -1 where libc has no gettid. */
    public static int tid() {
        if (GETTID == null) return -1;
        try {
            return (int) GETTID.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t); // a downcall throws nothing
        }
    }

    /**
     * Sets the calling OS thread's nice value to {@code nice}.
     *
     * @return null when done, else why not (e.g. "setpriority: errno 13", "no gettid in libc"), for a log line
     * @throws IllegalArgumentException {@code nice} outside {@link #MIN}..{@link #MAX}
     */
    public static String set(int nice) {
        if (nice < MIN || nice > MAX) throw new IllegalArgumentException("nice must be " + MIN + ".." + MAX + ", got " + nice);
        if (GETTID == null || SETPRIORITY == null) return "no gettid/setpriority in libc (not Linux?)";
        int tid = tid();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Libc.CAPTURE);
            int r = (int) SETPRIORITY.invokeExact(cap, PRIO_PROCESS, tid, nice);
            return r == 0 ? null : "setpriority(PRIO_PROCESS, " + tid + ", " + nice + "): " + Libc.errnoText(cap);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * The nice value of thread {@code tid} of this process as the kernel reports it: field 19 of
     * {@code /proc/self/task/TID/stat} (proc(5)).
     *
     * @throws IOException no such thread, or no /proc
     */
    public static int of(int tid) throws IOException {
        String stat = Files.readString(Path.of("/proc/self/task/" + tid + "/stat"));
        // field 2 (comm) is in parentheses and may hold spaces: count the fields after its closing one
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        return Integer.parseInt(f[19 - 3]); // f[0] is field 3 (state)
    }
}
