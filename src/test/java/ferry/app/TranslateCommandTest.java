package ferry.app;

import static ferry.io.Captures.ethernet;
import static ferry.io.Captures.padded;
import static ferry.io.Captures.pcapHeader;
import static ferry.io.Captures.pcapRecord;
import static ferry.io.Captures.sll;
import static ferry.io.Captures.sll2;
import static org.assertj.core.api.Assertions.assertThat;

import ferry.io.Captures;
import ferry.io.LinkType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code ferry translate} through its command line: every input link type, hex in and out, stdin/stdout, errors. */
class TranslateCommandTest {
    @TempDir
    Path dir;
    Path cfg;
    List<byte[]> inputs;
    /** What the command makes of {@link #inputs} given as a RAW pcap: the reference every other form must match. */
    List<E2e.Pkt> reference;

    @BeforeEach
    void reference() throws IOException {
        cfg = E2e.write(dir, "siit.json", TranslateEndToEndTest.CONFIG);
        inputs = TranslateEndToEndTest.inputs();
        reference = translateRaw(inputs, "ref");
        assertThat(reference).hasSizeGreaterThan(inputs.size() - 1);
    }

    List<E2e.Pkt> translateRaw(List<byte[]> packets, String name) throws IOException {
        Path in = E2e.pcap(dir, name + ".pcap", packets);
        Path out = dir.resolve(name + "-out.pcap");
        E2e.Run r = E2e.main("translate", "--config", cfg.toString(), in.toString(), out.toString());
        assertThat(r.exit()).as(r.stderr()).isZero();
        return E2e.read(out);
    }

    static boolean v6(byte[] p) {
        return (p[0] & 0xf0) == 0x60;
    }

    static long sec(int i) {
        return (E2e.T0 + i * 1_000_000L) / 1_000_000_000L;
    }

    static long nsec(int i) {
        return (E2e.T0 + i * 1_000_000L) % 1_000_000_000L;
    }

    /** A classic pcap (nanosecond magic) of {@link #inputs} framed by {@code frame}, timestamps as E2e.pcap. */
    byte[] classic(boolean le, int linkType, Function<byte[], byte[]> frame) {
        Captures.Bytes b = pcapHeader(le, true, linkType);
        for (int i = 0; i < inputs.size(); i++) {
            byte[] f = frame.apply(inputs.get(i));
            pcapRecord(b, sec(i), nsec(i), f, f.length);
        }
        return b.toByteArray();
    }

    E2e.Run translateFile(byte[] capture, String name, String... extra) throws IOException {
        Path in = dir.resolve(name);
        Files.write(in, capture);
        List<String> args = new ArrayList<>(List.of("translate", "--config", cfg.toString()));
        args.addAll(List.of(extra));
        args.addAll(List.of(in.toString(), dir.resolve(name + ".out").toString()));
        return E2e.main(args.toArray(String[]::new));
    }

    List<E2e.Pkt> output(String name) throws IOException {
        return E2e.read(dir.resolve(name + ".out"));
    }

    @ParameterizedTest(name = "little-endian {0}")
    @ValueSource(booleans = {true, false})
    void ethernetWithVlanTagsAndPaddingGivesTheSameOutputAsRawIp(boolean le) throws IOException {
        int[] n = {0};
        byte[] cap = classic(le, LinkType.ETHERNET, p -> {
            int k = n[0]++;
            byte[] f = k % 3 == 0 ? ethernet(v6(p) ? 0x86DD : 0x0800, p)
                    : k % 3 == 1 ? ethernet(v6(p) ? 0x86DD : 0x0800, p, 0x8100)
                    : ethernet(v6(p) ? 0x86DD : 0x0800, p, 0x88A8, 0x8100);
            return padded(f, 60);
        });
        // plus an ARP frame, which is skipped and counted
        byte[] arp = ethernet(0x0806, new byte[28]);
        byte[] all = Captures.concat(cap, pcapRecord(new Captures.Bytes(le), sec(99), 0, arp, arp.length).toByteArray());

        E2e.Run r = translateFile(all, "eth.pcap");

        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(E2e.normalized(output("eth.pcap"))).containsExactlyElementsOf(E2e.normalized(reference));
        assertThat(r.stderr()).containsPattern("read_skip_not_ip +1 ");
    }

