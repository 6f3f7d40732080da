package dev.printfleet.gateway;

import static dev.printfleet.gateway.GatewayHarness.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.AgentReply;
import dev.printfleet.common.messages.DispatchRequest;
import dev.printfleet.common.messages.JobResult;
import dev.printfleet.common.messages.PrinterTestRequest;
import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.simulator.SimulatedAgent;
import dev.printfleet.testing.TestSocket;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Requests from the cluster to agents through {@code printfleet.gateway.<instanceId>}, and results
 * back.
 */
class AgentRequestTest extends GatewayTestBase {

  private static DispatchRequest dispatch(String jobId, String agentId) {
    return new DispatchRequest(
        jobId,
        "c1",
        agentId,
        "p1",
        "text/plain",
        Base64.getEncoder().encodeToString("hello".getBytes()),
        1,
        Instant.now());
  }

  /**
   * A request as printing sends it: a dispatch written by the gateway is followed up for the
   * agent's answer.
   */
  private static Future<AgentReply> request(
      ServiceRuntime from, String instance, String action, JsonObject body) {
    return from.vertx()
        .eventBus()
        .<JsonObject>request(
            Addresses.gateway(instance),
            body,
            new DeliveryOptions().addHeader(Addresses.ACTION_HEADER, action).setSendTimeout(30_000))
        .compose(
            m ->
                AgentReply.fromJson(m.body()).isWritten()
                    ? m.<JsonObject>replyAndRequest(
                        new JsonObject(), new DeliveryOptions().setSendTimeout(30_000))
                    : Future.succeededFuture(m))
        .map(m -> AgentReply.fromJson(m.body()));
  }

  private static void assertAccepted(
      ServiceRuntime caller, ServiceRuntime gateway, String jobId, String agentId) {
    var reply =
        await(
            request(
                caller,
                gateway.instanceId(),
                DispatchRequest.ACTION,
                dispatch(jobId, agentId).toJson()));
    assertThat(reply.ok()).isTrue();
    assertThat(reply.data().getBoolean("accepted")).isTrue();
  }

  private static void assertPrinterTestAnswered(
      ServiceRuntime caller, ServiceRuntime gateway, String agentId) {
    var test =
        await(
            request(
                caller,
                gateway.instanceId(),
                PrinterTestRequest.ACTION,
                new PrinterTestRequest("c1", agentId, "p1").toJson()));
    assertThat(test.ok()).isTrue();
    assertThat(test.data().getBoolean("ok")).isTrue();
  }

  @Test
  void dispatchSentOnTheEventBusReachesTheAgentAndItsAnswerComesBack() {
    var gateway = gateway(Map.of());
    var caller = gateway(Map.of());
    String token = GatewayHarness.issuer(gateway).agent("agent-1", "c1", "b1", Duration.ofHours(1));
    var agent =
        new SimulatedAgent(
            client,
            client.createWebSocketClient(new WebSocketClientOptions()),
            "127.0.0.1",
            gateway.httpPort(),
            "agent-1",
            List.of("p1"),
            () -> token,
            SimulatedAgent.Behaviour.defaults());
    await(agent.start());
    await().atMost(Duration.ofSeconds(10)).until(agent::isConnected);

    assertAccepted(caller, gateway, "job-1", "agent-1");
    assertThat(agent.jobsReceived()).isEqualTo(1);

    assertPrinterTestAnswered(caller, gateway, "agent-1");
  }

