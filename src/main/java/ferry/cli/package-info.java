/**
 * The ferry CLI that operates a running daemon, one picocli class per Jool noun; it speaks only the control protocol
 * ({@code ferry.control}) and may import {@code control}, {@code config} and {@code addr}, never the data plane
 * (checked by {@code CliImportsTest}).
 */
package ferry.cli;
