package dev.printfleet.printing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.auth.Role;
import dev.printfleet.testing.Http;
import dev.printfleet.testing.PrometheusText;
import io.socket.client.Ack;
import io.socket.client.IO;
import io.socket.client.Socket;
import io.socket.engineio.client.transports.Polling;
import io.socket.engineio.client.transports.WebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.json.JSONException;
import org.json.JSONObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Socket.IO clients of the system printfleet replaces, through a real Socket.IO client (the Java
 * {@code io.socket:socket.io-client}) on the gateway's {@code /socket.io/} and namespace {@code
 * /printing-ws}: agents and dashboards as on {@code /ws/agent} and {@code /ws/client}, with the
 * original's event names (PROTOCOL.md §2.5).
 */
class SocketIoClientsTest extends PrintingTestBase {

  private final List<Socket> sockets = new ArrayList<>();

  @AfterEach
  void closeSockets() {
    sockets.forEach(Socket::close);
  }

  private Socket socket(String token, String... transports) {
    var options =
        IO.Options.builder()
            .setForceNew(true)
            .setReconnection(false)
            .setTransports(transports)
            .setAuth(token == null ? Map.of() : Map.of("token", token))
            .build();
    var socket =
        IO.socket(URI.create("http://127.0.0.1:" + gateway.httpPort() + "/printing-ws"), options);
    sockets.add(socket);
    return socket;
  }

  private static JSONObject json(String text) {
    try {
      return new JSONObject(text);
    } catch (JSONException e) {
      throw new AssertionError(e);
    }
  }

  /** What the client received, as a Vert.x object. */
  private static JsonObject read(Object received) {
    return new JsonObject(received.toString());
  }

  /** An agent that syncs one printer once connected and answers each printJob as {@code onJob}. */
  private Socket agent(String agentId, String printerId, String[] transports, JobHandler onJob) {
    var agent = socket(cluster.agentToken(agentId, "acme", "b1"), transports);
    var synced = new CopyOnWriteArrayList<Object>();
    agent.on(
        Socket.EVENT_CONNECT,
        args ->
            agent.emit(
                "printersSync",
                json(
                    "{\"printers\":[{\"id\":\""
                        + printerId
                        + "\",\"name\":\"Kitchen\",\"status\":\"online\"}]}"),
                (Ack) answer -> synced.add(answer[0])));
    agent.on("printJob", args -> onJob.handle(agent, (JSONObject) args[0], (Ack) args[1]));
    agent.connect();
    await().atMost(Duration.ofSeconds(10)).until(() -> !synced.isEmpty());
    assertThat(synced.get(0).toString()).isEqualTo("{\"printers\":1}");
    awaitPrinterKnown(printerId);
    return agent;
  }

  interface JobHandler {
    void handle(Socket agent, JSONObject job, Ack ack);
  }

  /** Accepts each job and reports nothing more. */
  private static final JobHandler ACCEPTS =
      (agent, job, ack) -> ack.call(json("{\"accepted\":true}"));

  private String postJob(String printerId) {
    var created = post("/api/v1/jobs", userToken("acme"), job(printerId), null);
    assertThat(created.statusCode()).isEqualTo(201);
    return new JsonObject(created.body()).getString("id");
  }

  private void printsOverSocketIo(String agentId, String... transports) {
    var received = new CopyOnWriteArrayList<JSONObject>();
    agent(
        agentId,
        agentId + "-p1",
        transports,
        (agent, job, ack) -> {
          received.add(job);
          ack.call(json("{\"accepted\":true}"));
          agent.emit(
              "printJobResult",
              json("{\"jobId\":\"" + read(job).getString("jobId") + "\",\"outcome\":\"printed\"}"));
        });

    String jobId = postJob(agentId + "-p1");

    await().atMost(Duration.ofSeconds(10)).until(() -> "printed".equals(state(jobId)));
    assertThat(received).hasSize(1);
    var job = received.get(0);
    assertThat(read(job).getString("jobId")).isEqualTo(jobId);
    assertThat(read(job).getString("printerId")).isEqualTo(agentId + "-p1");
    assertThat(read(job).getString("content")).isEqualTo(job(agentId + "-p1").getString("content"));
    assertThat(historyStates(jobId)).containsExactly("queued", "dispatched", "printed");
  }

