package ferry.control;

import java.util.List;

/**
 * One request to the daemon: {@code {"version": 1, "noun": "pool4", "verb": "add", "args": [...]}}.
 *
 * @param version protocol version the client speaks ({@link ControlCodec#VERSION})
 * @param noun    Jool's noun: {@code stats}, {@code global}, {@code eamt}, {@code pool4}, ...
 * @param verb    {@code display}, {@code add}, {@code remove}, {@code flush}, {@code update}, ...
 * @param args    the verb's arguments as text, validated by the daemon
 */
public record Request(int version, String noun, String verb, List<String> args) {
    public Request {
        args = args == null ? List.of() : List.copyOf(args);
    }

    /** A request of the current version. */
    public static Request of(String noun, String verb, String... args) {
        return new Request(ControlCodec.VERSION, noun, verb, List.of(args));
    }
}
