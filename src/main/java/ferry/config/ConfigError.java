package ferry.config;

/**
 * One problem in a configuration file.
 *
 * @param path    where in the document, e.g. {@code global.pool6} or {@code eamt[2]."ipv4 prefix"}; {@code ""} for
 *                the document as a whole
 * @param line    1-based line of the offending key or value (0 when unknown, e.g. the file could not be read)
 * @param column  1-based column
 * @param message what is wrong, naming the offending value
 */
public record ConfigError(String path, int line, int column, String message) {

    /** {@code source:line:column: path: message}, the form compilers use, so editors can jump to it. */
    public String format(String source) {
        StringBuilder sb = new StringBuilder(source);
        if (line > 0) sb.append(':').append(line).append(':').append(column);
        sb.append(": ");
        if (!path.isEmpty()) sb.append(path).append(": ");
        return sb.append(message).toString();
    }
}
