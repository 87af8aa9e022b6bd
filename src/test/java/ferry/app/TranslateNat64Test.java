package ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.io.PacketWriter;
import ferry.io.PacketWriters;
import ferry.packet.PacketBuilder;
import ferry.testkit.PacketCheck;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ferry translate --mode nat64} on a capture: NAT64 state lasts the whole capture and its clock is the packet
 * timestamps (a session that expires between two packets is gone for the second).
 */
class TranslateNat64Test {
    @TempDir
    Path dir;

    static final long SEC = 1_000_000_000L;
    static final String X6 = "2001:db8::1", Z6 = "2001:db8::2", Y4 = "198.51.100.7", Y6 = "64:ff9b::c633:6407";

    /** Jool's NAT64 file form, with a single UDP pool4 port so that the binding is known in advance. */
    static final String CONFIG = """
            {"instance": "default", "framework": "netfilter",
             "global": {"pool6": "64:ff9b::/96"},
             "pool4": [{"protocol": "UDP", "prefix": "203.0.113.1/32", "port range": "40000-40000"},
                       {"protocol": "TCP", "prefix": "203.0.113.1/32", "port range": "1-65535"}],
             "bib": [{"protocol": "TCP", "ipv6 address": "2001:db8::9#22", "ipv4 address": "203.0.113.1#2222"}]}
            """;

    private record In(long ts, byte[] packet) {
    }

    private Path capture(List<In> packets) throws IOException {
        Path f = dir.resolve("in.pcap");
        try (PacketWriter w = PacketWriters.pcap(f)) {
            for (In p : packets) w.write(MemorySegment.ofArray(p.packet), 0, p.packet.length, p.ts);
        }
        return f;
    }

    @Test
    void sessionsLiveAcrossTheCaptureAndExpireWithPacketTime() throws IOException {
        long t0 = E2e.T0;
        List<In> in = new ArrayList<>();
        in.add(new In(t0, PacketBuilder.ipv6(X6, Y6).udp(1111, 53).payload(10).build()));                  // new flow
        in.add(new In(t0 + 10 * SEC, PacketBuilder.ipv4(Y4, "203.0.113.1").udp(53, 40000).payload(10).build())); // reply
        in.add(new In(t0 + 400 * SEC, PacketBuilder.ipv4(Y4, "203.0.113.1").udp(53, 40000).build()));      // expired
        in.add(new In(t0 + 401 * SEC, PacketBuilder.ipv6(Z6, Y6).udp(2222, 53).build()));                 // port rests
        in.add(new In(t0 + 600 * SEC, PacketBuilder.ipv6(Z6, Y6).udp(2222, 53).build()));                 // port free
        in.add(new In(t0 + 601 * SEC, PacketBuilder.ipv4(Y4, "203.0.113.1").tcp(5555, 2222).tcpFlags(2).build())); // static
        Path config = E2e.write(dir, "nat64.json", CONFIG);
        Path out = dir.resolve("out.pcap");

        E2e.Run r = E2e.main("translate", "--mode", "nat64", "--config", config.toString(),
                capture(in).toString(), out.toString());
        assertThat(r.exit()).as(r.stderr()).isZero();
        List<E2e.Pkt> got = E2e.read(out);
        assertThat(got).hasSize(6);
        for (E2e.Pkt p : got) assertThat(PacketCheck.problems(p.data(), 1500)).isEmpty();

        // 1: X'#1111 -> 203.0.113.1#40000
        assertThat(hex(got.get(0).data(), 12, 4)).isEqualTo("cb007101");
        assertThat(u16(got.get(0).data(), 20)).isEqualTo(40000);
        assertThat(got.get(0).ts()).isEqualTo(t0);
        // 2: the reply reaches X'#1111
        assertThat(u8(got.get(1).data(), 0) >>> 4).isEqualTo(6);
        assertThat(u16(got.get(1).data(), 42)).isEqualTo(1111);
        // 3: after udp-timeout the BIB is gone: ICMPv4 Host Unreachable back to Y
        assertThat(u8(got.get(2).data(), 9)).isEqualTo(1);
        assertThat(u8(got.get(2).data(), 20)).isEqualTo(3);
        assertThat(u8(got.get(2).data(), 21)).isEqualTo(1);
        // 4: the only port rests 120 s after its release: ICMPv6 Address Unreachable to Z'
        assertThat(u8(got.get(3).data(), 40)).isEqualTo(1);
        assertThat(u8(got.get(3).data(), 41)).isEqualTo(3);
        // 5: later Z' gets it
        assertThat(u16(got.get(4).data(), 20)).isEqualTo(40000);
        // 6: the static BIB entry publishes 2001:db8::9#22 as 203.0.113.1#2222
        assertThat(u16(got.get(5).data(), 42)).isEqualTo(22);
        assertThat(r.stderr()).contains("drop_nat64_no_bib").contains("drop_nat64_pool4_exhausted");
    }