    @Test
    void linuxCookedV1AndV2GiveTheSameOutputAsRawIp() throws IOException {
        E2e.Run a = translateFile(classic(true, LinkType.LINUX_SLL, p -> sll(v6(p) ? 0x86DD : 0x0800, p)), "sll");
        E2e.Run b = translateFile(classic(false, LinkType.LINUX_SLL2, p -> sll2(v6(p) ? 0x86DD : 0x0800, p)), "sll2");

        assertThat(a.exit()).as(a.stderr()).isZero();
        assertThat(b.exit()).as(b.stderr()).isZero();
        assertThat(E2e.normalized(output("sll"))).containsExactlyElementsOf(E2e.normalized(reference));
        assertThat(E2e.normalized(output("sll2"))).containsExactlyElementsOf(E2e.normalized(reference));
    }

    @Test
    void rawIpv4AndRawIpv6LinkTypesGiveTheSameOutputAsRawIp() throws IOException {
        List<byte[]> only4 = inputs.stream().filter(p -> !v6(p)).toList();
        List<byte[]> only6 = inputs.stream().filter(TranslateCommandTest::v6).toList();
        inputs = only4;
        byte[] cap4 = classic(true, LinkType.IPV4, p -> p);
        inputs = only6;
        byte[] cap6 = classic(true, LinkType.IPV6, p -> p);

        E2e.Run a = translateFile(cap4, "v4.pcap");
        E2e.Run b = translateFile(cap6, "v6.pcap");

        assertThat(a.exit()).as(a.stderr()).isZero();
        assertThat(b.exit()).as(b.stderr()).isZero();
        assertThat(E2e.normalized(output("v4.pcap"))).containsExactlyElementsOf(
                E2e.normalized(translateRaw(only4, "ref4")));
        assertThat(E2e.normalized(output("v6.pcap"))).containsExactlyElementsOf(
                E2e.normalized(translateRaw(only6, "ref6")));
    }

