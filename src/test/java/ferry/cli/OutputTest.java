package ferry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Table and CSV rendering of replies. */
class OutputTest {
    static String render(boolean csv, boolean noHeaders) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        Output.print(new PrintStream(b, true, StandardCharsets.UTF_8), List.of("Key", "Value"),
                List.of(List.of("mtu-plateaus", "1500,1280"), List.of("tos", "say \"hi\"")), csv, noHeaders);
        return b.toString(StandardCharsets.UTF_8);
    }

    @Test
    void tablesAlignColumnsUnderASeparator() {
        assertThat(render(false, false)).isEqualTo("""
                Key          | Value
                -------------+----------
                mtu-plateaus | 1500,1280
                tos          | say "hi"
                """);
    }

    @Test
    void csvQuotesCommasAndQuotesAsRfc4180() {
        assertThat(render(true, false)).isEqualTo("Key,Value\nmtu-plateaus,\"1500,1280\"\ntos,\"say \"\"hi\"\"\"\n");
    }

    @Test
    void noHeadersLeavesOutTheHeaderRowInBothForms() {
        assertThat(render(true, true)).startsWith("mtu-plateaus,");
        assertThat(render(false, true)).startsWith("mtu-plateaus | ");
    }
}
