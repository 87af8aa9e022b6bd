package ferry.app;

import ferry.config.Config;
import ferry.config.ConfigError;
import ferry.config.ConfigException;
import ferry.config.ConfigParser;
import ferry.config.Mode;
import ferry.io.PacketReader;
import ferry.io.PacketReaders;
import ferry.io.PacketWriter;
import ferry.io.PacketWriters;
import ferry.io.PcapFormatException;
import ferry.metrics.Counters;
import ferry.translate.Translator;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.channels.Channels;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ferry translate --config FILE [--input-hex] [--output-hex] IN OUT}: translates every packet of a capture
 * offline and writes what the translator emits.
 *
 * <p>Streams: the summary and every message go to <b>stderr</b>, so that {@code OUT} may be {@code -} (stdout).
 * Exit codes: 0 translated (also when the input ends in the middle of a record: a warning says so); 1 the input
 * cannot be read (missing, unreadable, not a capture, bad hex) or the output cannot be written; 2 usage errors and
 * configuration errors (each printed as {@code FILE:LINE:COL: path: message}).
 */
@Command(name = "translate", mixinStandardHelpOptions = true,
        description = {"Translate a capture offline (SIIT, RFC 7915): read IN (pcap or pcapng: link types RAW 101,"
                + " IPV4 228, IPV6 229, ETHERNET 1 with VLAN tags, LINUX_SLL 113, LINUX_SLL2 276), translate every"
                + " IP packet, and write every packet the translator emits (translations, fragments, ICMP errors) to"
                + " OUT as a pcap (link type RAW, nanosecond timestamps: those of the input packets), in order.",
                "The summary (packets in, packets out, every non-zero counter) goes to stderr.",
                "Exit status: 0 done, 1 input/output error, 2 usage or configuration error."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:translated", "1:input unreadable or not a capture, or output not writable",
                "2:bad command line or configuration"})
