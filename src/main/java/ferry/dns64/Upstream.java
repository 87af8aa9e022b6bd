package ferry.dns64;

import org.xbill.DNS.Message;
import org.xbill.DNS.Name;

/** Where the DNS64 sends its own queries: a recursive resolver (or a test double). */
public interface Upstream {
    /**
     * Asks one question and waits for the answer until {@code deadlineNanos} ({@link System#nanoTime()} scale).
     *
     * @return the answer (NOERROR, NXDOMAIN, or the last error rcode if every upstream answered with an error), or
     *         null when no upstream answered in time
     */
    Message query(Name name, int type, int dclass, boolean dnssecOk, boolean checkingDisabled, long deadlineNanos);
}
