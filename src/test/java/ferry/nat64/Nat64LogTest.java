package ferry.nat64;

import static ferry.nat64.Nat64Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.packet.IpProto;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RFC 6888 REQ-12: BIB/session creation and deletion records, no destination, bounded queue that never blocks. */
class Nat64LogTest {
    @Test
    void bibRecordsNameTimeSourceAndBindingButNoDestination() {
        Nat64Fixture f = new Nat64Fixture();
        Nat64Log log = new Nat64Log(true, false, 64);
        f.mapper.log(log);
        f.now = 1_767_225_600L * SEC + 5; // 2026-01-01T00:00:00.000000005Z
        f.send(v6(X6, Y4).udp(40001, 53).build());
        int t = srcPort(f.only());
        f.send(v6(X6, W4).udp(40001, 53).build()); // a second session, same BIB: no BIB record
        f.advance(300);
        f.mapper.expire(f.now);
        List<String> lines = new ArrayList<>();
        assertThat(log.drain(lines::add)).isEqualTo(2);
        assertThat(lines.get(0)).isEqualTo("2026-01-01T00:00:00.000000005Z nat64 bib add UDP 2001:db8::1#40001 203.0.113.1#" + t);
        assertThat(lines.get(1)).isEqualTo("2026-01-01T00:05:00.000000005Z nat64 bib del UDP 2001:db8::1#40001 203.0.113.1#" + t);
        assertThat(String.join("\n", lines)).doesNotContain(Y4).doesNotContain(W4).doesNotContain("c633");
    }

    @Test
    void sessionRecordsComeWithLoggingSession() {
        Nat64Fixture f = new Nat64Fixture();
        Nat64Log log = new Nat64Log(false, true, 64);
        f.mapper.log(log);
        f.send(v6(X6, Y4).udp(40001, 53).build());
        f.send(v6(X6, W4).udp(40001, 53).build());
        List<String> lines = new ArrayList<>();
        log.drain(lines::add);
        assertThat(lines).hasSize(2).allMatch(l -> l.contains(" nat64 session add UDP 2001:db8::1#40001 203.0.113.1#"));
    }

    @Test
    void aFullQueueDropsAndCountsInsteadOfBlocking() {
        Nat64Fixture f = new Nat64Fixture();
        Nat64Log log = new Nat64Log(true, true, 8);
        f.mapper.log(log);
        for (int i = 0; i < 20; i++) f.send(v6(X6, Y4).udp(1000 + i, 53).build()); // 40 records
        assertThat(log.dropped()).isEqualTo(32);
        List<String> lines = new ArrayList<>();
        assertThat(log.drain(lines::add)).isEqualTo(8);
        f.send(v6(X6, Y4).udp(3000, 53).build());
        assertThat(log.drain(lines::add)).isEqualTo(2); // room again after draining
        assertThat(f.mapper.sessionCount(IpProto.UDP)).isEqualTo(21);
    }

    @Test
    void theLoggingThreadDrainsUntilClosed() throws Exception {
        Nat64Fixture f = new Nat64Fixture();
        Nat64Log log = new Nat64Log(true, false, 1024);
        f.mapper.log(log);
        List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        log.start(lines::add);
        for (int i = 0; i < 100; i++) f.send(v6(X6, Y4).udp(1000 + i, 53).build());
        log.close();
        assertThat(lines).hasSize(100);
    }
}
