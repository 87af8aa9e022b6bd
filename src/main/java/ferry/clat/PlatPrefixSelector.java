package ferry.clat;

import ferry.addr.Rfc6052;
import ferry.metrics.Counter;
import ferry.metrics.Counters;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Chooses the PLAT prefix from what is known and publishes it to a {@link PlatPrefixHolder}. Precedence (RFC 9872
 * recommends PREF64 over RFC 7050; a configured prefix is the operator's word): <b>configured &gt; PREF64 in a Router
 * Advertisement &gt; RFC 7050 &gt; 64:ff9b::/96</b>.
 *
 * <ul>
 *   <li>PREF64: each prefix heard is valid for its lifetime (RFC 8781 §4: "The maximum time in units of 8 seconds
 *       over which this NAT64 prefix MAY be used"); a lifetime of 0 withdraws it at once. When several are valid,
 *       the one announced most recently wins.</li>
 *   <li>RFC 7050: the first prefix of the last answer, valid for the answer's TTL. An answer with no Well-Known
 *       Address is ignored (nothing is learned from it), and so is a failed query: what was learned before stays
 *       until its TTL runs out.</li>
 * </ul>
 *
 * Every change is applied atomically (one volatile write of an immutable value) and logged. Time is an argument
 * ({@code now}, epoch milliseconds); nothing here reads a clock. Thread-safe (synchronized: control plane only).
 */
public final class PlatPrefixSelector {
    private final Rfc6052 configured;
    private final PlatPrefixHolder holder;
    private final Consumer<String> log;
    private final Counters counters = new Counters();
    /** PREF64 prefixes heard, oldest announcement first, with their expiry. */
    private final LinkedHashMap<Rfc6052, Long> ra = new LinkedHashMap<>();
    private Rfc6052 dns;
    private long dnsExpires;

    /**
     * @param configuredOrNull the configured prefix, or null to discover
     * @param holder           where the data plane reads the prefix
     * @param log              receives one line per change
     */
    public PlatPrefixSelector(Rfc6052 configuredOrNull, PlatPrefixHolder holder, Consumer<String> log) {
        this.configured = configuredOrNull;
        this.holder = holder;
        this.log = log;
        PlatPrefix first = configured != null ? new PlatPrefix(configured, PlatSource.CONFIGURED, Long.MAX_VALUE)
                : PlatPrefix.FALLBACK;
        holder.set(first);
        log.accept("PLAT prefix " + first);
    }

    /** A holder already set to what a new selector with this configured prefix starts with. */
    public static PlatPrefixHolder initialHolder(Rfc6052 configuredOrNull) {
        return new PlatPrefixHolder(configuredOrNull != null
                ? new PlatPrefix(configuredOrNull, PlatSource.CONFIGURED, Long.MAX_VALUE) : PlatPrefix.FALLBACK);
    }

    /** A PREF64 option heard at {@code now}. */
    public synchronized void onPref64(Pref64Option o, long now) {
        ra.remove(o.prefix());
        if (o.lifetimeSeconds() > 0) ra.put(o.prefix(), now + o.lifetimeSeconds() * 1000L);
        reselect(now, "PREF64 " + o.prefix() + " lifetime " + o.lifetimeSeconds() + " s");
    }

    /**
     * An RFC 7050 answer at {@code now}: the prefixes it revealed ({@link Rfc7050#prefixes}) and the smallest TTL of
     * its AAAA records. An empty list (no Well-Known Address in the answer) is ignored.
     */
    public synchronized void onRfc7050(List<Rfc6052> prefixes, long ttlSeconds, long now) {
        if (prefixes.isEmpty()) {
            reselect(now, "lifetime ran out");
            return;
        }
        dns = prefixes.getFirst();
        dnsExpires = now + Math.max(0, ttlSeconds) * 1000L;
        reselect(now, "ipv4only.arpa answer, TTL " + ttlSeconds + " s");
    }

    /** Expires what has run out by {@code now} and reselects. */
    public synchronized void tick(long now) {
        reselect(now, "lifetime ran out");
    }

    /** The earliest expiry among the learned prefixes (to schedule the next {@link #tick}), or Long.MAX_VALUE. */
    public synchronized long nextExpiry() {
        long next = Long.MAX_VALUE;
        for (long e : ra.values()) next = Math.min(next, e);
        if (dns != null) next = Math.min(next, dnsExpires);
        return next;
    }

    /** The prefix in use. */
    public PlatPrefix current() {
        return holder.get();
    }

    /** Everything learned, for status: "pref64-ra 2001:db8:64::/96 until ...", in precedence order. */
    public synchronized List<PlatPrefix> known() {
        List<PlatPrefix> out = new ArrayList<>();
        if (configured != null) out.add(new PlatPrefix(configured, PlatSource.CONFIGURED, Long.MAX_VALUE));
        List<Map.Entry<Rfc6052, Long>> es = new ArrayList<>(ra.entrySet());
        for (int i = es.size() - 1; i >= 0; i--)
            out.add(new PlatPrefix(es.get(i).getKey(), PlatSource.PREF64_RA, es.get(i).getValue()));
        if (dns != null) out.add(new PlatPrefix(dns, PlatSource.RFC7050_DNS, dnsExpires));
        out.add(PlatPrefix.FALLBACK);
        return out;
    }

    /** Counters of the selector ({@link Counter#CLAT_PREFIX_CHANGED}). */
    public synchronized Map<Counter, Long> counters() {
        return counters.snapshot();
    }

    private void reselect(long now, String why) {
        ra.values().removeIf(e -> e <= now);
        if (dns != null && dnsExpires <= now) dns = null;
        PlatPrefix next;
        if (configured != null) {
            next = new PlatPrefix(configured, PlatSource.CONFIGURED, Long.MAX_VALUE);
        } else if (!ra.isEmpty()) {
            Map.Entry<Rfc6052, Long> latest = ra.lastEntry();
            next = new PlatPrefix(latest.getKey(), PlatSource.PREF64_RA, latest.getValue());
        } else if (dns != null) {
            next = new PlatPrefix(dns, PlatSource.RFC7050_DNS, dnsExpires);
        } else {
            next = PlatPrefix.FALLBACK;
        }
        PlatPrefix old = holder.get();
        if (next.equals(old)) return;
        holder.set(next);
        if (!next.prefix().equals(old.prefix()) || next.source() != old.source()) {
            counters.inc(Counter.CLAT_PREFIX_CHANGED);
            log.accept("PLAT prefix " + old + " -> " + next + " (" + why + ")");
        }
    }
}
