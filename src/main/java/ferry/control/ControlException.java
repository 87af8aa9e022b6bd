package ferry.control;

import java.io.IOException;

/** The control socket could not be used: no daemon, permission denied, timeout, or a malformed message. */
public final class ControlException extends IOException {
    /** The hint printed under the message (may be empty). */
    private final String hint;

    public ControlException(String message, String hint, Throwable cause) {
        super(message, cause);
        this.hint = hint == null ? "" : hint;
    }

    public ControlException(String message) {
        this(message, "", null);
    }

    public String hint() {
        return hint;
    }
}
