package ferry.nat64;

import ferry.addr.Ipv4;
import ferry.addr.Ipv6;
import ferry.packet.IpProto;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Applies a new pool4, static BIB and timeouts to running BIB/session tables in one step (issue 7 item 3, see
 * {@link Nat64Mapper#reconfigured}). Everything happens while every stripe lock of every table is held: first every
 * check (nothing has changed when one fails), then the changes, which cannot fail:
 *
 * <ol>
 *   <li>BIB entries whose IPv4 transport address is in no pool4 entry of the new configuration, and static entries
 *       the new configuration no longer has, end with their sessions (deletion records are logged, subscriber counts
 *       released, the port rests as any freed port: RFC 6888 / issue 4).</li>
 *   <li>The new pool4 numbering ({@link Pool4.Layout}) takes over the owner words of every (address, port) the old
 *       and the new pool4 share: the surviving entries' ports stay theirs (never handed out twice) and resting
 *       ports keep resting; each surviving BIB row is moved to its slot number in the new numbering.</li>
 *   <li>The new numbering is published, the new timeouts set (sessions get them at their next refresh).</li>
 *   <li>New static entries are added; one that names exactly the mapping of a live dynamic entry makes that entry
 *       static (its sessions keep working).</li>
 * </ol>
 *
 * <p>Workers take one stripe lock per packet, so holding all of them stops the tables for the time of the change
 * (proportional to the BIB rows and the pool4 pairs kept), never a packet's translation halfway: a worker's own
 * stripe lock orders it before or after the change. The one read a worker makes before its lock (the slot of an
 * IPv4 transport address) is re-validated under it ({@code Nat64Mapper.lockBibOf4}).
 *
 * <p>Packets of established flows take no lock (SessionTable, "Lock-free hits"): they validate what they read with
 * the BIB row's sequence number and the table's reconfiguration number. Every row this class changes goes through
 * the row's seqlock ({@code writeBegin}/{@code writeEnd}, inside {@code setBibSlot}, {@code makeStatic},
 * {@code deleteSession}, {@code deleteBib}, {@code linkBib}), and the whole change, layout publication included, runs
 * with the reconfiguration number odd ({@code reconfigBegin}/{@code reconfigEnd}), so a lock-free reader never pairs
 * a slot number of one numbering with the layout of the other: it fails validation and takes the locked path, which
 * waits for the change.
 */
final class TableCarryOver {
    private TableCarryOver() {
    }

    /**
     * @param tables     the running tables by {@link Pool4#index} (null: the protocol had none)
     * @param next       the new pool4, made by {@link Pool4#successor} of the running one (its pending layouts)
     * @param oldStatics the running configuration's static entries
     * @param newStatics the new configuration's
     * @param timeouts   the new lifetimes per timer class (ns), by {@link Pool4#index}
     * @param now        ns: freed ports rest from this time
     * @param notes      receives what the operator should know
     * @return the sessions ended
     * @throws IllegalArgumentException a static entry cannot be added (nothing has changed)
     */
    static int apply(SessionTable[] tables, Pool4 next, List<StaticBib> oldStatics, List<StaticBib> newStatics,
                     long[][] timeouts, long now, List<String> notes) {
        List<SessionTable> locked = new ArrayList<>();
        try {
            for (SessionTable t : tables) {
                if (t == null) continue;
                for (int s = 0; s < SessionTable.STRIPES; s++) t.lock(s);
                locked.add(t);
                t.reconfigBegin(); // lock-free readers of established flows fail validation until reconfigEnd
            }
            Plan[] plans = new Plan[3];
            for (int i = 0; i < 3; i++) {
                if (tables[i] != null) plans[i] = check(tables[i], next.pending[i], oldStatics, newStatics);
            }
            int ended = 0;
            for (int i = 0; i < 3; i++) {
                if (plans[i] != null) ended += change(tables[i], next.pending[i], plans[i], timeouts[i], now, notes);
            }
            return ended;
        } finally {
            for (SessionTable t : locked) {
                t.reconfigEnd();
                for (int s = SessionTable.STRIPES - 1; s >= 0; s--) t.unlock(s);
            }
        }
    }

    /** What {@link #change} will do to one table. */
    private record Plan(List<Integer> ending, List<Integer> toStatic, List<StaticBib> toAdd) {
    }

    private static String t4(int v4, int port) {
        return Ipv4.format(v4) + "#" + port;
    }

    /** Decides, changing nothing. */
    private static Plan check(SessionTable t, Pool4.Layout next, List<StaticBib> oldStatics, List<StaticBib> newStatics) {
        Pool4.Layout cur = t.pool.layout;
        Set<StaticBib> keep = new HashSet<>();
        for (StaticBib e : newStatics) if (e.proto() == t.proto) keep.add(e);
        List<Integer> ending = new ArrayList<>();
        Set<Integer> endingSet = new HashSet<>();
        for (int b = 0; b < t.bibCap; b++) {
            int slot = t.bSlot(b);
            if (slot < 0) continue;
            int v4 = cur.addrOf(slot), port4 = cur.portOf(slot);
            boolean outside = next.slotOf(v4, port4) < 0;
            boolean staticGone = t.bStatic(b)
                    && !keep.contains(new StaticBib(t.proto, t.bHi(b), t.bLo(b), t.bPort6(b), v4, port4));
            if (outside || staticGone) {
                ending.add(b);
                endingSet.add(b);
            }
        }
        List<Integer> toStatic = new ArrayList<>();
        List<StaticBib> toAdd = new ArrayList<>();
        Set<StaticBib> had = new HashSet<>(oldStatics);
        for (StaticBib e : keep) {
            if (next.slotOf(e.v4(), e.port4()) < 0)
                throw new IllegalArgumentException("bib entry " + e + ": the IPv4 transport address is not in pool4");
            if (had.contains(e)) continue;
            int b6 = t.find6(t.bucket(e.v6Hi(), e.v6Lo(), e.port6()), e.v6Hi(), e.v6Lo(), e.port6());
            int slot = cur.slotOf(e.v4(), e.port4());
            int b4 = slot < 0 ? SessionTable.NIL : Pool4.owner(t.pool, slot);
            if (endingSet.contains(b6)) b6 = SessionTable.NIL;
            if (b4 >= 0 && (endingSet.contains(b4) || t.bSlot(b4) != slot)) b4 = SessionTable.NIL;
            if (b4 < 0) b4 = SessionTable.NIL;
            if (b6 == SessionTable.NIL && b4 == SessionTable.NIL) {
                toAdd.add(e);
            } else if (b6 == b4) {
                toStatic.add(b6);
            } else if (b4 != SessionTable.NIL) {
                throw new IllegalArgumentException("bib entry " + e + ": the IPv4 transport address is in use by the "
                        + "dynamic BIB entry of " + Ipv6.format(t.bHi(b4), t.bLo(b4)) + "#" + t.bPort6(b4)
                        + " (it is free again when that entry's sessions end)");
            } else {
                throw new IllegalArgumentException("bib entry " + e + ": the IPv6 transport address is bound to "
                        + t4(cur.addrOf(t.bSlot(b6)), cur.portOf(t.bSlot(b6))) + " by a dynamic BIB entry (it can be"
                        + " made static with exactly that IPv4 transport address)");
            }
        }
        int rows = t.liveBibs.get() - ending.size() + toAdd.size();
        if (rows > t.bibCap) {
            throw new IllegalArgumentException(IpProto.name(t.proto) + " bib: " + rows + " entries would exceed the "
                    + t.bibCap + " rows of the running table (sized at start; restart ferry to grow it)");
        }
        return new Plan(ending, toStatic, toAdd);
    }

    /** Applies a plan; cannot fail. Returns the sessions ended. */
    private static int change(SessionTable t, Pool4.Layout next, Plan plan, long[] timeouts, long now,
                              List<String> notes) {
        int ended = 0;
        for (int b : plan.ending()) {
            int stripe = t.stripeOfBib(b);
            for (int s = t.bSessions(b); s != SessionTable.NIL; ) {
                int after = t.sNextInBib(s);
                t.deleteSession(stripe, s, now); // the last one of a dynamic entry deletes the entry too
                ended++;
                s = after;
            }
            if (t.bSlot(b) >= 0) t.deleteBib(stripe, b, now); // static, or dynamic without sessions
        }
        Pool4.Layout cur = t.pool.layout;
        next.copyOwners(cur);
        for (int b = 0; b < t.bibCap; b++) {
            int slot = t.bSlot(b);
            if (slot < 0) continue;
            int moved = next.slotOf(cur.addrOf(slot), cur.portOf(slot)); // >= 0: entries outside ended above
            t.setBibSlot(b, moved);
        }
        t.pool.publish(next);
        t.setTimeouts(timeouts);
        for (int b : plan.toStatic()) t.makeStatic(b);
        for (StaticBib e : plan.toAdd()) {
            int slot = next.slotOf(e.v4(), e.port4());
            if (next.owner.get(slot) < 0) next.owner.set(slot, 0); // an operator's entry need not wait out a rest
            Nat64Mapper.addStatic(t, e);
        }
        int pairs = next.size;
        if (pairs > t.bibCap && t.bibCap < t.sessCap) {
            notes.add(IpProto.name(t.proto) + " pool4 now has " + pairs + " (address, port) pairs, but the running table"
                    + " holds at most " + t.bibCap + " BIB entries (sized for the pool4 at start; restart to use more)");
        }
        return ended;
    }
}
