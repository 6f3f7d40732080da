package dev.printfleet.gateway;

import static dev.printfleet.gateway.GatewayHarness.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.AgentReply;
import dev.printfleet.common.messages.DispatchRequest;
import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.simulator.SimulatedAgent;
import dev.printfleet.testing.PrometheusText;
import dev.printfleet.testing.TestSocket;
import io.vertx.core.Future;
import io.vertx.core.Verticle;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * One gateway process on several event loops ({@code PRINTFLEET_GATEWAY_VERTICLES}): sockets spread
 * over the loops, and the agents, requests, rooms, limits and drain still those of one instance.
 * Connections are accepted round-robin over the loops, so consecutive sockets land on different
 * loops.
 */
class EventLoopsTest extends GatewayTestBase {

  private static final Map<String, String> FOUR_LOOPS = Map.of("PRINTFLEET_GATEWAY_VERTICLES", "4");

  private TestSocket dashboard(ServiceRuntime gateway, String room) {
    var socket =
        TestSocket.open(
            client,
            gateway.httpPort(),
            "/ws/client",
            GatewayHarness.issuer(gateway)
                .user("user-1", Role.USER, "c1", List.of(), Duration.ofHours(1)));
    socket.send("subscribe", "sub", new JsonObject().put("rooms", List.of(room)));
    assertThat(socket.awaitResponse("sub").error()).isNull();
    return socket;
  }

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

  /** A dispatch as printing sends it: once written, followed up for the agent's answer. */
  private static Future<AgentReply> send(
      ServiceRuntime from, String instance, DispatchRequest request) {
    return from.vertx()
        .eventBus()
        .<JsonObject>request(
            Addresses.gateway(instance),
            request.toJson(),
            new DeliveryOptions()
                .addHeader(Addresses.ACTION_HEADER, DispatchRequest.ACTION)
                .setSendTimeout(30_000))
        .compose(
            m ->
                AgentReply.fromJson(m.body()).isWritten()
                    ? m.<JsonObject>replyAndRequest(
                        new JsonObject(), new DeliveryOptions().setSendTimeout(30_000))
                    : Future.succeededFuture(m))
        .map(m -> AgentReply.fromJson(m.body()));
  }

  @Test
  void gatewayRunsTheConfiguredNumberOfVerticlesOnDistinctEventLoopsSharingOnePort() {
    var gateway = gateway(FOUR_LOOPS);

    var vertx = (VertxInternal) gateway.vertx();
    Set<Object> loops = new HashSet<>();
    int verticles = 0;
    for (String id : vertx.deploymentIDs()) {
      var deployment = vertx.getDeployment(id);
      for (Verticle verticle : deployment.getVerticles()) {
        if (verticle instanceof GatewayVerticle) {
          verticles++;
        }
      }
      if (deployment.getVerticles().stream().anyMatch(v -> v instanceof GatewayVerticle)) {
        deployment.getContexts().forEach(c -> loops.add(((ContextInternal) c).nettyEventLoop()));
      }
    }
    assertThat(verticles).isEqualTo(4);
    assertThat(loops).hasSize(4);
    // Every socket reaches one of them on the one port.
    var sockets = new ArrayList<TestSocket>();
    for (int i = 0; i < 8; i++) {
      sockets.add(agentSocket(gateway, "agent-" + i));
    }
    assertThat(
            new JsonObject(GatewayHarness.get(gateway, "/health/websocket/metrics"))
                .getInteger("totalConnections"))
        .isEqualTo(8);
  }

  @Test
  void agentConnectingAgainOnAnotherLoopClosesTheOlderSocketWith4409() {
    var gateway = gateway(FOUR_LOOPS);

    // Four sockets in a row, one per loop: each newer one replaces the one before, whatever its
    // loop.
    List<TestSocket> sockets = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      sockets.add(agentSocket(gateway, "agent-twice"));
    }