final class TranslateCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "FILE",
            description = "configuration (JSON; Jool's SIIT atomic configuration plus a \"ferry\" object)")
    Path config;

    @Option(names = "--force", description = "accept what Jool accepts with --force: nested EAM entries,"
            + " denylist4/rfc6791v4 prefixes touching never-translated ranges, and a /96 pool6 whose bits 64-71"
            + " (the u-octet) are not zero, e.g. 2001:db8:8011:fda4:4444::/96")
    boolean force;

    @Option(names = "--mode", paramLabel = "MODE", converter = ModeConverter.class,
            description = "siit or nat64: overrides the file's \"ferry\": {\"mode\"}, so that Jool's NAT64 atomic"
                    + " configuration works unchanged (NAT64 state lasts the whole capture; time is the packets'"
                    + " timestamps)")
    Mode mode;

    /** --mode values: the JSON names. */
    static final class ModeConverter implements picocli.CommandLine.ITypeConverter<Mode> {
        @Override
        public Mode convert(String value) {
            if (value.equals("siit")) return Mode.SIIT;
            if (value.equals("nat64")) return Mode.NAT64;
            throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not a mode; expected siit or nat64");
        }
    }

    @Option(names = "--input-hex", description = "IN is hex text: one raw IP packet per line; blank lines and"
            + " '#' comments are ignored")
    boolean inputHex;

    @Option(names = "--output-hex", description = "write OUT as hex text, one packet per line, instead of pcap")
    boolean outputHex;

    @Parameters(index = "0", paramLabel = "IN", description = "input capture, or - for stdin")
    String in;

    @Parameters(index = "1", paramLabel = "OUT", description = "output file, or - for stdout")
    String out;

    private final InputStream stdin;
    private final PrintStream stdout;
    private final PrintStream stderr;

    TranslateCommand() {
        this(null, null, null);
    }

    /** With explicit standard streams (tests); null means System's. */
    TranslateCommand(InputStream stdin, PrintStream stdout, PrintStream stderr) {
        this.stdin = stdin;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    @Override
    public Integer call() {
        PrintStream err = stderr != null ? stderr : System.err;
        Config cfg;
        try {
            cfg = ConfigParser.parse(config, force, mode);
        } catch (ConfigException e) {
            for (ConfigError ce : e.errors()) err.println(ce.format(e.source()));
            return 2;
        }
        Counters counters = new Counters();
        Translator translator;
        ferry.nat64.Nat64Log nat64Log = null;
        ferry.nat64.Nat64Log.Sink nat64Sink = null;
        try {
            if (cfg.ferry().mode() == Mode.NAT64) {
                ferry.nat64.Nat64Mapper m = Wiring.nat64Mapper(cfg);
                translator = Wiring.translator(cfg, counters, m);
                nat64Log = m.log();
                if (nat64Log != null) nat64Sink = Wiring.nat64LogSink(cfg, err::println);
            } else {
                translator = Wiring.translator(cfg, counters);
            }
        } catch (IllegalArgumentException e) {
            err.println(config + ": " + e.getMessage());
            return 2;
        }

        PacketReader reader;
        try {
            reader = openInput();
        } catch (PcapFormatException e) {
            err.println("ferry: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("ferry: cannot read " + ("-".equals(in) ? "stdin" : in) + ": " + reason(e));
            return 1;
        }
        OfflineTranslation x = new OfflineTranslation(translator, counters);
        try (reader) {
            PacketWriter writer;
            try {
                writer = openOutput();
            } catch (IOException e) {
                err.println("ferry: cannot write " + out + ": " + reason(e));
                return 1;
            }
            IOException failure = null;
            boolean inputFailed = false;
            // RFC 6888 REQ-12 records (logging-bib / logging-session) go to stderr, or nat64-log's file
            if (nat64Log != null) nat64Log.startWith(nat64Sink);
            try (writer) {
                x.run(reader, writer, err);
            } catch (PcapFormatException e) {
                failure = e;
                inputFailed = true;
            } catch (IOException e) {
                failure = e;
            }
            err.println("ferry translate: " + ("-".equals(in) ? "stdin" : in) + " (" + reader.format() + ") -> "
                    + ("-".equals(out) ? "stdout" : out) + (outputHex ? " (hex)" : " (pcap, RAW, ns)"));
            if (nat64Log != null) {
                try {
                    nat64Log.close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (nat64Log.dropped() > 0) err.println("  nat64 log records dropped (queue full): " + nat64Log.dropped());
                if (nat64Log.writeErrors() > 0) err.println("  nat64 log records not written (I/O errors): " + nat64Log.writeErrors());
            }
            x.printSummary(err, reader);
            if (failure != null) {
                err.println("ferry: " + (inputFailed ? failure.getMessage() : "I/O error: " + reason(failure)));
                err.println("ferry: stopped after " + x.packetsIn() + " input packets; " + x.packetsOut()
                        + " were written to " + out);
                return 1;
            }
            return 0;
        } catch (IOException e) {
            err.println("ferry: I/O error: " + reason(e));
            return 1;
        }
    }

    private PacketReader openInput() throws IOException {
        if ("-".equals(in)) {
            var ch = Channels.newChannel(stdin != null ? stdin : System.in);
            return inputHex ? PacketReaders.openHex(ch, "stdin") : PacketReaders.open(ch, "stdin");
        }
        Path p = Path.of(in);
        return inputHex ? PacketReaders.openHex(p) : PacketReaders.open(p);
    }

    private PacketWriter openOutput() throws IOException {
        if ("-".equals(out)) {
            // Closing the writer flushes stdout but leaves it open.
            OutputStream o = new FilterOutputStream(stdout != null ? stdout : System.out) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    this.out.write(b, off, len);
                }

                @Override
                public void close() throws IOException {
                    flush();
                }
            };
            var ch = Channels.newChannel(o);
            return outputHex ? PacketWriters.hex(ch) : PacketWriters.pcap(ch);
        }
        Path p = Path.of(out);
        return outputHex ? PacketWriters.hex(p) : PacketWriters.pcap(p);
    }

    /** Why an I/O operation failed, in words, without a stack trace. */
    static String reason(IOException e) {
        if (e instanceof NoSuchFileException) return "no such file";
        if (e instanceof AccessDeniedException) return "permission denied";
        if (e instanceof FileSystemException f && f.getReason() != null) return f.getReason();
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
