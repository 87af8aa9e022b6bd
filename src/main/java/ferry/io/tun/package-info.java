/**
 * The Linux TUN data plane through the Foreign Function &amp; Memory API (no JNI): {@link ferry.io.tun.TunDevice}
 * opens {@code /dev/net/tun} (one non-blocking fd per queue, {@code IFF_MULTI_QUEUE}, optional
 * {@code IFF_VNET_HDR} with {@code TUN_F_CSUM} and TSO4/TSO6), {@link ferry.io.tun.TunInterfaceSetup} sets MTU,
 * link state, addresses and routes with iproute2's {@code ip} command (configuration only, never per packet), and
 * {@link ferry.io.tun.TunDataplane} runs one {@link ferry.io.tun.TunWorker} per queue on its own platform thread:
 * read until {@code EAGAIN}, hand each packet to a {@link ferry.io.tun.PacketHandler}, {@code poll(2)} the queue
 * together with an {@link ferry.io.tun.EventFd} that stops it. Partial checksums and TCP super-packets are kept as
 * they are across translation ({@link ferry.io.tun.VnetHeader}, {@code VnetChecksum}); nothing is segmented or
 * completed in userspace except the rare partial checksum that could be fragmented.
 *
 * <p>Imports java.base only: the translator reaches this package through {@link ferry.io.tun.PacketHandler},
 * implemented in {@code ferry.app}.
 */
package ferry.io.tun;
