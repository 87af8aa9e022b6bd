package ferry.io;

import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;
import java.util.StringJoiner;

/**
 * pcapng files (draft-ietf-opsawg-pcapng): a sequence of blocks {@code type(4) total_length(4) body
 * total_length(4)}. Reads Section Header Blocks in either byte order (each section may differ), Interface
 * Description Blocks (link type, {@code if_tsresol}, {@code if_tsoffset}, {@code if_fcslen}), Enhanced, Simple and
 * (obsolete) Packet Blocks; every other block type is skipped unread.
 */
final class PcapngReader extends CaptureReader {
    static final int SHB = 0x0A0D0D0A;
    static final int IDB = 0x00000001;
    static final int OPB = 0x00000002; // obsolete Packet Block
    static final int SPB = 0x00000003;
    static final int EPB = 0x00000006;
    static final int BYTE_ORDER_MAGIC = 0x1A2B3C4D;

    static final int OPT_ENDOFOPT = 0;
    static final int IF_TSRESOL = 9;
    static final int IF_FCSLEN = 13;
    static final int IF_TSOFFSET = 14;

    private boolean le;
    private boolean sawLittle, sawBig;
    private long blocks;

    // Interfaces of the current section, indexed by interface id.
    private int nIf;
    private int[] ifLinkType = new int[4];
    private int[] ifFcs = new int[4];
    private long[] ifMul = new long[4];   // decimal resolution: ns = ts * mul / div
    private long[] ifDiv = new long[4];
    private int[] ifShift = new int[4];   // binary resolution 2^-shift (-1 when decimal)
    private long[] ifOffsetNs = new long[4];

    PcapngReader(ByteInput in, ReadableByteChannel ch, String name) throws IOException {
        super(in, ch, name);
        if (!in.ensure(12)) throw error(0, "file ends inside the first pcapng Section Header Block");
        if ((int) in.u32(in.pos(), false) != SHB) {
            throw error(0, String.format("expected a pcapng Section Header Block (0a0d0d0a), found %08x",
                    in.u32(in.pos(), false)));
        }
    }

    @Override
    public String format() {
        StringJoiner j = new StringJoiner(", ", "pcapng (" + (sawLittle && sawBig ? "mixed" : sawBig ? "big" : "little")
                + "-endian, " + nIf + (nIf == 1 ? " interface" : " interfaces") + (nIf > 0 ? ": " : ""), ")");
        for (int i = 0; i < nIf; i++) j.add(LinkType.describe(ifLinkType[i]));
        return j.toString();
    }

    @Override
    boolean readNext() throws IOException {
        while (true) {
            if (in.atEnd()) return false;
            long blockAt = in.streamOffset();
            if (!in.ensure(12)) return truncated(blockAt, "the header of block " + (blocks + 1));
            int at = in.pos();
            int type = (int) in.u32(at, le);
            if (type == SHB) {
                long bom = in.u32(at + 8, false);
                if (bom == BYTE_ORDER_MAGIC) le = false;
                else if (bom == Integer.reverseBytes(BYTE_ORDER_MAGIC)) le = true;
                else throw error(blockAt + 8, String.format("Section Header Block has byte-order magic %08x, expected"
                        + " 1a2b3c4d in either byte order", bom));
                if (le) sawLittle = true;
                else sawBig = true;
            }
            long total = in.u32(at + 4, le);
            if (total < 12 || total % 4 != 0) {
                throw error(blockAt + 4, "block " + (blocks + 1) + String.format(" (type %08x)", type)
                        + " has total length " + total + ": expected a multiple of 4, at least 12");
            }
            blocks++;
            if (type != SHB && type != IDB && type != EPB && type != SPB && type != OPB) {
                long skipped = in.skip(total);
                if (skipped < total) return truncated(blockAt, "block " + blocks + " (" + total + " bytes)");
                continue;
            }
            if (total > in.capacity()) {
                throw error(blockAt + 4, "block " + blocks + String.format(" (type %08x)", type) + " has total length "
                        + total + ", more than the " + in.capacity() + " bytes ferry accepts (corrupt file?)");
            }
            int len = (int) total;
            if (!in.ensure(len)) return truncated(blockAt, "block " + blocks + " (" + len + " bytes)");
            at = in.pos();
            long trailer = in.u32(at + len - 4, le);
            if (trailer != total) {
                throw error(blockAt + len - 4, "block " + blocks + " ends with total length " + trailer
                        + ", but starts with " + total);
            }
            in.consume(len);
            switch (type) {
                case SHB -> section(at, len, blockAt);
                case IDB -> iface(at, len, blockAt);
                case EPB -> {
                    if (len < 32) throw tooShort(blockAt, "Enhanced Packet Block", len, 32);
                    if (packet(at, len, blockAt, (int) in.u32(at + 8, le), in.u32(at + 12, le), in.u32(at + 16, le),
                            in.u32(at + 20, le), in.u32(at + 24, le), 28)) return true;
                }
                case OPB -> {
                    if (len < 32) throw tooShort(blockAt, "Packet Block", len, 32);
                    if (packet(at, len, blockAt, in.u16(at + 8, le), in.u32(at + 12, le), in.u32(at + 16, le),
                            in.u32(at + 20, le), in.u32(at + 24, le), 28)) return true;
                }
                case SPB -> {
                    if (len < 16) throw tooShort(blockAt, "Simple Packet Block", len, 16);
                    long orig = in.u32(at + 8, le);
                    long cap = Math.min(orig, len - 16);
                    // An SPB has no timestamp: it keeps the previous packet's, so the output stays in order.
                    if (packet(at, len, blockAt, 0, -1, -1, cap, orig, 12)) return true;
                }
                default -> throw new AssertionError(type);
            }
        }
    }

