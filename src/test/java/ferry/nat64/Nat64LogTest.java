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
        assertThat(lines.get(0)).isEqualTo("ts=2026-01-01T00:00:00.000000005Z level=info event=nat64_bib_add proto=UDP"
                + " ipv6=2001:db8::1 ipv6_port=40001 ipv4=203.0.113.1 ipv4_port=" + t);
        assertThat(lines.get(1)).isEqualTo("ts=2026-01-01T00:05:00.000000005Z level=info event=nat64_bib_del proto=UDP"
                + " ipv6=2001:db8::1 ipv6_port=40001 ipv4=203.0.113.1 ipv4_port=" + t);
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
        assertThat(lines).hasSize(2).allMatch(l -> l.contains(" event=nat64_session_add proto=UDP ipv6=2001:db8::1 ipv6_port=40001 ipv4=203.0.113.1 ipv4_port="));
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

    @Test
    void aFileSinkAppendsOneKeyValueRecordPerLineAndIsReopenedAfterARename() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("ferry-nat64log");
        java.nio.file.Path file = dir.resolve("nat64.log");
        java.nio.file.Files.writeString(file, "earlier line\n");
        Nat64Fixture f = new Nat64Fixture();
        Nat64Log log = new Nat64Log(true, false, 1024);
        f.mapper.log(log);
        Nat64LogFile sink = Nat64LogFile.open(file);
        log.startWith(sink);
        f.send(v6(X6, Y4).udp(1000, 53).build());
        waitFor("the BIB record appended to " + file, () -> lines(file).size() == 2);
        assertThat(lines(file).get(0)).isEqualTo("earlier line"); // appended, never truncated
        assertThat(lines(file).get(1)).matches("ts=\\S+ level=info event=nat64_bib_add proto=UDP ipv6=2001:db8::1"
                + " ipv6_port=1000 ipv4=203\\.0\\.113\\.1 ipv4_port=\\d+");
        // logrotate: rename, then SIGHUP (reopen): the next record goes to a new file of the same name
        java.nio.file.Path rotated = dir.resolve("nat64.log.1");
        java.nio.file.Files.move(file, rotated);
        sink.reopen();
        f.send(v6(X6, Y4).udp(1001, 53).build());
        waitFor("the record in a new " + file, () -> java.nio.file.Files.exists(file) && lines(file).size() == 1);
        assertThat(lines(file).get(0)).contains("ipv6_port=1001");
        assertThat(lines(rotated)).hasSize(2);
        log.close();
        assertThat(log.writeErrors()).isZero();
        for (java.nio.file.Path p : List.of(file, rotated)) java.nio.file.Files.deleteIfExists(p);
        java.nio.file.Files.delete(dir);
    }

    @Test
    void aSinkThatFailsIsCountedAndTheLogGoesOn() throws Exception {
        Nat64Fixture f = new Nat64Fixture();
        Nat64Log log = new Nat64Log(true, false, 1024);
        f.mapper.log(log);
        List<String> written = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicBoolean failing = new java.util.concurrent.atomic.AtomicBoolean(true);
        log.startWith(line -> {
            if (failing.get()) throw new java.io.IOException("disk full");
            written.add(line);
        });
        for (int i = 0; i < 3; i++) f.send(v6(X6, Y4).udp(2000 + i, 53).build());
        waitFor("three write errors counted", () -> log.writeErrors() == 3);
        failing.set(false);
        f.send(v6(X6, Y4).udp(3000, 53).build());
        waitFor("one record written", () -> written.size() == 1);
        assertThat(written.get(0)).contains("ipv6_port=3000");
        // the errors reach the worker's counters with the timers
        f.advance(1);
        f.translator.idle(f.now, (b, o, l) -> { });
        assertThat(f.counters.get(ferry.metrics.Counter.NAT64_LOG_WRITE_ERROR)).isEqualTo(3);
        log.close();
    }

    @Test
    void aFileThatCannotBeOpenedIsReportedWithItsPath() {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> Nat64LogFile.open(java.nio.file.Path.of("/nonexistent-ferry-dir/nat64.log")))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("/nonexistent-ferry-dir/nat64.log");
    }

    static List<String> lines(java.nio.file.Path p) {
        try {
            return java.nio.file.Files.readAllLines(p);
        } catch (java.io.IOException e) {
            return List.of();
        }
    }

    /** Waits (10 s at most) for what the logging thread writes a moment after the packet; fails naming it. */
    static void waitFor(String what, java.util.function.BooleanSupplier c) throws InterruptedException {
        ferry.testkit.Await.until(what, 10, c);
    }
}
