package ferry.config;

import ferry.addr.AddressFormatException;
import ferry.addr.Ipv4;
import ferry.addr.Ipv6;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the small config sections ({@code "clat"}, {@code "tun"}) share with each other and with {@link ConfigParser}:
 * their error sink, the walk over a section object's members, and IP literals turned into {@link InetAddress}es
 * without a name lookup.
 */
final class Sections {
    private Sections() {
    }

    /** Receives an error found in a section (path like {@code tun.mtu}, the node, and the message). */
    interface Errors {
        void error(String path, Json.Node at, String message);
    }

    /**
     * A member of a section object: its key in lower case, its path ({@code "tun.mtu"}), the key as written (for
     * messages) and its value.
     */
    record Member(String key, String path, String written, Json.Node value) {
    }

    /**
     * The members of the section object {@code obj} named {@code section}, in file order: keys compared in lower
     * case, {@code "comment"} skipped (Jool allows any number), a key given again reported as
     * {@code duplicate key "K"} and left out. {@code seen} receives every key kept.
     */
    static List<Member> members(Json.Obj obj, String section, Errors errors, Set<String> seen) {
        List<Member> out = new ArrayList<>();
        for (Json.Member m : obj.members()) {
            String key = m.key().toLowerCase(Locale.ROOT);
            String path = section + "." + key;
            Json.Node v = m.value();
            if (key.equals("comment")) continue;
            if (!seen.add(key)) {
                errors.error(path, v, "duplicate key " + Json.quote(m.key()));
                continue;
            }
            out.add(new Member(key, path, m.key(), v));
        }
        return out;
    }

    /** {@link #members(Json.Obj, String, Errors, Set)} without the set of keys seen. */
    static List<Member> members(Json.Obj obj, String section, Errors errors) {
        return members(obj, section, errors, new TreeSet<>());
    }

    /** The error for a key the section does not know, listing {@code keys}. */
    static String unknownKey(Member m, Set<String> keys) {
        return "unknown key " + Json.quote(m.written()) + "; expected one of " + String.join(", ", keys) + " (or comment)";
    }

    /** An IPv4 ({@code 192.0.2.53}) or IPv6 ({@code 2001:db8::53}) literal as an address; names are not resolved. */
    static InetAddress literal(String host) throws AddressFormatException {
        byte[] b;
        if (host.indexOf(':') >= 0) {
            long[] a = Ipv6.parse(host);
            b = new byte[16];
            for (int i = 0; i < 8; i++) {
                b[i] = (byte) (a[0] >>> (56 - 8 * i));
                b[8 + i] = (byte) (a[1] >>> (56 - 8 * i));
            }
        } else {
            int a = Ipv4.parse(host);
            b = new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a};
        }
        return address(b);
    }

    /** The address of 4 or 16 bytes (no name lookup). */
    static InetAddress address(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // only for a wrong length, which cannot happen here
        }
    }
}
