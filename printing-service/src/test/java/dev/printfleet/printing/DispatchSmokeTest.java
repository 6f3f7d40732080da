package dev.printfleet.printing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.simulator.load.LoadGenerator;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * A short run of the dispatch benchmark (bench/dispatch.sh) against a real gateway and printing
 * service: every accepted job must reach a final state. The second test shows the run fails, and
 * names the job, when the system loses one.
 */
class DispatchSmokeTest extends PrintingTestBase {

  private JsonObject runLoad(String prefix, int expectedExit, int graceS) throws Exception {
    return runLoad(prefix, expectedExit, graceS, 0);
  }

  private JsonObject runLoad(String prefix, int expectedExit, int graceS, int warmupS)
      throws Exception {
    Path report = Files.createTempFile("dispatch-smoke", ".json");
    try {
      int exit =
          new CommandLine(new LoadGenerator())
              .execute(
                  "jobs",
                  "--port",
                  String.valueOf(gateway.httpPort()),
                  "--api-port",
                  String.valueOf(printing.httpPort()),
                  "--secret",
                  SECRET,
                  "--company",
                  "smoke-" + prefix,
                  "--id-prefix",
                  prefix,
                  "--agents",
                  "4",
                  "--rate",
                  "50",
                  "--duration",
                  "4",
                  "--grace",
                  String.valueOf(graceS),
                  "--warmup",
                  String.valueOf(warmupS),
                  "--report",
                  report.toString());
      assertThat(exit).as("loadgen exit status").isEqualTo(expectedExit);
      return new JsonObject(Files.readString(report));
    } finally {
      Files.deleteIfExists(report);
    }
  }

  @Test
  void everyJobOfAShortDispatchRunReachesAFinalState() throws Exception {
    var report = runLoad("ok", 0, 10);
    assertThat(report.getInteger("accepted")).isEqualTo(200);
    assertThat(report.getInteger("lost")).isZero();
    assertThat(report.getJsonObject("finalStates").getInteger("printed")).isEqualTo(200);
    assertThat(report.getJsonObject("latencyMs").getJsonObject("postToAgent").getLong("count"))
        .isEqualTo(200L);
  }

  @Test
  void aWarmUpsJobsAreLeftOutOfTheFiguresAndCountedInTheWholeRunsTimeline() throws Exception {
    var report = runLoad("warm", 0, 10, 2);
    // The measured run alone: 50 jobs/s for 4 s.
    assertThat(report.getInteger("submitted")).isEqualTo(200);
    assertThat(report.getInteger("accepted")).isEqualTo(200);
    assertThat(report.getInteger("lost")).isZero();
    assertThat(report.getLong("duplicatesReceived")).isZero();
    assertThat(report.getJsonObject("latencyMs").getJsonObject("postToAgent").getLong("count"))
        .isEqualTo(200L);
    // The whole run's timeline counts the warm-up's jobs too (ramped up over its first second).
    var seconds = report.getJsonArray("timelineFromWarmup");
    int received = 0;
    for (int i = 0; i < seconds.size(); i++) {
      received += seconds.getJsonObject(i).getInteger("received", 0);
    }
    assertThat(received).isGreaterThan(200);
    assertThat(seconds.getJsonObject(0).getInteger("s")).isZero();
  }

  @Test
  void theRunFailsAndNamesTheJobWhenOneIsLost() throws Exception {
    // A dispatcher that forgets one job: job 7 of the run is put a day into the future, and not
    // leased for its agent at acceptance (which would send it at once).
    try (var connection = cluster.connectToDatabase();
        var sql = connection.createStatement()) {
      sql.execute(
          "CREATE FUNCTION forget_one() RETURNS trigger AS $$ BEGIN"
              + " IF NEW.idempotency_key = 'lose-7' THEN NEW.next_attempt_at := now() + interval '1 day';"
              + " NEW.dispatched_to := NULL; END IF;"
              + " RETURN NEW; END $$ LANGUAGE plpgsql");
      sql.execute(
          "CREATE TRIGGER forget_one BEFORE INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION forget_one()");
    }
    // The lost job never comes: the run waits its whole grace, so a short one.
    var report = runLoad("lose", 1, 3);
    assertThat(report.getInteger("lost")).isEqualTo(1);
    String forgotten;
    try (var connection = cluster.connectToDatabase();
        var rows =
            connection
                .createStatement()
                .executeQuery("SELECT id FROM jobs WHERE idempotency_key = 'lose-7'")) {
      rows.next();
      forgotten = rows.getString(1);
    }
    assertThat(report.getJsonArray("lostJobs").getString(0)).isEqualTo(forgotten + " (queued)");
  }
}
