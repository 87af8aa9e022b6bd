package ferry.nat64;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Ipv4;
import ferry.addr.Prefix4;
import ferry.packet.IpProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/**
 * The IPv6 index of the session table: open addressing per stripe segment, fingerprints, backward-shift deletion,
 * fixed capacity. Keys are chosen (by trying hosts against the table's keyed hash) so that their home slots crowd
 * into a few slots of one segment, across the segment's wrap-around, so probe runs are long and deletions shift.
 */
class SessionTableIndexTest {
    static final long SEC = 1_000_000_000L, HI = 0x20010db8L << 32, T0 = 10_000 * SEC;

    static SessionTable table(int cap) {
        Pool4 pool4 = new Pool4(List.of(new Pool4.Entry(IpProto.UDP, Prefix4.parse("203.0.113.0/24"), 1024, 65535, 0)),
                11, 3);
        return new SessionTable(IpProto.UDP, pool4.of(IpProto.UDP), cap, cap, new long[] {300 * SEC}, null);
    }

    /** {@code n} hosts whose keys land in stripe 0 with home slots within {@code spread} slots around the wrap. */
    static long[] crowded(SessionTable t, int n, int spread) {
        long[] hosts = new long[n];
        int found = 0;
        // the segment size: the largest home index seen bounds it; homes live in bits 6.. of the bucket code
        for (long h = 1; found < n; h++) {
            int bucket = t.bucket(HI, h, 5000);
            if ((bucket & (SessionTable.STRIPES - 1)) != 0) continue;
            int home = bucket >>> 6 & (t.segmentSize() - 1);
            if (home < spread / 2 || home >= t.segmentSize() - spread / 2) hosts[found++] = h;
        }
        return hosts;
    }

    int port = 1024;

    int insert(SessionTable t, long host) {
        int bucket = t.bucket(HI, host, 5000);
        int stripe = SessionTable.stripeOfBucket(bucket);
        t.lock(stripe);
        try {
            if (t.find6(bucket, HI, host, 5000) != SessionTable.NIL) throw new AssertionError("already there");
            int b = t.allocBib(stripe);
            if (b == SessionTable.NIL) return b;
            int slot = t.pool.slotOf(Ipv4.parse("203.0.113.1"), port++);
            assertThat(Pool4.claim(t.pool, slot, b, T0 / SEC)).isTrue();
            t.linkBib(b, bucket, HI, host, 5000, slot, false, T0);
            return b;
        } finally {
            t.unlock(stripe);
        }
    }

    void delete(SessionTable t, long host) {
        int bucket = t.bucket(HI, host, 5000);
        int stripe = SessionTable.stripeOfBucket(bucket);
        t.lock(stripe);
        try {
            int b = t.find6(bucket, HI, host, 5000);
            assertThat(b).isNotNegative();
            t.deleteBib(stripe, b, T0);
        } finally {
            t.unlock(stripe);
        }
    }

    int find(SessionTable t, long host) {
        int bucket = t.bucket(HI, host, 5000);
        int locked = t.find6(bucket, HI, host, 5000);
        int fast = t.find6Fast(bucket, HI, host, 5000);
        // the lock-free finder gives up after FAST_STEPS slots (the caller then takes the lock): a miss is no answer
        if (fast != SessionTable.NIL) assertThat(fast).as("lock-free find of host %d", host).isEqualTo(locked);
        return locked;
    }

    @Property(tries = 200)
    void crowdedKeysStayFindableThroughAnyInsertsAndDeletions(
            @ForAll @Size(max = 300) List<@IntRange(min = 0, max = 79) Integer> ops) {
        SessionTable t = table(64);
        long[] hosts = crowded(t, 40, 12);
        Map<Long, Integer> model = new HashMap<>();
        port = 1024;
        for (int op : ops) {
            long host = hosts[op >> 1];
            if ((op & 1) == 0 && !model.containsKey(host)) model.put(host, insert(t, host));
            else if ((op & 1) == 1 && model.containsKey(host)) {
                delete(t, host);
                model.remove(host);
            }
            for (long h : hosts) {
                Integer b = model.get(h);
                assertThat(find(t, h)).isEqualTo(b == null ? SessionTable.NIL : b);
            }
        }
        assertThat(t.liveBibs.get()).isEqualTo(model.size());
    }

