package ferry.control;

import java.nio.file.Path;

/** Where an instance's control socket lives. */
public final class ControlPaths {
    /** The directory of the sockets (systemd's {@code RuntimeDirectory=ferry}). */
    public static final Path RUN_DIR = Path.of("/run/ferry");

    private ControlPaths() {
    }

    /**
     * {@code /run/ferry/<instance>.sock}.
     *
     * @throws IllegalArgumentException the instance name is not 1..64 characters of {@code [A-Za-z0-9._-]} (it
     *                                  becomes a file name)
     */
    public static Path socket(String instance) {
        if (instance == null || !instance.matches("[A-Za-z0-9_][A-Za-z0-9._-]{0,63}"))
            throw new IllegalArgumentException("instance: \"" + instance
                    + "\" is not a valid instance name (1-64 characters of A-Z a-z 0-9 . _ -, not starting with . or -)");
        return RUN_DIR.resolve(instance + ".sock");
    }
}