    for (int i = 0; i < 3; i++) {
      assertThat(sockets.get(i).awaitClose(Duration.ofSeconds(10))).isEqualTo((short) 4409);
    }
    // The newest socket stays open: no loop that closed an older one closes it too.
    var last = sockets.get(3);
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(last::isOpen);
    var stats = new JsonObject(GatewayHarness.get(gateway, "/health/websocket/metrics"));
    assertThat(stats.getJsonObject("connectionsByRole").getInteger("agent")).isEqualTo(1);
  }

  @Test
  void dispatchReachesAnAgentWhateverLoopHoldsItsSocket() {
    var gateway = gateway(FOUR_LOOPS);
    var caller = gateway(Map.of());
    List<SimulatedAgent> agents = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      String agentId = "agent-" + i;
      String token = GatewayHarness.issuer(gateway).agent(agentId, "c1", "b1", Duration.ofHours(1));
      var agent =
          new SimulatedAgent(
              client,
              client.createWebSocketClient(new WebSocketClientOptions()),
              "127.0.0.1",
              gateway.httpPort(),
              agentId,
              List.of("p1"),
              () -> token,
              SimulatedAgent.Behaviour.defaults());
      await(agent.start());
      await().atMost(Duration.ofSeconds(10)).until(agent::isConnected);
      agents.add(agent);
    }

    for (int i = 0; i < agents.size(); i++) {
      var reply = await(send(caller, gateway.instanceId(), dispatch("job-" + i, "agent-" + i)));
      assertThat(reply.ok()).as("dispatch to agent-%d", i).isTrue();
      assertThat(agents.get(i).jobsReceived()).isEqualTo(1);
    }
  }

  @Test
  void dashboardsOnEveryLoopReceiveThePresenceAndBatchedStatusOfAnAgentOnAnotherOnce() {
    var gateway =
        gateway(
            Map.of("PRINTFLEET_GATEWAY_VERTICLES", "4", "PRINTFLEET_STATUS_BATCH_WINDOW", "50ms"));
    GatewayHarness.storePrinterLists(gateway);
    // Four dashboards in a row, one per loop; the agent lands on one of those loops.
    List<TestSocket> dashboards = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      dashboards.add(dashboard(gateway, "company:c1"));
    }
    var agent = agentSocket(gateway, "agent-status");
    agent.send(
        "printers.sync",
        "sync",
        new JsonObject()
            .put(
                "printers",
                new JsonArray()
                    .add(new JsonObject().put("id", "p1"))
                    .add(new JsonObject().put("id", "p2"))));
    assertThat(agent.awaitResponse("sync").error()).isNull();

    agent.send(
        "printer.status", "s1", new JsonObject().put("printerId", "p1").put("status", "busy"));
    agent.send(
        "printer.status", "s2", new JsonObject().put("printerId", "p2").put("status", "online"));
    agent.awaitResponse("s2");

    for (TestSocket dashboard : dashboards) {
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> updates(dashboard).size() >= 2 && presence(dashboard, "agent-status") >= 1);
    }
    // An event handed to a room twice shows as a second presence (sent at once; statuses of one
    // window coalesce per printer) or as a status again in a later window.
    await()
        .during(Duration.ofMillis(500))
        .atMost(Duration.ofSeconds(2))
        .until(
            () ->
                dashboards.stream()
                    .allMatch(d -> updates(d).size() == 2 && presence(d, "agent-status") == 1));
    for (TestSocket dashboard : dashboards) {
      assertThat(updates(dashboard))
          .extracting(u -> u.getString("printerId") + ":" + u.getString("status"))
          .containsExactlyInAnyOrder("p1:busy", "p2:online");
    }
  }

  private static long presence(TestSocket socket, String agentId) {
    return socket.received.stream()
        .filter(
            e -> e.type().equals("agent.presence") && agentId.equals(e.data().getString("agentId")))
        .count();
  }

  private static List<JsonObject> updates(TestSocket socket) {
    List<JsonObject> updates = new ArrayList<>();
    for (Envelope e : socket.received) {
      if (e.type().equals("printer.status")) {
        e.data().getJsonArray("updates").forEach(u -> updates.add((JsonObject) u));
      }
    }
    return updates;
  }

  @Test
  void pendingRequestLimitAndConnectionCountsAreTheInstancesAcrossLoops() {
    var gateway =
        gateway(
            Map.of("PRINTFLEET_GATEWAY_VERTICLES", "4", "PRINTFLEET_MAX_PENDING_REQUESTS", "2"));
    var caller = gateway(Map.of());
    // Agents that never answer, one per loop: their requests wait until the instance's limit.
    List<TestSocket> agents = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      agents.add(agentSocket(gateway, "agent-" + i));
    }
    dashboard(gateway, "company:c1");

    var oldest = send(caller, gateway.instanceId(), dispatch("job-0", "agent-0"));
    agents.get(0).awaitFrame(e -> "job.dispatch".equals(e.type()));
    send(caller, gateway.instanceId(), dispatch("job-1", "agent-1"));
    agents.get(1).awaitFrame(e -> "job.dispatch".equals(e.type()));
    send(caller, gateway.instanceId(), dispatch("job-2", "agent-2"));

    // A third request on a third loop evicts the oldest, on the first loop.
    var evicted = await(oldest, Duration.ofSeconds(8));
    assertThat(evicted.ok()).isFalse();
    assertThat(evicted.code()).isEqualTo("unavailable");

    var stats = new JsonObject(GatewayHarness.get(gateway, "/health/websocket/metrics"));
    assertThat(stats.getInteger("totalConnections")).isEqualTo(5);
    assertThat(stats.getJsonObject("connectionsByRole").getInteger("agent")).isEqualTo(4);
    assertThat(stats.getJsonObject("connectionsByCompany").getInteger("c1")).isEqualTo(5);
    var metrics = PrometheusText.parse(GatewayHarness.get(gateway, "/metrics"));
    assertThat(
            metrics.value(
                "printfleet_gateway_connections", Map.of("role", "agent", "protocol", "websocket")))
        .isEqualTo(4.0);
    assertThat(
            metrics.value(
                "printfleet_gateway_connections",
                Map.of("role", "client", "protocol", "websocket")))
        .isEqualTo(1.0);
  }

  @Test
  void drainClosesTheSocketsOfEveryLoopWith1012() {
    var gateway =
        harness.start(Map.of("PRINTFLEET_GATEWAY_VERTICLES", "4", "PRINTFLEET_DRAIN_DELAY", "1s"));
    List<TestSocket> sockets = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      sockets.add(agentSocket(gateway, "agent-" + i));
      sockets.add(dashboard(gateway, "company:c1"));
    }

    var stopped = gateway.shutdown();

    for (TestSocket socket : sockets) {
      assertThat(socket.awaitClose(Duration.ofSeconds(10))).isEqualTo((short) 1012);
    }
    await(stopped);
  }
}
