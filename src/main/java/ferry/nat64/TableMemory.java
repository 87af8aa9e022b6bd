package ferry.nat64;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Where the NAT64 session tables keep their BIB rows: off-heap memory, zeroed, whose address is a multiple of 64
 * (a cache line), so that each 64-byte row is one line (a Java {@code long[]}'s data is only 8-byte aligned, so most
 * of its 64-byte rows would span two). The memory must stay valid while the segment is reachable and may be freed
 * once it is not (a replaced table is dropped, not closed, so the garbage collector decides).
 */
@FunctionalInterface
interface TableMemory {
    /** Returns a zeroed segment of {@code bytes} bytes (or more) at a 64-byte aligned address. */
    MemorySegment allocate(long bytes);

    /** Plain native memory from an automatic arena (freed by the garbage collector), 64-byte aligned. */
    TableMemory DEFAULT = bytes -> Arena.ofAuto().allocate(bytes, 64);
}
