package ferry.translate;

import ferry.metrics.Counter;

/**
 * The per-mode address strategy (SIIT: EAMT then pool6; NAT64: BIB/sessions; CLAT). The translator holds one in a
 * final field and never branches on the mode. Implementations are shared by all workers and must be
 * thread-safe; they allocate nothing per call.
 *
 * <p>Conventions the translators rely on:
 * <ul>
 *   <li>The destination is mapped first. When only the source fails for lack of a mapping, the mapper returns
 *       {@link Counter#DROP_SRC_UNTRANSLATABLE} with the destination fields already set: for an ICMP error
 *       ({@link Tuple#icmpError} and not {@link Tuple#inner}) the translator then takes an RFC 6791 source.</li>
 *   <li>The source of an ICMP error is not subject to denylists ("the 'illegal' source address will be translated
 *       for the purpose of trouble shooting", RFC 7915 §4.1).</li>
 * </ul>
 */
public interface AddressMapper {
    /** IPv6 → IPv4: reads the IPv6 fields of {@code t}, sets its IPv4 fields. Returns null on success, else the drop reason. */
    Counter map64(Tuple t);

    /** IPv4 → IPv6: reads the IPv4 fields of {@code t}, sets its IPv6 fields. Returns null on success, else the drop reason. */
    Counter map46(Tuple t);

    /** True when the mapper has state worth loading ahead of a batch ({@link #lookAhead64}); stateless modes: false. */
    default boolean looksAhead() {
        return false;
    }

    /**
     * True when a batch arriving now is worth looking ahead for (asked once per batch, lock-free and cheap): {@link
     * #looksAhead} and the state is large enough that its lines may not be in the cache. A mapper whose tables all fit
     * in the core's cache says false: the look-ahead passes would only cost time there.
     */
    default boolean worthLookingAhead() {
        return looksAhead();
    }

    /**
     * Batch look-ahead, first step (see {@link Translator#translate(java.lang.foreign.MemorySegment[], long[], int[],
     * int, long, PacketSink, Verdict[])}): starts loading the state that {@link #map64} will read for an IPv6 packet
     * of protocol {@code proto} (the IPv4 number: ICMP for ICMPv6) from ({@code srcHi}, {@code srcLo}) port
     * {@code srcPort} (the Echo identifier for ICMP), and returns a token for {@link #lookAhead(long)}: 0 when there is
     * nothing more to load. Changes nothing, allocates nothing, takes no lock, never throws; a stale or wrong answer
     * costs time only, never a result. Stateless modes: 0.
     */
    default long lookAhead64(int proto, long srcHi, long srcLo, int srcPort) {
        return 0;
    }

    /** As {@link #lookAhead64}, for an IPv4 packet of protocol {@code proto} to ({@code dst4}, {@code dstPort}). */
    default long lookAhead46(int proto, int dst4, int dstPort) {
        return 0;
    }

    /**
     * Batch look-ahead, a further step: loads what a token of {@link #lookAhead64} / {@link #lookAhead46} (or of an
     * earlier step) points to and returns the next token (0: done). The caller keeps the last token it got (so no
     * load is dead code) and hands it, when the packet is translated, to {@link #map64} in {@link Tuple#hint}.
     */
    default long lookAhead(long token) {
        return 0;
    }

    /**
     * One look-ahead pass over a window: by default {@code tokens[i] = lookAhead(tokens[i])} for i in [0, n); returns
     * how many of the new tokens still have a line to load (0: a further pass would load nothing). Overridden to keep
     * the loops tight (NAT64 also takes a 6→4 packet's two lines in one pass); the default says every token may.
     */
    default int lookAhead(long[] tokens, int n) {
        for (int i = 0; i < n; i++) tokens[i] = lookAhead(tokens[i]);
        return n;
    }

    /**
     * RFC 7757 §4.2: true when {@code v4} is the IPv4 side of an explicit address mapping (an EAMT entry), so an
     * IPv4 packet to it would be translated straight back into IPv6. Modes without explicit mappings say false.
     */
    default boolean explicit4(int v4) {
        return false;
    }

    /** True when the IPv6 address maps through an explicit address mapping (an EAMT entry) rather than pool6. */
    default boolean explicit6(long hi, long lo) {
        return false;
    }

    /**
     * The mapper for the IPv4 → IPv6 leg of an EAM-hairpinned packet (RFC 7757 §4.2, §4.3): like this one, except
     * that an explicitly mapped IPv4 source (outer packet) or destination (inner packet of an ICMP error) is
     * translated with pool6, so the IPv6 receiver answers through the translator. Null when not supported.
     */
    default AddressMapper hairpinMapper() {
        return null;
    }

    /**
     * Called by the facade with the time of every packet, before it is translated: a stateful mapper expires its
     * sessions here (rate-limited by itself, so that the cost is O(1) amortised per packet). Stateless modes: no-op.
     */
    default void tick(long now) {
    }

    /**
     * Like {@link #tick(long)}, from a translator that owns {@code counters} (one worker's): a stateful mapper also
     * adds there what it counted off the packet path since the last call (fragments discarded by timeout, log
     * records dropped, ...), so that every such event ends in a named counter. The default calls {@link #tick(long)}.
     */
    default void tick(long now, ferry.metrics.Counters counters) {
        tick(now);
    }

    /**
     * Called by the facade after {@link #tick}: a stateful mapper that held IPv4 packets (RFC 6146 §3.5.2.2, an
     * unsolicited SYN kept up to 6 s) and gave up on one copies it to {@code into} at {@code off} (at most 576 bytes)
     * and returns its length, so the facade answers it with ICMPv4 Destination Unreachable, Port Unreachable (3/3);
     * 0 when there is none. Stateless modes: 0.
     */
    default int takeExpired(long now, java.lang.foreign.MemorySegment into, long off) {
        return 0;
    }

    /**
     * Called by the facade after each packet: a stateful mapper that kept packets it could not map yet (fragments
     * that came before their first fragment) copies one that it now can map to {@code into} at {@code off} (at most
     * 2048 bytes) and returns its length, and the facade translates it; 0 when there is none.
     */
    default int takeReady(java.lang.foreign.MemorySegment into, long off) {
        return 0;
    }
}
