package ferry.io.tun;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The workers of one {@link TunDevice}: one {@link TunWorker} per queue, each on its own platform thread (named
 * {@code ferry-tun-qN}), and the {@link EventFd} that wakes them to stop. Stop it before closing the device: fds
 * are closed only after the workers have exited (DESIGN.md).
 *
 * <p>Re-creation: started with a {@link Setup} on a device this process created ({@link TunDevice#created()}), a
 * plane whose device is removed under it ({@code ip link del}: reads fail with {@code EBADFD}) stops its workers,
 * closes the old queues, opens a device of the same name, queue count, vnet header and offloads, re-applies the
 * interface setup through the {@code Setup}, logs one {@code event=tun_device_recreated} line and starts new
 * workers (counters carry over). Attempts back off from 10 ms to 1 s; when re-creation keeps failing for the
 * give-up time the {@link TunWorker.FailureListener} is told (queue -1) and the plane stays stopped. A device
 * ferry attached to (persistent, made by someone else) is not re-created: its workers back off and give up.
 */
public final class TunDataplane {
    /** Re-applies the interface setup (MTU, link up, addresses, routes) to a re-created device. */
    @FunctionalInterface
    public interface Setup {
        void apply(TunDevice device) throws TunException;
    }

    /** The workers of one device: replaced as a whole when the device is re-created. */
    private record Generation(TunDevice device, TunWorker[] workers, Thread[] threads, EventFd stopFd) {
    }

    private final TunDevice original;
    private final int headroom;
    private final Supplier<PacketHandler.Factory> factories;
    private final TunWorker.FailureListener onFailure;
    private TunIo io = TunIo.SYSCALLS; // set before the first launch, read under the plane's lock
    private final long giveUpNanos;
    private final Setup setup;
    private final Consumer<String> log;
    private final long[] retired = new long[TunStat.values().length]; // counters of workers that have exited
    private Generation current;       // guarded by this; null while the device is being re-created
    private boolean stopping;         // guarded by this
    private Thread recreator;         // guarded by this
    private int recreations;          // guarded by this

    private TunDataplane(TunDevice device, int headroom, Supplier<PacketHandler.Factory> factories,
                         TunWorker.FailureListener onFailure, long giveUpNanos, Setup setup, Consumer<String> log) {
        this.original = device;
        this.headroom = headroom;
        this.factories = factories;
        this.onFailure = onFailure;
        this.giveUpNanos = giveUpNanos;
        this.setup = device.created() ? setup : null;
        this.log = log;
    }

    /**
     * Starts one worker per queue of {@code device}; a removed device ends the run (no re-creation).
     *
     * @param headroom    bytes handlers may write before a packet
     * @param factories   the current handler factory, read by the workers between packets
     * @param onFailure   told when a worker gives up (persistent read errors)
     * @param giveUpAfter how long read errors may last before a worker gives up
     */
    public static TunDataplane start(TunDevice device, int headroom, Supplier<PacketHandler.Factory> factories,
                                     TunWorker.FailureListener onFailure, long giveUpAfter, TimeUnit unit)
            throws TunException {
        return start(device, headroom, factories, onFailure, giveUpAfter, unit, null, line -> { });
    }

    /**
     * Starts one worker per queue of {@code device}, re-creating the device when it is removed under ferry (only
     * when {@code device} was created by this process and {@code setup} is not null).
     *
     * @param setup re-applies the interface setup to a re-created device (null: no re-creation)
     * @param log   receives one pre-formatted {@code level=... event=... key=value ...} line per re-creation event
     */
    public static TunDataplane start(TunDevice device, int headroom, Supplier<PacketHandler.Factory> factories,
                                     TunWorker.FailureListener onFailure, long giveUpAfter, TimeUnit unit,
                                     Setup setup, Consumer<String> log) throws TunException {
        return start(device, headroom, factories, onFailure, giveUpAfter, unit, setup, log, TunIo.SYSCALLS);
    }

    /**
     * As above, with the workers' I/O mode ({@link TunIo#URING} falls back to read/write per worker, with a log
     * line, where the kernel refuses io_uring).
     */
    public static TunDataplane start(TunDevice device, int headroom, Supplier<PacketHandler.Factory> factories,
                                     TunWorker.FailureListener onFailure, long giveUpAfter, TimeUnit unit,
                                     Setup setup, Consumer<String> log, TunIo io) throws TunException {
        TunDataplane plane = new TunDataplane(device, headroom, factories, onFailure, unit.toNanos(giveUpAfter),
                setup, log);
        plane.io = io;
        synchronized (plane) {
            plane.current = plane.launch(device);
        }
        return plane;
    }

    /** Starts one worker per queue of {@code device} (with a fresh stop eventfd). */
    private Generation launch(TunDevice device) throws TunException {
        EventFd stopFd = EventFd.create();
        int n = device.queues();
        TunWorker[] workers = new TunWorker[n];
        Thread[] threads = new Thread[n];
        long giveUpMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(giveUpNanos));
        for (int q = 0; q < n; q++) {
            workers[q] = new TunWorker(q, device.fd(q), device.vnetHeader(), headroom, stopFd, factories, onFailure,
                    giveUpMs, TimeUnit.MILLISECONDS, io);
            if (setup != null) workers[q].onDeviceRemoved(this::deviceRemoved);
            threads[q] = Thread.ofPlatform().name("ferry-tun-q" + q).daemon(true).unstarted(workers[q]);
        }
        for (Thread t : threads) t.start();
        return new Generation(device, workers, threads, stopFd);
    }

    /** A worker saw EBADFD: re-create the device once, on a thread of its own (the worker is ending). */
    private synchronized void deviceRemoved() {
        if (stopping || recreator != null || current == null) return;
        Generation gone = current;
        recreator = Thread.ofPlatform().name("ferry-tun-recreate").daemon(true).unstarted(() -> recreate(gone));
        recreator.start();
    }

    private void recreate(Generation gone) {
        String name = gone.device().name();
        log.accept("level=warn event=tun_device_removed device=" + name + " action=recreate");
        long t0 = System.nanoTime();
        // 1. the old workers: every queue of a removed device fails, but stop them all explicitly
        for (TunWorker w : gone.workers()) w.stop();
        gone.stopFd().signal();
        boolean exited = join(gone.threads(), TimeUnit.SECONDS.toNanos(5));
        synchronized (this) {
            for (TunWorker w : gone.workers())
                for (TunStat s : TunStat.values()) retired[s.ordinal()] += w.stat(s);
            current = null;
        }
        if (!exited) {
            giveUp(name, "a worker did not stop within 5 s after the device was removed");
            return;
        }
        gone.stopFd().close();
        gone.device().close();
        // 2. the same device again, with backoff, until it works or the give-up time has passed
        long backoffMs = 10;
        int attempts = 0;
        String last = "";
        while (true) {
            synchronized (this) {
                if (stopping) {
                    recreator = null;
                    return;
                }
            }
            attempts++;
            TunDevice dev = null;
            try {
                dev = TunDevice.open(name, gone.device().queues(), gone.device().vnetHeader(),
                        gone.device().offload());
                setup.apply(dev);
                synchronized (this) {
                    if (stopping) {
                        dev.close();
                        recreator = null;
                        return;
                    }
                    current = launch(dev);
                    recreations++;
                    recreator = null;
                }
                log.accept("level=info event=tun_device_recreated device=" + dev.name() + " queues=" + dev.queues()
                        + " vnet_header=" + dev.vnetHeader() + " attempts=" + attempts + " ms="
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
                return;
            } catch (TunException | RuntimeException e) {
                if (dev != null) dev.close();
                last = e.getMessage();
            }
            if (System.nanoTime() - t0 > giveUpNanos) {
                giveUp(name, "re-creating it keeps failing (" + attempts + " attempts in "
                        + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0) + " s): " + last);
                return;
            }
            try {
                Thread.sleep(backoffMs);
            } catch (InterruptedException e) {
                giveUp(name, "interrupted while re-creating it");
                return;
            }
            backoffMs = Math.min(backoffMs * 2, 1000);
        }
    }

    private void giveUp(String name, String why) {
        synchronized (this) {
            recreator = null;
        }
        log.accept("level=error event=tun_device_recreate_failed device=" + name + " error=\""
                + why.replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
        onFailure.failed(-1, "TUN device " + name + " was removed and " + why + "; giving up");
    }

    private static boolean join(Thread[] threads, long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        boolean all = true;
        for (Thread t : threads) {
            long left = deadline - System.nanoTime();
            try {
                if (left > 0) t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            all &= !t.isAlive();
        }
        return all;
    }

    /**
     * Stops reading: each worker finishes the packet in flight and exits. Waits up to {@code timeout} in all.
     * A device this plane re-created is closed here (which removes it); the one it was started with is the
     * caller's to close.
     *
     * @return true when every worker exited in time (only then may the device's fds be closed)
     */
    public boolean stop(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        Generation g;
        Thread r;
        synchronized (this) {
            stopping = true;
            g = current;
            r = recreator;
        }
        if (r != null) r.join(Math.max(1, unit.toMillis(timeout)));
        synchronized (this) {
            g = current; // a re-creation may have finished meanwhile
        }
        if (g == null) return r == null || !r.isAlive();
        for (TunWorker w : g.workers()) w.stop();
        g.stopFd().signal();
        boolean all = join(g.threads(), Math.max(0, deadline - System.nanoTime()));
        if (Thread.interrupted()) throw new InterruptedException();
        if (all) {
            g.stopFd().close();
            if (g.device() != original) g.device().close();
        }
        return all;
    }

    /** How many times the device was re-created after being removed. */
    public synchronized int recreations() {
        return recreations;
    }

    /** Sums of the queues' counters (including those of workers before a re-creation), non-zero ones only. */
    public synchronized Map<TunStat, Long> stats() {
        Map<TunStat, Long> m = new EnumMap<>(TunStat.class);
        for (TunStat s : TunStat.values()) {
            long v = retired[s.ordinal()];
            if (current != null) for (TunWorker w : current.workers()) v += w.stat(s);
            if (v != 0) m.put(s, v);
        }
        return m;
    }
}
