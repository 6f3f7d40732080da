package dev.printfleet.printing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.DispatchRequest;
import dev.printfleet.printing.dispatch.DispatchLoop;
import dev.printfleet.simulator.SimulatedAgent;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A job for an agent that is online goes out from the request that accepted it, written already
 * leased: no claim, no read of its content (printing's {@code printfleet_dispatch_started_total}
 * counts the two paths apart). Its history still reads queued, dispatched, printed.
 */
class PushOnAcceptTest extends PrintingTestBase {

  private static final Map<String, String> NO_CLAIM_LOOP =
      Map.of("PRINTFLEET_DISPATCH_INTERVAL", "1h");

  private double started(String from) {
    var metrics = metricsOf(printing);
    return metrics.value("printfleet_dispatch_started_total", Map.of("from", from));
  }

  private List<String> agentReceives(String agentId, String branch) {
    var received = new CopyOnWriteArrayList<String>();
    var agent = agent(gateway, agentId, branch);
    agent.onDispatch(data -> received.add(data.getString("jobId")));
    awaitPrinterKnown(agentId + "-p1");
    // Its connect written: the printer is online, which the push looks at.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                count("SELECT count(*) FROM printers WHERE agent_id = '" + agentId + "' AND online")
                    == 2);
    return received;
  }

  @Test
  void aJobForAnOnlineAgentGoesOutFromTheRequestThatAcceptedIt() {
    restartPrinting(NO_CLAIM_LOOP);
    var received = agentReceives("push-1", "b1");

    var created = post("/api/v1/jobs", userToken("acme"), job("push-1-p1"), null);
    assertThat(created.statusCode()).isEqualTo(201);
    String id = new JsonObject(created.body()).getString("id");

    await().atMost(Duration.ofSeconds(10)).until(() -> "printed".equals(state(id)));
    assertThat(received).containsExactly(id);
    assertThat(historyStates(id)).containsExactly("queued", "dispatched", "printed");
    assertThat(count("SELECT attempts FROM jobs WHERE id = '" + id + "'")).isEqualTo(1);
    assertThat(started("accept")).isEqualTo(1.0);
    assertThat(started("claim")).isZero();
  }

  /**
   * A small job's dispatch allows its gateway one step (DispatchRequest's answer-within-ms): the
   * agent's answer comes back as the first reply. A job over 64 KiB goes in the two steps, so its
   * content is not counted against the dispatcher's budget while the agent takes its time. Both are
   * printed.
   */
  @Test
  void aSmallJobIsAnsweredInOneStepAndALargeOneInTwo() {
    var allowed = new CopyOnWriteArrayList<String>();
    Handler<DeliveryContext<Object>> dispatches =
        ctx -> {
          var headers = ctx.message().headers();
          if (DispatchRequest.ACTION.equals(headers.get(Addresses.ACTION_HEADER))) {
            allowed.add(String.valueOf(headers.get(DispatchRequest.ANSWER_WITHIN_HEADER)));
          }
          ctx.next();
        };
    var answered = new java.util.concurrent.atomic.AtomicInteger();
    Handler<DeliveryContext<Object>> replies =
        ctx -> {
          if (ctx.message().headers().contains(DispatchRequest.ANSWERED_HEADER)) {
            answered.incrementAndGet();
          }
          ctx.next();
        };
    gateway.vertx().eventBus().addInboundInterceptor(dispatches);
    printing.vertx().eventBus().addInboundInterceptor(replies);
    try {
      agentReceives("push-size", "b1");
      String small =
          new JsonObject(post("/api/v1/jobs", userToken("acme"), job("push-size-p1"), null).body())
              .getString("id");
      await().atMost(Duration.ofSeconds(10)).until(() -> "printed".equals(state(small)));
      assertThat(allowed).containsExactly("250");
      assertThat(answered.get()).as("replies that were the agent's answer").isEqualTo(1);

      var large =
          job("push-size-p1")
              .put(
                  "content",
                  java.util.Base64.getEncoder()
                      .encodeToString(new byte[DispatchLoop.ONE_STEP_MAX_BYTES + 1]));
      String big =
          new JsonObject(post("/api/v1/jobs", userToken("acme"), large, null).body())
              .getString("id");
      await().atMost(Duration.ofSeconds(10)).until(() -> "printed".equals(state(big)));
      assertThat(allowed).containsExactly("250", "null");
      assertThat(answered.get()).isEqualTo(1);
    } finally {
      gateway.vertx().eventBus().removeInboundInterceptor(dispatches);
      printing.vertx().eventBus().removeInboundInterceptor(replies);
    }
  }

  @Test
  void withThePushOffTheSameJobGoesThroughAClaim() {
    var settings = new java.util.HashMap<>(NO_CLAIM_LOOP);
    settings.put("PRINTFLEET_DISPATCH_ON_ACCEPT", "false");
    restartPrinting(settings);
    var received = agentReceives("push-2", "b1");

    var created = post("/api/v1/jobs", userToken("acme"), job("push-2-p1"), null);
    String id = new JsonObject(created.body()).getString("id");

    // The accept nudges the claim loop: the job goes that way.
    await().atMost(Duration.ofSeconds(10)).until(() -> "printed".equals(state(id)));
    assertThat(received).containsExactly(id);
    assertThat(historyStates(id)).containsExactly("queued", "dispatched", "printed");
    assertThat(started("accept")).isZero();
    assertThat(started("claim")).isEqualTo(1.0);
  }

  @Test
  void withAResultGraceTheResultWritesTheDispatchWithIt() {
    restartPrinting(
        Map.of("PRINTFLEET_DISPATCH_INTERVAL", "1h", "PRINTFLEET_DISPATCH_RESULT_GRACE", "2s"));
    var received = agentReceives("push-4", "b1");

    String id =
        new JsonObject(post("/api/v1/jobs", userToken("acme"), job("push-4-p1"), null).body())
            .getString("id");

    await().atMost(Duration.ofSeconds(10)).until(() -> "printed".equals(state(id)));
    assertThat(received).containsExactly(id);
    assertThat(historyStates(id)).containsExactly("queued", "dispatched", "printed");
    assertThat(
            count(
                "SELECT count(*) FROM job_history WHERE job_id = '"
                    + id
                    + "' AND state = 'dispatched'"
                    + " AND detail = 'sent; written with its result'"))
        .as("the dispatch written by the result, not on its own")
        .isEqualTo(1);
  }

  @Test
  void aJobAtItsAgentDoesNotExpireWhileItsDispatchedWaitsForTheResult() {
    // The job is older than its TTL long before its result: the expiry sweep (every 5 s) must leave
    // it to its agent, who has it.
    restartPrinting(
        Map.of(
            "PRINTFLEET_JOB_TTL",
            "1s",
            "PRINTFLEET_DISPATCH_RESULT_GRACE",
            "20s",
            "PRINTFLEET_DISPATCH_LEASE",
            "60s"));
    agent(gateway, "push-5", "b1", new SimulatedAgent.Behaviour(8_000, 0.0, 0));
    awaitPrinterKnown("push-5-p1");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> count("SELECT count(*) FROM printers WHERE agent_id = 'push-5' AND online") == 2);

    String id =
        new JsonObject(post("/api/v1/jobs", userToken("acme"), job("push-5-p1"), null).body())
            .getString("id");

    await().atMost(Duration.ofSeconds(20)).until(() -> !"queued".equals(state(id)));
    assertThat(state(id)).isEqualTo("printed");
    assertThat(historyStates(id)).containsExactly("queued", "dispatched", "printed");
  }

  @Test
  void aNewJobIsNotPushedPastAnOlderJobOfItsPrinterThatIsDue() throws Exception {
    restartPrinting(Map.of("PRINTFLEET_DISPATCH_INTERVAL", "500ms"));
    var received = agentReceives("push-3", "b1");
    // An older job of the printer, due and waiting (as a backlog released by a reconnect is).
    String older = java.util.UUID.randomUUID().toString();
    try (var connection = cluster.connectToDatabase();
        var sql = connection.createStatement()) {
      sql.execute(
          "INSERT INTO jobs (id, company, branch, printer_id, state, copies, content_type, content,"
              + " created_at, next_attempt_at) VALUES ('"
              + older
              + "', 'acme', 'b1', 'push-3-p1', 'queued', 1,"
              + " 'text/plain', 'older'::bytea, now() - interval '1 minute', now() - interval '1 minute')");
      // Held by this transaction until the new job is accepted: no claim (SKIP LOCKED) takes it
      // meanwhile, so it is still due, not being sent, when the new one comes.
      connection.setAutoCommit(false);
      sql.execute("SELECT 1 FROM jobs WHERE id = '" + older + "' FOR UPDATE");

      var created = post("/api/v1/jobs", userToken("acme"), job("push-3-p1"), null);
      assertThat(created.statusCode()).isEqualTo(201);
      String newer = new JsonObject(created.body()).getString("id");
      connection.commit();

      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> "printed".equals(state(newer)) && "printed".equals(state(older)));
      assertThat(received).containsExactlyInAnyOrder(older, newer);
      assertThat(started("accept")).as("the new job was not pushed past the older one").isZero();
      assertThat(started("claim")).isEqualTo(2.0);
    }
  }

  @Test
  void aJobItsAgentIsPrintingIsNeitherSentAgainOnItsReconnectNorCancelled() {
    // The job reads queued while its dispatched waits for the result (the grace): the agent's
    // reconnect releases its queued jobs, and must leave this one, which it may be printing.
    restartPrinting(
        Map.of("PRINTFLEET_DISPATCH_RESULT_GRACE", "20s", "PRINTFLEET_DISPATCH_LEASE", "60s"));
    var dispatches = new CopyOnWriteArrayList<String>();
    java.util.function.BiConsumer<io.vertx.core.http.WebSocket, JsonObject> accepting =
        (socket, envelope) -> {
          if ("job.dispatch".equals(envelope.getString("type"))) {
            dispatches.add(envelope.getJsonObject("data").getString("jobId"));
            socket.writeTextMessage(
                dev.printfleet.common.protocol.Envelope.response(
                        envelope.getString("id"), new JsonObject().put("accepted", true))
                    .encode());
          }
        };
    var first = rawAgent("lease-1", "b1", "lease-1-p1", accepting);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                count("SELECT count(*) FROM printers WHERE agent_id = 'lease-1' AND online") == 1);

    String id =
        new JsonObject(post("/api/v1/jobs", userToken("acme"), job("lease-1-p1"), null).body())
            .getString("id");
    await().atMost(Duration.ofSeconds(10)).until(() -> dispatches.size() == 1);
    assertThat(state(id)).isEqualTo("queued");
    var cancel = post("/api/v1/jobs/" + id + "/cancel", userToken("acme"), new JsonObject(), null);
    assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(409);

    join(first.close());
    var second = rawAgent("lease-1", "b1", "lease-1-p1", accepting);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                count(
                        "SELECT count(*) FROM jobs WHERE id = '"
                            + id
                            + "' AND released_at IS NOT NULL")
                    == 1);
    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(5))
        .until(() -> dispatches.size() == 1);

    second.writeTextMessage(
        dev.printfleet.common.protocol.Envelope.request(
                "job.result", "r1", new JsonObject().put("jobId", id).put("outcome", "printed"))
            .encode());
    await().atMost(Duration.ofSeconds(10)).until(() -> "printed".equals(state(id)));
    assertThat(dispatches).containsExactly(id);
    assertThat(historyStates(id)).containsExactly("queued", "dispatched", "printed");
  }
}
