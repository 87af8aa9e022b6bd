package ferry.config;

import java.util.List;

/** A configuration that cannot be used; carries every error found, in document order. */
public final class ConfigException extends Exception {
    private final String source;
    private final List<ConfigError> errors;

    public ConfigException(String source, List<ConfigError> errors) {
        super(render(source, errors));
        this.source = source;
        this.errors = List.copyOf(errors);
    }

    /** The file name (or other source name) the errors refer to. */
    public String source() {
        return source;
    }

    public List<ConfigError> errors() {
        return errors;
    }

    private static String render(String source, List<ConfigError> errors) {
        StringBuilder sb = new StringBuilder();
        for (ConfigError e : errors) {
            if (!sb.isEmpty()) sb.append('\n');
            sb.append(e.format(source));
        }
        return sb.toString();
    }
}
