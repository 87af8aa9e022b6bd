package ferry.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;

/**
 * JSON codec of {@link Request} and {@link Response} (Jackson): one UTF-8 JSON object per message, terminated by a
 * newline. Unknown fields are refused (a newer client talking to an older daemon learns it at once).
 */
public final class ControlCodec {
    /** The protocol version; a daemon refuses requests of another version with a clear error. */
    public static final int VERSION = 1;
    /** Largest message accepted (a whole configuration file fits). */
    public static final int MAX_MESSAGE = 4 << 20;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);

    private ControlCodec() {
    }

    public static byte[] encode(Request r) {
        return line(r);
    }

    public static byte[] encode(Response r) {
        return line(r);
    }

    /** @throws ControlException the bytes are not a request (the message says what was expected) */
    public static Request request(byte[] json) throws ControlException {
        Request r = decode(json, Request.class, "request");
        if (r.noun() == null || r.verb() == null)
            throw new ControlException("malformed request: expected \"noun\" and \"verb\" strings");
        return r;
    }

    /** @throws ControlException the bytes are not a response */
    public static Response response(byte[] json) throws ControlException {
        return decode(json, Response.class, "response");
    }

    private static <T> T decode(byte[] json, Class<T> type, String what) throws ControlException {
        try {
            return JSON.readValue(json, type);
        } catch (java.io.IOException e) {
            String m = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new ControlException("malformed " + what + ": expected a JSON " + what + " object of version "
                    + VERSION + " (" + m.lines().findFirst().orElse("") + ")", "", e);
        }
    }

    private static byte[] line(Object o) {
        try {
            String s = JSON.writeValueAsString(o) + "\n";
            return s.getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + o.getClass().getSimpleName(), e);
        }
    }
}
