package ferry.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ferry.config.Config;
import ferry.config.ConfigError;
import ferry.config.ConfigException;
import ferry.config.ConfigParser;
import ferry.config.TunSection;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code "tun"} section of the configuration and {@code ferry run}'s handling of bad configurations. */
class RunConfigTest {
    @TempDir
    Path dir;

    @Test
    void withoutATunObjectTheDefaultsAreTheDeviceFerry0AndNothingElse() throws Exception {
        Config c = ConfigParser.parse("{}", "t");
        assertThat(c.tun()).isEqualTo(TunSection.defaults());
        assertThat(c.tun().device()).isEqualTo("ferry0");
        assertThat(c.tun().mtu()).as("left alone").isZero();
        assertThat(c.tun().queues()).as("one per core").isZero();
        assertThat(c.tun().vnetHeader()).isFalse();
        assertThat(c.tun().addresses()).isEmpty();
        assertThat(c.tun().routes()).isEmpty();
        assertThat(c.tun().io()).as("one read and one write per packet unless asked").isEqualTo("syscalls");
    }

    @Test
    void theIoKeySelectsIoUringOrSyscalls() throws Exception {
        assertThat(ConfigParser.parse("{ \"tun\": { \"io\": \"uring\" } }", "t").tun().io()).isEqualTo("uring");
        assertThat(ConfigParser.parse("{ \"tun\": { \"io\": \"syscalls\" } }", "t").tun().io())
                .isEqualTo("syscalls");
        assertThat(ferry.io.tun.TunIo.of("uring")).isEqualTo(ferry.io.tun.TunIo.URING);
        assertThat(ferry.io.tun.TunIo.of("syscalls")).isEqualTo(ferry.io.tun.TunIo.SYSCALLS);
    }

