package ferry.control;

import java.util.List;

/**
 * The daemon's reply: either a table (headers + rows, rendered by the CLI as a table or CSV) plus messages, or the
 * errors that refused the request (nothing was applied then).
 *
 * @param version  protocol version of the daemon
 * @param ok       true when the request was carried out
 * @param errors   why it was not (each names the field and value, with its location when it comes from a file)
 * @param messages notes for the operator (e.g. "applied"); printed on stderr
 * @param headers  column names of the table, empty when the reply has no table
 * @param rows     the table's rows, each as long as {@code headers}
 */
public record Response(int version, boolean ok, List<String> errors, List<String> messages, List<String> headers,
                       List<List<String>> rows) {
    public Response {
        errors = errors == null ? List.of() : List.copyOf(errors);
        messages = messages == null ? List.of() : List.copyOf(messages);
        headers = headers == null ? List.of() : List.copyOf(headers);
        rows = rows == null ? List.of() : rows.stream().map(List::copyOf).toList();
    }

    /** A refusal with its errors. */
    public static Response error(String... errors) {
        return error(List.of(errors));
    }

    /** A refusal with its errors. */
    public static Response error(List<String> errors) {
        return new Response(ControlCodec.VERSION, false, errors, List.of(), List.of(), List.of());
    }

    /** Success with only messages. */
    public static Response done(String... messages) {
        return new Response(ControlCodec.VERSION, true, List.of(), List.of(messages), List.of(), List.of());
    }

    /** Success with a table. */
    public static Response table(List<String> headers, List<List<String>> rows) {
        return new Response(ControlCodec.VERSION, true, List.of(), List.of(), headers, rows);
    }
}
