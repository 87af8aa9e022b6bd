package ferry.io.tun;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The workers of one {@link TunDevice}: one {@link TunWorker} per queue, each on its own platform thread (named
 * {@code ferry-tun-qN}), and the {@link EventFd} that wakes them to stop. Stop it before closing the device: fds
 * are closed only after the workers have exited (DESIGN.md).
 */
public final class TunDataplane {
    private final TunWorker[] workers;
    private final Thread[] threads;
    private final EventFd stopFd;

    private TunDataplane(TunWorker[] workers, Thread[] threads, EventFd stopFd) {
        this.workers = workers;
        this.threads = threads;
        this.stopFd = stopFd;
    }

    /**
     * Starts one worker per queue of {@code device}.
     *
     * @param headroom    bytes handlers may write before a packet
     * @param factories   the current handler factory, read by the workers between packets
     * @param onFailure   told when a worker gives up (persistent read errors)
     * @param giveUpAfter how long read errors may last before a worker gives up
     */
    public static TunDataplane start(TunDevice device, int headroom, Supplier<PacketHandler.Factory> factories,
                                     TunWorker.FailureListener onFailure, long giveUpAfter, TimeUnit unit)
            throws TunException {
        EventFd stopFd = EventFd.create();
        int n = device.queues();
        TunWorker[] workers = new TunWorker[n];
        Thread[] threads = new Thread[n];
        for (int q = 0; q < n; q++) {
            workers[q] = new TunWorker(q, device.fd(q), device.vnetHeader(), headroom, stopFd, factories, onFailure,
                    giveUpAfter, unit);
            threads[q] = Thread.ofPlatform().name("ferry-tun-q" + q).daemon(true).unstarted(workers[q]);
        }
        for (Thread t : threads) t.start();
        return new TunDataplane(workers, threads, stopFd);
    }

    /**
     * Stops reading: each worker finishes the packet in flight and exits. Waits up to {@code timeout} in all.
     *
     * @return true when every worker exited in time (only then may the device's fds be closed)
     */
    public boolean stop(long timeout, TimeUnit unit) throws InterruptedException {
        for (TunWorker w : workers) w.stop();
        stopFd.signal();
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        boolean all = true;
        for (Thread t : threads) {
            long left = deadline - System.nanoTime();
            if (left > 0) t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            all &= !t.isAlive();
        }
        if (all) stopFd.close();
        return all;
    }

    /** Sums of the queues' counters, non-zero ones only, in declaration order. */
    public Map<TunStat, Long> stats() {
        Map<TunStat, Long> m = new EnumMap<>(TunStat.class);
        for (TunStat s : TunStat.values()) {
            long v = 0;
            for (TunWorker w : workers) v += w.stat(s);
            if (v != 0) m.put(s, v);
        }
        return m;
    }
}
