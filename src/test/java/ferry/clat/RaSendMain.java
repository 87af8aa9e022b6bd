package ferry.clat;

import ferry.addr.Prefix6;

/**
 * Sends one Router Advertisement (router lifetime 0, so nobody takes the sender as a default router) carrying a
 * PREF64 option to ff02::1 out of an interface: {@code RaSendMain IFACE PREFIX LIFETIME_SECONDS}. The project's own
 * stand-in for radvd in the end-to-end tests.
 */
public final class RaSendMain {
    public static void main(String[] args) throws Exception {
        Prefix6 p = Prefix6.parse(args[1]);
        int plc = switch (p.len()) {
            case 96 -> 0; case 64 -> 1; case 56 -> 2; case 48 -> 3; case 40 -> 4; case 32 -> 5;
            default -> throw new IllegalArgumentException("not an RFC 6052 length: " + p);
        };
        byte[] ra = new Ra().pref64(Integer.parseInt(args[2]) / 8, plc, ferry.addr.Ipv6.format(p.hi(), p.lo())).build();
        ra[6] = 0; // router lifetime 0
        ra[7] = 0;
        RaSocket.sendToAllNodes(args[0], ra);
        System.out.println("sent PREF64 " + p + " lifetime " + args[2] + " on " + args[0]);
    }
}