    @Test
    void loggingBibWritesBindingRecordsWithPacketTimeToStderr() throws IOException {
        Path config = E2e.write(dir, "nat64.json", CONFIG.replace("\"pool6\": \"64:ff9b::/96\"",
                "\"pool6\": \"64:ff9b::/96\", \"logging-bib\": true"));
        List<In> in = List.of(new In(E2e.T0, PacketBuilder.ipv6(X6, Y6).udp(1111, 53).build()),
                new In(E2e.T0 + 400 * SEC, PacketBuilder.ipv6(Z6, Y6).udp(1, 53).build()));
        E2e.Run r = E2e.main("translate", "--mode", "nat64", "--config", config.toString(),
                capture(in).toString(), dir.resolve("o.pcap").toString());
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stderr()).contains("ts=2026-01-01T00:00:00.000000123Z level=info event=nat64_bib_add proto=UDP ipv6=2001:db8::1 ipv6_port=1111 ipv4=203.0.113.1 ipv4_port=40000")
                .contains("ts=2026-01-01T00:06:40.000000123Z level=info event=nat64_bib_del proto=UDP ipv6=2001:db8::1 ipv6_port=1111 ipv4=203.0.113.1 ipv4_port=40000");
    }

    @Test
    void nat64LogFileTakesTheMappingRecordsInsteadOfStderr() throws IOException {
        Path log = dir.resolve("mapping.log");
        Path config = E2e.write(dir, "nat64.json", CONFIG.replace("\"pool6\": \"64:ff9b::/96\"",
                "\"pool6\": \"64:ff9b::/96\", \"logging-bib\": true").replaceFirst("\\{",
                "{ \"ferry\": { \"nat64-log\": { \"file\": \"" + log + "\" } },"));
        List<In> in = List.of(new In(E2e.T0, PacketBuilder.ipv6(X6, Y6).udp(1111, 53).build()));
        E2e.Run r = E2e.main("translate", "--mode", "nat64", "--config", config.toString(),
                capture(in).toString(), dir.resolve("o.pcap").toString());
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stderr()).doesNotContain("event=nat64_bib_add");
        assertThat(java.nio.file.Files.readString(log)).isEqualTo("ts=2026-01-01T00:00:00.000000123Z level=info"
                + " event=nat64_bib_add proto=UDP ipv6=2001:db8::1 ipv6_port=1111 ipv4=203.0.113.1 ipv4_port=40000\n");
    }

    @Test
    void aNat64LogFileThatCannotBeOpenedIsAConfigurationErrorNamingKeyAndValue() throws IOException {
        Path config = E2e.write(dir, "nat64.json", CONFIG.replace("\"pool6\": \"64:ff9b::/96\"",
                "\"pool6\": \"64:ff9b::/96\", \"logging-bib\": true").replaceFirst("\\{",
                "{ \"ferry\": { \"nat64-log\": { \"file\": \"/nonexistent-ferry-dir/nat64.log\" } },"));
        List<In> in = List.of(new In(E2e.T0, PacketBuilder.ipv6(X6, Y6).udp(1111, 53).build()));
        E2e.Run r = E2e.main("translate", "--mode", "nat64", "--config", config.toString(),
                capture(in).toString(), dir.resolve("o.pcap").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).contains("ferry.nat64-log.file").contains("/nonexistent-ferry-dir/nat64.log");
    }

    @Test
    void aJoolNat64FileWithoutTheModeIsRefusedWithTheHint() throws IOException {
        Path config = E2e.write(dir, "nat64.json", CONFIG);
        E2e.Run r = E2e.main("translate", "--config", config.toString(), "-", "-");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).contains("pool4").contains("--mode nat64");
    }

    @Test
    void anUnknownModeIsAUsageError() throws IOException {
        Path config = E2e.write(dir, "nat64.json", CONFIG);
        E2e.Run r = E2e.main("translate", "--mode", "nat46", "--config", config.toString(), "-", "-");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).contains("nat46");
    }

    static int u8(byte[] b, int i) {
        return b[i] & 0xff;
    }

    static int u16(byte[] b, int i) {
        return (u8(b, i) << 8) | u8(b, i + 1);
    }

    static String hex(byte[] b, int off, int len) {
        StringBuilder sb = new StringBuilder();
        for (int i = off; i < off + len; i++) sb.append(String.format("%02x", b[i]));
        return sb.toString();
    }

    static {
        assert Files.class != null;
    }
}
