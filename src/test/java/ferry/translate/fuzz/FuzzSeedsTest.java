package ferry.translate.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.packet.PacketBuilder;
import ferry.translate.prop.Choices;
import ferry.translate.prop.PacketGen;
import ferry.translate.prop.Setup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The committed seed inputs of the fuzz targets are made by this code (the project's own {@link PacketBuilder} and
 * {@link PacketGen}), not copied from anywhere: this test checks that every seed file is exactly what the code
 * builds. To (re)write them after changing the list: {@code ./scripts/test -Dtest=FuzzSeedsTest
 * -Dferry.fuzz.writeSeeds=true}.
 */
class FuzzSeedsTest {
    static final Path RESOURCES = Path.of("src/test/resources/ferry/translate/fuzz");
    static final Path DIR46 = RESOURCES.resolve("Fuzz46TestInputs/ipv4Packets");
    static final Path DIR64 = RESOURCES.resolve("Fuzz64TestInputs/ipv6Packets");

    static Map<String, byte[]> seeds46() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("seed-udp", FuzzCase.raw(0, 0, PacketBuilder.ipv4("198.51.100.7", "192.0.2.33").udp(5000, 53)
                .payload(24).build()));
        m.put("seed-tcp-df", FuzzCase.raw(1, 1, PacketBuilder.ipv4("203.0.113.5", "198.51.100.9").df(true)
                .tcp(443, 40000).payload(100).build()));
        m.put("seed-echo", FuzzCase.raw(2, 0, PacketBuilder.ipv4("192.0.2.1", "198.51.100.20").echoRequest(7, 1)
                .payload(56).build()));
        m.put("seed-ttl1", FuzzCase.raw(3, 0, PacketBuilder.ipv4("198.51.100.7", "192.0.2.33").ttl(1)
                .udp(1, 2).payload(8).build()));
        m.put("seed-fragment", FuzzCase.raw(4, 2, PacketBuilder.ipv4("198.51.100.7", "192.0.2.33").mf(true)
                .identification(0x1234).udp(5000, 53).payload(32).build()));
        m.put("seed-options-lsrr", FuzzCase.raw(5, 0, PacketBuilder.ipv4("198.51.100.7", "192.0.2.33")
                .options((byte) 131, (byte) 7, (byte) 4, (byte) 192, (byte) 0, (byte) 2, (byte) 1).udp(1, 2).build()));
        m.put("seed-big-df0", FuzzCase.raw(6, 2, PacketBuilder.ipv4("198.51.100.7", "192.0.2.33")
                .udp(1, 2).payload(1900).build()));
        byte[] inner = PacketBuilder.ipv4("192.0.2.33", "198.51.100.7").udp(53, 5000).payload(20).build();
        m.put("seed-icmp-error", FuzzCase.raw(7, 1, PacketBuilder.ipv4("203.0.113.1", "198.51.100.7")
                .icmpError(3, 3, 0, inner).build()));
        m.put("seed-frag-needed", FuzzCase.raw(8, 0, PacketBuilder.ipv4("203.0.113.1", "198.51.100.7")
                .icmpError(3, 4, 1400, inner).build()));
        for (int i = 0; i < 6; i++) m.put("seed-structured-" + i, structured(100 + i, i % 2 == 1));
        return m;
    }

    static Map<String, byte[]> seeds64() {
        String a = "2001:db8:6::21", b = "64:ff9b::198.51.100.7";
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("seed-udp", FuzzCase.raw(0, 0, PacketBuilder.ipv6(a, b).udp(5000, 53).payload(24).build()));
        m.put("seed-tcp", FuzzCase.raw(1, 1, PacketBuilder.ipv6(a, b).tcp(443, 40000).payload(100).build()));
        m.put("seed-echo", FuzzCase.raw(2, 0, PacketBuilder.ipv6(a, b).echoRequest(7, 1).payload(56).build()));
        m.put("seed-hop1", FuzzCase.raw(3, 0, PacketBuilder.ipv6(a, b).hopLimit(1).udp(1, 2).payload(8).build()));
        m.put("seed-fragment", FuzzCase.raw(4, 2, PacketBuilder.ipv6(a, b).fragment(0, true, 0x12345678)
                .udp(5000, 53).payload(32).build()));
        m.put("seed-ext-headers", FuzzCase.raw(5, 0, PacketBuilder.ipv6(a, b).hopByHop().destinationOptions()
                .routing(0).udp(1, 2).build()));
        m.put("seed-routing-sl1", FuzzCase.raw(6, 0, PacketBuilder.ipv6(a, b).routing(1).udp(1, 2).build()));
        m.put("seed-big", FuzzCase.raw(7, 2, PacketBuilder.ipv6(a, b).udp(1, 2).payload(1900).build()));
        byte[] inner = PacketBuilder.ipv6(b, a).udp(53, 5000).payload(20).build();
        m.put("seed-icmp-error", FuzzCase.raw(8, 1, PacketBuilder.ipv6("2001:db8:4::1", a)
                .icmpError(1, 4, 0, inner).build()));
        m.put("seed-packet-too-big", FuzzCase.raw(9, 0, PacketBuilder.ipv6("2001:db8:4::1", a)
                .icmpError(2, 0, 1280, inner).build()));
        for (int i = 0; i < 6; i++) m.put("seed-structured-" + i, structured(200 + i, i % 2 == 1));
        return m;
    }

    /** A structured-mode input: 240 choice bytes from a fixed seed. */
    private static byte[] structured(int seed, boolean mutate) {
        Choices c = Choices.random(seed);
        byte[] d = new byte[3 + 240];
        d[0] = (byte) c.below(256);
        d[1] = (byte) c.below(256);
        d[2] = (byte) (1 | (mutate ? 2 : 0) | (c.below(4) << 2));
        for (int i = 3; i < d.length; i++) d[i] = (byte) c.below(256);
        return d;
    }

    @Test
    void committedSeedInputsAreExactlyWhatThisCodeBuilds() throws IOException {
        boolean write = Boolean.getBoolean("ferry.fuzz.writeSeeds");
        check(DIR46, seeds46(), write);
        check(DIR64, seeds64(), write);
    }

    @Test
    void everySeedDecodesToAPacketOfItsTargetsVersion() {
        seeds46().values().forEach(d -> assertThat(FuzzCase.decode(d, 4).input()[0] >>> 4).isEqualTo(4));
        seeds64().values().forEach(d -> assertThat(FuzzCase.decode(d, 6).input()[0] >>> 4).isEqualTo(6));
        assertThat(Setup.random(Choices.random(0))).isNotNull();
    }

    private static void check(Path dir, Map<String, byte[]> seeds, boolean write) throws IOException {
        for (Map.Entry<String, byte[]> e : seeds.entrySet()) {
            Path f = dir.resolve(e.getKey());
            if (write) {
                Files.createDirectories(dir);
                Files.write(f, e.getValue());
            }
            assertThat(f).as("seed file (write with -Dferry.fuzz.writeSeeds=true)").exists();
            assertThat(Files.readAllBytes(f)).as(f.toString()).isEqualTo(e.getValue());
        }
    }
}