  @Test
  void anAgentOnAWebSocketSyncsReceivesAJobAcksItAndReportsItPrinted() {
    printsOverSocketIo("sio-ws", WebSocket.NAME);
  }

  @Test
  void anAgentForcedToLongPollingWorksEndToEnd() {
    printsOverSocketIo("sio-poll", Polling.NAME);
  }

  /**
   * The client's default: polling first, then the upgrade. That the upgrade happens is shown by
   * SocketIoNodeClientTest (this client does not say which transport it ended on).
   */
  @Test
  void anAgentWithTheClientsDefaultTransportsWorksEndToEnd() {
    printsOverSocketIo("sio-up", Polling.NAME, WebSocket.NAME);
  }

  @Test
  void theOriginalAgentsAckWithTheOutcomeAndTheJobIsFinal() {
    // The original agent answers printJob once, with {jobId, agentId, status}: no printJobResult.
    agent(
        "sio-orig",
        "sio-orig-p1",
        new String[] {WebSocket.NAME},
        (agent, job, ack) ->
            ack.call(
                json(
                    "{\"jobId\":\""
                        + read(job).getString("jobId")
                        + "\",\"agentId\":\"sio-orig\",\"status\":\"printed\"}")));
    String jobId = postJob("sio-orig-p1");
    await().atMost(Duration.ofSeconds(10)).until(() -> "printed".equals(state(jobId)));

    // ... or with a separate printJobAck event instead of the ack.
    var eventAgent =
        agent(
            "sio-orig2",
            "sio-orig2-p1",
            new String[] {WebSocket.NAME},
            (agent, job, ack) ->
                agent.emit(
                    "printJobAck",
                    json(
                        "{\"jobId\":\""
                            + read(job).getString("jobId")
                            + "\",\"agentId\":\"sio-orig2\",\"status\":\"printed\"}")));
    assertThat(eventAgent.connected()).isTrue();
    String second = postJob("sio-orig2-p1");
    await().atMost(Duration.ofSeconds(10)).until(() -> "printed".equals(state(second)));
  }

