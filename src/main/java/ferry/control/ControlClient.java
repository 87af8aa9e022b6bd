package ferry.control;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Sends one {@link Request} to a daemon's control socket and waits (bounded) for its {@link Response}. */
public final class ControlClient {
    private final Path socket;
    private final long timeoutMillis;

    public ControlClient(Path socket, long timeoutMillis) {
        this.socket = socket;
        this.timeoutMillis = timeoutMillis;
    }

    public Path socket() {
        return socket;
    }

    /**
     * @throws ControlException no daemon listens there, the user may not use the socket, the daemon did not answer in
     *                          time, or the reply is malformed; the message is one line, the hint says what to do
     */
    public Response send(Request request) throws ControlException {
        SocketChannel ch;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        } catch (IOException e) {
            throw new ControlException("cannot open a Unix-domain socket: " + e.getMessage(), "", e);
        }
        try (ch) {
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                throw connectFailure(e);
            }
            Messages.Watchdog dog = Messages.closeAfter(ch, timeoutMillis);
            try {
                Messages.write(ch, ControlCodec.encode(request));
                byte[] reply = Messages.readLine(ch);
                return ControlCodec.response(reply);
            } catch (ControlException e) {
                throw e;
            } catch (IOException e) {
                if (dog.fired()) {
                    throw new ControlException("no reply from the daemon on " + socket + " within " + timeoutMillis
                            + " ms", "is ferry run stuck? see its log (journalctl -u ferry@INSTANCE)", e);
                }
                throw new ControlException("lost the connection to the daemon on " + socket + ": " + e.getMessage(),
                        "", e);
            } finally {
                dog.cancel();
            }
        } catch (IOException e) {
            if (e instanceof ControlException c) throw c;
            throw new ControlException(e.getMessage(), "", e);
        }
    }

    private ControlException connectFailure(IOException e) {
        String m = String.valueOf(e.getMessage());
        if (e instanceof AccessDeniedException || m.contains("Permission denied")) {
            return new ControlException("permission denied on " + socket,
                    "only the user running ferry (root) may use the control socket: run the command as root", e);
        }
        if (!Files.exists(socket) || m.contains("No such file") || m.contains("Connection refused")) {
            return new ControlException("no ferry daemon listening on " + socket,
                    "start it with: ferry run --config FILE (its \"instance\" names the socket), or pass -i INSTANCE",
                    e);
        }
        return new ControlException("cannot connect to " + socket + ": " + m, "", e);
    }
}