    @Test
    void pcapngWithAnEthernetAndARawInterfaceGivesTheSameOutputAsRawIp() throws IOException {
        Captures.Pcapng ng = new Captures.Pcapng().section(true).idb(true, LinkType.ETHERNET, 9, 0)
                .idb(true, LinkType.RAW, 0x80 | 30, 0); // 2^-30 s: timestamps must still come out identical
        for (int i = 0; i < inputs.size(); i++) {
            byte[] p = inputs.get(i);
            long ns = E2e.T0 + i * 1_000_000L;
            if (v6(p)) {
                // 2^-30 s units: seconds << 30 | ceil(ns-fraction * 2^30 / 1e9) round-trips to the same ns
                long secs = ns / 1_000_000_000L, frac = ns % 1_000_000_000L;
                long units = (frac << 30) / 1_000_000_000L + 1;
                ng.epb(true, 1, secs << 30 | units, p, p.length);
            } else {
                byte[] f = ethernet(0x0800, p);
                ng.epb(true, 0, ns, f, f.length);
            }
        }

        E2e.Run r = translateFile(ng.bytes(), "two.pcapng");

        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stderr()).contains("pcapng (little-endian, 2 interfaces: ETHERNET (1), RAW (101))");
        assertThat(E2e.normalized(output("two.pcapng"))).containsExactlyElementsOf(E2e.normalized(reference));
    }

    static String hexLines(List<byte[]> packets) {
        return packets.stream().map(E2e::hex).collect(Collectors.joining("\n", "", "\n"));
    }

    static List<String> unhexNormalized(String text) {
        return text.lines().map(l -> E2e.hex(E2e.normalized(E2e.unhex(l)))).toList();
    }

    static List<String> hexNormalized(List<E2e.Pkt> packets) {
        return packets.stream().map(p -> E2e.hex(E2e.normalized(p.data()))).toList();
    }

    @Test
    void inputHexGivesTheSameBytesAsThePcapWithTimestampZero() throws IOException {
        String text = "# the inputs of the end-to-end test, one per line\n\n" + hexLines(inputs);

        E2e.Run r = translateFile(text.getBytes(StandardCharsets.US_ASCII), "in.hex", "--input-hex");

        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(E2e.normalized(output("in.hex"))).containsExactlyElementsOf(E2e.normalized(
                reference.stream().map(p -> new E2e.Pkt(p.data(), 0)).toList()));
        assertThat(output("in.hex")).extracting(E2e.Pkt::ts).containsOnly(0L);
    }

    @Test
    void outputHexWritesOneLinePerEmittedPacket() throws IOException {
        E2e.Run r = translateFile(classic(true, LinkType.RAW, p -> p), "raw.pcap", "--output-hex");

        assertThat(r.exit()).as(r.stderr()).isZero();
        String text = Files.readString(dir.resolve("raw.pcap.out"));

        assertThat(text).endsWith("\n").matches("[0-9a-f\n]+");
        assertThat(unhexNormalized(text)).containsExactlyElementsOf(hexNormalized(reference));
    }

    @Test
    void hexFromStdinToStdout() {
        byte[] stdin = hexLines(inputs).getBytes(StandardCharsets.US_ASCII);

        E2e.Run r = E2e.translate(new ByteArrayInputStream(stdin), "--config", cfg.toString(), "--input-hex",
                "--output-hex", "-", "-");

        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(unhexNormalized(r.stdout())).containsExactlyElementsOf(hexNormalized(reference));
        assertThat(r.stderr()).contains("stdin (hex").contains("-> stdout (hex)").contains("packets in:  20");
    }

    @Test
    void pcapFromStdinToStdout() throws IOException {
        byte[] stdin = classic(false, LinkType.RAW, p -> p);

        E2e.Run r = E2e.translate(new ByteArrayInputStream(stdin), "--config", cfg.toString(), "-", "-");
        Path out = dir.resolve("stdout.pcap");
        Files.write(out, r.stdoutBytes());

        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(E2e.normalized(E2e.read(out))).containsExactlyElementsOf(E2e.normalized(reference));
    }

    @Test
    void configErrorsArePrintedAsFileLineColumnPathMessageAndExitTwo() throws IOException {
        Path bad = E2e.write(dir, "bad.json", """
                { "global": { "pool6": "2001:db8::/33", "bogus": 1 },
                  "ferry": { "ipv4-mtu": 5 } }
                """);
        Path out = dir.resolve("never.pcap");

        E2e.Run r = E2e.main("translate", "--config", bad.toString(), E2e.pcap(dir, "x.pcap", inputs).toString(),
                out.toString());

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr().lines().toList()).contains(
                bad + ":1:24: global.pool6: \"2001:db8::/33\" is not a valid RFC 6052 prefix: length must be 32, 40,"
                        + " 48, 56, 64 or 96")
                .anyMatch(l -> l.startsWith(bad + ":1:41: global.bogus: unknown key \"bogus\""))
                .contains(bad + ":2:26: ferry.ipv4-mtu: 5 is out of range 68..65535");
        assertThat(out).doesNotExist();
    }

    @Test
    void aMissingConfigOrOptionIsAUsageErrorExitTwo() {
        Path missing = dir.resolve("nope.json");
        E2e.Run a = E2e.main("translate", "--config", missing.toString(), "a", "b");
        E2e.Run b = E2e.main("translate", "in.pcap", "out.pcap");
        E2e.Run c = E2e.main("translate", "--config", "x", "--frobnicate", "in.pcap", "out.pcap");

        assertThat(a.exit()).isEqualTo(2);
        assertThat(a.stderr()).contains(missing.toString()).contains("cannot read");
        assertThat(b.exit()).isEqualTo(2);
        assertThat(b.stderr()).contains("--config");
        assertThat(c.exit()).isEqualTo(2);
        assertThat(c.stderr()).contains("--frobnicate");
    }

    @Test
    void anUnreadableInputExitsOneNamingTheFileAndCreatesNoOutput() throws IOException {
        Path out = dir.resolve("never.pcap");
        Path missing = dir.resolve("missing.pcap");
        Path garbage = E2e.write(dir, "garbage.pcap", "GET / HTTP/1.1\r\n\r\n");

        E2e.Run a = E2e.main("translate", "--config", cfg.toString(), missing.toString(), out.toString());
        E2e.Run b = E2e.main("translate", "--config", cfg.toString(), garbage.toString(), out.toString());

        assertThat(a.exit()).isEqualTo(1);
        assertThat(a.stderr()).contains("cannot read " + missing + ": no such file");
        assertThat(b.exit()).isEqualTo(1);
        assertThat(b.stderr()).contains(garbage + ": byte offset 0: not a capture");
        assertThat(out).doesNotExist();
    }

    @Test
    void badHexStopsAtItsLineWithExitOneAfterWritingTheLinesBeforeIt() throws IOException {
        Path badHex = E2e.write(dir, "bad.hex", "# first packet is fine\n" + E2e.hex(inputs.get(0)) + "\n45zz\n");
        Path out = dir.resolve("partial.pcap");

        E2e.Run r = E2e.main("translate", "--config", cfg.toString(), "--input-hex", badHex.toString(),
                out.toString());

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.stderr()).contains(badHex + ": line 3, column 3: expected a hex digit, found 'z'")
                .contains("stopped after 1 input packets");
        assertThat(E2e.normalized(E2e.read(out))).containsExactly(
                E2e.normalized(List.of(new E2e.Pkt(reference.get(0).data(), 0))).get(0));
    }

    @Test
    void anUnwritableOutputExitsOne() throws IOException {
        Path in = E2e.pcap(dir, "in.pcap", inputs);
        Path out = dir.resolve("no/such/dir/out.pcap");

        E2e.Run r = E2e.main("translate", "--config", cfg.toString(), in.toString(), out.toString());

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.stderr()).contains("cannot write " + out);
    }

    @Test
    void aTruncatedCaptureIsTranslatedUpToTheCutWithAWarningAndExitZero() throws IOException {
        byte[] cap = classic(true, LinkType.RAW, p -> p);
        byte[] cut = Arrays.copyOf(cap, cap.length - 10); // inside the last record

        E2e.Run r = translateFile(cut, "cut.pcap");

        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stderr()).contains("warning: ").contains("truncated").contains("record 20")
                .contains("packets in:  19");
        assertThat(E2e.normalized(output("cut.pcap"))).containsExactlyElementsOf(
                E2e.normalized(reference.subList(0, reference.size() - 1)));
    }

    @Test
    void aCorruptRecordStopsWithExitOneAfterWritingThePacketsBeforeIt() throws IOException {
        Captures.Bytes b = pcapHeader(true, true, LinkType.RAW);
        for (int i = 0; i < 4; i++) pcapRecord(b, sec(i), nsec(i), inputs.get(i), inputs.get(i).length);
        b.u32(1).u32(0).u32(5_000_000).u32(5_000_000);

        E2e.Run r = translateFile(b.toByteArray(), "corrupt.pcap");

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.stderr()).contains("record 5").contains("5000000").contains("stopped after 4 input packets");
        assertThat(E2e.normalized(output("corrupt.pcap"))).containsExactlyElementsOf(
                E2e.normalized(reference.subList(0, 4)));
    }
}
