package ferry.translate;

/** Jool's {@code eam-hairpin-mode} (RFC 7757 §4.2, §4.3). */
public enum EamHairpinMode {
    OFF, SIMPLE, INTRINSIC
}
