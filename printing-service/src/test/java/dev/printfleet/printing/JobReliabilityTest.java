package dev.printfleet.printing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.testing.PostgresServerHandle;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** What must survive: failing printers, two dispatchers on one database, PostgreSQL going away. */
class JobReliabilityTest extends PrintingTestBase {

  /** An agent whose printer refuses every job while {@code refusing} is set, then prints them. */
  private WebSocket flakyAgent(
      String agentId, String printerId, AtomicBoolean refusing, AtomicInteger printed) {
    return rawAgent(
        agentId,
        "b1",
        printerId,
        (socket, envelope) -> {
          if (!"job.dispatch".equals(envelope.getString("type"))) {
            return;
          }
          String id = envelope.getString("id");
          String jobId = envelope.getJsonObject("data").getString("jobId");
          if (refusing.get()) {
            socket.writeTextMessage(
                Envelope.errorResponse(id, Envelope.Code.UNAVAILABLE, "paper tray open").encode());
          } else {
            socket.writeTextMessage(
                Envelope.response(id, new JsonObject().put("accepted", true)).encode());
            printed.incrementAndGet();
            socket.writeTextMessage(
                Envelope.request(
                        "job.result",
                        "r-" + jobId,
                        new JsonObject().put("jobId", jobId).put("outcome", "printed"))
                    .encode());
          }
        });
  }