  @Test
  void aSocketIoDashboardSeesThePrinterStatusesAndJobUpdatesOfItsBranchFromEitherKindOfAgent() {
    var dashboard = socket(cluster.userToken("alice", Role.USER, "acme", "b1"), WebSocket.NAME);
    var statuses = new CopyOnWriteArrayList<JsonObject>();
    var jobStates = new CopyOnWriteArrayList<String>();
    var subscribed = new CopyOnWriteArrayList<Object>();
    dashboard.on(
        "printerStatusUpdate",
        args -> {
          new JsonArray(args[0].toString()).forEach(u -> statuses.add((JsonObject) u));
        });
    dashboard.on("jobUpdate", args -> jobStates.add(read(args[0]).getString("state")));
    dashboard.on(
        Socket.EVENT_CONNECT,
        args ->
            dashboard.emit(
                "subscribe",
                json("{\"rooms\":[\"branch:b1\"]}"),
                (Ack) answer -> subscribed.add(answer[0])));
    dashboard.connect();
    await().atMost(Duration.ofSeconds(10)).until(() -> !subscribed.isEmpty());
    assertThat(subscribed.get(0).toString())
        .isEqualTo("{\"rooms\":[\"branch:b1\"],\"presence\":{\"branch:b1\":1}}");

    // A Socket.IO agent and a plain-WebSocket agent in the same branch.
    var sioAgent =
        agent(
            "sio-mixed",
            "sio-mixed-p1",
            new String[] {WebSocket.NAME},
            (agent, job, ack) -> ack.call(json("{\"accepted\":true,\"status\":\"printed\"}")));
    var wsAgent = agent(gateway, "ws-mixed", "b1");
    await().atMost(Duration.ofSeconds(10)).until(wsAgent::isConnected);

    sioAgent.emit(
        "printerStatus", json("{\"printerId\":\"sio-mixed-p1\",\"status\":\"paper_out\"}"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                statuses.stream()
                    .anyMatch(
                        s ->
                            "sio-mixed-p1".equals(s.getString("printerId"))
                                && "paper_out".equals(s.getString("status"))));

    // A /ws/client dashboard in the same room sees the same job updates.
    var plainDashboard = jobUpdates("branch:b1");

    String sioJob = postJob("sio-mixed-p1");
    String wsJob = postJob(wsAgent.printerIds().get(0));
    await().atMost(Duration.ofSeconds(10)).until(() -> "printed".equals(state(sioJob)));
    await().atMost(Duration.ofSeconds(10)).until(() -> "printed".equals(state(wsJob)));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> jobStates.stream().filter("printed"::equals).count() == 2);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> plainDashboard.stream().filter("printed"::equals).count() == 2);
  }

  @Test
  void aBadTokenAWrongRoleOrAnotherNamespaceIsRefusedWithAConnectError() {
    assertThat(connectError(socket("not-a-jwt", WebSocket.NAME))).contains("invalid token");
    assertThat(connectError(socket(null, Polling.NAME))).contains("no token");

    var dashboardToken = cluster.userToken("alice", Role.USER, "acme");
    assertThat(connectError(at("/kitchen", dashboardToken))).contains("Invalid namespace");
    // The channel namespaces serve dashboards; an agent belongs on /printing-ws.
    assertThat(connectError(at("/orders", cluster.agentToken("sio-lost", "acme", "b1"))))
        .contains("agents connect to /printing-ws");
  }

  private Socket at(String namespace, String token) {
    var socket =
        IO.socket(
            URI.create("http://127.0.0.1:" + gateway.httpPort() + namespace),
            IO.Options.builder()
                .setForceNew(true)
                .setReconnection(false)
                .setTransports(new String[] {WebSocket.NAME})
                .setAuth(Map.of("token", token))
                .build());
    sockets.add(socket);
    return socket;
  }

  @Test
  void aSecondConnectionOfTheSameAgentEndsTheFirstWithAReasonAndItStaysDown() {
    var reasons = new CopyOnWriteArrayList<JsonObject>();
    var disconnects = new CopyOnWriteArrayList<String>();
    var first = socket(cluster.agentToken("sio-twice", "acme", "b1"), WebSocket.NAME);
    first.on("disconnectReason", args -> reasons.add(read(args[0])));
    first.on(Socket.EVENT_DISCONNECT, args -> disconnects.add(String.valueOf(args[0])));
    first.connect();
    await().atMost(Duration.ofSeconds(10)).until(first::connected);

    var second = socket(cluster.agentToken("sio-twice", "acme", "b1"), Polling.NAME);
    second.connect();
    await().atMost(Duration.ofSeconds(10)).until(second::connected);

    await().atMost(Duration.ofSeconds(10)).until(() -> !disconnects.isEmpty());
    assertThat(reasons).hasSize(1);
    assertThat(reasons.get(0).getInteger("code")).isEqualTo(4409);
    // A DISCONNECT from the server: the client does not reconnect by itself (it would replace
    // the newer connection in turn).
    assertThat(disconnects).containsExactly("io server disconnect");
    assertThat(second.connected()).isTrue();
  }

  @Test
  void socketIoSessionsAreCountedUnderTheirProtocolAndRateLimitedAsAnyOther() {
    var errors = new CopyOnWriteArrayList<JsonObject>();
    var agent = agent("sio-busy", "sio-busy-p1", new String[] {WebSocket.NAME}, ACCEPTS);
    agent.on("error", args -> errors.add(read(args[0])));

    var metrics = PrometheusText.parse(Http.get(gateway.httpPort(), "/metrics", null).body());
    assertThat(
            metrics.value(
                "printfleet_gateway_connections", Map.of("role", "agent", "protocol", "socketio")))
        .isEqualTo(1.0);
    assertThat(
            metrics.value(
                "printfleet_gateway_frames_in_total",
                Map.of("role", "agent", "protocol", "socketio", "type", "printers.sync")))
        .isEqualTo(1.0);

    // 150 statuses at once: past the burst of 100, the rest are refused rate_limited.
    for (int i = 0; i < 150; i++) {
      agent.emit("printerStatus", json("{\"printerId\":\"sio-busy-p1\",\"status\":\"busy\"}"));
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> errors.stream().anyMatch(e -> "rate_limited".equals(e.getString("code"))));
  }

  @Test
  void aDrainingGatewayClosesTheTransportSoTheClientReconnectsByItself() {
    var disconnects = new CopyOnWriteArrayList<String>();
    var agent = agent("sio-drain", "sio-drain-p1", new String[] {WebSocket.NAME}, ACCEPTS);
    agent.on(
        Socket.EVENT_DISCONNECT,
        args -> disconnects.add(args.length > 0 ? String.valueOf(args[0]) : "none"));

    cluster.stop(gateway);

    await().atMost(Duration.ofSeconds(20)).until(() -> !disconnects.isEmpty());
    // Not "io server disconnect": a client with reconnection on comes back elsewhere.
    assertThat(disconnects.get(0)).startsWith("transport");
  }

  @Test
  void aSocketIoDashboardIsHeldToItsTokensBranchesAndAnAgentToItsOwnJobs() {
    var dashboard = socket(cluster.userToken("bob", Role.USER, "acme", "b1"), WebSocket.NAME);
    var answers = new CopyOnWriteArrayList<JsonObject>();
    dashboard.on(
        Socket.EVENT_CONNECT,
        args -> {
          dashboard.emit(
              "subscribe", json("{\"rooms\":[\"branch:b2\"]}"), (Ack) a -> answers.add(read(a[0])));
          dashboard.emit(
              "subscribe",
              json("{\"rooms\":[\"company:acme\"]}"),
              (Ack) a -> answers.add(read(a[0])));
        });
    dashboard.connect();
    await().atMost(Duration.ofSeconds(10)).until(() -> answers.size() == 2);
    assertThat(answers)
        .allSatisfy(
            a -> assertThat(a.getJsonObject("error").getString("code")).isEqualTo("forbidden"));

    // An agent that acks a job it was never sent (another agent's) changes nothing.
    var owner = agent("sio-owner", "sio-owner-p1", new String[] {WebSocket.NAME}, ACCEPTS);
    String jobId = postJob("sio-owner-p1");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> "dispatched".equals(state(jobId)) || "queued".equals(state(jobId)));
    var errors = new CopyOnWriteArrayList<JsonObject>();
    var thief = agent("sio-thief", "sio-thief-p1", new String[] {WebSocket.NAME}, ACCEPTS);
    thief.on("error", args -> errors.add(read(args[0])));
    thief.emit("printJobAck", json("{\"jobId\":\"" + jobId + "\",\"status\":\"printed\"}"));
    thief.emit("printJobResult", json("{\"jobId\":\"" + jobId + "\",\"outcome\":\"printed\"}"));
    await().atMost(Duration.ofSeconds(10)).until(() -> errors.size() == 2);
    assertThat(errors)
        .extracting(e -> e.getString("code"))
        .containsExactlyInAnyOrder("not_found", "forbidden");
    assertThat(state(jobId)).isNotEqualTo("printed");
    assertThat(owner.connected()).isTrue();
  }

  private static String connectError(Socket socket) {
    var errors = new CopyOnWriteArrayList<String>();
    socket.on(
        Socket.EVENT_CONNECT_ERROR,
        args -> errors.add(args.length > 0 && args[0] != null ? args[0].toString() : ""));
    socket.connect();
    await().atMost(Duration.ofSeconds(10)).until(() -> !errors.isEmpty());
    assertThat(socket.connected()).isFalse();
    return errors.get(0);
  }
}
