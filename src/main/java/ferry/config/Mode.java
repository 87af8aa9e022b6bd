package ferry.config;

/** What ferry plays ({@code "ferry": {"mode": ...}}). SIIT and NAT64 are implemented; CLAT is not yet. */
public enum Mode {
    SIIT("siit"), NAT64("nat64"), CLAT("clat");

    private final String jsonName;

    Mode(String jsonName) {
        this.jsonName = jsonName;
    }

    public String jsonName() {
        return jsonName;
    }
}
