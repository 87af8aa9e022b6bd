package ferry.clat;

/**
 * The PLAT prefix the data plane uses right now: an immutable {@link PlatPrefix} behind a volatile reference, so
 * discovery can swap it while workers translate, without a lock and without a restart. Workers read it once per
 * packet ({@link #get()}: one volatile read, no allocation); only {@link PlatPrefixSelector} writes it.
 */
public final class PlatPrefixHolder {
    private volatile PlatPrefix current;

    public PlatPrefixHolder(PlatPrefix initial) {
        this.current = java.util.Objects.requireNonNull(initial, "initial");
    }

    /** The prefix in use. */
    public PlatPrefix get() {
        return current;
    }

    /** Replaces the prefix in use (atomically: a packet sees the old or the new one, never a mix). */
    void set(PlatPrefix next) {
        current = java.util.Objects.requireNonNull(next, "next");
    }
}
