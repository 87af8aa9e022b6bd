package ferry.translate;

import ferry.metrics.Counter;

/**
 * The per-mode address strategy (SIIT: EAMT then pool6; NAT64: BIB/sessions; CLAT). The translator holds one in a
 * final field and never branches on the mode. Implementations are shared by all workers and must be
 * thread-safe; they allocate nothing per call.
 */
public interface AddressMapper {
    /** IPv6 → IPv4: reads the IPv6 fields of {@code t}, sets its IPv4 fields. Returns null on success, else the drop reason. */
    Counter map64(Tuple t);

    /** IPv4 → IPv6: reads the IPv4 fields of {@code t}, sets its IPv6 fields. Returns null on success, else the drop reason. */
    Counter map46(Tuple t);
}
