package dev.printfleet.printing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.JobResult;
import dev.printfleet.common.protocol.Envelope;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * What an agent may say about printers and jobs that are not its own (issue 12, points 4 and 8): a
 * printer list over the limits is refused whole, a result for a job another agent received is
 * refused and changes nothing.
 */
class AgentFramesTest extends PrintingTestBase {

  /** An agent socket that keeps every frame the gateway sends it. */
  private record Socket(WebSocket ws, List<JsonObject> frames) {

    void send(String type, String id, JsonObject data) {
      ws.writeTextMessage(Envelope.request(type, id, data).encode());
    }

    JsonObject awaitResponse(String id) {
      await()
          .atMost(Duration.ofSeconds(15))
          .until(
              () ->
                  frames.stream()
                      .anyMatch(
                          f ->
                              "response".equals(f.getString("type"))
                                  && id.equals(f.getString("id"))));
      return frames.stream()
          .filter(f -> "response".equals(f.getString("type")) && id.equals(f.getString("id")))
          .findFirst()
          .orElseThrow();
    }

    String errorCode(String id) {
      var error = awaitResponse(id).getJsonObject("error");
      return error == null ? null : error.getString("code");
    }
  }

  private Socket connect(String agentId, String company, String branch) {
    var frames = new CopyOnWriteArrayList<JsonObject>();
    var ws =
        join(
            client
                .createWebSocketClient()
                .connect(
                    new WebSocketConnectOptions()
                        .setHost("127.0.0.1")
                        .setPort(gateway.httpPort())
                        .setURI("/ws/agent")
                        .addHeader(
                            "Authorization",
                            "Bearer "
                                + issuer.agent(agentId, company, branch, Duration.ofHours(1)))));
    ws.textMessageHandler(text -> frames.add(new JsonObject(text)));
    return new Socket(ws, frames);
  }

  private static JsonObject printers(int count, String prefix) {
    var list = new JsonArray();
    for (int i = 0; i < count; i++) {
      list.add(
          new JsonObject()
              .put("id", prefix + i)
              .put("name", "Printer " + i)
              .put("status", "online"));
    }
    return new JsonObject().put("printers", list);
  }

  /**
   * An agent that accepts each dispatch and reports no result (its jobs stay leased to it); the ids
   * it was sent go to {@code dispatched}.
   */
  private WebSocket acceptingAgent(
      String agentId, String branch, String printerId, List<String> dispatched) {
    return rawAgent(
        agentId,
        branch,
        printerId,
        (socket, frame) -> {
          if ("job.dispatch".equals(frame.getString("type"))) {
            dispatched.add(frame.getJsonObject("data").getString("jobId"));
            socket.writeTextMessage(
                Envelope.response(frame.getString("id"), new JsonObject().put("accepted", true))
                    .encode());
          }
        });
  }

  private static JsonObject printer(String id, String name) {
    return new JsonObject()
        .put("printers", new JsonArray().add(new JsonObject().put("id", id).put("name", name)));
  }

  @Test
  void printerListOverTheLimitsIsRefusedInvalidDataAndNothingIsStored() {
    var hostile = connect("agent-many", "acme", "b1");

    hostile.send("printers.sync", "too-many", printers(1001, "many-"));
    assertThat(hostile.errorCode("too-many")).isEqualTo("invalid_data");
    hostile.send("printers.sync", "long-id", printer("x".repeat(129), "ok"));
    assertThat(hostile.errorCode("long-id")).isEqualTo("invalid_data");
    hostile.send("printers.sync", "long-name", printer("p-long-name", "n".repeat(257)));
    assertThat(hostile.errorCode("long-name")).isEqualTo("invalid_data");
    hostile.send(
        "printers.sync",
        "twice",
        new JsonObject()
            .put(
                "printers",
                new JsonArray()
                    .add(new JsonObject().put("id", "p-twice"))
                    .add(new JsonObject().put("id", "p-twice"))));
    assertThat(hostile.errorCode("twice")).isEqualTo("invalid_data");

    // An honest sync through the same gateway and printing instance, stored after the refused ones.
    var honest = connect("agent-honest", "acme", "b1");
    honest.send("printers.sync", "ok", printer("honest-1", "Kitchen"));
    assertThat(honest.errorCode("ok")).isNull();
    assertThat(count("SELECT count(*) FROM printers WHERE id = 'honest-1'")).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM printers WHERE agent_id = 'agent-many'")).isZero();
  }

