package ferry.clat;

import ferry.metrics.Counter;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/** Where Router Advertisements come from ({@link RaSocket} on a live uplink; a fake in tests). */
public interface RaReceiver extends AutoCloseable {
    /**
     * Waits a bounded time (about a second) for one Router Advertisement and returns its PREF64 options, or null when
     * none arrived or the message was ignored (counted). Called by one thread.
     */
    List<Pref64Option> receive() throws IOException;

    /** Counters so far (Router Advertisements read, ignored, PREF64 options accepted and ignored). */
    Map<Counter, Long> counters();

    @Override
    void close();
}
