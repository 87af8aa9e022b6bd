package ferry.app;

import ferry.config.Config;
import ferry.io.tun.GsoPackets;
import ferry.io.tun.PacketHandler;
import ferry.io.tun.PacketOutput;
import ferry.metrics.Counters;
import ferry.packet.Bytes;
import ferry.packet.Checksum;
import ferry.translate.IpTranslator;
import ferry.translate.PacketSink;
import ferry.translate.Translator;
import ferry.translate.TranslatorSettings;
import ferry.translate.Verdict;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One immutable translator configuration of {@code ferry run}, as the TUN workers see it: each worker makes its own
 * translators from it (translators are single-threaded) and keeps incrementing its own queue's {@link Counters}
 * across configuration swaps. A SIGHUP builds a new instance and publishes it through a volatile reference; the
 * workers pick it up between packets.
 *
 * <p>TCP super-packets (GSO) go to a second translator whose MTUs are 65535, so the length of the whole
 * super-packet is not held against the link MTUs; the MTU rules are applied here to the segment length instead
 * (RFC 7915 §4.1/§5.1 apply per packet on the wire, and each segment is such a packet).
 */
final class RunTranslators implements PacketHandler.Factory {
    private final Config config;
    private final Counters[] counters;
    private final TranslatorSettings settings;
    private final TranslatorSettings gsoSettings;
    /** nat64 mode: the tables every worker shares (issue 4 item 9); null in siit mode. */
    private final ferry.nat64.Nat64Mapper nat64;

    /** clat mode: the PLAT prefix the workers read (discovery updates it; carried over by reconfigurations). */
    private final ferry.clat.PlatPrefixHolder platHolder;
    /** clat mode: the mapper every worker shares (it holds no per-packet state); null otherwise. */
    private final ferry.clat.ClatMapper clat;

    /** A first configuration (nothing to carry over). */
    RunTranslators(Config config, Counters[] counters) {
        this(config, counters, null);
    }

    /**
     * Builds the factory and one throw-away translator, so an unsupported configuration fails here, before the swap.
     *
     * @param previous the running configuration of the same instance (its NAT64 tables and PLAT prefix may carry
     *                 over), or null at start
     * @throws IllegalArgumentException the configuration cannot be run (the message names the field)
     */
    RunTranslators(Config config, Counters[] counters, RunTranslators previous) {
        this.config = config;
        this.counters = counters;
        ferry.clat.PlatPrefixHolder holder = null;
        ferry.clat.ClatMapper clatMapper = null;
        if (config.ferry().mode() == ferry.config.Mode.NAT64) {
            this.nat64 = sharedMapper(config, previous);
            this.settings = Wiring.nat64Settings(config);
        } else if (config.ferry().mode() == ferry.config.Mode.CLAT) {
            this.nat64 = null;
            if (config.clat() == null) throw new IllegalArgumentException("ferry.mode \"clat\" needs a \"clat\" object");
            ferry.clat.SourceMapping source = ClatWiring.sourceMapping(config.clat());
            holder = previous != null && previous.platHolder != null ? previous.platHolder
                    : ferry.clat.PlatPrefixSelector.initialHolder(config.clat().platPrefix());
            clatMapper = new ferry.clat.ClatMapper(holder, source, config.ferry().wkpStrict());
            this.settings = ClatWiring.settings(config, source);
        } else {
            this.nat64 = null;
            Wiring.translator(config, new Counters());
            this.settings = Wiring.settings(config);
        }
        this.platHolder = holder;
        this.clat = clatMapper;
        this.gsoSettings = withMtus(settings, 65535, 65535, 65535);
    }

