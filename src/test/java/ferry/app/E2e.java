package ferry.app;

import ferry.io.PacketReader;
import ferry.io.PacketReaders;
import ferry.io.PacketWriter;
import ferry.io.PacketWriters;
import ferry.packet.PacketBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;

/** Helpers of the end-to-end tests: captures in and out, running the command in-process. */
final class E2e {
    /** 2026-01-01T00:00:00Z plus a few ns, so a lost or shifted timestamp shows. */
    static final long T0 = 1_767_225_600_000_000_123L;

    private E2e() {
    }

    /** A packet read back from a capture. */
    record Pkt(byte[] data, long ts) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Pkt p && p.ts == ts && Arrays.equals(p.data, data);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(data) * 31 + Long.hashCode(ts);
        }

        @Override
        public String toString() {
            return ts + ":" + hex(data);
        }
    }

    /** The result of one command run. */
    record Run(int exit, String stdout, String stderr, byte[] stdoutBytes) {
    }

    static Path pcap(Path dir, String name, List<byte[]> packets) throws IOException {
        Path f = dir.resolve(name);
        try (PacketWriter w = PacketWriters.pcap(f)) {
            long ts = T0;
            for (byte[] p : packets) {
                w.write(MemorySegment.ofArray(p), 0, p.length, ts);
                ts += 1_000_000;
            }
        }
        return f;
    }

    static List<Pkt> read(Path f) throws IOException {
        try (PacketReader r = PacketReaders.open(f)) {
            return readAll(r);
        }
    }

    static List<Pkt> readAll(PacketReader r) throws IOException {
        List<Pkt> out = new ArrayList<>();
        while (r.next()) {
            out.add(new Pkt(r.segment().asSlice(r.offset(), r.length()).toArray(ValueLayout.JAVA_BYTE),
                    r.timestampNanos()));
        }
        return out;
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x", x & 0xff));
        return sb.toString();
    }

    /** Runs {@code ferry <args>} in-process through {@link Main#run} (files only: no stdin/stdout data). */
    static Run main(String... args) {
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = Main.run(args);
        } finally {
            System.setErr(oldErr);
        }
        String e = err.toString(StandardCharsets.UTF_8);
        oldErr.print(e); // keep the command's messages in the test log
        return new Run(code, "", e, new byte[0]);
    }

    /** Runs {@code ferry translate <args>} with the given stdin, capturing stdout and stderr. */
    static Run translate(InputStream stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        CommandLine cl = new CommandLine(new TranslateCommand(stdin, o, e));
        cl.setErr(new java.io.PrintWriter(e, true));
        cl.setExitCodeExceptionMapper(x -> 2);
        int code = cl.execute(args);
        String es = err.toString(StandardCharsets.UTF_8);
        System.err.print(es);
        return new Run(code, out.toString(StandardCharsets.UTF_8), es, out.toByteArray());
    }

    /** Splits a full IPv4 UDP/TCP packet (20-byte header) into two fragments at {@code firstLen} L4 bytes. */
    static List<byte[]> fragments4(String src, String dst, int id, byte[] whole, int firstLen) {
        int proto = whole[9];
        byte[] l4 = Arrays.copyOfRange(whole, 20, whole.length);
        return List.of(
                PacketBuilder.ipv4(src, dst).identification(id).mf(true)
                        .raw(proto, Arrays.copyOfRange(l4, 0, firstLen)).build(),
                PacketBuilder.ipv4(src, dst).identification(id).fragmentOffset(firstLen / 8)
                        .raw(proto, Arrays.copyOfRange(l4, firstLen, l4.length)).build());
    }

    /** Splits a full IPv6 packet without extension headers into two fragments at {@code firstLen} L4 bytes. */
    static List<byte[]> fragments6(String src, String dst, int id, byte[] whole, int firstLen) {
        int proto = whole[6];
        byte[] l4 = Arrays.copyOfRange(whole, 40, whole.length);
        return List.of(
                PacketBuilder.ipv6(src, dst).fragment(0, true, id)
                        .raw(proto, Arrays.copyOfRange(l4, 0, firstLen)).build(),
                PacketBuilder.ipv6(src, dst).fragment(firstLen / 8, false, id)
                        .raw(proto, Arrays.copyOfRange(l4, firstLen, l4.length)).build());
    }

    /**
     * The packets with what RFC 7915 §5.1 leaves to the translator blanked: the Identification of IPv4 packets
     * translated from unfragmented IPv6 ("set according to a Fragment Identification generator", random in ferry),
     * the IPv4 header checksum that covers it, and likewise inside ICMPv4 errors (inner Identification and header
     * checksum, and the ICMP checksum over them). Everything else is compared byte for byte.
     */
    static List<Pkt> normalized(List<Pkt> packets) {
        return packets.stream().map(p -> new Pkt(normalized(p.data()), p.ts())).toList();
    }

    static byte[] normalized(byte[] packet) {
        byte[] p = packet.clone();
        if (p.length < 20 || (p[0] & 0xf0) != 0x40) return p;
        int ihl = (p[0] & 0x0f) * 4;
        blankIpv4(p, 0);
        if (p[9] == 1 && p.length >= ihl + 8 + 20) {
            int type = p[ihl] & 0xff;
            if (type == 3 || type == 11 || type == 12) {
                p[ihl + 2] = p[ihl + 3] = 0;
                blankIpv4(p, ihl + 8);
            }
        }
        return p;
    }

    private static void blankIpv4(byte[] p, int at) {
        p[at + 4] = p[at + 5] = 0;   // Identification
        p[at + 10] = p[at + 11] = 0; // Header Checksum
    }

    static byte[] unhex(String line) {
        byte[] b = new byte[line.length() / 2];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(line.substring(2 * i, 2 * i + 2), 16);
        return b;
    }

    static Path write(Path dir, String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }
}
