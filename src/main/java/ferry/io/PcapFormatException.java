package ferry.io;

import java.io.IOException;
import java.io.Serial;

/**
 * The one checked exception of the capture readers: the bytes are not a capture ferry can read (bad magic, a
 * length field that makes no sense, a record larger than {@link PacketReader#MAX_PACKET}, bad hex). The message
 * says where (byte offset or line number) and what was expected. A file that merely ends in the middle of a
 * record is not an error: the reader stops and reports it through {@link PacketReader#warning()}.
 */
public final class PcapFormatException extends IOException {
    @Serial
    private static final long serialVersionUID = 1L;

    public PcapFormatException(String message) {
        super(message);
    }
}
