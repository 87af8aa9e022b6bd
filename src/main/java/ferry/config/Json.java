package ferry.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * A JSON tree that remembers where each key and value starts, read with Jackson's streaming parser. Unlike
 * Jackson's own tree it keeps duplicate keys (so they can be reported) and positions (so every error has one).
 */
final class Json {
    private Json() {}

    /** A JSON value with the 1-based line and column where it starts. */
    sealed interface Node permits Obj, Arr, Str, Num, Bool, Null {
        int line();

        int column();

        /** The value as an error message shows it: strings quoted, containers by kind. */
        String show();

        /** "a string", "an object", ... for "expected X, got Y". */
        String kind();
    }

    record Member(String key, int line, int column, Node value) {}

    record Obj(List<Member> members, int line, int column) implements Node {
        public String show() { return "an object"; }
        public String kind() { return "an object"; }
    }

    record Arr(List<Node> items, int line, int column) implements Node {
        public String show() { return "an array"; }
        public String kind() { return "an array"; }
    }

    record Str(String value, int line, int column) implements Node {
        public String show() { return quote(value); }
        public String kind() { return "a string"; }
    }

    /** A number as written; {@code integral} when it has no fraction or exponent. */
    record Num(BigDecimal value, String text, boolean integral, int line, int column) implements Node {
        public String show() { return text; }
        public String kind() { return "a number"; }
    }

    record Bool(boolean value, int line, int column) implements Node {
        public String show() { return Boolean.toString(value); }
        public String kind() { return "a boolean"; }
    }

    record Null(int line, int column) implements Node {
        public String show() { return "null"; }
        public String kind() { return "null"; }
    }

    /** A syntax error, with where the parser stopped. */
    static final class SyntaxError extends Exception {
        final int line, column;

        SyntaxError(String message, int line, int column) {
            super(message);
            this.line = line;
            this.column = column;
        }
    }

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).maxNumberLength(64).build())
            .build();

    /** Parses one JSON document; the root may be any value. Throws on syntax errors and trailing content. */
    static Node parse(String text) throws SyntaxError {
        try (JsonParser p = FACTORY.createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null) throw new SyntaxError("the file is empty; expected a JSON object", 1, 1);
            Node root = read(p, t);
            JsonToken extra;
            try {
                extra = p.nextToken();
            } catch (JsonProcessingException e) {
                throw syntax(e);
            }
            if (extra != null) {
                JsonLocation l = p.currentTokenLocation();
                throw new SyntaxError("unexpected content after the end of the JSON document", l.getLineNr(),
                        l.getColumnNr());
            }
            return root;
        } catch (JsonProcessingException e) {
            throw syntax(e);
        } catch (IOException e) {
            throw new SyntaxError("cannot read the JSON text: " + e.getMessage(), 0, 0);
        }
    }

    private static SyntaxError syntax(JsonProcessingException e) {
        JsonLocation l = e.getLocation();
        String msg = e.getOriginalMessage();
        int nl = msg.indexOf('\n');
        if (nl >= 0) msg = msg.substring(0, nl);
        return new SyntaxError("invalid JSON: " + msg, l == null ? 0 : l.getLineNr(), l == null ? 0 : l.getColumnNr());
    }

    private static Node read(JsonParser p, JsonToken t) throws IOException {
        JsonLocation l = p.currentTokenLocation();
        int line = l.getLineNr(), col = l.getColumnNr();
        switch (t) {
            case START_OBJECT: {
                List<Member> members = new ArrayList<>();
                JsonToken k;
                while ((k = p.nextToken()) == JsonToken.FIELD_NAME) {
                    JsonLocation kl = p.currentTokenLocation();
                    String name = p.currentName();
                    Node v = read(p, p.nextToken());
                    members.add(new Member(name, kl.getLineNr(), kl.getColumnNr(), v));
                }
                return new Obj(List.copyOf(members), line, col);
            }
            case START_ARRAY: {
                List<Node> items = new ArrayList<>();
                JsonToken i;
                while ((i = p.nextToken()) != JsonToken.END_ARRAY) items.add(read(p, i));
                return new Arr(List.copyOf(items), line, col);
            }
            case VALUE_STRING:
                return new Str(p.getText(), line, col);
            case VALUE_NUMBER_INT:
                return new Num(new BigDecimal(p.getBigIntegerValue()), p.getText(), true, line, col);
            case VALUE_NUMBER_FLOAT:
                return new Num(p.getDecimalValue(), p.getText(), false, line, col);
            case VALUE_TRUE:
                return new Bool(true, line, col);
            case VALUE_FALSE:
                return new Bool(false, line, col);
            case VALUE_NULL:
                return new Null(line, col);
            default:
                throw new IllegalStateException("unexpected token " + t);
        }
    }

    /** JSON-style quoting for messages. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }
}
