package ferry.control;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** Framing: one newline-terminated message per direction; reads bounded in size and (by a watchdog) in time. */
final class Messages {
    private static final ScheduledExecutorService WATCHDOG = java.util.concurrent.Executors
            .newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("ferry-control-watchdog").unstarted(r));

    private Messages() {
    }

    /** A pending close of a channel; {@link #fired()} tells a failed read that it was the timeout. */
    static final class Watchdog {
        private final java.util.concurrent.atomic.AtomicBoolean fired = new java.util.concurrent.atomic.AtomicBoolean();
        private ScheduledFuture<?> future;

        boolean fired() {
            return fired.get();
        }

        void cancel() {
            future.cancel(false);
        }
    }

    /** Closes {@code ch} after {@code millis} unless the returned watchdog is cancelled first. */
    static Watchdog closeAfter(SocketChannel ch, long millis) {
        Watchdog w = new Watchdog();
        w.future = WATCHDOG.schedule(() -> {
            w.fired.set(true);
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing is all we want
            }
        }, millis, TimeUnit.MILLISECONDS);
        return w;
    }

    /** Reads up to and excluding the first newline; EOF before it is an error, as is a message over the limit. */
    static byte[] readLine(SocketChannel ch) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(8192);
        while (true) {
            buf.clear();
            int n = ch.read(buf);
            if (n < 0) throw new ControlException("connection closed before a complete message (no newline after "
                    + out.size() + " bytes)");
            for (int i = 0; i < n; i++) {
                byte b = buf.get(i);
                if (b == '\n') return out.toByteArray();
                out.write(b);
            }
            if (out.size() > ControlCodec.MAX_MESSAGE)
                throw new ControlException("message longer than " + ControlCodec.MAX_MESSAGE + " bytes");
        }
    }

    static void write(SocketChannel ch, byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) ch.write(b);
    }
}