  @Test
  void printerListAtTheLimitIsStoredWholeAndAShorterOneRemovesTheRest() {
    var agent = connect("agent-full", "acme", "b1");

    agent.send("printers.sync", "full", printers(1000, "full-"));
    assertThat(agent.errorCode("full")).isNull();
    assertThat(agent.awaitResponse("full").getJsonObject("data").getInteger("printers"))
        .isEqualTo(1000);
    assertThat(count("SELECT count(*) FROM printers WHERE agent_id = 'agent-full'"))
        .isEqualTo(1000);

    agent.send("printers.sync", "fewer", printers(3, "full-"));
    assertThat(agent.errorCode("fewer")).isNull();
    assertThat(count("SELECT count(*) FROM printers WHERE agent_id = 'agent-full'")).isEqualTo(3);
  }

  @Test
  void resultForAJobDispatchedToAnotherAgentIsRefusedForbiddenAndChangesNothing() {
    var dispatched = new CopyOnWriteArrayList<String>();
    var real = acceptingAgent("agent-real", "b1", "real-p1", dispatched);
    var sameCompany = connect("agent-thief", "acme", "b2");
    sameCompany.send("printers.sync", "s", printer("thief-p1", "Bar"));
    assertThat(sameCompany.errorCode("s")).isNull();
    var otherCompany = connect("agent-globex", "globex", "b1");
    otherCompany.send("printers.sync", "s", printer("globex-p1", "Bar"));
    assertThat(otherCompany.errorCode("s")).isNull();

    String id =
        new JsonObject(post("/api/v1/jobs", userToken("acme"), job("real-p1"), null).body())
            .getString("id");
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> dispatched.contains(id) && state(id).equals("dispatched"));
    var before = get("/api/v1/jobs/" + id, userToken("acme")).body();

    var forged = new JsonObject().put("jobId", id).put("outcome", "failed").put("error", "forged");
    sameCompany.send("job.result", "forged-1", forged);
    assertThat(sameCompany.errorCode("forged-1")).isEqualTo("forbidden");
    otherCompany.send("job.result", "forged-2", forged);
    assertThat(otherCompany.errorCode("forged-2")).isEqualTo("forbidden");
    assertThat(get("/api/v1/jobs/" + id, userToken("acme")).body()).isEqualTo(before);

