package ferry.config;

/**
 * Jool's {@code eam-hairpin-mode} (RFC 7757 §4.2 simple, §4.3 intrinsic). Same constant names as
 * {@code ferry.translate.EamHairpinMode}, so the application maps one to the other by name.
 */
public enum HairpinMode {
    OFF("off"), SIMPLE("simple"), INTRINSIC("intrinsic");

    private final String jsonName;

    HairpinMode(String jsonName) {
        this.jsonName = jsonName;
    }

    /** The spelling in Jool's files and CLI. */
    public String jsonName() {
        return jsonName;
    }
}
