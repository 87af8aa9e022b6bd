package ferry.dns64;

import ferry.app.Main;
import ferry.config.Config;
import ferry.config.ConfigParser;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Message;
import org.xbill.DNS.Type;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code ferry dns64}: usage errors, the config-file mapping, and a real run stopped by SIGTERM. */
class Dns64CommandTest {

    static int runCapturingErr(StringBuilder err, String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            return Main.run(args);
        } finally {
            System.setErr(old);
            err.append(buf.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void missingOrBadOptionsExitWith2AndNameTheOptionAndValue() {
        StringBuilder e1 = new StringBuilder(), e2 = new StringBuilder(), e3 = new StringBuilder(), e4 = new StringBuilder();
        assertThat(runCapturingErr(e1, "dns64", "--upstream", "127.0.0.1:53")).isEqualTo(2);
        assertThat(e1).contains("--listen");
        assertThat(runCapturingErr(e2, "dns64", "--listen", "localhost:53", "--upstream", "127.0.0.1:53")).isEqualTo(2);
        assertThat(e2).contains("--listen").contains("localhost");
        assertThat(runCapturingErr(e3, "dns64", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:53", "--prefix", "2001:db8::/33")).isEqualTo(2);
        assertThat(e3).contains("--prefix").contains("2001:db8::/33");
        assertThat(runCapturingErr(e4, "dns64", "--listen", "127.0.0.1:0", "--upstream", "[2001:db8::1]:99999")).isEqualTo(2);
        assertThat(e4).contains("--upstream").contains("99999");
        for (String bad : new String[] {"2", "9:2", "soon"}) {
            StringBuilder e5 = new StringBuilder();
            assertThat(runCapturingErr(e5, "dns64", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:53", "--prefetch", bad))
                    .as(bad).isEqualTo(2);
            assertThat(e5).as(bad).contains("--prefetch").contains("'" + bad + "'");
        }
        for (String bad : new String[] {"-1", "1000001"}) {
            StringBuilder e6 = new StringBuilder();
            assertThat(runCapturingErr(e6, "dns64", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:53", "--warm-up", bad))
                    .as(bad).isEqualTo(2);
            assertThat(e6).as(bad).contains("--warm-up").contains(bad);
        }
    }

    @Test
    void aListenPortThatIsTakenExitsWith2AndSaysWhich() throws Exception {
        try (DatagramSocket taken = new DatagramSocket(0, java.net.InetAddress.ofLiteral("127.0.0.1"))) {
            String at = "127.0.0.1:" + taken.getLocalPort();
            StringBuilder err = new StringBuilder();
            int code = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(20),
                    () -> runCapturingErr(err, "dns64", "--listen", at, "--upstream", "127.0.0.1:53", "--threads", "1"));
            assertThat(code).isEqualTo(2);
            assertThat(err).contains("dns64.listen").contains("cannot bind").contains(String.valueOf(taken.getLocalPort()));
        }
    }

    @Test
    void aConfigFileWithErrorsExitsWith2AndSaysWhere(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.json");
        Files.writeString(f, "{\"dns64\": {\"upstream\": [\"192.0.2.53\"], \"cache-size\": -1}}");
        StringBuilder err = new StringBuilder();
        assertThat(runCapturingErr(err, "dns64", "--config", f.toString())).isEqualTo(2);
        assertThat(err).contains("cache-size");
    }

    @Test
    void theConfigSectionMapsOntoTheSettings() throws Exception {
        Config c = ConfigParser.parse("""
                {"ferry": {"wkp-strict": false},
                 "dns64": {"listen": ["127.0.0.1:5353", "[::1]:5353"], "upstream": ["192.0.2.53", "[2001:db8::53]:5300"],
                           "prefixes": ["64:ff9b::/96", {"prefix": "2001:db8:64::/48", "ipv4": ["198.51.100.0/24"]}],
                           "exclude": ["::ffff:0:0/96", "2001:db8:dead::/48"], "parallel-queries": true, "cache-size": 77,
                           "timeout-ms": 700, "retries": 3, "max-inflight": 9, "prefetch": "4:30",
                           "warm-up": 123}}
                """, "test.json");
        Dns64Settings s = Dns64Settings.fromConfig(c.dns64(), c.ferry().wkpStrict());
        assertThat(s.listen()).containsExactly(new InetSocketAddress("127.0.0.1", 5353), new InetSocketAddress("::1", 5353));
        assertThat(s.upstream()).containsExactly(new InetSocketAddress("192.0.2.53", 53), new InetSocketAddress("2001:db8::53", 5300));
        assertThat(s.prefixes()).extracting(Object::toString).containsExactly("64:ff9b::/96", "2001:db8:64::/48=198.51.100.0/24");
        assertThat(s.exclude()).extracting(Object::toString).containsExactly("::ffff:0:0/96", "2001:db8:dead::/48");
        assertThat(s.parallelQueries()).isTrue();
        assertThat(s.cacheSize()).isEqualTo(77);
        assertThat(s.timeoutMs()).isEqualTo(700);
        assertThat(s.retries()).isEqualTo(3);
        assertThat(s.maxInflight()).isEqualTo(9);
        assertThat(s.wkpStrict()).isFalse();
        assertThat(s.prefetchTrigger()).isEqualTo(4);
        assertThat(s.prefetchMinTtl()).isEqualTo(30);
        assertThat(s.warmUp()).isEqualTo(123);
    }

    @Test
    void ferryDns64ServesUntilSigtermAndThenPrintsItsCounters(@TempDir Path dir) throws Exception {
        try (TestAuthority auth = TestAuthority.startDefault()) {
            // --listen on port 0 (replacing the file's listen address) and read the port bound from the process's
            // "serving on" line: a port probed here, released and then bound by the child could be taken by another
            // process in between.
            Path f = dir.resolve("ferry.json");
            Files.writeString(f, "{\"dns64\": {\"listen\": [\"127.0.0.1:5353\"], \"upstream\": [\""
                    + auth.addresses().get(0).getAddress().getHostAddress() + ":" + auth.addresses().get(0).getPort() + "\"]}}");
            String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), "ferry.app.Main", "dns64",
                    "--config", f.toString(), "--listen", "127.0.0.1:0", "--threads", "1", "--warm-up", "300").redirectErrorStream(true).start();
            StringBuffer output = new StringBuffer();
            Thread reader = Thread.ofVirtual().start(() -> {
                try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) output.append(line).append('\n');
                } catch (java.io.IOException e) {
                    output.append(e);
                }
            });
            try {
                Message answer = null;
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                java.util.regex.Pattern serving = java.util.regex.Pattern.compile("serving on \\[[^\\]]*127\\.0\\.0\\.1:(\\d+)");
                java.util.regex.Matcher m = serving.matcher(output);
                while (!m.find(0) && p.isAlive() && System.nanoTime() < until) {
                    Thread.sleep(20);
                    m = serving.matcher(output);
                }
                assertThat(m.find(0)).as("the port in ferry dns64's \"serving on\" line: %s", output).isTrue();
                int port = Integer.parseInt(m.group(1));
                try (DatagramSocket s = new DatagramSocket()) {
                    s.setSoTimeout(300);
                    while (answer == null && System.nanoTime() < until && p.isAlive()) {
                        byte[] q = Dns.query("a-only.dns64.example", Type.AAAA, 42, 1232, false, false);
                        s.send(new DatagramPacket(q, q.length, new InetSocketAddress("127.0.0.1", port)));
                        try {
                            DatagramPacket r = new DatagramPacket(new byte[2048], 2048);
                            s.receive(r);
                            answer = Dns.parse(java.util.Arrays.copyOf(r.getData(), r.getLength()));
                        } catch (java.net.SocketTimeoutException e) {
                            // a slow first answer: ask again
                        }
                    }
                }
                assertThat(answer).as("an answer from the ferry dns64 process").isNotNull();
                assertThat(Dns.answers(answer)).containsExactly("a-only.dns64.example. 300 AAAA 64:ff9b::c000:201");
                // the warm-up (300 names through a throwaway server on loopback) reports its end; its queries are not
                // the server's: the counters below still show the one query above
                while (!output.toString().contains("warm-up done") && p.isAlive() && System.nanoTime() < until)
                    Thread.sleep(20);
                assertThat(output.toString()).contains("ferry dns64: warm-up done: 300 names resolved, 600 answers");
                assertThat(p.toHandle().destroy()).isTrue(); // SIGTERM (Process.destroy would close our end of its output)
                assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
                reader.join(TimeUnit.SECONDS.toMillis(10));
                String out = output.toString();
                assertThat(out).contains("ferry dns64: serving on").contains("stopped; counters:");
                assertThat(out).containsPattern("queries_udp\\s+[1-9]").containsPattern("synthesized\\s+1");
                assertThat(List.of(0, 143)).contains(p.exitValue());
            } finally {
                p.destroyForcibly();
            }
        }
    }
}
