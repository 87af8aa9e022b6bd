package ferry.clat;

import ferry.addr.Rfc6052;
import java.util.Objects;

/**
 * One PLAT prefix and where it came from. Immutable, so a worker that read it sees a consistent value.
 *
 * @param prefix          the RFC 6052 prefix (any of the six lengths)
 * @param source          where it was learned
 * @param expiresAtMillis when it stops being valid (epoch milliseconds), or {@link Long#MAX_VALUE} for never
 */
public record PlatPrefix(Rfc6052 prefix, PlatSource source, long expiresAtMillis) {
    /** The well-known prefix, used when nothing else is known. */
    public static final PlatPrefix FALLBACK = new PlatPrefix(Rfc6052.of(Rfc6052.WELL_KNOWN), PlatSource.FALLBACK,
            Long.MAX_VALUE);

    public PlatPrefix {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(source, "source");
    }

    /** True when it never expires (configured or fallback). */
    public boolean permanent() {
        return expiresAtMillis == Long.MAX_VALUE;
    }

    @Override
    public String toString() {
        return prefix + " (" + source.label() + ")";
    }
}