  @Test
  void fiveFailuresOpenThePrintersCircuitItsJobsWaitQueuedAndASuccessAfterTheResetClosesIt() {
    restartPrinting(Map.of("PRINTFLEET_CIRCUIT_RESET", "3s", "PRINTFLEET_RETRY_BACKOFF", "200ms"));
    var refusing = new AtomicBoolean(true);
    var printed = new AtomicInteger();
    flakyAgent("agent-flaky", "flaky-p1", refusing, printed);
    awaitPrinterKnown("flaky-p1");

    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(
          new JsonObject(post("/api/v1/jobs", userToken("acme"), job("flaky-p1"), null).body())
              .getString("id"));
    }

    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                "OPEN"
                    .equals(
                        new JsonObject(get("/api/v1/printers/flaky-p1", userToken("acme")).body())
                            .getString("circuit")));
    for (String id : ids) {
      assertThat(state(id)).as("jobs wait while the circuit is open").isEqualTo("queued");
    }
    assertThat(count("SELECT count(*) FROM jobs WHERE state = 'failed'")).isZero();
    assertThat(
            count(
                "SELECT count(*) FROM job_history WHERE detail LIKE 'dispatch failed: unavailable: paper tray open%'"))
        .as("each failed attempt's reason in its job's history")
        .isGreaterThanOrEqualTo(5);

    refusing.set(false);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> ids.stream().allMatch(id -> state(id).equals("printed")));
    assertThat(
            new JsonObject(get("/api/v1/printers/flaky-p1", userToken("acme")).body())
                .getString("circuit"))
        .isEqualTo("CLOSED");
    assertThat(printed.get()).isEqualTo(5);
  }

  @Test
  void twoPrintingInstancesOnOneDatabasePrintAThousandJobsExactlyOnce() {
    // Generous timeouts: a dispatch that times out under load is legitimately sent twice, and this
    // test counts the agent's duplicates to show that two dispatchers never claim the same job.
    restartGateway(Map.of("PRINTFLEET_AGENT_REQUEST_TIMEOUT", "10s"));
    restartPrinting(
        Map.of("PRINTFLEET_DISPATCH_TIMEOUT", "15s", "PRINTFLEET_DISPATCH_LEASE", "30s"));
    start(
        new PrintingService(),
        Map.of("PRINTFLEET_DISPATCH_TIMEOUT", "15s", "PRINTFLEET_DISPATCH_LEASE", "30s"));
    var agent = agent(gateway, "agent-busy", "b1");
    awaitPrinterKnown("agent-busy-p2");

    for (int i = 0; i < 1000; i++) {
      var response =
          post("/api/v1/jobs", userToken("acme"), job("agent-busy-p" + (1 + i % 2)), null);
      assertThat(response.statusCode()).isEqualTo(201);
    }

    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> count("SELECT count(*) FROM jobs WHERE state = 'printed'") == 1000);
    assertThat(agent.jobsPrinted()).as("printed by the agent").isEqualTo(1000);
    assertThat(agent.duplicates()).as("dispatched twice").isZero();
  }

  @Test
  void withPostgresqlDownReadyAndPostAnswer503NothingIsHalfWrittenAndItRecovers() throws Exception {
    var logs =
        new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
    var root =
        (ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    logs.start();
    root.addAppender(logs);
    // Printing instances share one database in production, and an agent's printer list is written
    // by one of them: the base instance, on another database, must not be the one that takes it.
    cluster.stop(printing);
    try (var ownPostgres = PostgresServerHandle.startOnFreePort()) {
      String database = ownPostgres.createDatabase("outage");
      var own = start(new PrintingService(), ownPostgres.settings(database));
      agent(gateway, "agent-pg", "b1");
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  send(HttpRequest.newBuilder(
                                  URI.create(
                                      "http://127.0.0.1:"
                                          + own.httpPort()
                                          + "/api/v1/printers/agent-pg-p1"))
                              .header("Authorization", "Bearer " + userToken("acme"))
                              .build())
                          .statusCode()
                      == 200);
      assertThat(
              postTo(own, "/api/v1/jobs", userToken("acme"), job("agent-pg-p1"), "before")
                  .statusCode())
          .isEqualTo(201);

      ownPostgres.stop();
      await().atMost(Duration.ofSeconds(20)).until(() -> readyStatus(own.httpPort()) == 503);
      var refused = postTo(own, "/api/v1/jobs", userToken("acme"), job("agent-pg-p1"), "during");
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(new JsonObject(refused.body()).getJsonObject("error").getString("code"))
          .isEqualTo("unavailable");
      assertThat(refused.headers().firstValue("Retry-After")).isPresent();
      // A restart takes seconds: longer than the pool's 5 s connection timeout, whose timers
      // outlive the queries that failed at once (vertx-sql-client #1706). Not ready all that time.
      await()
          .during(Duration.ofSeconds(7))
          // Each readiness check waits on the pool's reconnects: checks take a second or more.
          .atMost(Duration.ofSeconds(15))
          .until(() -> readyStatus(own.httpPort()) == 503);

      ownPostgres.start();
      await().atMost(Duration.ofSeconds(30)).until(() -> readyStatus(own.httpPort()) == 200);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  postTo(own, "/api/v1/jobs", userToken("acme"), job("agent-pg-p1"), "after")
                          .statusCode()
                      == 201);
      String url = ownPostgres.jdbcUrl(database);
      try (var connection =
              java.sql.DriverManager.getConnection(
                  url, ownPostgres.user(), ownPostgres.password());
          var rows =
              connection
                  .createStatement()
                  .executeQuery(
                      "SELECT string_agg(idempotency_key, ',' ORDER BY idempotency_key), count(*) FROM jobs")) {
        rows.next();
        assertThat(rows.getString(1)).isEqualTo("after,before");
        var history =
            connection
                .createStatement()
                .executeQuery(
                    "SELECT count(*) FROM jobs j WHERE NOT EXISTS (SELECT 1 FROM job_history h WHERE h.job_id = j.id)");
        history.next();
        assertThat(history.getLong(1)).as("jobs without their history row").isZero();
      }
      // Dispatch resumed: the job accepted before the outage reaches the agent.
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                try (var connection =
                        java.sql.DriverManager.getConnection(
                            url, ownPostgres.user(), ownPostgres.password());
                    var rows =
                        connection
                            .createStatement()
                            .executeQuery(
                                "SELECT count(*) FROM jobs WHERE idempotency_key = 'before' AND state = 'printed'")) {
                  rows.next();
                  return rows.getLong(1) == 1;
                }
              });
      cluster.stop(own);
    } finally {
      root.detachAppender(logs);
    }
    assertThat(logs.list)
        .as("errors and unhandled exceptions logged for a PostgreSQL restart")
        .noneMatch(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.ERROR));
    assertThat(
            logs.list.stream()
                .filter(
                    e ->
                        e.getLevel() == ch.qos.logback.classic.Level.WARN
                            && e.getLoggerName().endsWith("DispatchLoop"))
                .map(e -> e.getFormattedMessage())
                .toList())
        .as("the dispatcher's warnings for the outage")
        .hasSize(1);
  }

  private static int readyStatus(int port) {
    try {
      return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
              .build())
          .statusCode();
    } catch (AssertionError e) {
      return -1;
    }
  }
}
