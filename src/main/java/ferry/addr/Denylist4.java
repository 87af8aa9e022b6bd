package ferry.addr;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * Jool's {@code denylist4}: IPv4 prefixes that must not be translated through pool6 (RFC 6052), immutable and
 * thread-safe. {@link #contains} allocates nothing and costs one binary search over the merged, sorted ranges.
 */
public final class Denylist4 {
    /** The empty denylist. */
    public static final Denylist4 EMPTY = of(List.of());

    private final List<Prefix4> prefixes;
    // Merged disjoint ranges, sorted; stored with the sign bit flipped so signed int comparison is unsigned order.
    private final int[] starts;
    private final int[] ends;

    private Denylist4(List<Prefix4> prefixes, int[] starts, int[] ends) {
        this.prefixes = prefixes;
        this.starts = starts;
        this.ends = ends;
    }

    /** Builds a denylist; overlapping and adjacent prefixes are merged for lookup, {@link #prefixes()} keeps them. */
    public static Denylist4 of(Collection<Prefix4> prefixes) {
        List<Prefix4> copy = List.copyOf(prefixes);
        long[][] ranges = new long[copy.size()][];
        for (int i = 0; i < ranges.length; i++) {
            Prefix4 p = copy.get(i);
            long start = p.addr() & 0xffff_ffffL;
            ranges[i] = new long[] {start, start + p.size() - 1};
        }
        Arrays.sort(ranges, (a, b) -> Long.compare(a[0], b[0]));
        List<long[]> merged = new ArrayList<>();
        for (long[] r : ranges) {
            long[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last != null && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
            else merged.add(new long[] {r[0], r[1]});
        }
        int[] starts = new int[merged.size()], ends = new int[merged.size()];
        for (int i = 0; i < starts.length; i++) {
            starts[i] = (int) merged.get(i)[0] ^ Integer.MIN_VALUE;
            ends[i] = (int) merged.get(i)[1] ^ Integer.MIN_VALUE;
        }
        return new Denylist4(copy, starts, ends);
    }

    /** True when {@code v4} lies in one of the prefixes. */
    public boolean contains(int v4) {
        int key = v4 ^ Integer.MIN_VALUE;
        int lo = 0, hi = starts.length - 1, found = -1;
        while (lo <= hi) { // last range whose start <= key
            int mid = (lo + hi) >>> 1;
            if (starts[mid] <= key) { found = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        return found >= 0 && key <= ends[found];
    }

    /** The prefixes as given. */
    public List<Prefix4> prefixes() {
        return prefixes;
    }

    public boolean isEmpty() {
        return prefixes.isEmpty();
    }

    @Override
    public String toString() {
        return "Denylist4" + prefixes;
    }
}
