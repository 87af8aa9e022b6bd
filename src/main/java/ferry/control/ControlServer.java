package ferry.control;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.function.Consumer;

/**
 * The daemon side of the control socket: binds {@code path} (creating its directory with mode 0700 and the socket
 * with mode 0600; a stale socket file is replaced, a live one refused), accepts connections on a virtual thread and
 * serves each on its own virtual thread: read one request (at most {@link #READ_TIMEOUT_MILLIS} ms), check the
 * peer's user ({@code SO_PEERCRED}) is the daemon's own, answer, close. A malformed request, another version or a
 * handler failure is answered with an error reply; nothing waits forever.
 */
public final class ControlServer implements AutoCloseable {
    /** How long a client may take to send its request. */
    public static final long READ_TIMEOUT_MILLIS = 5000;

    /** Answers one request; runs on a virtual thread, possibly concurrently with others. */
    @FunctionalInterface
    public interface Handler {
        Response handle(Request request);
    }

    private final Path path;
    private final ServerSocketChannel server;
    private final Handler handler;
    private final Consumer<String> log;
    private final UserPrincipal owner;
    private final Thread acceptor;

    private ControlServer(Path path, ServerSocketChannel server, Handler handler, Consumer<String> log,
                          UserPrincipal owner) {
        this.path = path;
        this.server = server;
        this.handler = handler;
        this.log = log;
        this.owner = owner;
        this.acceptor = Thread.ofVirtual().name("ferry-control-accept").start(this::acceptLoop);
    }

    /**
     * Binds and starts serving.
     *
     * @param log receives one line per refused or failed connection
     * @throws IOException the socket cannot be created, or another daemon already serves {@code path}
     */
    public static ControlServer start(Path path, Handler handler, Consumer<String> log) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (Files.exists(path)) {
            try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                probe.connect(UnixDomainSocketAddress.of(path));
                throw new IOException("another ferry daemon already listens on " + path);
            } catch (IOException e) {
                if (e.getMessage() != null && e.getMessage().startsWith("another ferry")) throw e;
                Files.delete(path); // stale: nobody listens
            }
        }
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.bind(UnixDomainSocketAddress.of(path));
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            return new ControlServer(path, ch, handler, log, Files.getOwner(path));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (IOException e) {
                if (server.isOpen()) log.accept("level=warn event=control_accept_failed error=\"" + e.getMessage() + "\"");
                continue;
            }
            Thread.ofVirtual().name("ferry-control-conn").start(() -> serve(c));
        }
    }

    private void serve(SocketChannel c) {
        try (c) {
            Messages.Watchdog dog = Messages.closeAfter(c, READ_TIMEOUT_MILLIS);
            Response reply;
            try {
                byte[] raw;
                try {
                    raw = Messages.readLine(c);
                } catch (IOException e) {
                    if (dog.fired()) {
                        log.accept("level=warn event=control_timeout after_ms=" + READ_TIMEOUT_MILLIS);
                        return; // the watchdog closed the channel
                    }
                    throw e;
                }
                // the request is read first (bounded in size and time) so the refusal reaches a client still writing
                String peer = peer(c);
                if (peer != null && !peer.equals(owner.getName())) {
                    log.accept("level=warn event=control_refused user=" + peer);
                    reply = Response.error("permission denied: user " + peer + " may not use this control socket"
                            + " (only " + owner.getName() + ")");
                } else {
                    reply = answer(raw);
                }
            } finally {
                dog.cancel();
            }
            Messages.Watchdog writeDog = Messages.closeAfter(c, READ_TIMEOUT_MILLIS);
            try {
                Messages.write(c, ControlCodec.encode(reply));
            } finally {
                writeDog.cancel();
            }
        } catch (IOException e) {
            log.accept("level=warn event=control_connection_failed error=\"" + e.getMessage() + "\"");
        }
    }

    /** Decodes, checks the version and runs the handler; every failure becomes an error reply. */
    Response answer(byte[] raw) {
        Request req;
        try {
            req = ControlCodec.request(raw);
        } catch (ControlException e) {
            return Response.error(e.getMessage());
        }
        if (req.version() != ControlCodec.VERSION) {
            return Response.error("unsupported protocol version " + req.version() + ": this daemon speaks version "
                    + ControlCodec.VERSION + " (use the ferry CLI of the same release)");
        }
        try {
            Response r = handler.handle(req);
            return r != null ? r : Response.error("internal error: no reply for " + req.noun() + " " + req.verb());
        } catch (RuntimeException e) {
            log.accept("level=error event=control_handler_failed noun=" + req.noun() + " verb=" + req.verb()
                    + " error=\"" + e + "\"");
            return Response.error("internal error in the daemon: " + e);
        }
    }

    private static String peer(SocketChannel c) {
        try {
            return c.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED).user().getName();
        } catch (IOException | UnsupportedOperationException e) {
            return null; // not Linux: the socket's mode 0600 still guards it
        }
    }

    /** Stops accepting and removes the socket file. */
    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
        acceptor.interrupt();
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // best effort
        }
    }
}