    var answered = new CopyOnWriteArrayList<JsonObject>();
    real.textMessageHandler(text -> answered.add(new JsonObject(text)));
    real.writeTextMessage(
        Envelope.request(
                "job.result", "mine", new JsonObject().put("jobId", id).put("outcome", "printed"))
            .encode());
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> answered.stream().anyMatch(f -> "mine".equals(f.getString("id"))));
    assertThat(
            answered.stream()
                .filter(f -> "mine".equals(f.getString("id")))
                .findFirst()
                .orElseThrow()
                .getJsonObject("error"))
        .isNull();
    assertThat(state(id)).isEqualTo("printed");
    assertThat(historyStates(id)).containsExactly("queued", "dispatched", "printed");

    real.writeTextMessage(
        Envelope.request(
                "job.result", "again", new JsonObject().put("jobId", id).put("outcome", "printed"))
            .encode());
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> answered.stream().anyMatch(f -> "again".equals(f.getString("id"))));
    assertThat(
            answered.stream()
                .filter(f -> "again".equals(f.getString("id")))
                .findFirst()
                .orElseThrow()
                .getJsonObject("error"))
        .as("a duplicate result for a final job is acknowledged")
        .isNull();
  }

  /**
   * A gateway's batch of results (the results one of its event loops read in one turn): each is
   * written or refused as a lone result would be, answered in the batch's order; a batch that is
   * not one is refused whole and changes nothing.
   */
  @Test
  void aBatchOfResultsIsAnsweredResultByResultInOrderAndAMalformedBatchIsRefused() {
    var dispatched = new CopyOnWriteArrayList<String>();
    acceptingAgent("agent-batch", "b1", "batch-p1", dispatched);
    List<String> ids = new java.util.ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ids.add(
          new JsonObject(post("/api/v1/jobs", userToken("acme"), job("batch-p1"), null).body())
              .getString("id"));
    }
    await().atMost(Duration.ofSeconds(15)).until(() -> dispatched.containsAll(ids));
    var at = java.time.Instant.now();
    var batch =
        JobResult.batchJson(
            List.of(
                new JobResult(ids.get(0), "agent-batch", "acme", "printed", null, at),
                new JobResult(ids.get(1), "agent-other", "acme", "printed", null, at),
                new JobResult("not-a-uuid", "agent-batch", "acme", "printed", null, at),
                new JobResult(ids.get(1), "agent-batch", "globex", "printed", null, at),
                new JobResult(ids.get(1), "agent-batch", "acme", "failed", "jam", at)));

    var reply =
        join(
            gateway
                .vertx()
                .eventBus()
                .<JsonObject>request(Addresses.PRINTING_RESULT_BATCHES, batch));
    var replies = JobResult.repliesFromJson(reply.body(), 5);
    var refused =
        new JsonObject().put("recorded", false).put("reason", JobResult.NOT_DISPATCHED_TO_AGENT);
    assertThat(replies)
        .containsExactly(
            new JsonObject().put("recorded", true),
            refused,
            refused,
            refused,
            new JsonObject().put("recorded", true));
    assertThat(state(ids.get(0))).isEqualTo("printed");
    assertThat(state(ids.get(1))).isEqualTo("failed");
    assertThat(historyStates(ids.get(1))).containsExactly("queued", "dispatched", "failed");

    for (var malformed :
        List.of(
            new JsonObject().put("results", "x"),
            new JsonObject().put("results", new JsonArray()),
            new JsonObject()
                .put(
                    "results",
                    new JsonArray(
                        java.util.Collections.nCopies(
                            JobResult.MAX_BATCH + 1,
                            new JobResult(ids.get(2), "agent-batch", "acme", "failed", "x", at)
                                .toJson()))))) {
      var failure =
          gateway
              .vertx()
              .eventBus()
              .request(Addresses.PRINTING_RESULT_BATCHES, malformed)
              .toCompletionStage()
              .toCompletableFuture();
      assertThat(failure)
          .failsWithin(Duration.ofSeconds(10))
          .withThrowableThat()
          .havingRootCause()
          .isInstanceOfSatisfying(
              io.vertx.core.eventbus.ReplyException.class,
              e -> assertThat(e.failureCode()).isEqualTo(400));
    }
    assertThat(state(ids.get(2)))
        .as("the refused batches changed nothing")
        .isIn("queued", "dispatched");
  }

  @Test
  void printerOfAnotherBranchIsNotTakenOverBySyncingItsId() {
    var dispatched = new CopyOnWriteArrayList<String>();
    acceptingAgent("agent-owner", "b1", "shared-p1", dispatched);
    var thief = connect("agent-other-branch", "acme", "b2");
    var thiefFrames = thief.frames();
    thief.send(
        "printers.sync",
        "take",
        new JsonObject()
            .put(
                "printers",
                new JsonArray()
                    .add(new JsonObject().put("id", "shared-p1").put("name", "Mine now"))
                    .add(new JsonObject().put("id", "b2-own").put("name", "Bar"))));
    assertThat(thief.errorCode("take")).isEqualTo("forbidden");
    thief.send(
        "printer.status",
        "st",
        new JsonObject().put("printerId", "shared-p1").put("status", "error"));
    assertThat(thief.errorCode("st")).isEqualTo("not_found");

    var printer = new JsonObject(get("/api/v1/printers/shared-p1", userToken("acme")).body());
    assertThat(printer.getString("branch")).isEqualTo("b1");
    assertThat(printer.getString("agentId")).isEqualTo("agent-owner");
    assertThat(printer.getString("name")).isNotEqualTo("Mine now");
    assertThat(get("/api/v1/printers/b2-own", userToken("acme")).statusCode())
        .as("a refused list stores nothing")
        .isEqualTo(404);

    String id =
        new JsonObject(post("/api/v1/jobs", userToken("acme"), job("shared-p1"), null).body())
            .getString("id");
    await().atMost(Duration.ofSeconds(15)).until(() -> dispatched.contains(id));
    assertThat(thiefFrames).noneMatch(f -> "job.dispatch".equals(f.getString("type")));
  }

  @Test
  void aStormOfStatusesIsWrittenAsEachPrintersLatestInFewStatements() {
    var agent = connect("agent-storm", "acme", "b1");
    agent.send("printers.sync", "sync", printers(3, "storm-"));
    assertThat(agent.errorCode("sync")).isNull();

    // 90 statuses at once (within the socket's burst), each printer's last one different.
    List<String> last = List.of("error", "offline", "busy");
    for (int round = 0; round < 30; round++) {
      for (int p = 0; p < 3; p++) {
        String status = round == 29 ? last.get(p) : (round % 2 == 0 ? "busy" : "online");
        agent
            .ws()
            .writeTextMessage(
                Envelope.event(
                        "printer.status",
                        new JsonObject().put("printerId", "storm-" + p).put("status", status))
                    .encode());
      }
    }

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              for (int p = 0; p < 3; p++) {
                assertThat(
                        new JsonObject(get("/api/v1/printers/storm-" + p, userToken("acme")).body())
                            .getString("status"))
                    .isEqualTo(last.get(p));
              }
            });
    var metrics = metricsOf(printing);
    assertThat(metrics.value("printfleet_printer_statuses_total", Map.of()))
        .as("statuses heard")
        .isEqualTo(90.0);
    assertThat(metrics.value("printfleet_printer_status_writes_total", Map.of()))
        .as("statements that wrote them: the latest of each printer, a flush at a time")
        .isLessThan(10.0);
  }
}
