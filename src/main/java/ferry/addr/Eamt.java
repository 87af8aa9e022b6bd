package ferry.addr;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The Explicit Address Mapping Table of RFC 7757: immutable, safe to share between threads, and looked up without
 * allocation in both directions with longest-prefix match.
 *
 * <p>Lookups do not scan the table: there is one open-addressing hash table (primitive arrays, load ≤ 1/2) per
 * distinct prefix length, probed from the longest length to the shortest. A lookup costs at most one probe sequence
 * per distinct length present (≤ 33 for IPv4, ≤ 129 for IPv6; real tables have a handful).
 *
 * <p><b>Overlap</b> (as Jool does it): two entries may not share the same IPv4 prefix or the same IPv6 prefix —
 * {@link #of} refuses that, like Jool refuses it even with {@code --force}. Entries whose prefixes nest (one contains
 * the other) are accepted, and the longest match wins in each direction (RFC 7757 §3.2: "the EAM with the longest
 * matching prefix"; Jool's documentation: "When overlapping EAMT entries exist, Jool picks based on longest match
 * prefix"). This can make the mapping asymmetric; Jool's userspace refuses such entries unless {@code --force} is
 * given, which a caller implements with {@link #overlaps(List)} (the config parser does).
 *
 * <p>Indices returned by {@link #find4} / {@link #find6} are positions in {@link #entries()}.
 */
public final class Eamt {
    /** The table with no entries. */
    public static final Eamt EMPTY = of(List.of());

    private final List<EamEntry> entries;

    // Per entry (index = position in entries).
    private final int[] p4;        // IPv4 prefix address
    private final int[] suffix4;   // mask of the IPv4 suffix bits
    private final long[] p6hi, p6lo;
    private final int[] shift;     // bit position (from the LSB of the 128-bit address) of the IPv4 suffix's LSB

    // IPv4 direction: one hash per distinct length, longest first.
    private final int[] masks4;
    private final int[][] keys4;
    private final int[][] vals4;

    // IPv6 direction.
    private final long[] masks6hi, masks6lo;
    private final long[][] keys6hi, keys6lo;
    private final int[][] vals6;

    private Eamt(List<EamEntry> entries) {
        this.entries = entries;
        int n = entries.size();
        p4 = new int[n];
        suffix4 = new int[n];
        p6hi = new long[n];
        p6lo = new long[n];
        shift = new int[n];
        for (int i = 0; i < n; i++) {
            EamEntry e = entries.get(i);
            int s4 = 32 - e.v4().len();
            p4[i] = e.v4().addr();
            suffix4[i] = s4 == 32 ? -1 : (1 << s4) - 1;
            p6hi[i] = e.v6().hi();
            p6lo[i] = e.v6().lo();
            shift[i] = 128 - e.v6().len() - s4;
        }

        int[] lens4 = distinctLengthsDescending(entries, true);
        masks4 = new int[lens4.length];
        keys4 = new int[lens4.length][];
        vals4 = new int[lens4.length][];
        for (int t = 0; t < lens4.length; t++) {
            int len = lens4[t];
            int count = 0;
            for (EamEntry e : entries) if (e.v4().len() == len) count++;
            int cap = capacity(count);
            int[] k = new int[cap], v = new int[cap];
            Arrays.fill(v, -1);
            for (int i = 0; i < n; i++) {
                EamEntry e = entries.get(i);
                if (e.v4().len() != len) continue;
                int h = hash4(e.v4().addr()) & (cap - 1);
                while (v[h] >= 0) h = (h + 1) & (cap - 1);
                k[h] = e.v4().addr();
                v[h] = i;
            }
            masks4[t] = Ipv4.mask(len);
            keys4[t] = k;
            vals4[t] = v;
        }

        int[] lens6 = distinctLengthsDescending(entries, false);
        masks6hi = new long[lens6.length];
        masks6lo = new long[lens6.length];
        keys6hi = new long[lens6.length][];
        keys6lo = new long[lens6.length][];
        vals6 = new int[lens6.length][];
        for (int t = 0; t < lens6.length; t++) {
            int len = lens6[t];
            int count = 0;
            for (EamEntry e : entries) if (e.v6().len() == len) count++;
            int cap = capacity(count);
            long[] kh = new long[cap], kl = new long[cap];
            int[] v = new int[cap];
            Arrays.fill(v, -1);
            for (int i = 0; i < n; i++) {
                EamEntry e = entries.get(i);
                if (e.v6().len() != len) continue;
                int h = hash6(e.v6().hi(), e.v6().lo()) & (cap - 1);
                while (v[h] >= 0) h = (h + 1) & (cap - 1);
                kh[h] = e.v6().hi();
                kl[h] = e.v6().lo();
                v[h] = i;
            }
            masks6hi[t] = Ipv6.maskHi(len);
            masks6lo[t] = Ipv6.maskLo(len);
            keys6hi[t] = kh;
            keys6lo[t] = kl;
            vals6[t] = v;
        }
    }

    /**
     * Builds a table. Refuses (with {@link IllegalArgumentException} naming both entries) two entries with the same
     * IPv4 prefix or the same IPv6 prefix; accepts nested prefixes (longest match wins). Cost O(n log n).
     */
    public static Eamt of(List<EamEntry> entries) {
        List<EamEntry> copy = List.copyOf(entries);
        List<Conflict> dups = duplicates(copy);
        if (!dups.isEmpty())
            throw new IllegalArgumentException(String.join("; ", dups.stream().map(Conflict::message).toList()));
        return new Eamt(copy);
    }

    /** The entries, in the order given to {@link #of}; {@code find4}/{@code find6} return indices into this list. */
    public List<EamEntry> entries() {
        return entries;
    }

    public int size() {
        return entries.size();
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** Entry {@code idx}. */
    public EamEntry entry(int idx) {
        return entries.get(idx);
    }

    // ---------------------------------------------------------------------------------------------- lookups

    /** RFC 7757 §3.2 (IPv4 to IPv6): index of the entry whose IPv4 prefix is the longest match for {@code v4}, or -1. */
    public int find4(int v4) {
        for (int t = 0; t < masks4.length; t++) {
            int key = v4 & masks4[t];
            int[] k = keys4[t], v = vals4[t];
            int m = k.length - 1;
            int h = hash4(key) & m;
            int idx;
            while ((idx = v[h]) >= 0) {
                if (k[h] == key) return idx;
                h = (h + 1) & m;
            }
        }
        return -1;
    }

    /**
     * RFC 7757 §3.2: high 64 bits of the IPv6 address for {@code v4} through entry {@code idx}: the entry's IPv6 prefix
     * followed by the IPv4 suffix bits (the bits of {@code v4} after the entry's IPv4 prefix), remaining bits zero.
     */
    public long hi6(int idx, int v4) {
        long suf = (v4 & suffix4[idx]) & 0xffff_ffffL;
        int sh = shift[idx];
        long bits;
        if (sh >= 128) bits = 0;
        else if (sh >= 64) bits = suf << (sh - 64);
        else if (sh == 0) bits = 0;
        else bits = suf >>> (64 - sh);
        return p6hi[idx] | bits;
    }

    /** Low 64 bits of the IPv6 address for {@code v4} through entry {@code idx} (see {@link #hi6}). */
    public long lo6(int idx, int v4) {
        long suf = (v4 & suffix4[idx]) & 0xffff_ffffL;
        int sh = shift[idx];
        return p6lo[idx] | (sh >= 64 ? 0 : suf << sh);
    }

    /** RFC 7757 §3.2 (IPv6 to IPv4): index of the entry whose IPv6 prefix is the longest match, or -1. */
    public int find6(long hi, long lo) {
        for (int t = 0; t < masks6hi.length; t++) {
            long kh = hi & masks6hi[t], kl = lo & masks6lo[t];
            long[] khs = keys6hi[t], kls = keys6lo[t];
            int[] v = vals6[t];
            int m = v.length - 1;
            int h = hash6(kh, kl) & m;
            int idx;
            while ((idx = v[h]) >= 0) {
                if (khs[h] == kh && kls[h] == kl) return idx;
                h = (h + 1) & m;
            }
        }
        return -1;
    }

    /**
     * RFC 7757 §3.2: the IPv4 address for the IPv6 address {@code hi:lo} through entry {@code idx}: the entry's IPv4
     * prefix followed by the IPv6 bits right after the entry's IPv6 prefix. IPv6 bits past those are ignored.
     */
    public int v4(int idx, long hi, long lo) {
        int sh = shift[idx];
        long bits;
        if (sh >= 128) bits = 0;
        else if (sh >= 64) bits = hi >>> (sh - 64);
        else if (sh == 0) bits = lo;
        else bits = (lo >>> sh) | (hi << (64 - sh));
        return p4[idx] | ((int) bits & suffix4[idx]);
    }

    // ---------------------------------------------------------------------------------------------- validation

    /**
     * Entries that share an IPv4 prefix or an IPv6 prefix (refused by {@link #of}, and by Jool even with --force),
     * one message per collision naming both entries. O(n log n).
     */
    public static List<Conflict> duplicates(List<EamEntry> entries) {
        List<Conflict> out = new ArrayList<>();
        Integer[] by4 = sortedIndices(entries, true);
        for (int i = 1; i < by4.length; i++) {
            EamEntry a = entries.get(by4[i - 1]), b = entries.get(by4[i]);
            if (a.v4().equals(b.v4()))
                out.add(conflict(by4[i], by4[i - 1], "EAM entries [" + entries.get(Math.min(by4[i], by4[i - 1]))
                        + "] and [" + entries.get(Math.max(by4[i], by4[i - 1])) + "] have the same IPv4 prefix " + a.v4()));
        }
        Integer[] by6 = sortedIndices(entries, false);
        for (int i = 1; i < by6.length; i++) {
            EamEntry a = entries.get(by6[i - 1]), b = entries.get(by6[i]);
            if (a.v6().equals(b.v6()))
                out.add(conflict(by6[i], by6[i - 1], "EAM entries [" + entries.get(Math.min(by6[i], by6[i - 1]))
                        + "] and [" + entries.get(Math.max(by6[i], by6[i - 1])) + "] have the same IPv6 prefix " + a.v6()));
        }
        return out;
    }

    /**
     * Pairs of entries whose different-length prefixes nest (on either side): allowed by {@link #of} (longest match
     * wins) but refused by Jool's userspace unless --force. One message per nested pair found, naming both entries;
     * each entry is reported against the closest entry that contains it. O(n log n).
     */
    public static List<Conflict> overlaps(List<EamEntry> entries) {
        List<Conflict> out = new ArrayList<>();
        // Sorted by start address, then by length ascending: a prefix that contains another comes first, and
        // every container of an entry is on the stack when the entry is reached.
        Integer[] by4 = sortedIndices(entries, true);
        int[] stack = new int[by4.length];
        int top = 0;
        for (int i : by4) {
            Prefix4 p = entries.get(i).v4();
            while (top > 0 && !contains(entries.get(stack[top - 1]).v4(), p)) top--;
            if (top > 0 && entries.get(stack[top - 1]).v4().len() != p.len())
                out.add(new Conflict(i, stack[top - 1], "IPv4 prefix " + p + " of EAM entry [" + entries.get(i)
                        + "] lies inside EAM entry [" + entries.get(stack[top - 1]) + "]"));
            stack[top++] = i;
        }
        Integer[] by6 = sortedIndices(entries, false);
        top = 0;
        for (int i : by6) {
            Prefix6 p = entries.get(i).v6();
            while (top > 0 && !contains(entries.get(stack[top - 1]).v6(), p)) top--;
            if (top > 0 && entries.get(stack[top - 1]).v6().len() != p.len())
                out.add(new Conflict(i, stack[top - 1], "IPv6 prefix " + p + " of EAM entry [" + entries.get(i)
                        + "] lies inside EAM entry [" + entries.get(stack[top - 1]) + "]"));
            stack[top++] = i;
        }
        return out;
    }

    /**
     * A conflict between two entries of a list: {@code index} is the entry the message is about (for a duplicate,
     * the later of the two in the list), {@code other} the entry it collides with.
     */
    public record Conflict(int index, int other, String message) {}

    private static Conflict conflict(int a, int b, String message) {
        return new Conflict(Math.max(a, b), Math.min(a, b), message);
    }

    private static boolean contains(Prefix4 outer, Prefix4 inner) {
        return outer.len() <= inner.len() && outer.contains(inner.addr());
    }

    private static boolean contains(Prefix6 outer, Prefix6 inner) {
        return outer.len() <= inner.len() && outer.contains(inner.hi(), inner.lo());
    }

    private static Integer[] sortedIndices(List<EamEntry> entries, boolean v4) {
        Integer[] idx = new Integer[entries.size()];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Comparator<Integer> c = v4
                ? Comparator.<Integer>comparingLong(i -> entries.get(i).v4().addr() & 0xffff_ffffL)
                        .thenComparingInt(i -> entries.get(i).v4().len())
                : Comparator.<Integer, Long>comparing(i -> entries.get(i).v6().hi(), Long::compareUnsigned)
                        .thenComparing(i -> entries.get(i).v6().lo(), Long::compareUnsigned)
                        .thenComparingInt(i -> entries.get(i).v6().len());
        Arrays.sort(idx, c);
        return idx;
    }

    // ---------------------------------------------------------------------------------------------- hashing

    private static int[] distinctLengthsDescending(List<EamEntry> entries, boolean v4) {
        boolean[] seen = new boolean[129];
        for (EamEntry e : entries) seen[v4 ? e.v4().len() : e.v6().len()] = true;
        int count = 0;
        for (boolean b : seen) if (b) count++;
        int[] out = new int[count];
        int j = 0;
        for (int len = 128; len >= 0; len--) if (seen[len]) out[j++] = len;
        return out;
    }

    private static int capacity(int count) {
        int cap = 2;
        while (cap < count * 2) cap <<= 1;
        return cap;
    }

    private static int hash4(int key) {
        int h = key * 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    private static int hash6(long hi, long lo) {
        long h = hi * 0x9E3779B97F4A7C15L + lo;
        h ^= h >>> 32;
        h *= 0xC2B2AE3D27D4EB4FL;
        h ^= h >>> 29;
        return (int) h;
    }

    @Override
    public String toString() {
        return "Eamt" + entries;
    }
}
