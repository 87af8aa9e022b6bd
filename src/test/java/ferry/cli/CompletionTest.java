package ferry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ferry.app.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Shell completion is generated from the command definitions (picocli's generate-completion). */
class CompletionTest {
    @Test
    void theBashCompletionScriptKnowsTheNounsAndVerbs() {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = Main.run("generate-completion");
        } finally {
            System.setOut(old);
        }
        String script = out.toString(StandardCharsets.UTF_8);
        assertThat(code).isZero();
        assertThat(script).contains("complete -F").contains("pool4").contains("denylist4").contains("session")
                .contains("--no-headers").contains("--csv");
    }
}
