package ferry.nat64;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Ipv4;
import ferry.addr.Prefix4;
import ferry.packet.IpProto;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The session table's own structures: the timer wheel (lazy refresh, lifetimes longer than the wheel, lowered
 * lifetimes, clock jumps and steps back), the seqlock that lock-free readers validate with, and the bounded
 * lock-free finders.
 */
class SessionTableTest {
    static final long SEC = 1_000_000_000L;
    static final long T0 = 100_000 * SEC;
    static final int Y = Ipv4.parse("198.51.100.7");
    /** Two timer classes: a long one (longer than the wheel turn) and a short one. */
    static final long LONG = 7440 * SEC, SHORT = 240 * SEC;

    final Pool4 pool4 = new Pool4(List.of(new Pool4.Entry(IpProto.UDP, Prefix4.parse("203.0.113.0/30"), 1024, 65535, 0)),
            11, 3);
    final SessionTable t = new SessionTable(IpProto.UDP, pool4.of(IpProto.UDP), 64, 64, new long[] {LONG, SHORT}, null);
    int nextPort = 1024;

    /** A BIB entry for (2001:db8::host, 5000) with one session to Y:53 in {@code cls}, created at {@code now}. */
    int[] flow(long host, int cls, long now) {
        int bucket = t.bucket(0x20010db8L << 32, host, 5000);
        int stripe = SessionTable.stripeOfBucket(bucket);
        t.lock(stripe);
        try {
            int b = t.allocBib(stripe);
            int slot = t.pool.slotOf(Ipv4.parse("203.0.113.1"), nextPort++);
            assertThat(Pool4.claim(t.pool, slot, b, now / SEC)).isTrue();
            t.linkBib(b, bucket, 0x20010db8L << 32, host, 5000, slot, false, now);
            int s = t.newSession(stripe, b, Y, 53, 0, cls, now);
            assertThat(s).isNotNegative();
            return new int[] {stripe, b, s};
        } finally {
            t.unlock(stripe);
        }
    }

    int expire(long now) {
        return t.expire(now, (tab, s) -> -1);
    }

    @Test
    void aLifetimeLongerThanTheWheelTurnEndsExactlyOnTimeWhetherExpiryRunsOftenOrOnce() {
        assertThat(LONG).isGreaterThan(SessionTable.WHEEL * SEC);
        flow(1, 0, T0);
        for (long at = T0; at < T0 + LONG; at += 7 * SEC) assertThat(expire(at)).isZero();
        assertThat(expire(T0 + LONG - 1)).isZero();
        assertThat(t.liveSessions.get()).isEqualTo(1);
        assertThat(expire(T0 + LONG)).isEqualTo(1);
        assertThat(t.liveSessions.get()).isZero();
        assertThat(t.liveBibs.get()).isZero();

        flow(2, 0, T0 + LONG);
        assertThat(expire(T0 + 2 * LONG - 1)).isZero(); // one jump of almost two wheel turns... and more
        assertThat(expire(T0 + 2 * LONG)).isEqualTo(1);
    }

    @Test
    void aRefreshWithoutTheLockOnlyRaisesTheExpiryWordAndExpiryFindsTheSessionWhereItLeftIt() {
        int s = flow(1, 1, T0)[2];
        long seen = t.sExpires(s);
        assertThat(t.touch(s, seen, 1, T0 + 200 * SEC)).isTrue();
        assertThat(t.sExpires(s)).isEqualTo(T0 + 200 * SEC + SHORT);
        assertThat(expire(T0 + SHORT)).isZero(); // its old bucket is walked: moved on, not deleted
        assertThat(expire(T0 + 200 * SEC + SHORT - 1)).isZero();
        assertThat(expire(T0 + 200 * SEC + SHORT)).isEqualTo(1);
    }

    @Test
    void aLockFreeRefreshFromAStaleSnapshotFailsAndLeavesTheWordAlone() {
        int s = flow(1, 1, T0)[2];
        long seen = t.sExpires(s);
        assertThat(t.touch(s, seen, 1, T0 + 10 * SEC)).isTrue();
        assertThat(t.touch(s, seen, 1, T0 + 20 * SEC)).as("seen is stale now").isFalse();
        assertThat(t.sExpires(s)).isEqualTo(T0 + 10 * SEC + SHORT);
        assertThat(t.touch(s, t.sExpires(s), 1, T0 + 5 * SEC)).as("an older packet: nothing to write").isTrue();
        assertThat(t.sExpires(s)).isEqualTo(T0 + 10 * SEC + SHORT);
    }

