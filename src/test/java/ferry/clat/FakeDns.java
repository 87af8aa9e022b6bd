package ferry.clat;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.function.Function;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;

/** A one-socket UDP DNS server on 127.0.0.1 for tests: each query goes to {@code answer} (null: no reply). */
final class FakeDns implements AutoCloseable {
    final DatagramSocket socket;
    final Thread thread;
    volatile int queries;

    FakeDns(Function<Message, Message> answer) throws IOException {
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        thread = Thread.ofVirtual().start(() -> {
            byte[] buf = new byte[1500];
            while (!socket.isClosed()) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    socket.receive(p);
                    queries++;
                    Message q = new Message(java.util.Arrays.copyOf(p.getData(), p.getLength()));
                    Message r = answer.apply(q);
                    if (r == null) continue;
                    r.getHeader().setID(q.getHeader().getID());
                    r.getHeader().setFlag(Flags.QR);
                    byte[] out = r.toWire();
                    socket.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
                } catch (IOException e) {
                    // closed
                }
            }
        });
    }

    InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    @Override
    public void close() {
        socket.close();
    }
}
