package ferry.clat;

/**
 * Where the PLAT (NAT64) prefix in use came from, in order of preference (RFC 7050 §3, RFC 8781 §5, RFC 9872):
 * an operator's configured prefix beats a PREF64 option heard in a Router Advertisement, which beats RFC 7050
 * discovery through {@code ipv4only.arpa}, which beats the well-known prefix 64:ff9b::/96 used as a last resort.
 */
public enum PlatSource {
    /** {@code "clat": {"plat-prefix": ...}} in the configuration. */
    CONFIGURED("configured"),
    /** A PREF64 option (RFC 8781) in a Router Advertisement on the uplink. */
    PREF64_RA("pref64-ra"),
    /** An AAAA answer for ipv4only.arpa holding 192.0.0.170/171 (RFC 7050). */
    RFC7050_DNS("rfc7050-dns"),
    /** Nothing learned: the well-known prefix 64:ff9b::/96 (RFC 6052 §2.1). */
    FALLBACK("fallback-wkp");

    private final String label;

    PlatSource(String label) {
        this.label = label;
    }

    /** The name used in logs and in {@code ferry clat status}. */
    public String label() {
        return label;
    }
}
