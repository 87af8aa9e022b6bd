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
    /** A session of BIB {@code b} to Y:{@code port}, created under its stripe. */
    int session(int stripe, int b, int port, long now) {
        t.lock(stripe);
        try {
            return t.newSession(stripe, b, Y, port, 0, 1, now);
        } finally {
            t.unlock(stripe);
        }
    }

    void delete(int stripe, int s, long now) {
        t.lock(stripe);
        try {
            t.deleteSession(stripe, s, now);
        } finally {
            t.unlock(stripe);
        }
    }

    @Test
    void aBibEntrysFirstSessionLivesInItsRowAndOthersInOrdinaryRowsAndTheHomeIsTakenAgainOnceFree() {
        int[] f = flow(1, 1, T0);
        int stripe = f[0], b = f[1], home = f[2];
        assertThat(home).as("the home session's id").isEqualTo(t.sessCap + b);
        assertThat(t.sBib(home)).isEqualTo(b);
        int second = session(stripe, b, 54, T0), third = session(stripe, b, 55, T0);
        assertThat(second).isBetween(0, t.sessCap - 1);
        assertThat(third).isBetween(0, t.sessCap - 1).isNotEqualTo(second);
        assertThat(t.findSessionFast(b, Y, 53)).isEqualTo(home);
        assertThat(t.findSessionFast(b, Y, 54)).isEqualTo(second);
        assertThat(t.sWord(home)).isEqualTo(t.sWord(t.findSession(b, Y, 53)));
        // the home session ends while the others go on; the BIB entry stays, and its next new session is home again
        delete(stripe, home, T0);
        assertThat(t.findSession(b, Y, 53)).isEqualTo(SessionTable.NIL);
        assertThat(t.findSessionFast(b, Y, 55)).isEqualTo(third);
        assertThat(t.liveSessions.get()).isEqualTo(2);
        assertThat(session(stripe, b, 56, T0)).isEqualTo(home);
        assertThat(t.sRemotePort(home)).isEqualTo(56);
        assertThat(t.findSessionFast(b, Y, 54)).isEqualTo(second);
        // a lock-free refresh of a home session writes its expiry word in the BIB row
        long seen = t.sExpires(home);
        assertThat(t.touch(home, seen, 1, T0 + 10 * SEC)).isTrue();
        assertThat(t.sExpires(home)).isEqualTo(T0 + 10 * SEC + SHORT);
        assertThat(expire(T0 + SHORT)).isEqualTo(2); // second and third; home was refreshed
        assertThat(t.liveSessions.get()).isEqualTo(1);
        assertThat(expire(T0 + 10 * SEC + SHORT)).isEqualTo(1);
        assertThat(t.liveSessions.get()).isZero();
        assertThat(t.liveBibs.get()).isZero();
    }

    @Test
    void homeSessionsCountAgainstTheSessionCapLikeAnyOther() {
        // 64 sessions at most: one per BIB entry (all home sessions), then none more, for any entry
        int[] first = flow(100, 1, T0), last = null;
        for (int i = 1; i < 64; i++) last = flow(100 + i, 1, T0);
        assertThat(t.liveSessions.get()).isEqualTo(64);
        assertThat(first[2]).isGreaterThanOrEqualTo(t.sessCap);
        assertThat(last[2]).isGreaterThanOrEqualTo(t.sessCap);
        assertThat(session(first[0], first[1], 54, T0)).isEqualTo(SessionTable.NIL);
        // one ends (its entry too): its credit returns, and a second session of another entry (an ordinary row) gets
        // it; then the table is full again
        delete(last[0], last[2], T0);
        assertThat(t.liveSessions.get()).isEqualTo(63);
        int s = session(first[0], first[1], 54, T0);
        assertThat(s).isBetween(0, t.sessCap - 1);
        assertThat(t.liveSessions.get()).isEqualTo(64);
        assertThat(session(first[0], first[1], 55, T0)).isEqualTo(SessionTable.NIL);
    }
}