    @Test
    void deletingTheFirstOfAProbeRunThatWrapsShiftsTheRestBack() {
        SessionTable t = table(64);
        long[] hosts = crowded(t, 30, 4); // 30 keys with homes in 4 slots: one run of 30 across the wrap
        List<Integer> rows = new ArrayList<>();
        for (long h : hosts) rows.add(insert(t, h));
        for (int i = 0; i < hosts.length; i++) {
            delete(t, hosts[i]);
            assertThat(find(t, hosts[i])).isEqualTo(SessionTable.NIL);
            for (int j = i + 1; j < hosts.length; j++) assertThat(find(t, hosts[j])).isEqualTo(rows.get(j));
        }
        assertThat(t.liveBibs.get()).isZero();
    }

    @Test
    void keysWhoseSlotsCarryTheSameTagInOneProbeRunAreToldApartByTheirRows() {
        // a slot keeps only a tag of the key's hash code (15 bits for 65,536 rows): two keys of one probe run may
        // carry the same one, and then only the key in the row tells them apart, when found and when deleted
        SessionTable t = table(1 << 16);
        int seg = t.segmentSize();
        Map<Integer, Long> byTag = new HashMap<>();
        long a = 0, b = 0;
        for (long h = 1_000_000; b == 0; h++) { // hosts apart from crowded()'s, homes within 4 slots of the wrap
            int bucket = t.bucket(HI, h, 5000);
            int home = bucket >>> 6 & (seg - 1);
            if ((bucket & (SessionTable.STRIPES - 1)) != 0 || (home >= 4 && home < seg - 4)) continue;
            Long first = byTag.putIfAbsent(t.tag(bucket), h);
            if (first != null) {
                a = first;
                b = h;
            }
        }
        assertThat(t.bucket(HI, a, 5000)).isNotEqualTo(t.bucket(HI, b, 5000));
        long[] crowd = crowded(t, 10, 8); // one probe run around the wrap that a and b join
        for (long h : crowd) insert(t, h);
        int rowA = insert(t, a), rowB = insert(t, b);
        assertThat(find(t, a)).isEqualTo(rowA);
        assertThat(find(t, b)).isEqualTo(rowB);
        delete(t, a);
        assertThat(find(t, a)).isEqualTo(SessionTable.NIL);
        assertThat(find(t, b)).isEqualTo(rowB);
        rowA = insert(t, a);
        delete(t, b);
        assertThat(find(t, b)).isEqualTo(SessionTable.NIL);
        assertThat(find(t, a)).isEqualTo(rowA);
        for (long h : crowd) assertThat(find(t, h)).isNotNegative();
    }

    @Test
    void aFullTableRefusesTheNextEntryAndTakesItOnceOneIsDeleted() {
        SessionTable t = table(64);
        for (long h = 1; h <= 64; h++) assertThat(insert(t, h)).isNotNegative();
        assertThat(insert(t, 65)).isEqualTo(SessionTable.NIL);
        delete(t, 7);
        assertThat(insert(t, 65)).isNotNegative();
        for (long h = 1; h <= 65; h++) if (h != 7) assertThat(find(t, h)).isNotNegative();
    }

    @Test
    void aFullSegmentRefusesNewEntriesOfItsStripeOnlyAndLosesNoneOfItsOwn() {
        SessionTable t = table(5000);
        int limit = t.segmentSize() - 1;
        long[] hosts = crowded(t, limit + 1, t.segmentSize());
        for (int i = 0; i < limit; i++) assertThat(insert(t, hosts[i])).isNotNegative();
        assertThat(insert(t, hosts[limit])).as("segment of stripe 0 is full").isEqualTo(SessionTable.NIL);
        long other = 1;
        while ((t.bucket(HI, other, 5000) & (SessionTable.STRIPES - 1)) == 0) other++;
        assertThat(insert(t, other)).as("another stripe has room").isNotNegative();
        for (int i = 0; i < limit; i += 97) assertThat(find(t, hosts[i])).isNotNegative();
        assertThat(find(t, hosts[limit])).isEqualTo(SessionTable.NIL);
    }
}