  /**
   * The load generator's agents of the original system (the benchmarks' Socket.IO figures): the
   * same dispatch, answer, result and printer test as on /ws/agent, on the Socket.IO wire.
   */
  @Test
  void theSimulatedAgentSpeaksSocketIoEndToEnd() {
    var gateway = gateway(Map.of());
    var caller = gateway(Map.of());
    var results = new CopyOnWriteArrayList<String>();
    caller
        .vertx()
        .eventBus()
        .<JsonObject>consumer(
            Addresses.PRINTING_RESULTS,
            m -> {
              results.add(JobResult.fromJson(m.body()).jobId());
              m.reply(new JsonObject().put("recorded", true));
            });
    String token =
        GatewayHarness.issuer(gateway).agent("agent-sio", "c1", "b1", Duration.ofHours(1));
    var agent =
        new SimulatedAgent(
                client,
                client.createWebSocketClient(new WebSocketClientOptions()),
                "127.0.0.1",
                gateway.httpPort(),
                "agent-sio",
                List.of("p1"),
                () -> token,
                new SimulatedAgent.Behaviour(1, 0.0, 0))
            .overSocketIo();
    await(agent.start());
    await().atMost(Duration.ofSeconds(10)).until(agent::isConnected);
    assertThat(agent.instance()).isEqualTo(gateway.instanceId());
    assertThat(
            gateway
                .registry()
                .find("printfleet.gateway.connections")
                .tags("role", "agent", "protocol", "socketio")
                .gauge()
                .value())
        .as("the agent is on the Socket.IO transport")
        .isEqualTo(1.0);

    assertAccepted(caller, gateway, "job-sio", "agent-sio");
    await().atMost(Duration.ofSeconds(10)).until(() -> results.contains("job-sio"));
    assertThat(agent.jobsPrinted()).isEqualTo(1);

    assertPrinterTestAnswered(caller, gateway, "agent-sio");
  }

  @Test
  void anAgentAnsweringFarMoreDispatchesThanItsRateLimitStaysConnected() {
    var gateway = gateway(Map.of());
    var caller = gateway(Map.of());
    var results = new java.util.concurrent.atomic.AtomicInteger();
    caller
        .vertx()
        .eventBus()
        .<JsonObject>consumer(
            Addresses.PRINTING_RESULTS,
            m -> {
              results.incrementAndGet();
              m.reply(new JsonObject().put("recorded", true));
            });
    String token =
        GatewayHarness.issuer(gateway).agent("agent-busy", "c1", "b1", Duration.ofHours(1));
    var agent =
        new SimulatedAgent(
            client,
            client.createWebSocketClient(new WebSocketClientOptions()),
            "127.0.0.1",
            gateway.httpPort(),
            "agent-busy",
            List.of("p1"),
            () -> token,
            new SimulatedAgent.Behaviour(1, 0.0, 0));
    await(agent.start());
    await().atMost(Duration.ofSeconds(10)).until(agent::isConnected);

    // 400 dispatches: 800 frames back (responses and results), eight times the burst of 100.
    List<Future<AgentReply>> replies = new java.util.ArrayList<>();
    for (int i = 0; i < 400; i++) {
      replies.add(
          request(
              caller,
              gateway.instanceId(),
              DispatchRequest.ACTION,
              dispatch("job-busy-" + i, "agent-busy").toJson()));
    }
    var all = GatewayHarness.await(Future.all(replies), Duration.ofSeconds(30));
    assertThat(replies).allMatch(r -> r.result().ok());
    await().atMost(Duration.ofSeconds(10)).until(() -> results.get() == 400);
    assertThat(all.succeeded()).isTrue();
    assertThat(agent.isConnected()).isTrue();
    assertThat(agent.connects()).as("never closed 1008 and reconnected").isEqualTo(1);
  }

  @Test
  void dispatchForAnAgentThatIsGoneFailsFastWithNotFound() {
    var gateway = gateway(Map.of("PRINTFLEET_AGENT_REQUEST_TIMEOUT", "60s"));
    var socket =
        TestSocket.open(
            client,
            gateway.httpPort(),
            "/ws/agent",
            GatewayHarness.issuer(gateway).agent("agent-gone", "c1", "b1", Duration.ofHours(1)));
    socket.awaitFrame(e -> e.type().equals("welcome"));
    await(socket.socket.close());

    // Well before the 60 s request timeout: the gateway knows the agent is not there.
    var reply =
        GatewayHarness.await(
            request(
                gateway,
                gateway.instanceId(),
                DispatchRequest.ACTION,
                dispatch("job-2", "agent-gone").toJson()),
            Duration.ofSeconds(5));
    assertThat(reply.ok()).isFalse();
    assertThat(reply.code()).isEqualTo("not_found");
  }

