package ferry.io.tun;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Configures a TUN interface with iproute2's {@code ip} command (a {@link ProcessBuilder}, not netlink): this is
 * configuration, done once at start, never on the packet path. Each step runs one command with a 10-second bound;
 * a failure throws with the command line and what {@code ip} printed.
 */
public final class TunInterfaceSetup {
    private TunInterfaceSetup() {
    }

    /**
     * Transmit queue length ferry gives a TUN device it created ({@code ip link set txqueuelen}): the kernel's
     * per-queue ring of packets waiting for ferry to read them is this long (the kernel's default, 500, drops
     * bursts of small packets while a worker thread waits for a CPU on a busy machine: TX dropped in
     * {@code ip -s link}). A persistent device ferry attached to keeps its operator's setting.
     */
    public static final int CREATED_TXQUEUELEN = 4096;

    /**
     * {@link #configure(String, int, List, List)} for {@code device}, and on a device ferry created first its
     * transmit queue length ({@link #CREATED_TXQUEUELEN}).
     */
    public static void configure(TunDevice device, int mtu, List<String> addresses, List<String> routes)
            throws TunException {
        if (device.created())
            ip("link", "set", "dev", device.name(), "txqueuelen", Integer.toString(CREATED_TXQUEUELEN));
        configure(device.name(), mtu, addresses, routes);
    }

    /**
     * Sets the MTU (when {@code mtu > 0}), brings the link up, adds each address ({@code "192.0.2.1/24"},
     * {@code "2001:db8::1/64"}; IPv6 ones with {@code nodad}) and routes each prefix into the device
     * ({@code ip route replace PREFIX dev DEVICE}).
     */
    public static void configure(String device, int mtu, List<String> addresses, List<String> routes)
            throws TunException {
        if (mtu > 0) ip("link", "set", "dev", device, "mtu", Integer.toString(mtu));
        ip("link", "set", "dev", device, "up");
        for (String a : addresses) {
            if (a.contains(":")) ip("-6", "addr", "replace", a, "dev", device, "nodad");
            else ip("-4", "addr", "replace", a, "dev", device);
        }
        for (String r : routes) ip(r.contains(":") ? "-6" : "-4", "route", "replace", r, "dev", device);
    }

    /** Runs {@code ip ARGS...}; throws with ip's output when it fails or takes longer than 10 s. */
    public static void ip(String... args) throws TunException {
        List<String> cmd = new ArrayList<>();
        cmd.add("ip");
        cmd.addAll(List.of(args));
        String line = String.join(" ", cmd);
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new TunException("cannot run `" + line + "` (is iproute2 installed?): " + e.getMessage(), 0);
        }
        try {
            p.getOutputStream().close();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new TunException("`" + line + "` did not finish within 10 s", 0);
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.exitValue() != 0) {
                throw new TunException("`" + line + "` failed (exit " + p.exitValue() + "): " + out, 0);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new TunException("interrupted while running `" + line + "`", 0);
        } catch (IOException e) {
            throw new TunException("`" + line + "`: " + e.getMessage(), 0);
        }
    }
}
