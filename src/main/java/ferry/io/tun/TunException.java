package ferry.io.tun;

import java.io.IOException;

/** A TUN device or queue operation failed; the message names the call, the device and the errno. */
public final class TunException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The errno of the failed call, 0 when none applies. */
    private final int errno;

    public TunException(String message, int errno) {
        super(message);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