  @Test
  void requestWaitingWhenTheAgentDisconnectsIsAnsweredNotFoundAtOnce() {
    var gateway = gateway(Map.of("PRINTFLEET_AGENT_REQUEST_TIMEOUT", "60s"));
    var socket =
        TestSocket.open(
            client,
            gateway.httpPort(),
            "/ws/agent",
            GatewayHarness.issuer(gateway).agent("agent-leaves", "c1", "b1", Duration.ofHours(1)));
    socket.awaitFrame(e -> e.type().equals("welcome"));

    var reply =
        request(
            gateway,
            gateway.instanceId(),
            DispatchRequest.ACTION,
            dispatch("job-3", "agent-leaves").toJson());
    socket.awaitFrame(e -> e.type().equals("job.dispatch"));
    socket.socket.close();

    var answer = GatewayHarness.await(reply, Duration.ofSeconds(5));
    assertThat(answer.code()).isEqualTo("not_found");
  }

  @Test
  void agentThatNeverAnswersTimesOut() {
    var gateway = gateway(Map.of("PRINTFLEET_AGENT_REQUEST_TIMEOUT", "500ms"));
    var socket =
        TestSocket.open(
            client,
            gateway.httpPort(),
            "/ws/agent",
            GatewayHarness.issuer(gateway).agent("agent-mute", "c1", "b1", Duration.ofHours(1)));
    socket.awaitFrame(e -> e.type().equals("welcome"));

    var reply =
        await(
            request(
                gateway,
                gateway.instanceId(),
                DispatchRequest.ACTION,
                dispatch("job-4", "agent-mute").toJson()));

    assertThat(reply.code()).isEqualTo("timeout");
    var forwarded = socket.awaitFrame(e -> e.type().equals("job.dispatch"));
    assertThat(forwarded.id()).isNotBlank();
    assertThat(forwarded.data().getString("jobId")).isEqualTo("job-4");
    assertThat(forwarded.data().getString("content"))
        .isEqualTo(Base64.getEncoder().encodeToString("hello".getBytes()));
  }