    /**
     * The NAT64 mapper for {@code config}, built around the BIB and session tables of the same instance's running
     * configuration ({@code previous}) when they can carry over ({@link ferry.nat64.Nat64Mapper#reconfigured}: same
     * pool6 and table sizes; pool4, static BIB entries, timeouts and flags may change, and only the sessions whose
     * pool4 entry or static entry went end). Each instance has its own tables. The RFC 6888 log keeps its thread when
     * what it records is unchanged; its sink ({@code nat64-log}) is applied either way, the same file reopened
     * (logrotate); the port filter ({@code nat64-allow}) is the new configuration's.
     *
     * @throws IllegalArgumentException the configuration is refused, or the nat64-log file cannot be opened (both
     *                                  before any table changes)
     */
    private static ferry.nat64.Nat64Mapper sharedMapper(Config config, RunTranslators previous) {
        ferry.nat64.Nat64Mapper lastMapper = previous == null ? null : previous.nat64;
        Config lastConfig = previous == null ? null : previous.config;
        Wiring.nat64Settings(config); // everything that can refuse the configuration, before the tables change
        ferry.config.Nat64Section n = config.nat64();
        boolean logging = n.loggingBib() || n.loggingSession();
        ferry.nat64.Nat64Log old = lastMapper == null ? null : lastMapper.log();
        boolean keepLog = old != null && lastConfig.nat64() != null && n.loggingBib() == lastConfig.nat64().loggingBib()
                && n.loggingSession() == lastConfig.nat64().loggingSession();
        ferry.nat64.Nat64Log.Sink sink = null;
        if (keepLog) applyLogSink(old, config); // may refuse: before any change
        else if (logging) sink = Wiring.nat64LogSink(config, System.err::println); // may refuse: before any change
        ferry.nat64.Nat64Mapper m = Wiring.nat64Mapper(config, lastMapper, CachedClock.now);
        if (keepLog) {
            m.log(old); // the same records go on into the same sink
        } else {
            if (old != null) {
                try {
                    old.close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            m.log(logging ? new ferry.nat64.Nat64Log(n.loggingBib(), n.loggingSession(), 1 << 16) : null);
            if (sink != null) m.log().startWith(sink);
        }
        return m;
    }

    /** The same file: reopened (logrotate's SIGHUP); another sink: swapped in (the log thread closes the old one). */
    private static void applyLogSink(ferry.nat64.Nat64Log log, Config config) {
        String file = config.nat64().logFile();
        if (log.sink() instanceof ferry.nat64.Nat64LogFile f && file != null
                && f.path().equals(java.nio.file.Path.of(file))) {
            f.reopen();
        } else if (file != null || log.sink() instanceof ferry.nat64.Nat64LogFile) {
            log.startWith(Wiring.nat64LogSink(config, System.err::println));
        }
    }

    /**
     * SIGHUP, before the file is re-read: the mapping log's file (if any) is reopened with its next record, even when
     * the new configuration turns out invalid (logrotate renamed it and waits for ferry to let go).
     */
    void reopenNat64Log() {
        if (nat64 != null && nat64.log() != null && nat64.log().sink() instanceof ferry.nat64.Nat64LogFile f) f.reopen();
    }

    static TranslatorSettings withMtus(TranslatorSettings s, int ipv4Mtu, int ipv6Mtu, int lowestIpv6Mtu) {
        return new TranslatorSettings(s.zeroizeTrafficClass(), s.overrideTos(), s.tos(), s.mtuPlateaus(),
                s.amendUdpChecksumZero(), lowestIpv6Mtu, s.rfc6791v4(), s.rfc6791v6(), s.randomizeRfc6791(),
                s.ipv4Address(), s.ipv6Address(), ipv4Mtu, ipv6Mtu, s.eamHairpinMode());
    }

    Counters[] counters() {
        return counters;
    }

    Config config() {
        return config;
    }

    /** The PLAT prefix the CLAT translates with (clat mode), else null. */
    ferry.clat.PlatPrefixHolder platHolder() {
        return platHolder;
    }

    /** The shared NAT64 tables (nat64 mode), else null. */
    ferry.nat64.Nat64Mapper nat64() {
        return nat64;
    }

    @Override
    public PacketHandler newHandler(int queue, PacketOutput out) {
        if (nat64 != null) {
            Translator t = Wiring.translator(config, counters[queue], nat64);
            Translator gso = new IpTranslator(gsoSettings, nat64, counters[queue]);
            return new Handler(t, gso, out, settings, true, queue);
        }
        if (clat != null) {
            return new Handler(new IpTranslator(settings, clat, counters[queue]),
                    new IpTranslator(gsoSettings, clat, counters[queue]), out, settings, false);
        }
        Translator t = Wiring.translator(config, counters[queue]);
        Translator gso = new IpTranslator(gsoSettings, Wiring.siitMapper(config), counters[queue]);
        return new Handler(t, gso, out, settings, false);
    }

    /** The handler of one worker: its two translators and sinks; no allocation per packet. */
    static final class Handler implements PacketHandler { // package-private: ferry clat uses it too
        private final Translator t;
        private final Translator gso;
        private final PacketSink sink;
        private final PacketSink gso64Sink;
        private final PacketOutput out;
        private final int ipv4Mtu;
        private final int ipv6Mtu;
        private final int lowestIpv6Mtu;

        private final boolean stateful;
        /** This worker drives the NAT64 timers when idle (queue 0 only; see {@link #idleMillis()}). */
        private final boolean timers;
        /** nat64: the translator looks flows up ahead, so the worker hands packets over in batches. */
        private final boolean batches;
        /** The verdicts of a batch (made once, only when batching; the worker discards them, the counters tell). */
        private Verdict[] verdicts;

        Handler(Translator t, Translator gso, PacketOutput out, TranslatorSettings settings, boolean stateful) {
            this(t, gso, out, settings, stateful, -1);
        }

        Handler(Translator t, Translator gso, PacketOutput out, TranslatorSettings settings, boolean stateful,
                int queue) {
            this.stateful = stateful;
            this.timers = stateful && queue == 0;
            if (stateful) CachedClock.start();
            this.t = t;
            this.gso = gso;
            this.out = out;
            this.sink = out::send;
            this.gso64Sink = this::emit64;
            this.ipv4Mtu = settings.ipv4Mtu();
            this.ipv6Mtu = settings.ipv6Mtu();
            this.lowestIpv6Mtu = settings.lowestIpv6Mtu();
            this.batches = stateful && t.batches();
            this.verdicts = batches ? new Verdict[PacketHandler.MAX_BATCH] : null;
        }

        @Override
        public void handle(MemorySegment buf, long off, int len) {
            // nat64: the time of the packet is the cached clock (a volatile read, no clock call per packet)
            if (stateful) t.translate(buf, off, len, CachedClock.now, sink);
            else t.translate(buf, off, len, sink);
        }

        /** True in nat64 mode (the translator's mapper looks ahead); SIIT and CLAT take packets one at a time. */
        @Override
        public boolean batches() {
            return batches;
        }

        /**
         * nat64: one call of the translator's batch API ({@link Translator#translate(MemorySegment[], long[], int[],
         * int, long, PacketSink, Verdict[])}), which looks the packets' flows up ahead before translating them one by
         * one, at one cached-clock time for the whole batch. The translator never throws (a failing packet is counted
         * as {@code drop_internal_error} and dropped), so no packet of the batch is lost to another's failure.
         */
        @Override
        public void handleBatch(MemorySegment[] bufs, long[] offs, int[] lens, int n) {
            if (!batches) {
                PacketHandler.super.handleBatch(bufs, offs, lens, n);
                return;
            }
            if (n > verdicts.length) verdicts = new Verdict[n]; // never from a TunWorker (MAX_BATCH)
            t.translate(bufs, offs, lens, n, CachedClock.now, sink, verdicts);
        }

        /** How often an idle queue-0 worker runs the NAT64 timers: a held SYN is answered at most this late. */
        static final int IDLE_MILLIS = 200;

        /**
         * nat64: the worker of queue 0 wakes every {@link #IDLE_MILLIS} ms without traffic, so a held IPv4 SYN gets
         * its ICMP 3/3 about 6 s after it came (RFC 5382 REQ-4) and expired fragments are freed even when no other
         * packet arrives. One worker is enough: the timers are shared (the mapper runs them once a second in
         * whichever thread asks first, and hands each held SYN out once), and any worker that has traffic runs them
         * before each packet anyway; the other workers sleep in poll until a packet or the stop signal comes, so an
         * idle daemon wakes 5 times a second, not 5 times per queue.
         */
        @Override
        public int idleMillis() {
            return timers ? IDLE_MILLIS : -1;
        }

        @Override
        public void idle() {
            if (timers) t.idle(CachedClock.now, sink);
        }

        @Override
        public boolean handleGso(MemorySegment buf, long off, int len, int segmentLength) {
            boolean v4 = (buf.get(ValueLayout.JAVA_BYTE, off) & 0xf0) == 0x40;
            if (v4 && (buf.get(ValueLayout.JAVA_BYTE, off + 6) & 0x40) == 0) {
                // DF clear: RFC 7915 §4.1 would fragment each segment bigger than lowest-ipv6-mtu once translated;
                // a super-packet cannot be fragmented segment by segment
                if (segmentLength + 20 > lowestIpv6Mtu) return false;
                gso.translate(buf, off, len, stateful ? CachedClock.now : 0L, sink);
                return true;
            }
            // each translated segment grows (4->6) or shrinks (6->4) by the 20-byte header difference
            boolean fits = v4 ? segmentLength + 20 <= ipv6Mtu : segmentLength - 20 <= ipv4Mtu;
            if (!fits) {
                // answered as its first segment would be: Fragmentation Needed / Packet Too Big
                t.translate(buf, off, GsoPackets.firstSegment(buf, off, len, segmentLength), stateful ? CachedClock.now : 0L, sink);
            } else if (v4) {
                gso.translate(buf, off, len, stateful ? CachedClock.now : 0L, sink);
            } else {
                segment64 = segmentLength - 20;
                gso.translate(buf, off, len, stateful ? CachedClock.now : 0L, gso64Sink);
            }
            return true;
        }

        private int segment64;

        /**
         * RFC 7915 §5.1: "If the size of the translated IPv4 packet is less than or equal to 1260 bytes, [DF] is set
         * to zero; otherwise, it is set to one." The translator judged the whole super-packet; the packets on the
         * wire are its segments, so a super-packet of segments of at most 1260 bytes leaves with DF clear.
         */
        private void emit64(MemorySegment b, long o, int l) {
            if (segment64 <= 1260 && l >= 20 && (b.get(ValueLayout.JAVA_BYTE, o) & 0xf0) == 0x40
                    && (b.get(ValueLayout.JAVA_BYTE, o + 6) & 0x40) != 0 && l > 1260) {
                int flags = Bytes.u16(b, o + 6);
                Bytes.put16(b, o + 6, flags & ~0x4000);
                Bytes.put16(b, o + 10, Checksum.update16(Bytes.u16(b, o + 10), flags, flags & ~0x4000));
            }
            out.send(b, o, l);
        }
    }

    /**
     * The time NAT64 workers give the translator (DESIGN.md: no clock read per packet): Unix time in nanoseconds,
     * advanced by one daemon thread every millisecond from {@link System#nanoTime()} (monotonic), read by the
     * workers as a volatile field.
     */
    static final class CachedClock {
        static volatile long now = System.currentTimeMillis() * 1_000_000L;
        private static Thread thread;

        static synchronized void start() {
            if (thread != null) return;
            long epoch0 = System.currentTimeMillis() * 1_000_000L, nano0 = System.nanoTime();
            thread = Thread.ofPlatform().daemon().name("ferry-clock").start(() -> {
                while (true) {
                    now = epoch0 + (System.nanoTime() - nano0);
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }
    }
}
