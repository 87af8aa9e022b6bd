package ferry.config;

/** What ferry plays ({@code "ferry": {"mode": ...}}). Only SIIT is implemented so far. */
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