  @Test
  void pendingRequestsAreBoundedAndTheOldestIsAnsweredWithAnError() {
    var gateway =
        gateway(
            Map.of(
                "PRINTFLEET_MAX_PENDING_REQUESTS", "2", "PRINTFLEET_AGENT_REQUEST_TIMEOUT", "60s"));
    var socket =
        TestSocket.open(
            client,
            gateway.httpPort(),
            "/ws/agent",
            GatewayHarness.issuer(gateway).agent("agent-slow", "c1", "b1", Duration.ofHours(1)));
    socket.awaitFrame(e -> e.type().equals("welcome"));

    var first =
        request(
            gateway,
            gateway.instanceId(),
            DispatchRequest.ACTION,
            dispatch("job-a", "agent-slow").toJson());
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                socket.received.stream().filter(e -> e.type().equals("job.dispatch")).count() == 1);
    var second =
        request(
            gateway,
            gateway.instanceId(),
            DispatchRequest.ACTION,
            dispatch("job-b", "agent-slow").toJson());
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                socket.received.stream().filter(e -> e.type().equals("job.dispatch")).count() == 2);
    var third =
        request(
            gateway,
            gateway.instanceId(),
            DispatchRequest.ACTION,
            dispatch("job-c", "agent-slow").toJson());

    assertThat(GatewayHarness.await(first, Duration.ofSeconds(5)).code()).isEqualTo("unavailable");
    assertThat(second.isComplete()).isFalse();
    var thirdDispatch =
        socket.awaitFrame(
            e -> e.type().equals("job.dispatch") && e.data().getString("jobId").equals("job-c"));
    socket.sendRaw(accepted(thirdDispatch).encode());
    assertThat(GatewayHarness.await(third, Duration.ofSeconds(5)).ok()).isTrue();
  }

  /** A dispatch sent with {@link DispatchRequest#ANSWER_WITHIN_HEADER}: its first reply. */
  private static Future<Message<JsonObject>> firstReply(
      ServiceRuntime gateway, String agentId, String jobId, String answerWithin) {
    var options =
        new DeliveryOptions()
            .addHeader(Addresses.ACTION_HEADER, DispatchRequest.ACTION)
            .setSendTimeout(30_000);
    if (answerWithin != null) {
      options.addHeader(DispatchRequest.ANSWER_WITHIN_HEADER, answerWithin);
    }
    return gateway
        .vertx()
        .eventBus()
        .request(
            Addresses.gateway(gateway.instanceId()), dispatch(jobId, agentId).toJson(), options);
  }

  @Test
  void anAgentThatAnswersWithinTheWaitTheSenderAllowsIsAnsweredInOneStep() {
    var gateway = gateway(Map.of());
    var socket = agentSocket(gateway, "agent-quick");
    // job-q2 with the agent's own error.
    answerEachDispatch(
        socket,
        e ->
            "job-q2".equals(e.data().getString("jobId"))
                ? Envelope.errorResponse(e.id(), Envelope.Code.UNAVAILABLE, "paper tray open")
                : accepted(e));

    var reply = await(firstReply(gateway, "agent-quick", "job-q1", "1000"));
    assertThat(reply.headers().get(DispatchRequest.ANSWERED_HEADER)).isEqualTo("true");
    assertThat(reply.replyAddress()).as("no follow-up expected").isNull();
    var answer = AgentReply.fromJson(reply.body());
    assertThat(answer.isWritten()).isFalse();
    assertThat(answer.ok()).isTrue();
    assertThat(answer.data().getBoolean("accepted")).isTrue();

    // The agent's own error, in one step too: not the gateway's route failure.
    var failed = await(firstReply(gateway, "agent-quick", "job-q2", "1000"));
    assertThat(failed.headers().get(DispatchRequest.ANSWERED_HEADER)).isEqualTo("true");
    var error = AgentReply.fromJson(failed.body());
    assertThat(error.ok()).isFalse();
    assertThat(error.code()).isEqualTo("unavailable");
    assertThat(error.notSent()).isFalse();
  }

  @Test
  void anAgentThatAnswersAfterTheAllowedWaitIsAnsweredInTwoSteps() {
    var gateway = gateway(Map.of());
    var socket = agentSocket(gateway, "agent-late");

    var first = await(firstReply(gateway, "agent-late", "job-l1", "100"));
    assertThat(first.headers().contains(DispatchRequest.ANSWERED_HEADER)).isFalse();
    assertThat(AgentReply.fromJson(first.body()).isWritten()).isTrue();
    // The agent answers only now, after the written reply: the follow-up carries its answer.
    var followUp =
        first.<JsonObject>replyAndRequest(
            new JsonObject(), new DeliveryOptions().setSendTimeout(30_000));
    var dispatch = socket.awaitFrame(e -> e.type().equals("job.dispatch"));
    socket.sendRaw(accepted(dispatch).encode());
    var answer = AgentReply.fromJson(await(followUp).body());
    assertThat(answer.ok()).isTrue();
    assertThat(answer.data().getBoolean("accepted")).isTrue();
  }

  /** The agent answers each dispatch as it arrives, with the frame {@code answer} makes for it. */
  private static void answerEachDispatch(
      TestSocket socket, java.util.function.UnaryOperator<Envelope> answer) {
    socket.onEnvelope(
        e -> {
          if (e.type().equals("job.dispatch")) {
            socket.sendRaw(answer.apply(e).encode());
          }
        });
  }

  private static Envelope accepted(Envelope dispatch) {
    return Envelope.response(dispatch.id(), new JsonObject().put("accepted", true));
  }

  /** A sender that does not ask for one step (a printing instance of the version before). */
  @Test
  void aDispatchWithoutTheHeaderOrWithAnUnreadableOneIsAnsweredWrittenAtOnce() {
    var gateway = gateway(Map.of());
    var socket = agentSocket(gateway, "agent-old");
    // A gateway that waited for the agent's answer at all would reply with it, not written.
    answerEachDispatch(socket, AgentRequestTest::accepted);
    for (String header : java.util.Arrays.asList(null, "soon", "-1000", "1e3")) {
      var first = await(firstReply(gateway, "agent-old", "job-o-" + header, header));
      assertThat(first.headers().contains(DispatchRequest.ANSWERED_HEADER))
          .as("header %s", header)
          .isFalse();
      assertThat(AgentReply.fromJson(first.body()).isWritten()).as("header %s", header).isTrue();
      var followUp =
          first.<JsonObject>replyAndRequest(
              new JsonObject(), new DeliveryOptions().setSendTimeout(30_000));
      assertThat(AgentReply.fromJson(await(followUp).body()).ok()).as("header %s", header).isTrue();
    }
  }

  /**
   * Holds every event loop of the gateway's Vert.x for {@code ms}, and returns once all of them are
   * held: what agents send meanwhile waits in the sockets and is read in one turn when the loops go
   * on.
   */
  private static void holdLoops(ServiceRuntime gateway, long ms) {
    var group = gateway.vertx().nettyEventLoopGroup();
    int loops = 0;
    for (var ignored : group) {
      loops++;
    }
    var held = new java.util.concurrent.CountDownLatch(loops);
    group.forEach(
        loop ->
            loop.execute(
                () -> {
                  held.countDown();
                  try {
                    Thread.sleep(ms);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                }));
    try {
      assertThat(held.await(10, java.util.concurrent.TimeUnit.SECONDS)).as("loops held").isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static JsonObject printed(String jobId) {
    return new JsonObject().put("jobId", jobId).put("outcome", "printed");
  }

  @Test
  void resultsReadInOneTurnGoToPrintingInOneMessageAndEachIsAnsweredAsPrintingAnsweredIt() {
    var gateway = gateway(Map.of());
    var alone = new CopyOnWriteArrayList<String>();
    var batches = new CopyOnWriteArrayList<List<String>>();
    var bus = gateway.vertx().eventBus();
    bus.<JsonObject>consumer(
        Addresses.PRINTING_RESULTS,
        m -> {
          alone.add(m.body().getString("jobId"));
          m.reply(new JsonObject().put("recorded", true));
        });
    bus.<JsonObject>consumer(
        Addresses.PRINTING_RESULT_BATCHES,
        m -> {
          var ids =
              JobResult.batchFromJson(m.body()).stream().map(r -> r.getString("jobId")).toList();
          batches.add(ids);
          m.reply(
              JobResult.batchReplies(
                  ids.stream()
                      .map(
                          id ->
                              switch (id) {
                                case "job-not-yours" ->
                                    new JsonObject()
                                        .put("recorded", false)
                                        .put("reason", JobResult.NOT_DISPATCHED_TO_AGENT);
                                case "job-db-failed" ->
                                    new JsonObject().put(JobResult.FAILED, "database down");
                                default -> new JsonObject().put("recorded", true);
                              })
                      .toList()));
        });
    var socket = agentSocket(gateway, "agent-batch");

    holdLoops(gateway, 500);
    List<String> ids = List.of("job-b1", "job-not-yours", "job-b2", "job-db-failed", "job-b3");
    for (String id : ids) {
      socket.send("job.result", "r-" + id, printed(id));
    }

    for (String id : List.of("job-b1", "job-b2", "job-b3", "job-db-failed")) {
      assertThat(socket.awaitResponse("r-" + id).error()).as(id).isNull();
    }
    assertThat(socket.awaitResponse("r-job-not-yours").error().code()).isEqualTo("forbidden");
    assertThat(batches).as("one message for the turn's five results").containsExactly(ids);
    assertThat(alone)
        .as("only the result the database failed, again")
        .containsExactly("job-db-failed");
  }

  /**
   * Printing of the version before reads results one by one only: each goes alone, with all its
   * attempts (the first two tries of one of them fail).
   */
  @Test
  void resultsGoAloneWithAllTheirAttemptsWhenNoPrintingInstanceReadsBatches() {
    var gateway = gateway(Map.of());
    var alone = new CopyOnWriteArrayList<String>();
    var refusals = new java.util.concurrent.atomic.AtomicInteger();
    gateway
        .vertx()
        .eventBus()
        .<JsonObject>consumer(
            Addresses.PRINTING_RESULTS,
            m -> {
              String id = m.body().getString("jobId");
              if ("job-o2".equals(id) && refusals.getAndIncrement() < 2) {
                m.fail(503, "database down");
                return;
              }
              alone.add(id);
              m.reply(new JsonObject().put("recorded", true));
            });
    var socket = agentSocket(gateway, "agent-old-printing");

    holdLoops(gateway, 500);
    List<String> ids = List.of("job-o1", "job-o2", "job-o3");
    for (String id : ids) {
      socket.send("job.result", "r-" + id, printed(id));
    }

    for (String id : ids) {
      assertThat(socket.awaitResponse("r-" + id).error()).as(id).isNull();
    }
    assertThat(alone).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(refusals.get()).as("job-o2's tries").isEqualTo(3);
  }

  @Test
  void jobResultGoesToOnePrintingInstanceAndIsAcknowledgedToTheAgent() {
    var gateway = gateway(Map.of());
    var results = new CopyOnWriteArrayList<JobResult>();
    gateway
        .vertx()
        .eventBus()
        .<JsonObject>consumer(
            Addresses.PRINTING_RESULTS,
            m -> {
              results.add(JobResult.fromJson(m.body()));
              m.reply(new JsonObject().put("recorded", true));
            });
    var socket =
        TestSocket.open(
            client,
            gateway.httpPort(),
            "/ws/agent",
            GatewayHarness.issuer(gateway).agent("agent-r", "c1", "b1", Duration.ofHours(1)));
    socket.awaitFrame(e -> e.type().equals("welcome"));

    socket.send(
        "job.result",
        "r1",
        new JsonObject().put("jobId", "job-9").put("outcome", "failed").put("error", "paper jam"));

    assertThat(socket.awaitResponse("r1").error()).isNull();
    assertThat(results)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.jobId()).isEqualTo("job-9");
              assertThat(r.agentId()).isEqualTo("agent-r");
              assertThat(r.company()).isEqualTo("c1");
              assertThat(r.outcome()).isEqualTo("failed");
              assertThat(r.error()).isEqualTo("paper jam");
            });
  }

  @Test
  void jobResultThatNoPrintingInstanceTakesIsAnsweredUnavailableSoTheAgentSendsItAgain() {
    var gateway = gateway(Map.of());
    var socket =
        TestSocket.open(
            client,
            gateway.httpPort(),
            "/ws/agent",
            GatewayHarness.issuer(gateway).agent("agent-x", "c1", "b1", Duration.ofHours(1)));
    socket.awaitFrame(e -> e.type().equals("welcome"));

    socket.send(
        "job.result", "r2", new JsonObject().put("jobId", "job-10").put("outcome", "printed"));

    assertThat(socket.awaitResponse("r2").error().code()).isEqualTo("unavailable");
  }
}
