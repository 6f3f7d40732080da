package dev.printfleet.printing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.gateway.GatewayService;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** A job end to end: REST API, PostgreSQL, dispatcher, a real gateway and simulated agents. */
class JobFlowTest extends PrintingTestBase {

  @Test
  void jobEventsLeaveInBatchesAndKeepEachJobsOrder() {
    agent(gateway, "agent-batch", "b1");
    awaitPrinterKnown("agent-batch-p1");
    var messages = new java.util.concurrent.atomic.AtomicInteger();
    var statesByJob = new java.util.concurrent.ConcurrentHashMap<String, List<String>>();
    gateway
        .vertx()
        .eventBus()
        .<JsonObject>consumer(
            dev.printfleet.common.messages.Addresses.EVENTS_JOB,
            m -> {
              messages.incrementAndGet();
              dev.printfleet.common.messages.JobEvent.listFromJson(m.body())
                  .forEach(
                      e ->
                          statesByJob
                              .computeIfAbsent(
                                  e.jobId(), k -> new java.util.concurrent.CopyOnWriteArrayList<>())
                              .add(e.state()));
            });

    int jobs = 50;
    var posts =
        java.util.stream.IntStream.range(0, jobs)
            .mapToObj(
                i ->
                    http.sendAsync(
                        HttpRequest.newBuilder(
                                URI.create(
                                    "http://127.0.0.1:" + printing.httpPort() + "/api/v1/jobs"))
                            .header("Authorization", "Bearer " + userToken("acme"))
                            .header("Content-Type", "application/json")
                            .POST(
                                HttpRequest.BodyPublishers.ofString(
                                    job("agent-batch-p" + (1 + i % 2)).encode()))
                            .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()))
            .toList();
    var ids = posts.stream().map(f -> new JsonObject(f.join().body()).getString("id")).toList();

    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                ids.stream()
                    .allMatch(id -> statesByJob.getOrDefault(id, List.of()).contains("printed")));
    for (String id : ids) {
      assertThat(statesByJob.get(id)).as(id).containsExactly("queued", "dispatched", "printed");
    }
    // 150 events: one message each before batches.
    assertThat(messages.get()).isLessThan(jobs * 3 / 2);
  }

  @Test
  void jobGoesQueuedDispatchedPrintedAndADashboardSeesEachUpdate() {
    var agent = agent(gateway, "agent-1", "b1");
    awaitPrinterKnown("agent-1-p1");
    var updates = jobUpdates("branch:b1");

    var created = post("/api/v1/jobs", userToken("acme"), job("agent-1-p1"), null);

    assertThat(created.statusCode()).isEqualTo(201);
    var body = new JsonObject(created.body());
    assertThat(body.getString("state")).isEqualTo("queued");
    assertThat(body.getString("branch")).isEqualTo("b1");
    assertThat(body.getInteger("copies")).isEqualTo(2);
    String id = body.getString("id");
    await().atMost(Duration.ofSeconds(15)).until(() -> state(id).equals("printed"));
    assertThat(historyStates(id)).containsExactly("queued", "dispatched", "printed");
    await().atMost(Duration.ofSeconds(5)).until(() -> updates.contains("printed"));
    assertThat(updates).containsSubsequence("queued", "dispatched", "printed");
    assertThat(agent.jobsPrinted()).isEqualTo(1);

    var metrics = metricsOf(printing);
    for (String state : List.of("queued", "dispatched", "printed")) {
      assertThat(
              metrics.samples("printfleet_jobs_state_changes_total").stream()
                  .filter(s -> state.equals(s.labels().get("state")))
                  .mapToDouble(s -> s.value())
                  .sum())
          .as(state)
          .isEqualTo(1.0);
    }
    for (String stage : new String[] {"delivered", "printed"}) {
      // delivered: the agent took it (what the dispatch objective's alert reads); printed: its
      // result.
      assertThat(
              metrics.samples("printfleet_jobs_latency_seconds_count").stream()
                  .filter(s -> stage.equals(s.labels().get("stage")))
                  .mapToDouble(s -> s.value())
                  .sum())
          .as(stage)
          .isEqualTo(1.0);
    }
    assertThat(metrics.hasFamily("printfleet_jobs_current")).isTrue();
    assertThat(metrics.hasFamily("printfleet_circuits")).isTrue();
    assertThat(metrics.hasFamily("printfleet_jobs_retries_total")).isTrue();
  }

  @Test
  void jobForAnOfflineAgentWaitsQueuedAndPrintsWhenTheAgentConnectsToAnyGateway() {
    var first = agent(gateway, "agent-2", "b2");
    awaitPrinterKnown("agent-2-p1");
    join(first.stop());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                !new JsonObject(get("/api/v1/printers/agent-2-p1", userToken("acme")).body())
                    .getBoolean("online"));

    String id =
        new JsonObject(post("/api/v1/jobs", userToken("acme"), job("agent-2-p2"), null).body())
            .getString("id");
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(4))
        .until(() -> state(id).equals("queued"));
    assertThat(
            new JsonObject(get("/api/v1/jobs/" + id, userToken("acme")).body())
                .getInteger("attempts"))
        .isZero();

    var otherGateway = start(new GatewayService(), Map.of());
    var back = agent(otherGateway, "agent-2", "b2");
    await().atMost(Duration.ofSeconds(15)).until(() -> state(id).equals("printed"));
    assertThat(back.jobsPrinted()).isEqualTo(1);
  }

  @Test
  void sameIdempotencyKeyTwiceGivesTheSameJobOnce() {
    agent(gateway, "agent-3", "b1");
    awaitPrinterKnown("agent-3-p1");

    var first = post("/api/v1/jobs", userToken("acme"), job("agent-3-p1"), "order-42");
    var again = post("/api/v1/jobs", userToken("acme"), job("agent-3-p1"), "order-42");

    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(again.body()).getString("id"))
        .isEqualTo(new JsonObject(first.body()).getString("id"));
  }

  @Test
  void agentThatNeverAnswersGetsItsRetriesThenTheJobFails() throws Exception {
    // Never answers anything.
    rawAgent("agent-mute", "b1", "mute-p1", (socket, envelope) -> {});

    String id =
        new JsonObject(post("/api/v1/jobs", userToken("acme"), job("mute-p1"), null).body())
            .getString("id");

    await().atMost(Duration.ofSeconds(30)).until(() -> state(id).equals("failed"));
    var failed = new JsonObject(get("/api/v1/jobs/" + id, userToken("acme")).body());
    assertThat(failed.getInteger("attempts")).isEqualTo(5);
    assertThat(failed.getString("error")).contains("timeout");
  }

  @Test
  void jobDispatchedWithoutAResultPastTheDeadlineGoesOutAgain() {
    restartPrinting(Map.of("PRINTFLEET_RESULT_DEADLINE", "1s"));
    var received = new CopyOnWriteArrayList<String>();
    // Accepts every dispatch and never reports a result, as an agent that crashed mid-print would.
    rawAgent(
        "agent-forgetful",
        "b1",
        "forgetful-p1",
        (socket, envelope) -> {
          if ("job.dispatch".equals(envelope.getString("type"))) {
            received.add(envelope.getJsonObject("data").getString("jobId"));
            socket.writeTextMessage(
                Envelope.response(envelope.getString("id"), new JsonObject().put("accepted", true))
                    .encode());
          }
        });

    String id =
        new JsonObject(post("/api/v1/jobs", userToken("acme"), job("forgetful-p1"), null).body())
            .getString("id");

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> received.stream().filter(id::equals).count() >= 2);
    var history =
        new JsonObject(get("/api/v1/jobs/" + id, userToken("acme")).body()).getJsonArray("history");
    assertThat(history.stream().map(h -> ((JsonObject) h).getString("detail")).toList())
        .contains("no result before the deadline, dispatching again");
  }

  @Test
  void aResultThatOvertakesTheDispatchedWriteStillShowsTheContractsOrder() {
    // Reports the result before it acknowledges the dispatch, so the result is written while the
    // job is still queued, as when a fast printer beats the dispatcher's own write.
    rawAgent(
        "agent-hasty",
        "b9",
        "hasty-p1",
        (socket, envelope) -> {
          if ("job.dispatch".equals(envelope.getString("type"))) {
            String jobId = envelope.getJsonObject("data").getString("jobId");
            socket.writeTextMessage(
                Envelope.request(
                        "job.result",
                        "r-" + jobId,
                        new JsonObject().put("jobId", jobId).put("outcome", "printed"))
                    .encode());
            client.setTimer(
                300,
                t ->
                    socket.writeTextMessage(
                        Envelope.response(
                                envelope.getString("id"), new JsonObject().put("accepted", true))
                            .encode()));
          }
        });
    var updates = jobUpdates("branch:b9");

    String id =
        new JsonObject(post("/api/v1/jobs", userToken("acme"), job("hasty-p1"), null).body())
            .getString("id");

    await().atMost(Duration.ofSeconds(10)).until(() -> state(id).equals("printed"));
    // The dispatcher's own write comes 300 ms later and finds the job final: it must change
    // nothing.
    await()
        .during(Duration.ofMillis(600))
        .atMost(Duration.ofSeconds(5))
        .until(() -> state(id).equals("printed"));
    var job = new JsonObject(get("/api/v1/jobs/" + id, userToken("acme")).body());
    assertThat(job.getString("state")).isEqualTo("printed");
    assertThat(job.getInteger("attempts")).isEqualTo(1);
    assertThat(historyStates(id))
        .as("the contract's order")
        .containsExactly("queued", "dispatched", "printed");
    assertThat(
            count(
                "SELECT count(*) FROM jobs WHERE id = '" + id + "' AND dispatched_at IS NOT NULL"))
        .isEqualTo(1);
    await().atMost(Duration.ofSeconds(5)).until(() -> updates.contains("printed"));
    assertThat(updates)
        .as("what a dashboard sees")
        .containsExactly("queued", "dispatched", "printed");
  }

  @Test
  void jobQueuedLongerThanItsTtlExpires() {
    restartPrinting(Map.of("PRINTFLEET_JOB_TTL", "1s"));
    var agent = agent(gateway, "agent-gone", "b1");
    awaitPrinterKnown("agent-gone-p1");
    join(agent.stop());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                !new JsonObject(get("/api/v1/printers/agent-gone-p1", userToken("acme")).body())
                    .getBoolean("online"));

    String id =
        new JsonObject(post("/api/v1/jobs", userToken("acme"), job("agent-gone-p1"), null).body())
            .getString("id");

    await().atMost(Duration.ofSeconds(20)).until(() -> state(id).equals("expired"));
    var expired = new JsonObject(get("/api/v1/jobs/" + id, userToken("acme")).body());
    assertThat(expired.getInteger("attempts")).as("never sent").isZero();
    assertThat(historyStates(id)).containsExactly("queued", "expired");
  }

  @Test
  void everyRefusalHasItsStatusAndCode() {
    agent(gateway, "agent-4", "b1");
    awaitPrinterKnown("agent-4-p1");
    String user = userToken("acme");

    assertThat(post("/api/v1/jobs", null, job("agent-4-p1"), null).statusCode()).isEqualTo(401);
    assertThat(
            post(
                    "/api/v1/jobs",
                    issuer.agent("a", "acme", "b1", Duration.ofHours(1)),
                    job("agent-4-p1"),
                    null)
                .statusCode())
        .isEqualTo(403);
    var missing = post("/api/v1/jobs", user, job("agent-4-p1").put("printerId", ""), null);
    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(missing.body()).getJsonObject("error").getString("field"))
        .isEqualTo("printerId");
    assertThat(
            new JsonObject(
                    post("/api/v1/jobs", user, job("agent-4-p1").put("copies", 100), null).body())
                .getJsonObject("error")
                .getString("field"))
        .isEqualTo("copies");
    assertThat(
            new JsonObject(
                    post("/api/v1/jobs", user, job("agent-4-p1").put("content", "%%%"), null)
                        .body())
                .getJsonObject("error")
                .getString("code"))
        .isEqualTo("invalid_data");
    var tooLarge =
        post(
            "/api/v1/jobs",
            user,
            job("agent-4-p1")
                .put("content", Base64.getEncoder().encodeToString(new byte[1024 * 1024 + 1])),
            null);
    assertThat(tooLarge.statusCode()).isEqualTo(413);
    assertThat(new JsonObject(tooLarge.body()).getJsonObject("error").getString("code"))
        .isEqualTo("too_large");
    assertThat(post("/api/v1/jobs", user, job("no-such-printer"), null).statusCode())
        .isEqualTo(404);
    var notJson =
        send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + printing.httpPort() + "/api/v1/jobs"))
                .header("Authorization", "Bearer " + user)
                .POST(HttpRequest.BodyPublishers.ofString("{oops"))
                .build());
    assertThat(notJson.statusCode()).isEqualTo(400);

    String id =
        new JsonObject(post("/api/v1/jobs", user, job("agent-4-p1"), null).body()).getString("id");
    assertThat(get("/api/v1/jobs/" + id, userToken("other-company")).statusCode())
        .as("other tenants see nothing")
        .isEqualTo(404);
    assertThat(get("/api/v1/jobs/not-a-uuid", user).statusCode()).isEqualTo(404);
    await().atMost(Duration.ofSeconds(15)).until(() -> state(id).equals("printed"));
    var conflict = post("/api/v1/jobs/" + id + "/cancel", user, null, null);
    assertThat(conflict.statusCode()).isEqualTo(409);
    assertThat(new JsonObject(conflict.body()).getJsonObject("error").getString("code"))
        .isEqualTo("conflict");
  }
}