    private PcapFormatException tooShort(long blockAt, String what, int len, int min) {
        return error(blockAt + 4, what + " " + blocks + " is " + len + " bytes long, shorter than its fixed part ("
                + min + " bytes)");
    }

    private boolean truncated(long blockAt, String what) throws IOException {
        warning = name + ": the capture is truncated: it ends inside " + what + " at byte offset " + blockAt;
        in.skip(in.available());
        return false;
    }

    private void section(int at, int len, long blockAt) throws PcapFormatException {
        if (len < 28) throw tooShort(blockAt, "Section Header Block", len, 28);
        int major = in.u16(at + 12, le);
        int minor = in.u16(at + 14, le);
        if (major != 1) {
            throw error(blockAt + 12, "unsupported pcapng version " + major + "." + minor + " (expected 1.0)");
        }
        nIf = 0; // RFC draft: interface ids are scoped to their section
    }

    private void iface(int at, int len, long blockAt) throws PcapFormatException {
        if (len < 20) throw tooShort(blockAt, "Interface Description Block", len, 20);
        if (nIf == ifLinkType.length) {
            int n = nIf * 2;
            ifLinkType = Arrays.copyOf(ifLinkType, n);
            ifFcs = Arrays.copyOf(ifFcs, n);
            ifMul = Arrays.copyOf(ifMul, n);
            ifDiv = Arrays.copyOf(ifDiv, n);
            ifShift = Arrays.copyOf(ifShift, n);
            ifOffsetNs = Arrays.copyOf(ifOffsetNs, n);
        }
        int i = nIf;
        ifLinkType[i] = in.u16(at + 8, le);
        ifFcs[i] = 0;
        ifMul[i] = 1000; // default if_tsresol: 10^-6
        ifDiv[i] = 1;
        ifShift[i] = -1;
        ifOffsetNs[i] = 0;
        int p = at + 16;
        int end = at + len - 4;
        while (p + 4 <= end) {
            int code = in.u16(p, le);
            int olen = in.u16(p + 2, le);
            if (code == OPT_ENDOFOPT) break;
            int v = p + 4;
            if (v + olen > end) {
                throw error(blockAt + (p - at), "option " + code + " of Interface Description Block " + blocks
                        + " has length " + olen + ", past the end of the block");
            }
            if (code == IF_TSRESOL && olen >= 1) {
                int r = in.u8(v);
                int exp = r & 0x7f;
                if ((r & 0x80) != 0) {
                    if (exp > 63) throw error(blockAt + (v - at), "if_tsresol 2^-" + exp + " is finer than ferry reads");
                    ifShift[i] = exp;
                } else if (exp <= 9) {
                    ifMul[i] = pow10(9 - exp);
                } else {
                    if (exp > 27) throw error(blockAt + (v - at), "if_tsresol 10^-" + exp + " is finer than ferry reads");
                    ifMul[i] = 1;
                    ifDiv[i] = pow10(exp - 9);
                }
            } else if (code == IF_TSOFFSET && olen >= 8) {
                long hi = in.u32(v, le), lo = in.u32(v + 4, le);
                ifOffsetNs[i] = (le ? (hi | lo << 32) : (hi << 32 | lo)) * 1_000_000_000L;
            } else if (code == IF_FCSLEN && olen >= 1) {
                ifFcs[i] = in.u8(v);
            }
            p = v + ((olen + 3) & ~3);
        }
        nIf++;
    }

    private static long pow10(int n) {
        long x = 1;
        for (int k = 0; k < n; k++) x *= 10;
        return x;
    }

    /** tsHi < 0: no timestamp (Simple Packet Block). */
    private boolean packet(int at, int len, long blockAt, int ifId, long tsHi, long tsLo, long caplen, long origlen,
                           int dataOff) throws PcapFormatException {
        if (ifId < 0 || ifId >= nIf) {
            throw error(blockAt + 8, "packet block " + blocks + " refers to interface " + ifId + ", but the section has "
                    + nIf + (nIf == 1 ? " interface" : " interfaces") + " described before it");
        }
        if (caplen > MAX_PACKET) {
            throw error(blockAt + 20, "packet block " + blocks + " claims a captured length of " + caplen
                    + " bytes, more than the maximum " + MAX_PACKET + " (corrupt file?)");
        }
        int cap = (int) caplen;
        if (dataOff + ((cap + 3) & ~3) + 4 > len) {
            throw error(blockAt + 20, "packet block " + blocks + " claims " + cap + " captured bytes, more than its "
                    + len + "-byte block holds");
        }
        if (caplen < origlen) {
            skip(SkipReason.SNAPLEN_TRUNCATED);
            return false;
        }
        int lt = ifLinkType[ifId];
        int fcs = ifFcs[ifId];
        if (!decap(lt, at + dataOff, cap, lt == LinkType.ETHERNET ? fcs : 0)) return false;
        if (tsHi >= 0) tsNanos = toNanos(ifId, tsHi << 32 | tsLo);
        return true;
    }

    private long toNanos(int i, long ts) {
        long ns;
        int shift = ifShift[i];
        if (shift >= 0) {
            long sec = ts >>> shift;
            long frac = shift == 0 ? 0 : ts & ((1L << shift) - 1);
            int s = shift;
            if (s > 32) {
                frac >>>= s - 32;
                s = 32;
            }
            ns = sec * 1_000_000_000L + ((frac * 1_000_000_000L) >>> s);
        } else if (ifDiv[i] == 1) {
            ns = ts * ifMul[i];
        } else {
            ns = Long.divideUnsigned(ts, ifDiv[i]);
        }
        return ns + ifOffsetNs[i];
    }
}
