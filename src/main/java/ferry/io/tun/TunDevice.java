package ferry.io.tun;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A Linux TUN device opened through {@code /dev/net/tun} with the FFM API: {@code IFF_TUN | IFF_NO_PI}, one file
 * descriptor per queue ({@code IFF_MULTI_QUEUE} when there is more than one), optionally {@code IFF_VNET_HDR}.
 * Every fd is {@code O_NONBLOCK | O_CLOEXEC}. {@code TUNSETOFFLOAD} is always called (with 0 when vnet headers are
 * off), because offload flags are device state that survive re-attaching a persistent device.
 *
 * <p>A device that did not exist before {@link #open} is not persistent: the kernel removes it when the last queue
 * fd is closed ({@link #close}). {@link #created()} tells whether this open created it.
 */
public final class TunDevice implements AutoCloseable {
    private final String name;
    private final int[] fds;
    private final boolean vnetHeader;
    private final int offload;
    private final boolean created;
    private boolean closed;

    private TunDevice(String name, int[] fds, boolean vnetHeader, int offload, boolean created) {
        this.name = name;
        this.fds = fds;
        this.vnetHeader = vnetHeader;
        this.offload = offload;
        this.created = created;
    }

    /**
     * Creates (or attaches to an existing persistent) TUN device.
     *
     * @param name       interface name, 1..15 characters ({@code %d} lets the kernel number it)
     * @param queues     number of queues (fds), ≥ 1; more than one sets {@code IFF_MULTI_QUEUE}
     * @param vnetHeader set {@code IFF_VNET_HDR} and {@code TUNSETVNETHDRSZ} ({@link VnetHeader#SIZE} bytes)
     * @param offload    {@code TUNSETOFFLOAD} flags: 0, or {@link #OFFLOAD_CSUM} with any of {@link #OFFLOAD_TSO}
     *                   and {@link #OFFLOAD_USO}; must be 0 without vnet headers. A kernel without USO (before 6.2)
     *                   refuses it with EINVAL: the device is then opened without it ({@link #offload()} tells)
     * @throws TunException when a call fails (the message names it, the device and the errno)
     */
    public static TunDevice open(String name, int queues, boolean vnetHeader, int offload) throws TunException {
        byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        if (nameBytes.length == 0 || nameBytes.length >= LinuxC.IFNAMSIZ || name.contains("/"))
            throw new IllegalArgumentException("TUN device name must be 1..15 ASCII characters without '/': " + name);
        if (queues < 1) throw new IllegalArgumentException("queues must be >= 1: " + queues);
        if (!vnetHeader && offload != 0) throw new IllegalArgumentException("offloads need vnet headers");
        if ((offload & ~(OFFLOAD_CSUM | OFFLOAD_TSO | OFFLOAD_USO)) != 0)
            throw new IllegalArgumentException("only TUN_F_CSUM, TSO4/TSO6/TSO_ECN and USO4+USO6 are supported (no UFO)");
        if ((offload & (OFFLOAD_TSO | OFFLOAD_USO)) != 0 && (offload & OFFLOAD_CSUM) == 0)
            throw new IllegalArgumentException("TSO/USO need TUN_F_CSUM (super-packets always carry partial checksums)");
        if ((offload & OFFLOAD_USO) != 0 && (offload & OFFLOAD_USO) != OFFLOAD_USO)
            throw new IllegalArgumentException("USO4 and USO6 go together (the kernel accepts only both)");
        boolean existed = !name.contains("%") && Files.exists(Path.of("/sys/class/net", name));
        short flags = (short) (LinuxC.IFF_TUN | LinuxC.IFF_NO_PI
                | (queues > 1 ? LinuxC.IFF_MULTI_QUEUE : 0) | (vnetHeader ? LinuxC.IFF_VNET_HDR : 0));
        int[] fds = new int[queues];
        Arrays.fill(fds, -1);
        String actual = name;
        int granted = offload;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cap = LinuxC.captureSegment(arena);
            MemorySegment path = arena.allocateFrom("/dev/net/tun");
            MemorySegment ifr = arena.allocate(LinuxC.IFREQ_SIZE);
            MemorySegment intArg = arena.allocate(ValueLayout.JAVA_INT);
            for (int q = 0; q < queues; q++) {
                int fd = (int) LinuxC.OPEN.invokeExact(cap, path,
                        LinuxC.O_RDWR | LinuxC.O_NONBLOCK | LinuxC.O_CLOEXEC);
                if (fd < 0) throw fail("open(/dev/net/tun)", actual, LinuxC.errno(cap));
                fds[q] = fd;
                ifr.fill((byte) 0);
                byte[] nb = actual.getBytes(StandardCharsets.US_ASCII);
                MemorySegment.copy(nb, 0, ifr, ValueLayout.JAVA_BYTE, 0, nb.length);
                ifr.set(ValueLayout.JAVA_SHORT_UNALIGNED, LinuxC.IFNAMSIZ, flags);
                int r = (int) LinuxC.IOCTL_PTR.invokeExact(cap, fd, LinuxC.TUNSETIFF, ifr);
                if (r < 0) throw fail("ioctl(TUNSETIFF)", actual, LinuxC.errno(cap));
                if (q == 0) actual = ifr.getString(0, StandardCharsets.US_ASCII);
                if (vnetHeader) {
                    intArg.set(ValueLayout.JAVA_INT, 0, VnetHeader.SIZE);
                    r = (int) LinuxC.IOCTL_PTR.invokeExact(cap, fd, LinuxC.TUNSETVNETHDRSZ, intArg);
                    if (r < 0) throw fail("ioctl(TUNSETVNETHDRSZ)", actual, LinuxC.errno(cap));
                }
                // Offload flags are device state: always set them, 0 when vnet headers are off (DESIGN.md).
                r = (int) LinuxC.IOCTL_VALUE.invokeExact(cap, fd, LinuxC.TUNSETOFFLOAD, (long) granted);
                if (r < 0 && LinuxC.errno(cap) == LinuxC.EINVAL && (granted & OFFLOAD_USO) != 0) {
                    granted &= ~OFFLOAD_USO; // kernel before 6.2: no USO
                    r = (int) LinuxC.IOCTL_VALUE.invokeExact(cap, fd, LinuxC.TUNSETOFFLOAD, (long) granted);
                }
                if (r < 0) throw fail("ioctl(TUNSETOFFLOAD)", actual, LinuxC.errno(cap));
            }
        } catch (TunException e) {
            for (int fd : fds) LinuxC.closeQuietly(fd);
            throw e;
        } catch (Throwable t) {
            for (int fd : fds) LinuxC.closeQuietly(fd);
            throw new AssertionError("unexpected downcall failure", t);
        }
        return new TunDevice(actual, fds, vnetHeader, granted, !existed);
    }

    /** {@code TUN_F_CSUM}: the kernel may hand over and accept packets with a partial L4 checksum. */
    public static final int OFFLOAD_CSUM = LinuxC.TUN_F_CSUM;
    /** {@code TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN}: the kernel may hand over and accept TCP super-packets. */
    public static final int OFFLOAD_TSO = LinuxC.TUN_F_TSO4 | LinuxC.TUN_F_TSO6 | LinuxC.TUN_F_TSO_ECN;
    /** {@code TUN_F_USO4 | TUN_F_USO6}: UDP segmentation offload super-packets (Linux 6.2+). */
    public static final int OFFLOAD_USO = LinuxC.TUN_F_USO4 | LinuxC.TUN_F_USO6;

    private static TunException fail(String call, String dev, int errno) {
        String hint = switch (errno) {
            case LinuxC.EPERM, LinuxC.EACCES -> ": ferry needs CAP_NET_ADMIN (run as root or grant the capability)";
            case LinuxC.ENOENT, LinuxC.ENODEV -> ": no TUN support (modprobe tun; is /dev/net/tun there?)";
            case LinuxC.EINVAL, LinuxC.EBUSY -> ": the device exists as another kind or with other queue/vnet flags,"
                    + " or is in use by another program";
            default -> "";
        };
        return new TunException(call + " for TUN device " + dev + " failed: " + LinuxC.errnoName(errno) + hint, errno);
    }

    /** The interface name the kernel gave the device. */
    public String name() {
        return name;
    }

    /** Number of queues (fds). */
    public int queues() {
        return fds.length;
    }

    /** The fd of one queue. */
    public int fd(int queue) {
        return fds[queue];
    }

    public boolean vnetHeader() {
        return vnetHeader;
    }

    /** The offload flags in force (USO dropped when the kernel lacks it). */
    public int offload() {
        return offload;
    }

    /** True when the device did not exist before {@link #open}: closing every queue removes it. */
    public boolean created() {
        return created;
    }

    /** Closes every queue fd. Call only after the workers using them have exited. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        for (int fd : fds) LinuxC.closeQuietly(fd);
    }
}
