package ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.packet.PacketBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ferry translate} offline in mode "clat": a fixed PLAT prefix, the CLAT's own address mapping. */
class ClatTranslateTest {
    @TempDir
    Path dir;

    @Test
    void translateRunsTheClatMappingOnHexPackets() throws Exception {
        Path cfg = dir.resolve("clat.json");
        Files.writeString(cfg, """
                {"ferry": {"mode": "clat"},
                 "clat": {"dedicated-prefix": "2001:db8:1:2::/96", "island": ["192.0.2.0/24"],
                          "plat-prefix": "2001:db8:64::/64"}}""");
        HexFormat hex = HexFormat.of();
        Path in = dir.resolve("in.hex");
        Files.write(in, List.of(
                hex.formatHex(PacketBuilder.ipv4("192.0.2.33", "198.51.100.7").udp(4000, 53).payload(8).build()),
                hex.formatHex(PacketBuilder.ipv6("2001:db8:64:0:c6:3364:700:0", "2001:db8:1:2::c000:221").udp(53, 4000)
                        .payload(8).build()),
                hex.formatHex(PacketBuilder.ipv4("192.0.2.33", "192.0.0.6").udp(1, 2).build())));
        Path out = dir.resolve("out.hex");
        E2e.Run r = E2e.main("translate", "--config", cfg.toString(), "--input-hex", "--output-hex", in.toString(),
                out.toString());
        assertThat(r.exit()).as(r.stderr()).isZero();
        List<String> lines = Files.readAllLines(out);
        assertThat(lines).hasSize(2);
        byte[] p6 = hex.parseHex(lines.get(0));
        // source 2001:db8:1:2::c000:221 (the island address in the dedicated prefix), destination 198.51.100.7 at /64
        assertThat(hex.formatHex(p6, 8, 24)).isEqualTo("20010db800010002" + "00000000c0000221");
        assertThat(hex.formatHex(p6, 24, 40)).isEqualTo("20010db800640000" + "00c6336407000000");
        byte[] p4 = hex.parseHex(lines.get(1));
        assertThat(hex.formatHex(p4, 12, 20)).isEqualTo("c6336407" + "c0000221");
        assertThat(r.stdout() + r.stderr()).contains("drop_clat_dst_local");
    }
}