    @Test
    void loweringALifetimeMovesTheSessionToItsEarlierBucket() {
        int[] f = flow(1, 0, T0);
        t.lock(f[0]);
        try {
            t.refresh(f[0], f[2], 1, T0 + 10 * SEC); // long -> short: expires at T0 + 250 s, not T0 + 7440 s
        } finally {
            t.unlock(f[0]);
        }
        assertThat(expire(T0 + 10 * SEC + SHORT - 1)).isZero();
        assertThat(expire(T0 + 10 * SEC + SHORT)).isEqualTo(1);
    }

    @Test
    void aClockThatStepsBackNeitherLosesNorExpiresSessionsEarly() {
        flow(1, 1, T0);
        assertThat(expire(T0 + 100 * SEC)).isZero();
        assertThat(expire(T0 - 5000 * SEC)).isZero();
        flow(2, 1, T0 - 4000 * SEC); // created "in the past": due at T0 - 3760 s, examined at the next walk
        assertThat(expire(T0 + 101 * SEC)).isEqualTo(1);
        assertThat(expire(T0 + SHORT)).isEqualTo(1);
        assertThat(t.liveSessions.get()).isZero();
    }

    @Test
    void manySessionsInOneSecondAndDeletionsFromTheMiddleOfABucketKeepTheWheelConsistent() {
        int n = 40;
        int[][] f = new int[n][];
        for (int i = 0; i < n; i++) f[i] = flow(i + 1, 1, T0 + i); // same second: one bucket per stripe
        // keep the odd ones alive, let the even ones go
        for (int i = 1; i < n; i += 2) assertThat(t.touch(f[i][2], t.sExpires(f[i][2]), 1, T0 + 60 * SEC)).isTrue();
        assertThat(expire(T0 + SHORT + SEC)).isEqualTo(n / 2);
        assertThat(t.liveSessions.get()).isEqualTo(n / 2);
        assertThat(expire(T0 + 60 * SEC + SHORT)).isEqualTo(n / 2);
        assertThat(t.liveBibs.get()).isZero();
        // every row came back: the table can be filled again
        for (int i = 0; i < 64; i++) flow(1000 + i, 1, T0 + 600 * SEC);
        assertThat(t.liveSessions.get()).isEqualTo(64);
    }

    @Test
    void aReaderThatOverlapsAWriterSeesAnInvalidSnapshot() {
        int[] f = flow(1, 1, T0);
        int b = f[1];
        int v = t.readBegin(b);
        assertThat(t.readValid(b, v)).isTrue();
        t.lock(f[0]);
        try {
            t.writeBegin(b);
            assertThat(t.readValid(b, t.readBegin(b))).as("a writer is at work").isFalse();
            t.writeEnd(b);
            assertThat(t.readValid(b, v)).as("the row changed since").isFalse();
            int v2 = t.readBegin(b);
            t.setSState(f[2], 3);
            assertThat(t.readValid(b, v2)).as("a state change is a versioned write").isFalse();
            int v3 = t.readBegin(b);
            t.deleteSession(f[0], f[2], T0);
            assertThat(t.readValid(b, v3)).as("deleting a session and its BIB entry").isFalse();
        } finally {
            t.unlock(f[0]);
        }
    }

    @Test
    void lockFreeFindersFollowTheChainsAndMissWhatIsGone() {
        int[] a = flow(1, 1, T0), c = flow(2, 1, T0);
        long hi = 0x20010db8L << 32;
        assertThat(t.find6Fast(t.bucket(hi, 1, 5000), hi, 1, 5000)).isEqualTo(a[1]);
        assertThat(t.find6Fast(t.bucket(hi, 2, 5000), hi, 2, 5000)).isEqualTo(c[1]);
        assertThat(t.find6Fast(t.bucket(hi, 3, 5000), hi, 3, 5000)).isEqualTo(SessionTable.NIL);
        assertThat(t.findSessionFast(a[1], Y, 53)).isEqualTo(a[2]);
        assertThat(t.findSessionFast(a[1], Y, 54)).isEqualTo(SessionTable.NIL);
        expire(T0 + SHORT);
        assertThat(t.find6Fast(t.bucket(hi, 1, 5000), hi, 1, 5000)).isEqualTo(SessionTable.NIL);
    }
}
