package ferry.io.tun;

import java.util.Locale;

/**
 * How a {@link TunWorker} moves packets through its queue: one {@code read(2)} and one {@code write(2)} per packet
 * ({@link #SYSCALLS}), or batches of reads and writes through an io_uring ({@link #URING}), which falls back to
 * {@link #SYSCALLS} with a log line when the kernel does not allow io_uring.
 */
public enum TunIo {
    /** read(2)/write(2) per packet, poll(2) when the queue is empty. */
    SYSCALLS("syscalls"),
    /** io_uring: reads posted on the queue in batches, writes submitted with the next batch. */
    URING("uring");

    private final String id;

    TunIo(String id) {
        this.id = id;
    }

    /** The name in the configuration file ({@code "tun": {"io": ...}}). */
    public String id() {
        return id;
    }

    /** The mode named {@code s} (case-insensitive), or null. */
    public static TunIo of(String s) {
        for (TunIo m : values()) if (m.id.equals(s.toLowerCase(Locale.ROOT))) return m;
        return null;
    }
}
