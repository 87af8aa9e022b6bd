package ferry.io;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** Builds capture files and link-layer frames byte by byte, for the reader tests. */
public final class Captures {
    private Captures() {
    }

    /** A growable little/big-endian byte sink. */
    public static final class Bytes {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final boolean le;

        public Bytes(boolean le) {
            this.le = le;
        }

        public Bytes u8(int v) {
            out.write(v);
            return this;
        }

        public Bytes u16(int v) {
            if (le) {
                out.write(v);
                out.write(v >>> 8);
            } else {
                out.write(v >>> 8);
                out.write(v);
            }
            return this;
        }

        public Bytes u32(long v) {
            byte[] b = ByteBuffer.allocate(4).order(le ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN)
                    .putInt((int) v).array();
            out.writeBytes(b);
            return this;
        }

        public Bytes bytes(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        public Bytes pad4() {
            while (out.size() % 4 != 0) out.write(0);
            return this;
        }

        public int size() {
            return out.size();
        }

        public byte[] toByteArray() {
            return out.toByteArray();
        }
    }

    /** Classic pcap file header. */
    public static Bytes pcapHeader(boolean le, boolean nanos, long linkTypeField) {
        return new Bytes(le).u32(nanos ? 0xa1b23c4dL : 0xa1b2c3d4L).u16(2).u16(4).u32(0).u32(0).u32(262144)
                .u32(linkTypeField);
    }

    /** Appends a classic pcap record; the fraction is µs or ns as the header says. */
    public static Bytes pcapRecord(Bytes b, long sec, long frac, byte[] data, int origLen) {
        return b.u32(sec).u32(frac).u32(data.length).u32(origLen).bytes(data);
    }

    /** pcapng writer: blocks in one byte order (a new {@link #shb} may switch it through {@link #section}). */
    public static final class Pcapng {
        final ByteArrayOutputStream all = new ByteArrayOutputStream();

        public Pcapng section(boolean le) {
            block(le, 0x0A0D0D0A, new Bytes(le).u32(0x1A2B3C4D).u16(1).u16(0).u32(0xffffffffL).u32(0xffffffffL)
                    .toByteArray());
            return this;
        }

        /** IDB; tsresol < 0 means no if_tsresol option. */
        public Pcapng idb(boolean le, int linkType, int tsresol, long tsoffsetSec) {
            Bytes b = new Bytes(le).u16(linkType).u16(0).u32(0);
            if (tsresol >= 0) b.u16(9).u16(1).u8(tsresol).pad4();
            if (tsoffsetSec != 0) {
                b.u16(14).u16(8);
                if (le) b.u32(tsoffsetSec & 0xffffffffL).u32(tsoffsetSec >>> 32);
                else b.u32(tsoffsetSec >>> 32).u32(tsoffsetSec & 0xffffffffL);
            }
            if (tsresol >= 0 || tsoffsetSec != 0) b.u16(0).u16(0);
            block(le, 1, b.toByteArray());
            return this;
        }

        public Pcapng epb(boolean le, int ifId, long ts, byte[] data, int origLen) {
            Bytes b = new Bytes(le).u32(ifId).u32(ts >>> 32).u32(ts & 0xffffffffL).u32(data.length).u32(origLen)
                    .bytes(data).pad4();
            block(le, 6, b.toByteArray());
            return this;
        }

        public Pcapng opb(boolean le, int ifId, long ts, byte[] data) {
            Bytes b = new Bytes(le).u16(ifId).u16(0).u32(ts >>> 32).u32(ts & 0xffffffffL).u32(data.length)
                    .u32(data.length).bytes(data).pad4();
            block(le, 2, b.toByteArray());
            return this;
        }

        public Pcapng spb(boolean le, byte[] data) {
            block(le, 3, new Bytes(le).u32(data.length).bytes(data).pad4().toByteArray());
            return this;
        }

        public Pcapng block(boolean le, int type, byte[] body) {
            int total = 12 + body.length;
            all.writeBytes(new Bytes(le).u32(type).u32(total).bytes(body).u32(total).toByteArray());
            return this;
        }

        public Pcapng raw(byte[] b) {
            all.writeBytes(b);
            return this;
        }

        public byte[] bytes() {
            return all.toByteArray();
        }
    }

    /** A fake IPv4 packet of {@code len} bytes: version/IHL, Total Length = len, the rest a counting pattern. */
    public static byte[] ipv4(int len, int seed) {
        byte[] p = new byte[len];
        for (int i = 0; i < len; i++) p[i] = (byte) (seed + i);
        p[0] = 0x45;
        p[2] = (byte) (len >>> 8);
        p[3] = (byte) len;
        return p;
    }

    /** A fake IPv6 packet of {@code len} ≥ 40 bytes: version 6, Payload Length = len - 40. */
    public static byte[] ipv6(int len, int seed) {
        byte[] p = new byte[len];
        for (int i = 0; i < len; i++) p[i] = (byte) (seed + i);
        p[0] = 0x60;
        p[4] = (byte) ((len - 40) >>> 8);
        p[5] = (byte) (len - 40);
        return p;
    }

    /** Ethernet II frame: dst, src, then each tag TPID/TCI, then the EtherType and payload. */
    public static byte[] ethernet(int etherType, byte[] payload, int... tpids) {
        Bytes b = new Bytes(false);
        b.bytes(new byte[] {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2});
        int vid = 100;
        for (int tpid : tpids) b.u16(tpid).u16(vid++);
        return b.u16(etherType).bytes(payload).toByteArray();
    }

    /** Ethernet padded with zeros to {@code frameLen}. */
    public static byte[] padded(byte[] frame, int frameLen) {
        return Arrays.copyOf(frame, Math.max(frameLen, frame.length));
    }

    /** Linux cooked v1: packet type, ARPHRD_ETHER, address length 6, address (8), protocol. */
    public static byte[] sll(int protocol, byte[] payload) {
        return new Bytes(false).u16(0).u16(1).u16(6).bytes(new byte[] {2, 0, 0, 0, 0, 1, 0, 0}).u16(protocol)
                .bytes(payload).toByteArray();
    }

    /** Linux cooked v2: protocol, reserved, ifindex, ARPHRD_ETHER, packet type, address length, address (8). */
    public static byte[] sll2(int protocol, byte[] payload) {
        return new Bytes(false).u16(protocol).u16(0).u32(2).u16(1).u8(0).u8(6)
                .bytes(new byte[] {2, 0, 0, 0, 0, 1, 0, 0}).bytes(payload).toByteArray();
    }

    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }
}
