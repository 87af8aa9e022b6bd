package ferry.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control socket without a daemon: framing, versions, unknown requests, timeouts, file modes. */
class ControlServerTest {
    @TempDir
    Path tmp;
    final List<String> log = new CopyOnWriteArrayList<>();
    ControlServer server;

    @AfterEach
    void close() {
        if (server != null) server.close();
    }

    ControlServer echo(Path sock) throws IOException {
        return ControlServer.start(sock, r -> r.noun().equals("echo")
                ? Response.table(List.of("verb", "args"), List.of(List.of(r.verb(), String.join(" ", r.args()))))
                : Response.error("unknown request \"" + r.noun() + " " + r.verb() + "\""), log::add);
    }

    static String raw(Path sock, String line) throws IOException {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(sock));
            c.write(ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8)));
            ByteBuffer b = ByteBuffer.allocate(65536);
            while (c.read(b) >= 0) {
                // until the daemon closes
            }
            return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aRequestGetsItsReplyAndTheSocketAndItsNewDirectoryArePrivate() throws Exception {
        Path sock = tmp.resolve("run/ferry/test.sock");
        server = echo(sock);
        Response r = new ControlClient(sock, 5000).send(Request.of("echo", "display", "a", "b c"));
        assertThat(r.ok()).isTrue();
        assertThat(r.version()).isEqualTo(ControlCodec.VERSION);
        assertThat(r.rows()).containsExactly(List.of("display", "a b c"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sock))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sock.getParent()))).isEqualTo("rwx------");
    }

    @Test
    void anUnknownRequestIsAnsweredWithAnErrorNamingIt() throws Exception {
        Path sock = tmp.resolve("u.sock");
        server = echo(sock);
        Response r = new ControlClient(sock, 5000).send(Request.of("frobnicate", "now"));
        assertThat(r.ok()).isFalse();
        assertThat(r.errors()).singleElement().asString().contains("frobnicate now");
    }

    @Test
    void anotherVersionAndMalformedJsonAreRefusedWithAReplyNotAHang() throws Exception {
        Path sock = tmp.resolve("v.sock");
        server = echo(sock);
        String v99 = raw(sock, "{\"version\":99,\"noun\":\"echo\",\"verb\":\"x\",\"args\":[]}\n");
        assertThat(v99).contains("\"ok\":false").contains("unsupported protocol version 99");
        String junk = raw(sock, "this is not json\n");
        assertThat(junk).contains("\"ok\":false").contains("malformed request");
        String unknownField = raw(sock, "{\"version\":1,\"noun\":\"echo\",\"verb\":\"x\",\"args\":[],\"extra\":1}\n");
        assertThat(unknownField).contains("\"ok\":false").contains("malformed request");
    }

    @Test
    void aClientThatSendsNothingIsDisconnectedAfterTheReadTimeout() throws Exception {
        Path sock = tmp.resolve("t.sock");
        server = echo(sock);
        long t0 = System.nanoTime();
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(sock));
            assertThat(c.read(ByteBuffer.allocate(16))).isEqualTo(-1); // closed by the daemon
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ms).isBetween(ControlServer.READ_TIMEOUT_MILLIS - 500, ControlServer.READ_TIMEOUT_MILLIS + 3000);
        // the daemon logs just after closing, so the client can see the close first: wait for the line (bounded; the
        // old 1 s wait, which also stopped at any other line, was too short for a loaded machine)
        ferry.testkit.Await.until("event=control_timeout logged", 10,
                () -> log.stream().anyMatch(l -> l.contains("event=control_timeout")), () -> log);
    }

    @Test
    void aClientGivesUpOnADaemonThatNeverAnswers() throws Exception {
        Path sock = tmp.resolve("slow.sock");
        server = ControlServer.start(sock, r -> {
            try {
                Thread.sleep(3000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Response.done();
        }, log::add);
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> new ControlClient(sock, 300).send(Request.of("x", "y")))
                .isInstanceOf(ControlException.class).hasMessageContaining("no reply").hasMessageContaining("300 ms");
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(2500);
    }

    @Test
    void noDaemonIsOneClearErrorWithAHint() {
        Path sock = tmp.resolve("absent.sock");
        assertThatThrownBy(() -> new ControlClient(sock, 1000).send(Request.of("stats", "display")))
                .isInstanceOfSatisfying(ControlException.class, e -> {
                    assertThat(e.getMessage()).isEqualTo("no ferry daemon listening on " + sock);
                    assertThat(e.hint()).contains("ferry run");
                });
    }

    @Test
    void aStaleSocketFileIsReplacedButALiveDaemonIsNotStolen() throws Exception {
        Path sock = tmp.resolve("s.sock");
        ControlServer first = echo(sock);
        assertThatThrownBy(() -> echo(sock)).isInstanceOf(IOException.class).hasMessageContaining("already listens");
        first.close();
        // a stale file: bound, never served, left behind (as after kill -9)
        try (var ch = java.nio.channels.ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.bind(UnixDomainSocketAddress.of(sock));
        }
        assertThat(sock).exists();
        server = echo(sock);
        assertThat(new ControlClient(sock, 5000).send(Request.of("echo", "ok")).ok()).isTrue();
    }

    @Test
    void anotherUserIsRefusedByPeerCredentialsEvenWhenTheSocketModeWouldLetItIn() throws Exception {
        String why = null;
        Process id = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
        String uid = new String(id.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        id.waitFor();
        if (!uid.equals("0")) why = "not root (uid " + uid + "): cannot switch to nobody";
        for (String tool : List.of("setpriv")) {
            Process w = new ProcessBuilder("sh", "-c", "command -v " + tool).start();
            if (why == null && (w.waitFor() != 0)) why = tool + " is not installed";
        }
        if (why != null) System.err.println("peer-credential test skipped: " + why);
        org.junit.jupiter.api.Assumptions.assumeTrue(why == null, why);
        Path open = Files.createTempDirectory("ferry-peercred");
        try {
            Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path sock = open.resolve("p.sock");
            server = echo(sock);
            Files.setPosixFilePermissions(sock, PosixFilePermissions.fromString("rw-rw-rw-")); // as if misconfigured
            // the client: a single-file Java program (the JDK is readable by everyone; /root is not)
            Path client = open.resolve("Client.java");
            Files.writeString(client, """
                    import java.net.*; import java.nio.*; import java.nio.channels.*;
                    public class Client { public static void main(String[] a) throws Exception {
                        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                            c.connect(UnixDomainSocketAddress.of(a[0]));
                            c.write(ByteBuffer.wrap("{\\"version\\":1,\\"noun\\":\\"echo\\",\\"verb\\":\\"x\\",\\"args\\":[]}\\n".getBytes()));
                            ByteBuffer b = ByteBuffer.allocate(4096);
                            while (c.read(b) >= 0) { }
                            System.out.print(new String(b.array(), 0, b.position()));
                        } } }
                    """);
            Files.setPosixFilePermissions(client, PosixFilePermissions.fromString("rw-r--r--"));
            String java = ProcessHandle.current().info().command().orElse("java");
            Process p = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                    java, client.toString(), sock.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as(out).isZero();
            assertThat(out).contains("\"ok\":false").contains("permission denied: user nobody");
            assertThat(log).anyMatch(l -> l.contains("event=control_refused user=nobody"));
            // root still gets through
            assertThat(new ControlClient(sock, 5000).send(Request.of("echo", "y")).ok()).isTrue();
        } finally {
            server.close();
            server = null;
            try (var files = Files.walk(open)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    @Test
    void aHandlerFailureBecomesAnErrorReply() throws Exception {
        Path sock = tmp.resolve("f.sock");
        server = ControlServer.start(sock, r -> {
            throw new IllegalStateException("boom");
        }, log::add);
        Response r = new ControlClient(sock, 5000).send(Request.of("x", "y"));
        assertThat(r.ok()).isFalse();
        assertThat(r.errors()).singleElement().asString().contains("internal error").contains("boom");
        assertThat(log).anyMatch(l -> l.contains("event=control_handler_failed"));
    }

    @Test
    void instanceNamesThatAreNotFileNamesAreRefused() {
        assertThat(ControlPaths.socket("default")).isEqualTo(Path.of("/run/ferry/default.sock"));
        assertThatThrownBy(() -> ControlPaths.socket("../etc/x")).hasMessageContaining("\"../etc/x\"");
        assertThatThrownBy(() -> ControlPaths.socket("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theCodecRoundTripsRequestsAndResponses() throws Exception {
        Request q = Request.of("pool4", "add", "--tcp", "203.0.113.1", "1024-65535");
        assertThat(ControlCodec.request(strip(ControlCodec.encode(q)))).isEqualTo(q);
        Response r = new Response(1, true, List.of(), List.of("applied"), List.of("a", "b"), List.of(List.of("1", "2")));
        assertThat(ControlCodec.response(strip(ControlCodec.encode(r)))).isEqualTo(r);
        assertThatThrownBy(() -> ControlCodec.request("{\"version\":1}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(ControlException.class).hasMessageContaining("noun");
    }

    private static byte[] strip(byte[] line) {
        assertThat(line[line.length - 1]).isEqualTo((byte) '\n');
        return java.util.Arrays.copyOf(line, line.length - 1);
    }
}
