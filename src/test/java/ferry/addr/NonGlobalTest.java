package ferry.addr;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 6052 §3.1: non-global IPv4 addresses must not be used with the well-known prefix. */
class NonGlobalTest {

    @ParameterizedTest(name = "{0} is forbidden under 64:ff9b::/96")
    @ValueSource(strings = {
        "0.0.0.0", "0.255.255.255",                       // 0/8 "this network"
        "10.0.0.0", "10.255.255.255",                     // RFC 1918
        "172.16.0.0", "172.31.255.255",                   // RFC 1918
        "192.168.0.0", "192.168.255.255",                 // RFC 1918
        "100.64.0.0", "100.127.255.255",                  // RFC 6598 shared address space
        "127.0.0.0", "127.255.255.255",                   // loopback
        "169.254.0.0", "169.254.255.255",                 // link-local
        "192.0.0.0", "192.0.0.169", "192.0.0.172", "192.0.0.255", // IETF protocol assignments
        "198.18.0.0", "198.19.255.255",                   // benchmarking
        "224.0.0.0", "239.255.255.255",                   // multicast
        "240.0.0.0", "255.255.255.254",                   // reserved 240/4
        "255.255.255.255",                                // limited broadcast
    })
    void nonGlobalRangesAreForbiddenAtTheirEdges(String v4) {
        assertThat(NonGlobal.forbiddenUnderWkp(Ipv4.parse(v4))).isTrue();
    }

    @ParameterizedTest(name = "{0} is allowed under 64:ff9b::/96")
    @ValueSource(strings = {
        "192.0.2.0", "192.0.2.33", "192.0.2.255",         // TEST-NET-1
        "198.51.100.0", "198.51.100.255",                 // TEST-NET-2
        "203.0.113.0", "203.0.113.255",                   // TEST-NET-3
        "192.0.0.170", "192.0.0.171",                     // ipv4only.arpa (RFC 7050, RFC 8880)
        // the global neighbours of each forbidden range
        "1.0.0.0", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0", "126.255.255.255", "128.0.0.0",
        "169.253.255.255", "169.255.0.0", "172.15.255.255", "172.32.0.0", "192.167.255.255", "192.169.0.0",
        "191.255.255.255", "192.0.1.0", "198.17.255.255", "198.20.0.0", "223.255.255.255",
    })
    void documentationAndGlobalAddressesAreAllowed(String v4) {
        assertThat(NonGlobal.forbiddenUnderWkp(Ipv4.parse(v4))).isFalse();
    }
}