    @Test
    void runWithAnUnknownIoModeExitsTwoNamingTheKeyAndTheValue() throws Exception {
        Path f = dir.resolve("io.json");
        Files.writeString(f, "{ \"tun\": { \"io\": \"epoll\" } }");
        E2e.Run r = E2e.main("run", "--config", f.toString());
        assertThat(r.exit()).as(r.stderr()).isEqualTo(2);
        assertThat(r.stderr()).contains("tun.io").contains("epoll").contains("uring").doesNotContain("event=ready");
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> ConfigParser.parse("{ \"tun\": { \"io\": true } }", "t"));
        assertThat(e.errors()).extracting(ConfigError::path).containsExactly("tun.io");
    }

    @Test
    void everyTunKeyIsRead() throws Exception {
        Config c = ConfigParser.parse("""
                { "tun": { "device": "siit7", "mtu": 1400, "queues": 3, "vnet-header": true, "comment": "x",
                           "addresses": ["192.0.2.1/24", "2001:db8::1/64"],
                           "routes": ["198.51.100.0/24", "2001:db8:100:0::/40"] } }
                """, "t");
        TunSection t = c.tun();
        assertThat(t.device()).isEqualTo("siit7");
        assertThat(t.mtu()).isEqualTo(1400);
        assertThat(t.queues()).isEqualTo(3);
        assertThat(t.vnetHeader()).isTrue();
        assertThat(t.addresses()).containsExactly(new TunSection.Address("192.0.2.1/24", false),
                new TunSection.Address("2001:db8::1/64", true));
        assertThat(t.routes()).containsExactly(new TunSection.Route("198.51.100.0/24", false),
                new TunSection.Route("2001:db8:100::/40", true));
    }

    @Test
    void everyBadTunValueIsReportedWithItsPath() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigParser.parse("""
                { "tun": { "device": "a/b", "mtu": 1279, "queues": 0, "vnet-header": "yes",
                           "addresses": ["192.0.2.1", "2001:db8::1/129", 5],
                           "routes": ["198.51.100.1/24"], "offload": true } }
                """, "t"));
        assertThat(e).isNotNull();
        List<String> paths = e.errors().stream().map(ConfigError::path).toList();
        assertThat(paths).containsExactlyInAnyOrder("tun.device", "tun.mtu", "tun.queues", "tun.vnet-header",
                "tun.addresses[0]", "tun.addresses[1]", "tun.addresses[2]", "tun.routes[0]", "tun.offload");
        String all = e.errors().toString();
        assertThat(all).contains("1280..65535").contains("1..256").contains("unknown key \"offload\"");
    }

    @Test
    void aTunSectionThatIsNotAnObjectIsAnError() {
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> ConfigParser.parse("{ \"tun\": [] }", "t"));
        assertThat(e.errors()).extracting(ConfigError::path).containsExactly("tun");
    }

    @Test
    void runWithAnInvalidConfigurationExitsTwoNamingTheFieldBeforeTouchingAnyDevice() throws Exception {
        Path f = dir.resolve("bad.json");
        Files.writeString(f, "{ \"tun\": { \"mtu\": 99999 } }");
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = Main.run("run", "--config", f.toString());
        } finally {
            System.setErr(old);
        }
        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("tun.mtu").contains("99999");
    }

    @Test
    void runWithoutConfigIsAUsageError() {
        PrintStream old = System.err;
        int code;
        try {
            System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            code = Main.run("run");
        } finally {
            System.setErr(old);
        }
        assertThat(code).isEqualTo(2);
    }

    /**
     * {@code ferry run --config a.json --config b.json EXTRA} in-process; it must exit 2 (nothing started). The files
     * are {@code dir/a.json} and {@code dir/b.json}.
     */
    E2e.Run runTwo(String a, String b, String... extra) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("run", "--config", E2e.write(dir, "a.json", a).toString(),
                "--config", E2e.write(dir, "b.json", b).toString()));
        args.addAll(List.of(extra));
        E2e.Run r = E2e.main(args.toArray(String[]::new));
        assertThat(r.exit()).as(r.stderr()).isEqualTo(2);
        assertThat(r.stderr()).doesNotContain("event=ready");
        return r;
    }

    @Test
    void twoFilesWithTheSameInstanceNameExitTwoNamingBothFilesBeforeTouchingAnyDevice() throws Exception {
        E2e.Run r = runTwo("{ \"instance\": \"edge\", \"tun\": { \"device\": \"ferrya\" } }",
                "{ \"instance\": \"edge\", \"tun\": { \"device\": \"ferryb\" } }");
        assertThat(r.stderr()).contains(dir.resolve("b.json") + ": instance: \"edge\" is also the instance of "
                + dir.resolve("a.json"));
    }

    @Test
    void twoFilesOnTheSameTunDeviceAreRefused() throws Exception {
        E2e.Run r = runTwo("{ \"instance\": \"one\" }", "{ \"instance\": \"two\" }");
        assertThat(r.stderr()).contains(dir.resolve("b.json") + ": tun.device: \"ferry0\" is also the device of "
                + dir.resolve("a.json"));
    }

    @Test
    void everyInvalidFileIsReportedNotOnlyTheFirst() throws Exception {
        E2e.Run r = runTwo("{ \"instance\": \"one\", \"tun\": { \"mtu\": 99999 } }",
                "{ \"instance\": \"two\", \"ferry\": { \"ipv4-mtu\": 7 } }");
        assertThat(r.stderr()).contains(dir.resolve("a.json") + ":").contains("tun.mtu")
                .contains(dir.resolve("b.json") + ":").contains("ferry.ipv4-mtu");
    }

    @Test
    void aMetricsKeyThatIsNotLoopbackOrNotHostPortExitsTwoNamingTheKeyAndTheValue() throws Exception {
        E2e.Run r = runTwo("{ \"instance\": \"one\", \"ferry\": { \"metrics\": \"192.0.2.1:9464\" } }",
                "{ \"instance\": \"two\", \"ferry\": { \"metrics\": \"127.0.0.1\" }, \"tun\": { \"device\": \"f1\" } }");
        assertThat(r.stderr()).contains(dir.resolve("a.json") + ": ferry.metrics: \"192.0.2.1:9464\"")
                .contains("only loopback").contains(dir.resolve("b.json") + ": ferry.metrics: \"127.0.0.1\" is not HOST:PORT");
    }

    @Test
    void theMetricsKeyIsReadAndFilesThatNameDifferentEndpointsAreRefused() throws Exception {
        assertThat(ConfigParser.parse("{ \"ferry\": { \"metrics\": \"127.0.0.1:9464\" } }", "t").ferry().metrics())
                .isEqualTo("127.0.0.1:9464");
        assertThat(ConfigParser.parse("{}", "t").ferry().metrics()).isNull();
        assertThat(catchThrowableOfType(ConfigException.class, () -> ConfigParser.parse(
                "{ \"ferry\": { \"metrics\": 9464 } }", "t")).errors()).extracting(ConfigError::path)
                .as("a string").containsExactly("ferry.metrics");
        E2e.Run r = runTwo("{ \"instance\": \"one\", \"ferry\": { \"metrics\": \"127.0.0.1:9464\" },"
                + " \"tun\": { \"device\": \"ferrya\" } }", "{ \"instance\": \"two\", \"ferry\": { \"metrics\":"
                + " \"127.0.0.1:9465\" }, \"tun\": { \"device\": \"ferryb\" } }");
        assertThat(r.stderr()).contains(dir.resolve("b.json") + ": ferry.metrics: \"127.0.0.1:9465\" differs from"
                + " \"127.0.0.1:9464\" in " + dir.resolve("a.json"));
    }

    @Test
    void aBadMetricsFlagExitsTwoNamingTheFlag() throws Exception {
        Path a = E2e.write(dir, "a.json", "{}");
        E2e.Run r = E2e.main("run", "--config", a.toString(), "--metrics", "0.0.0.0:9464");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).contains("--metrics: \"0.0.0.0:9464\"").contains("only loopback");
    }

    @Test
    void aControlSocketPathWithSeveralFilesIsAUsageError() throws Exception {
        E2e.Run r = runTwo("{ \"instance\": \"one\", \"tun\": { \"device\": \"ferrya\" } }",
                "{ \"instance\": \"two\", \"tun\": { \"device\": \"ferryb\" } }", "--control-socket", "/tmp/x.sock");
        assertThat(r.stderr()).contains("event=usage_error").contains("--control-socket");
    }

    @Test
    void aFileWithOnlyDns64FerryAndInstanceIsADns64OnlyInstance() {
        assertThat(RunInstance.dns64Only("{ \"instance\": \"dns\", \"ferry\": {}, \"dns64\": {}, \"comment\": 1 }"))
                .isTrue();
        assertThat(RunInstance.dns64Only("{ \"DNS64\": {} }")).as("keys are case-insensitive").isTrue();
        assertThat(RunInstance.dns64Only("{ \"dns64\": {}, \"tun\": {} }")).as("a tun makes a translator").isFalse();
        assertThat(RunInstance.dns64Only("{ \"dns64\": {}, \"global\": {} }")).isFalse();
        assertThat(RunInstance.dns64Only("{ \"instance\": \"x\" }")).as("no dns64 section").isFalse();
        assertThat(RunInstance.dns64Only("{ not json")).isFalse();
    }

    @Test
    void modeOverrideLeavesADns64OnlyFileAloneButAppliesToTheTranslators() throws Exception {
        Path d = E2e.write(dir, "d.json", "{ \"instance\": \"dns\", \"dns64\": { \"upstream\": [\"192.0.2.53\"] } }");
        RunInstance dns = RunInstance.prepare(d, new RunInstance.Options(false, ferry.config.Mode.NAT64, 10, null, null));
        assertThat(dns.dns64Only()).isTrue();
        assertThat(dns.device()).isNull();
        Path t = E2e.write(dir, "t.json", "{ \"instance\": \"xlat\" }");
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> RunInstance.prepare(t,
                new RunInstance.Options(false, ferry.config.Mode.NAT64, 10, null, null)));
        assertThat(e).as("--mode nat64 made the translator file a NAT64 without pool6/pool4").isNotNull();
    }
}
