package ferry.app;

import ferry.lab.Lab;
import ferry.lab.LabDns;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code ferry lab}: the whole IPv4-island network on one machine (namespaces {@code ferry-lab-*}). The bare command
 * runs up, check, capture and down and prints a report; exit 0 when every item is ✓, 1 otherwise, 2 when not root.
 */
@Command(name = "lab", mixinStandardHelpOptions = true,
        description = {"The IPv4-island network on one machine: an IPv6-only network with NAT64 + DNS64 (plat) in front",
                "of an IPv4 Internet host (inet4), and an island router (CLAT + NAT64) for an IPv4-only IoT device.",
                "Bare: up + check + capture + down, with a report. Needs root."},
        subcommands = {LabCommand.Up.class, LabCommand.Check.class, LabCommand.Capture.class, LabCommand.Down.class,
                LabCommand.Status.class, LabCommand.DnsServer.class})
public final class LabCommand implements Callable<Integer> {
    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "/run/ferry-lab",
            description = "where the lab writes its configuration files, logs, PIDs and captures (default ${DEFAULT-VALUE})")
    Path dir;

    @Option(names = "--fail", paramLabel = "ITEM", hidden = true,
            description = "make check item ITEM fail on purpose (tests of the clean-up)")
    String fail;

    final PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);

    Lab lab() {
        return new Lab(dir, out, fail != null ? fail : System.getenv("FERRY_LAB_FAIL"));
    }

    boolean refuseUnlessRoot() {
        if (Lab.isRoot()) return false;
        System.err.println("ferry lab: needs root (network namespaces, TUN devices, veth links): run it with sudo");
        return true;
    }

    @Override
    public Integer call() throws Exception {
        if (refuseUnlessRoot()) return 2;
        Lab lab = lab();
        if (!lab.ensurePackages()) return 1;
        AtomicBoolean cleaned = new AtomicBoolean();
        Thread hook = new Thread(() -> {
            if (cleaned.compareAndSet(false, true)) {
                try {
                    out.println("ferry lab: interrupted: cleaning up");
                    lab.down();
                } catch (Exception e) {
                    System.err.println("ferry lab: clean-up: " + e);
                }
            }
        });
        Runtime.getRuntime().addShutdownHook(hook);
        int failed = 0;
        List<Path> captures = List.of();
        try {
            lab.down(); // leftovers of an earlier run
            lab.up();
            failed += lab.check();
            captures = lab.capture();
            failed += lab.captureFailures();
        } catch (Lab.LabException e) {
            out.println("✗ ferry lab: " + e.getMessage());
            failed++;
        } finally {
            if (cleaned.compareAndSet(false, true)) {
                lab.down();
                Runtime.getRuntime().removeShutdownHook(hook);
            }
        }
        out.println();
        out.println("ferry lab: " + (failed == 0 ? "every check passed" : failed + " check(s) failed")
                + "; namespaces removed; files in " + dir);
        for (Path c : captures) out.println("  " + c + "   (tshark -r " + c + ")");
        return failed == 0 ? 0 : 1;
    }

    /**
     * The body every subcommand but dns-server shares: refuse (exit 2) without root unless {@link #needsRoot()} says
     * otherwise, then {@link #run(Lab)} on a fresh {@link Lab} of the parent's options.
     */
    abstract static class LabStep implements Callable<Integer> {
        @ParentCommand
        LabCommand parent;

        boolean needsRoot() {
            return true;
        }

        /** The step's exit code. */
        abstract int run(Lab lab) throws Exception;

        @Override
        public final Integer call() throws Exception {
            if (needsRoot() && parent.refuseUnlessRoot()) return 2;
            return run(parent.lab());
        }
    }

    /** {@code ferry lab up}. */
    @Command(name = "up", mixinStandardHelpOptions = true, description = "build the namespaces and start every server and ferry")
    static final class Up extends LabStep {
        @Override
        int run(Lab lab) throws Exception {
            if (!lab.ensurePackages()) return 1;
            try {
                lab.down();
                lab.up();
                return 0;
            } catch (Lab.LabException e) {
                parent.out.println("✗ ferry lab up: " + e.getMessage() + "\nferry lab: removing what was built");
                lab.down();
                return 1;
            }
        }
    }

    /** {@code ferry lab check}. */
    @Command(name = "check", mixinStandardHelpOptions = true,
            description = "check items 1-4 of the lab, one ✓/✗ line each with the command it ran")
    static final class Check extends LabStep {
        @Override
        int run(Lab lab) throws Exception {
            return lab.check() == 0 ? 0 : 1;
        }
    }

    /** {@code ferry lab capture}. */
    @Command(name = "capture", mixinStandardHelpOptions = true, description = "write the three pcaps")
    static final class Capture extends LabStep {
        @Override
        int run(Lab lab) throws Exception {
            lab.capture();
            return lab.captureFailures() == 0 ? 0 : 1;
        }
    }

    /** {@code ferry lab down}. */
    @Command(name = "down", mixinStandardHelpOptions = true,
            description = "stop every process the lab started (by its recorded PID) and remove the namespaces")
    static final class Down extends LabStep {
        @Override
        int run(Lab lab) throws Exception {
            lab.down();
            return 0;
        }
    }

    /** {@code ferry lab status} (no root needed: it only looks). */
    @Command(name = "status", mixinStandardHelpOptions = true, description = "what of the lab exists and runs")
    static final class Status extends LabStep {
        @Override
        boolean needsRoot() {
            return false;
        }

        @Override
        int run(Lab lab) throws Exception {
            return lab.status() ? 0 : 3;
        }
    }

    /** {@code ferry lab dns-server}: the IPv4 Internet host's authoritative DNS (started by the lab). */
    @Command(name = "dns-server", hidden = true, description = "the lab's authoritative DNS server for " + LabDns.ZONE)
    static final class DnsServer implements Callable<Integer> {
        @Option(names = "--listen", paramLabel = "ADDR:PORT", defaultValue = "0.0.0.0:53")
        String listen;

        @Override
        public Integer call() throws Exception {
            int c = listen.lastIndexOf(':');
            LabDns.serve(new InetSocketAddress(listen.substring(0, c).replace("[", "").replace("]", ""),
                    Integer.parseInt(listen.substring(c + 1))), System.out);
            return 0;
        }
    }
}
