package dev.printfleet.printing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * One tenant's backlog does not cost the others: a company may queue at most
 * PRINTFLEET_MAX_QUEUED_PER_COMPANY jobs (429 with Retry-After past it, nothing stored), and the
 * jobs of an offline agent are put back all at once, not claimed and written one by one every
 * offline wait.
 */
class QueueFairnessTest extends PrintingTestBase {

  @Test
  void aCompanyPastItsQueuedCapIsRefused429AndNothingIsStored() {
    restartPrinting(Map.of("PRINTFLEET_MAX_QUEUED_PER_COMPANY", "3"));
    var agent = agent(gateway, "cap-1", "b1");
    awaitPrinterKnown("cap-1-p1");
    join(agent.stop());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                !new JsonObject(get("/api/v1/printers/cap-1-p1", userToken("acme")).body())
                    .getBoolean("online"));

    var first = post("/api/v1/jobs", userToken("acme"), job("cap-1-p1"), "cap-key-1");
    assertThat(first.statusCode()).isEqualTo(201);
    for (int i = 0; i < 2; i++) {
      assertThat(post("/api/v1/jobs", userToken("acme"), job("cap-1-p1"), null).statusCode())
          .isEqualTo(201);
    }
    var refused = post("/api/v1/jobs", userToken("acme"), job("cap-1-p1"), null);

    assertThat(refused.statusCode()).isEqualTo(429);
    assertThat(refused.headers().firstValue("Retry-After")).hasValue("5");
    assertThat(new JsonObject(refused.body()).getJsonObject("error").getString("code"))
        .isEqualTo("rate_limited");
    // At the cap, the retry of an accepted job is still that job (200), never refused, never a
    // second.
    var retry = post("/api/v1/jobs", userToken("acme"), job("cap-1-p1"), "cap-key-1");
    assertThat(retry.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(retry.body()).getString("id"))
        .isEqualTo(new JsonObject(first.body()).getString("id"));
    assertThat(post("/api/v1/jobs", userToken("acme"), job("cap-1-p1"), "cap-key-new").statusCode())
        .isEqualTo(429);
    assertThat(count("SELECT count(*) FROM jobs WHERE company = 'acme'")).isEqualTo(3);
    // Another company is not held back by acme's backlog: its request goes on to the printer
    // lookup.
    assertThat(post("/api/v1/jobs", userToken("globex"), job("cap-1-p1"), null).statusCode())
        .isEqualTo(404);
  }

  @Test
  void theJobsOfAnOfflineAgentArePutBackTogetherNotClaimedOneByOne() throws Exception {
    var agent = agent(gateway, "off-1", "b1");
    awaitPrinterKnown("off-1-p1");
    join(agent.stop());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                !new JsonObject(get("/api/v1/printers/off-1-p1", userToken("acme")).body())
                    .getBoolean("online"));
    // 1,000 jobs due for the offline agent, written while no printing instance runs; then one
    // starts.
    cluster.stop(printing);
    try (var connection = cluster.connectToDatabase();
        var sql = connection.createStatement()) {
      sql.execute(
          "INSERT INTO jobs (id, company, branch, printer_id, state, copies, content_type, content, created_at,"
              + " next_attempt_at) SELECT gen_random_uuid(), 'acme', 'b1', 'off-1-p' || (1 + n % 2), 'queued', 1,"
              + " 'text/plain', 'x'::bytea, now() - n * interval '1 ms', now() - interval '1 s'"
              + " FROM generate_series(1, 1000) AS n");
    }
    // One claim of 100 at a time: the next waits for room (as the 1,001st job waits by default).
    printing =
        start(
            new PrintingService(),
            Map.of("PRINTFLEET_OFFLINE_WAIT", "1h", "PRINTFLEET_DISPATCH_MAX_IN_FLIGHT", "100"));

    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                count(
                        "SELECT count(*) FROM jobs WHERE state = 'queued' AND error = 'agent offline'")
                    == 1000);
    assertThat(
            count("SELECT count(*) FROM jobs WHERE state = 'queued' AND next_attempt_at <= now()"))
        .isZero();
    // One by one, each of the 1,000 would have been claimed at least once (3,939 claims were
    // measured so); put back together, only those claimed before the parking landed (100 to 150
    // measured). Jobs sent back as "agent busy" (more than its dispatches at once) came back every
    // second and were claimed again, 180 to 1,004 claims, until they too were parked.
    var metrics = metricsOf(printing);
    assertThat(metrics.value("printfleet_dispatch_started_total", Map.of("from", "claim")))
        .isLessThan(500.0);
    // The queue-depth gauge comes from the per-company count's pass (acme is far below its cap of
    // 100,000, and still counted in the total).
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                metricsOf(printing).value("printfleet_jobs_current", Map.of("state", "queued"))
                    == 1000.0);
  }

  @Test
  void aJobForAnOfflineAgentIsParkedAsItIsAcceptedNeverClaimedAndItsConnectSendsIt() {
    var agent = agent(gateway, "off-2", "b1");
    awaitPrinterKnown("off-2-p1");
    join(agent.stop());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                !new JsonObject(get("/api/v1/printers/off-2-p1", userToken("acme")).body())
                    .getBoolean("online"));

    for (int i = 0; i < 3; i++) {
      var accepted = post("/api/v1/jobs", userToken("acme"), job("off-2-p1"), null);
      assertThat(accepted.statusCode()).isEqualTo(201);
      // The 201 says why the job waits (PROTOCOL §3).
      assertThat(new JsonObject(accepted.body()).getString("error")).isEqualTo("agent offline");
    }

    // Parked by the statement that accepted them, before the 201: no claim found them due first.
    assertThat(
            count(
                "SELECT count(*) FROM jobs WHERE printer_id = 'off-2-p1' AND state = 'queued'"
                    + " AND next_attempt_at = 'infinity' AND error = 'agent offline'"))
        .isEqualTo(3);
    var metrics = metricsOf(printing);
    assertThat(metrics.value("printfleet_dispatch_started_total", Map.of("from", "claim")))
        .isZero();

    agent(gateway, "off-2", "b1");
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                count(
                        "SELECT count(*) FROM jobs WHERE printer_id = 'off-2-p1' AND state = 'printed'")
                    == 3);
  }
}
