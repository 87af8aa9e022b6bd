package ferry.app;

import ferry.io.PacketWriter;
import ferry.io.PacketWriters;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ferry sample-pcap OUT}: writes the demonstration capture ({@link SampleTraffic}) as a pcap (link type RAW,
 * nanosecond timestamps). {@code examples/sample.pcap} is this command's output.
 */
@Command(name = "sample-pcap", mixinStandardHelpOptions = true,
        description = {"Write a small demonstration capture (IPv6 and IPv4 packets built by ferry) for the addresses"
                + " of examples/siit.json: echo request/reply both ways, UDP, TCP SYN, an ICMPv4 error with its inner"
                + " packet, TTL/Hop Limit 1, a large DF=0 IPv4 packet and a denylisted source.",
                "Then: ferry translate --config examples/siit.json OUT /tmp/ferry-out.pcap"})
final class SamplePcapCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "OUT", description = "pcap file to write (link type RAW, ns timestamps)")
    Path out;

    @Option(names = "--list", description = "also print one line per packet saying what it demonstrates")
    boolean list;

    @Override
    public Integer call() throws Exception {
        var samples = SampleTraffic.packets();
        try (PacketWriter w = PacketWriters.pcap(out)) {
            for (SampleTraffic.Sample s : samples) {
                w.write(MemorySegment.ofArray(s.packet()), 0, s.packet().length, s.timestampNanos());
            }
        }
        if (list) {
            int i = 1;
            for (SampleTraffic.Sample s : samples) System.out.printf("%2d  %s%n", i++, s.what());
        }
        System.err.println("ferry: wrote " + samples.size() + " packets to " + out);
        return 0;
    }
}
