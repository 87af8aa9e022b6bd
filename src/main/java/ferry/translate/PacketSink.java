package ferry.translate;

import java.lang.foreign.MemorySegment;

/**
 * Receives each packet the translator emits (translations, fragments, generated ICMP errors), synchronously:
 * the bytes are only valid during the call (the translator may reuse the buffer right after it returns).
 * Each packet is one raw IP datagram (IPv4 or IPv6, told apart by the version nibble).
 */
@FunctionalInterface
public interface PacketSink {
    void emit(MemorySegment buf, long off, int len);
}
