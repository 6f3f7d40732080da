package dev.printfleet.simulator.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** The jobs command refuses a send tick it does not take, before it opens anything. */
class JobLoadOptionsTest {

  @ParameterizedTest
  @ValueSource(strings = {"0", "11", "-1"})
  void aSendTickOutsideOneToTenMillisecondsIsRefused(String every) {
    var err = new StringWriter();
    var help = new StringWriter();
    var cli = new CommandLine(new LoadGenerator());
    cli.setErr(new PrintWriter(err));
    cli.setOut(new PrintWriter(help));
    // Port 1: were the option taken, the run would fail to connect instead, with another code.
    int code =
        cli.execute(
            "jobs", "--port", "1", "--api-port", "1", "--secret", "x", "--send-every", every);
    assertThat(code).isEqualTo(2);
  }

  @Test
  void theHelpSaysWhatTheTickIsFor() {
    var out = new StringWriter();
    var cli = new CommandLine(new LoadGenerator());
    cli.setOut(new PrintWriter(out));
    cli.execute("jobs", "--help");
    // Picocli wraps the description: compare it with its line breaks as spaces.
    assertThat(out.toString().replaceAll("\\s+", " "))
        .contains("--send-every")
        .contains("as the Socket.IO peer's load client");
  }
}
