package ferry.dns64;

import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** An in-memory upstream: answers by "name/TYPE" key; a missing key behaves like a timeout (null). */
final class FakeUpstream implements Upstream {
    final Map<String, Message> answers = new ConcurrentHashMap<>();
    final Map<String, Long> delaysMs = new ConcurrentHashMap<>();
    final List<String> calls = new CopyOnWriteArrayList<>();
    final List<Boolean> dnssecOkSeen = new CopyOnWriteArrayList<>();

    FakeUpstream on(String name, int type, Message m) {
        answers.put(key(Dns.n(name), type), m);
        return this;
    }

    FakeUpstream delay(String name, int type, long ms) {
        delaysMs.put(key(Dns.n(name), type), ms);
        return this;
    }

    static String key(Name n, int type) {
        return n.toString().toLowerCase() + "/" + Type.string(type);
    }

    int calls(String name, int type) {
        String k = key(Dns.n(name), type);
        return (int) calls.stream().filter(k::equals).count();
    }

    @Override
    public Message query(Name name, int type, int dclass, boolean dnssecOk, boolean cd, long deadline) {
        String k = key(name, type);
        calls.add(k);
        dnssecOkSeen.add(dnssecOk);
        Long d = delaysMs.get(k);
        Message m = answers.get(k);
        long waitNs = d != null ? TimeUnit.MILLISECONDS.toNanos(d) : (m == null ? deadline - System.nanoTime() : 0);
        if (waitNs > 0) {
            long until = Math.min(System.nanoTime() + waitNs, deadline);
            try {
                long left;
                while ((left = until - System.nanoTime()) > 0) TimeUnit.NANOSECONDS.sleep(left);
            } catch (InterruptedException e) {
                return null;
            }
            if (System.nanoTime() - deadline >= 0) return null;
        }
        return m == null ? null : m.clone();
    }
}
