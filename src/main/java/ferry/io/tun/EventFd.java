package ferry.io.tun;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A non-blocking Linux {@code eventfd(2)}, used to wake workers blocked in {@code poll(2)}: a read blocked in a
 * downcall is not woken by {@code close}, {@code Thread.interrupt()} or detaching the queue (DESIGN.md), so a
 * worker polls its TUN fd together with this fd, and {@link #signal()} makes that poll return.
 */
public final class EventFd implements AutoCloseable {
    private final int fd;
    private boolean closed;

    private EventFd(int fd) {
        this.fd = fd;
    }

    /** A new eventfd ({@code EFD_NONBLOCK | EFD_CLOEXEC}, initial value 0). */
    public static EventFd create() throws TunException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = LinuxC.captureSegment(a);
            int fd = (int) LinuxC.EVENTFD.invokeExact(cap, 0, LinuxC.EFD_NONBLOCK | LinuxC.EFD_CLOEXEC);
            if (fd < 0) throw new TunException("eventfd failed: " + LinuxC.errnoName(LinuxC.errno(cap)),
                    LinuxC.errno(cap));
            return new EventFd(fd);
        } catch (TunException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public int fd() {
        return fd;
    }

    /** Adds 1 to the counter: every poll on this fd becomes readable (and stays so: nobody reads it). */
    public synchronized void signal() {
        if (closed) return;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = LinuxC.captureSegment(a);
            MemorySegment one = a.allocate(ValueLayout.JAVA_LONG);
            one.set(ValueLayout.JAVA_LONG, 0, 1L);
            long r = (long) LinuxC.WRITE.invokeExact(cap, fd, one.address(), 8L);
            if (r < 0 && LinuxC.errno(cap) != LinuxC.EAGAIN) {
                throw new IllegalStateException("eventfd write failed: " + LinuxC.errnoName(LinuxC.errno(cap)));
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Closes the fd; only after every poller has returned. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        LinuxC.closeQuietly(fd);
    }
}
