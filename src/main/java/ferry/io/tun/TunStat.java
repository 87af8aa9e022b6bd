package ferry.io.tun;

/** Counters of the TUN queues (outcomes and drop reasons outside the translator), each with a one-line meaning. */
public enum TunStat {
    RX_PACKETS("tun_rx_packets", "packets read from the TUN device"),
    TX_PACKETS("tun_tx_packets", "packets written to the TUN device"),
    TX_DROP_QUEUE_FULL("tun_tx_drop_queue_full", "write returned EAGAIN (TUN queue full): packet dropped"),
    TX_ERROR("tun_tx_error", "write failed with another errno (device down: EIO, bad vnet header: EINVAL ...)"),
    TX_COPIED("tun_tx_copied",
            "packets copied into the worker's native send buffer (emitted from a translator scratch buffer)"),
    RX_ERROR("tun_rx_error", "read failed with an errno other than EAGAIN/EINTR (device removed: EBADFD ...)"),
    RX_RUNT("tun_rx_runt", "read returned fewer bytes than the vnet header"),
    RX_GSO_TCP("tun_rx_gso_tcp", "TCP GSO super-packets (TSO4/TSO6) translated whole, vnet header rewritten"),
    RX_GSO_UDP("tun_rx_gso_udp", "UDP GSO super-packets (USO) translated whole, vnet header rewritten"),
    RX_DROP_GSO("tun_rx_drop_gso", "GSO packet ferry does not translate whole (not TCP/UDP right after the IP"
            + " header, no partial checksum, UFO, IPv4 without DF whose segments would need fragmenting): dropped,"
            + " never segmented in userspace"),
    RX_CSUM_PARTIAL("tun_rx_csum_partial",
            "packets with a partial checksum (NEEDS_CSUM) translated and handed back still partial"),
    RX_CSUM_COMPLETED("tun_rx_csum_completed",
            "partial checksums finished in software (not TCP/UDP right after the IP header, or may be fragmented)"),
    RX_DROP_BAD_VNET("tun_rx_drop_bad_vnet", "vnet header with csum_start/csum_offset outside the packet"),
    URING_ENTERS("tun_uring_enters", "io_uring_enter calls of workers with \"io\": \"uring\" (reads, writes and"
            + " waits of a batch share one; packets per call = tun_rx_packets / this)"),
    RX_BATCHES("tun_rx_batches", "batches of packets handed to the handler in one call (nat64 workers with read/write"
            + " I/O; packets per batch ~ tun_rx_packets / this)"),
    HANDLER_EXCEPTION("tun_handler_exception", "an exception escaped the packet handler (counted; worker went on)");

    private final String id;
    private final String help;

    TunStat(String id, String help) {
        this.id = id;
        this.help = help;
    }

    /** The stable (Prometheus) name. */
    public String id() {
        return id;
    }

    public String help() {
        return help;
    }
}
