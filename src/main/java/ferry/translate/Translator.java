package ferry.translate;

import java.lang.foreign.MemorySegment;

/**
 * The one-function facade over RFC 7915 translation in both directions. An instance belongs to one thread (it
 * owns flyweights and scratch buffers); make one per worker.
 *
 * <p>The input packet lies at {@code buf[off, off+len)}. The translator may rewrite it in place and may write up
 * to {@link #HEADROOM} bytes before {@code off} (so 4→6 can prepend its larger header without copying the
 * payload), and anywhere after it up to {@code buf.byteSize()}. Every emitted packet goes to {@code sink} before
 * this method returns.
 */
public interface Translator {
    /** Bytes the caller must leave writable before {@code off}: 20 (IPv6 − IPv4 header) + 8 (Fragment header) + slack. */
    int HEADROOM = 64;

    /** Translates one raw IP packet (IPv4 → IPv6 or IPv6 → IPv4 by its version nibble). Never throws. */
    Verdict translate(MemorySegment buf, long off, int len, PacketSink sink);

    /**
     * Like {@link #translate(MemorySegment, long, int, PacketSink)}, at time {@code now} (nanoseconds, any fixed
     * origin, from the caller: a pcap timestamp, or one clock read per batch). Stateful modes (NAT64) use it for
     * session lifetimes; the translator itself never reads a clock. The default ignores the time.
     */
    default Verdict translate(MemorySegment buf, long off, int len, long now, PacketSink sink) {
        return translate(buf, off, len, sink);
    }

    /**
     * Translates a batch: packets {@code i < n} at {@code bufs[i][offs[i], offs[i]+lens[i])}, exactly as {@code n}
     * calls of {@link #translate(MemorySegment, long, int, long, PacketSink)} in this order would (the same packets
     * to {@code sink} in the same order, verdict {@code i} in {@code verdicts[i]}; the same segment may appear with
     * several offsets). A stateful mode uses the batch to look its flows up with the memory loads of all packets
     * overlapping (one pass per dependent step over the whole batch) before it translates them one by one: with
     * large tables most of a lookup's time is cache and TLB misses, which the CPU overlaps when they are independent.
     * Allocates nothing. The default translates one packet after the other.
     */
    default void translate(MemorySegment[] bufs, long[] offs, int[] lens, int n, long now, PacketSink sink,
                           Verdict[] verdicts) {
        for (int i = 0; i < n; i++) verdicts[i] = translate(bufs[i], offs[i], lens[i], now, sink);
    }

    /**
     * True when the batch call above does better than one call per packet (a stateful mapper that looks its flows up
     * ahead: NAT64), so a caller that can gather packets (a TUN worker) should hand them over in batches. The
     * default: false (the batch call would only loop).
     */
    default boolean batches() {
        return false;
    }

    /**
     * Called by the I/O loop when no packet has come for a while (a TUN worker whose poll timed out), at time
     * {@code now}: a stateful mode fires the timers that would otherwise wait for the next packet (RFC 6146
     * §3.5.2.2: an IPv4 SYN held 6 s is answered with ICMP 3/3; expired sessions and fragments are freed) and sends
     * what they produce to {@code sink}. Never throws. The default does nothing (stateless modes have no timers).
     */
    default void idle(long now, PacketSink sink) {
    }
}
