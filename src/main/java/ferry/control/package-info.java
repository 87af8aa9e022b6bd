/**
 * The daemon/CLI protocol of {@code ferry run}: one JSON request and one JSON reply per connection over a
 * Unix-domain socket ({@code /run/ferry/<instance>.sock}, mode 0600). Imports {@code config} and {@code addr} only.
 */
package ferry.control;
