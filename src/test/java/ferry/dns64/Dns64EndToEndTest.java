package ferry.dns64;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * End to end: an upstream the test controls ({@link TestAuthority}, zones covering every rule of the issue), a
 * DNS64 server on 127.0.0.1 and ::1 with a real upstream client, and Debian's {@code dig} as the client over UDP and
 * TCP, IPv4 and IPv6. Skipped, with the reason printed, when dig is not installed (.ci/run installs
 * bind9-dnsutils).
 */
class Dns64EndToEndTest {
    static TestAuthority auth;
    static Dns64Server server;
    static String dig;

    @BeforeAll
    static void start() throws Exception {
        dig = findDig();
        if (dig == null) {
            System.out.println("Dns64EndToEndTest SKIPPED: dig not found on PATH (apt-get install bind9-dnsutils)");
            Assumptions.abort("dig not found on PATH (apt-get install bind9-dnsutils)");
        }
        auth = TestAuthority.startDefault();
        List<Dns64Settings.PrefixRule> prefixes = List.of(Dns64Settings.PrefixRule.parse("64:ff9b::/96"),
                Dns64Settings.PrefixRule.parse("64:ff9b:1::/48=10.0.0.0/8,192.168.0.0/16"));
        Dns64Settings s = Dns64Settings.of(
                        List.of(Dns64Settings.parseSocketAddress("listen", "127.0.0.1:0"), Dns64Settings.parseSocketAddress("listen", "[::1]:0")),
                        auth.addresses(), prefixes)
                // No cache: the methods share this server, and several ask the same name and assert its TTL (300), which
                // a cached answer would show lowered by the seconds since an earlier method asked: the result depended
                // on method order and timing (caching is tested in ServerTest and FastPathTest). An upstream timeout
                // of 1 s, not 300 ms, so the in-process authority answers in time on a loaded machine.
                .withTimeout(1000, 0).withUdpThreads(2).withCacheSize(0);
        server = Dns64Server.start(s);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            System.out.println("Dns64EndToEndTest counters:\n" + server.counters().format());
            server.close();
        }
        if (auth != null) auth.close();
    }

    static String findDig() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir, "dig");
            if (Files.isExecutable(p)) return p.toString();
        }
        return null;
    }

    /** What dig printed: status, header flags, EDNS line, answer records as "name ttl type rdata". */
    record Dig(String status, List<String> flags, String edns, List<String> answers, String raw) {
        List<String> rdata() {
            return answers.stream().map(a -> a.split(" ", 4)[2] + " " + a.split(" ", 4)[3]).toList();
        }
    }

    static Dig dig(String transport, String family, String... args) throws IOException, InterruptedException {
        InetSocketAddress at = server.addresses().get(family.equals("v6") ? 1 : 0);
        List<String> cmd = new ArrayList<>(List.of(dig, "@" + at.getAddress().getHostAddress(), "-p", String.valueOf(at.getPort()),
                "+tries=1", "+time=5", "+noall", "+answer", "+comments", transport.equals("tcp") ? "+tcp" : "+notcp"));
        cmd.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        Matcher st = Pattern.compile("status: (\\w+)").matcher(out);
        Matcher fl = Pattern.compile(";; flags:([a-z ]*);").matcher(out);
        Matcher ed = Pattern.compile("; EDNS: (.*)").matcher(out);
        List<String> answers = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (line.isBlank() || line.startsWith(";")) continue;
            String[] f = line.trim().split("\\s+", 5);
            if (f.length == 5) answers.add(f[0] + " " + f[1] + " " + f[3] + " " + f[4]);
        }
        return new Dig(st.find() ? st.group(1) : "none:" + out, fl.find() ? List.of(fl.group(1).trim().split(" ")) : List.of(),
                ed.find() ? ed.group(1) : null, answers, out);
    }

    static Dig aaaa(String name) throws Exception {
        return dig("udp", "v4", name, "AAAA");
    }

    @Test
    void aOnlyIsSynthesizedWithTheSoaLimitedTtl() throws Exception {
        Dig d = aaaa("a-only.dns64.example");
        assertThat(d.status()).isEqualTo("NOERROR");
        assertThat(d.answers()).containsExactly("a-only.dns64.example. 300 AAAA 64:ff9b::c000:201");
        assertThat(d.flags()).doesNotContain("ad", "aa");
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
            "aaaa-only.dns64.example | aaaa-only.dns64.example. 3600 AAAA 2001:db8::1",
            "both.dns64.example      | both.dns64.example. 3600 AAAA 2001:db8::2",
            "mapped.dns64.example    | mapped.dns64.example. 600 AAAA 64:ff9b::c000:203",
            "mixed.dns64.example     | mixed.dns64.example. 3600 AAAA 2001:db8::4",
            "servfail.dns64.example  | servfail.dns64.example. 600 AAAA 64:ff9b::c000:20a",
            "refused.dns64.example   | refused.dns64.example. 600 AAAA 64:ff9b::c000:20b",
            "timeout.dns64.example   | timeout.dns64.example. 600 AAAA 64:ff9b::c000:20c",
            "long.dns64.example      | long.dns64.example. 300 AAAA 64:ff9b::c000:214",
            "short.dns64.example     | short.dns64.example. 5 AAAA 64:ff9b::c000:215",
            "small.other.example     | small.other.example. 30 AAAA 64:ff9b::c633:6409",
            "private.dns64.example   | private.dns64.example. 300 AAAA 64:ff9b:1:a01:2:300::",
            "private2.dns64.example  | private2.dns64.example. 300 AAAA 64:ff9b:1:c0a8:1:100::",
    })
    void oneAnswerPerRule(String name, String want) throws Exception {
        Dig d = aaaa(name);
        assertThat(d.status()).isEqualTo("NOERROR");
        assertThat(d.answers()).containsExactly(want);
    }

    @Test
    void cnameChainsInOneZoneAndAcrossZonesAreKeptWhole() throws Exception {
        assertThat(aaaa("chain.dns64.example").answers()).containsExactly(
                "chain.dns64.example. 3600 CNAME cname.dns64.example.",
                "cname.dns64.example. 3600 CNAME a-only.dns64.example.",
                "a-only.dns64.example. 300 AAAA 64:ff9b::c000:201");
        assertThat(aaaa("cross.dns64.example").answers()).containsExactly(
                "cross.dns64.example. 3600 CNAME target.other.example.",
                "target.other.example. 30 AAAA 64:ff9b::c633:6407");
        assertThat(aaaa("cross-aaaa.dns64.example").answers()).containsExactly(
                "cross-aaaa.dns64.example. 3600 CNAME v6.other.example.",
                "v6.other.example. 3600 AAAA 2001:db8::7");
        assertThat(aaaa("host.sub.dns64.example").answers()).containsExactly(
                "sub.dns64.example. 3600 DNAME other.example.",
                "host.sub.dns64.example. 3600 CNAME host.other.example.",
                "host.other.example. 30 AAAA 64:ff9b::c633:6408");
    }

    @Test
    void nxdomainAndNodataPassThrough() throws Exception {
        Dig nx = aaaa("nope.dns64.example");
        assertThat(nx.status()).isEqualTo("NXDOMAIN");
        assertThat(nx.answers()).isEmpty();
        Dig nodata = aaaa("nodata.dns64.example");
        assertThat(nodata.status()).isEqualTo("NOERROR");
        assertThat(nodata.answers()).isEmpty();
    }

    @Test
    void fortyARecordsGiveFortySyntheticAaaaOverUdp() throws Exception {
        Dig d = aaaa("many40.dns64.example");
        assertThat(d.answers()).hasSize(40).allMatch(a -> a.startsWith("many40.dns64.example. 300 AAAA 64:ff9b::cb00:71"));
        assertThat(d.flags()).doesNotContain("tc");
    }

    @Test
    void aHundredARecordsAreTruncatedOverUdpAndCompleteOverTcp() throws Exception {
        Dig udp = dig("udp", "v4", "+ignore", "many100.dns64.example", "AAAA");
        assertThat(udp.flags()).contains("tc");
        Dig tcp = dig("tcp", "v4", "many100.dns64.example", "AAAA");
        assertThat(tcp.answers()).hasSize(100);
        assertThat(tcp.rdata()).contains("AAAA 64:ff9b::c633:6401", "AAAA 64:ff9b::c633:6464");
        Dig fallback = dig("udp", "v6", "many100.dns64.example", "AAAA"); // dig retries over TCP by itself
        assertThat(fallback.answers()).hasSize(100);
    }

    @Test
    void withoutEdnsTheLimitIs512BytesAndTheReplyHasNoOpt() throws Exception {
        Dig d = dig("udp", "v4", "+noedns", "+ignore", "many40.dns64.example", "AAAA");
        assertThat(d.flags()).contains("tc");
        assertThat(d.edns()).isNull();
        Dig small = dig("udp", "v4", "+noedns", "a-only.dns64.example", "AAAA");
        assertThat(small.edns()).isNull();
        assertThat(small.answers()).hasSize(1);
        Dig withEdns = dig("udp", "v4", "a-only.dns64.example", "AAAA");
        assertThat(withEdns.edns()).contains("version: 0").contains("udp: 1232");
    }

    @Test
    void anUnknownEdnsVersionGetsBadvers() throws Exception {
        Dig d = dig("udp", "v4", "+edns=1", "+noednsnegotiation", "a-only.dns64.example", "AAAA");
        assertThat(d.status()).isEqualTo("BADVERS");
    }

    @Test
    void otherTypesPassThroughUnchanged() throws Exception {
        assertThat(dig("udp", "v4", "a-only.dns64.example", "A").answers()).containsExactly("a-only.dns64.example. 3600 A 192.0.2.1");
        Dig txt = dig("udp", "v4", "nodata.dns64.example", "TXT");
        assertThat(txt.answers()).containsExactly("nodata.dns64.example. 3600 TXT \"no addresses here\"");
    }

    @Test
    void reverseLookupOfASyntheticAddressFollowsASynthesizedCname() throws Exception {
        Dig d = dig("udp", "v4", "-x", "64:ff9b::c000:201");
        assertThat(d.status()).isEqualTo("NOERROR");
        assertThat(d.answers()).containsExactly(
                "1.0.2.0.0.0.0.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.b.9.f.f.4.6.0.0.ip6.arpa. 600 CNAME 1.2.0.192.in-addr.arpa.",
                "1.2.0.192.in-addr.arpa. 3600 PTR a-only.dns64.example.");
    }

    @Test
    void ipv4onlyArpaIsAnsweredLocally() throws Exception {
        assertThat(dig("udp", "v4", "ipv4only.arpa", "A").rdata()).containsExactly("A 192.0.0.170", "A 192.0.0.171");
        assertThat(dig("udp", "v6", "ipv4only.arpa", "AAAA").rdata()).containsExactly("AAAA 64:ff9b::c000:aa", "AAAA 64:ff9b::c000:ab");
        assertThat(dig("udp", "v4", "-x", "192.0.0.171").rdata()).containsExactly("PTR ipv4only.arpa.");
        assertThat(auth.asked("ipv4only.arpa.", org.xbill.DNS.Type.A)).isZero();
    }

    @Test
    void dnssecDoAndCdSuppressSynthesisAndSynthesisNeverSetsAd() throws Exception {
        Dig docd = dig("udp", "v4", "+dnssec", "+cdflag", "short.dns64.example", "AAAA");
        assertThat(docd.status()).isEqualTo("NOERROR");
        assertThat(docd.answers()).isEmpty();
        Dig adflag = dig("udp", "v4", "+dnssec", "+adflag", "long.dns64.example", "AAAA");
        assertThat(adflag.rdata()).containsExactly("AAAA 64:ff9b::c000:214");
        assertThat(adflag.flags()).doesNotContain("ad");
    }

    @ParameterizedTest(name = "{0} over {1}")
    @CsvSource({"udp, v4", "udp, v6", "tcp, v4", "tcp, v6"})
    void everyTransportAndFamilyGivesTheSameAnswers(String transport, String family) throws Exception {
        assertThat(dig(transport, family, "a-only.dns64.example", "AAAA").rdata()).containsExactly("AAAA 64:ff9b::c000:201");
        assertThat(dig(transport, family, "both.dns64.example", "AAAA").rdata()).containsExactly("AAAA 2001:db8::2");
        assertThat(dig(transport, family, "cname.dns64.example", "AAAA").rdata())
                .containsExactly("CNAME a-only.dns64.example.", "AAAA 64:ff9b::c000:201");
        assertThat(dig(transport, family, "private.dns64.example", "AAAA").rdata()).containsExactly("AAAA 64:ff9b:1:a01:2:300::");
        assertThat(dig(transport, family, "nope.dns64.example", "AAAA").status()).isEqualTo("NXDOMAIN");
        assertThat(dig(transport, family, "many40.dns64.example", "AAAA").answers()).hasSize(40);
    }
}
