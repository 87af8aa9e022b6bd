package ferry.clat;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.addr.Rfc6052;
import ferry.metrics.Counter;
import ferry.testkit.Await;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The running discovery: RAs from a receiver thread reach the holder; close() stops everything. */
class PlatDiscoveryTest {
    /** Hands out queued RAs, waiting up to 50 ms each call like the socket's timeout. */
    static final class FakeRa implements RaReceiver {
        final LinkedBlockingQueue<List<Pref64Option>> queue = new LinkedBlockingQueue<>();
        volatile boolean closed;

        @Override
        public List<Pref64Option> receive() throws java.io.IOException {
            try {
                return queue.poll(50, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                throw new java.io.IOException(e);
            }
        }

        @Override
        public Map<Counter, Long> counters() {
            return Map.of(Counter.CLAT_RA_RECEIVED, 7L);
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void aPref64HeardByTheReceiverThreadIsAppliedAndLaterWithdrawn() throws Exception {
        PlatPrefixHolder holder = PlatPrefixSelector.initialHolder(null);
        PlatPrefixSelector sel = new PlatPrefixSelector(null, holder, s -> { });
        FakeRa ra = new FakeRa();
        Rfc6052 p = Rfc6052.parse("2001:db8:64::/96");
        try (PlatDiscovery d = new PlatDiscovery(sel, null, ra, System::currentTimeMillis, s -> { })) {
            d.start();
            ra.queue.add(List.of(new Pref64Option(p, 1800)));
            Await.until("the RA's PREF64 applied", 10, () -> holder.get().source() == PlatSource.PREF64_RA, holder::get);
            assertThat(holder.get().prefix()).isEqualTo(p);
            ra.queue.add(List.of(new Pref64Option(p, 0)));
            Await.until("the PREF64 withdrawn", 10, () -> holder.get().source() == PlatSource.FALLBACK, holder::get);
            assertThat(holder.get()).isEqualTo(PlatPrefix.FALLBACK);
            // the selector publishes the new prefix and then counts the change, on the discovery thread: this thread
            // can see FALLBACK before the second change is counted, so wait for the count (bounded)
            Await.until("two prefix changes counted", 10,
                    () -> d.counters().getOrDefault(Counter.CLAT_PREFIX_CHANGED, 0L) == 2, d::counters);
            assertThat(d.counters()).containsEntry(Counter.CLAT_RA_RECEIVED, 7L)
                    .containsEntry(Counter.CLAT_PREFIX_CHANGED, 2L);
        }
        assertThat(ra.closed).isTrue();
    }
}
