package ferry.addr;

/** A textual address or prefix that does not parse or is not valid where it is used; the message names the value. */
public final class AddressFormatException extends IllegalArgumentException {
    public AddressFormatException(String message) {
        super(message);
    }
}
