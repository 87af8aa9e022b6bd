package ferry.dns64;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The DNS64 server's FFM UDP socket: binding, receiving with the sender kept, answering it, stopping. */
class UdpSocketTest {
    static InetSocketAddress roundTrip(InetSocketAddress a) throws Exception {
        try (Arena ar = Arena.ofConfined()) {
            MemorySegment sa = ar.allocate(UdpSocket.SOCKADDR, 8);
            UdpSocket.encode(a, sa);
            return UdpSocket.decode(sa);
        }
    }

    @Test
    void socketAddressesSurviveTheSockaddrEncodingForBothFamilies() throws Exception {
        for (String s : new String[] {"192.0.2.1", "127.0.0.1", "2001:db8::53", "::1", "::ffff:192.0.2.1"}) {
            InetSocketAddress a = new InetSocketAddress(InetAddress.getByName(s), 5353);
            assertThat(roundTrip(a)).isEqualTo(a);
        }
        // the port is in network byte order, the family in host order (sockaddr_in)
        byte[] b = UdpSocket.sockaddr(new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 0x1234));
        assertThat(b).hasSize(16);
        assertThat(b[2]).isEqualTo((byte) 0x12);
        assertThat(b[3]).isEqualTo((byte) 0x34);
        assertThat(b[4] & 0xff).isEqualTo(192);
        assertThat(UdpSocket.sockaddr(new InetSocketAddress(InetAddress.getByName("2001:db8::1"), 53))).hasSize(28);
    }

    @Test
    void aDatagramIsReceivedWithItsSenderAndTheReplyGoesBackToThatSender() throws Exception {
        for (String host : new String[] {"127.0.0.1", "::1"}) {
            try (UdpSocket s = UdpSocket.open(new InetSocketAddress(host, 0), false);
                 UdpSocket.Receiver rx = s.receiver();
                 DatagramChannel a = DatagramChannel.open(); DatagramChannel b = DatagramChannel.open()) {
                assertThat(s.localAddress().getPort()).as("the port the kernel chose").isPositive();
                a.connect(s.localAddress());
                b.connect(s.localAddress());
                byte[] in = new byte[UdpSocket.MAX_DATAGRAM];
                a.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
                b.write(ByteBuffer.wrap(new byte[] {4, 5}));
                assertThat(receive(rx, in)).isEqualTo(3);
                assertThat(in[2]).isEqualTo((byte) 3);
                assertThat(rx.peerAddress()).isEqualTo(a.getLocalAddress());
                byte[] peerA = rx.peer();
                assertThat(receive(rx, in)).isEqualTo(2);
                assertThat(rx.peerAddress()).isEqualTo(b.getLocalAddress());
                assertThat(rx.reply(new byte[] {9, 9, 9, 9}, 2)).isTrue(); // to b, the last sender
                assertThat(s.sendTo(new byte[] {7}, 1, peerA)).isTrue(); // to a, from another thread's copy
                ByteBuffer got = ByteBuffer.allocate(16);
                b.read(got);
                assertThat(got.position()).isEqualTo(2);
                got.clear();
                a.read(got);
                assertThat(got.get(0)).isEqualTo((byte) 7);
                // the non-blocking send of the miss path (MSG_DONTWAIT) delivers the same way
                assertThat(s.trySendTo(new byte[] {8, 6}, 2, peerA)).isTrue();
                got.clear();
                a.read(got);
                assertThat(got.position()).isEqualTo(2);
                assertThat(got.get(0)).isEqualTo((byte) 8);
            }
        }
    }

    static int receive(UdpSocket.Receiver rx, byte[] in) {
        int n;
        while ((n = rx.receive(in)) < 0) { } // -1: the receive timeout passed with nothing
        return n;
    }

    @Test
    void shutdownWakesABlockedReceiverAtOnce() throws Exception {
        try (UdpSocket s = UdpSocket.open(new InetSocketAddress("127.0.0.1", 0), false)) {
            CompletableFuture<Integer> got = new CompletableFuture<>();
            Thread t = Thread.ofPlatform().start(() -> {
                try (UdpSocket.Receiver rx = s.receiver()) {
                    got.complete(rx.receive(new byte[512]));
                }
            });
            Thread.sleep(100); // blocked in recvfrom by now (or about to be)
            long start = System.nanoTime();
            s.shutdown();
            assertThat(got.get(5, TimeUnit.SECONDS)).isEqualTo(-1);
            t.join(5000);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("woken by shutdown, not by the 1 s timeout")
                    .isLessThan(900);
        }
    }

    @Test
    void aPortThatIsTakenIsReportedWithTheAddress() throws Exception {
        try (UdpSocket s = UdpSocket.open(new InetSocketAddress("127.0.0.1", 0), false)) {
            assertThatThrownBy(() -> UdpSocket.open(s.localAddress(), false)).hasMessageContaining("bind /127.0.0.1:" + s.localAddress().getPort())
                    .hasMessageContaining("address in use");
        }
    }
}
