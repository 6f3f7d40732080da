package dev.printfleet.printing;

import static org.awaitility.Awaitility.await;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.auth.TokenIssuer;
import dev.printfleet.common.lifecycle.ServiceDefinition;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.gateway.GatewayService;
import dev.printfleet.simulator.SimulatedAgent;
import dev.printfleet.testing.Http;
import dev.printfleet.testing.PrometheusText;
import dev.printfleet.testing.TestCluster;
import dev.printfleet.testing.TestClusterExtension;
import dev.printfleet.testing.TestSocket;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A real gateway and printing instance in the test's cluster, with a database of its own and short
 * dispatch timings, and the API, agent and dashboard helpers the printing tests share.
 */
@ExtendWith(TestClusterExtension.class)
abstract class PrintingTestBase {

  static final String SECRET = TestCluster.SECRET;
  protected static final HttpClient http = Http.client();

  protected TestCluster cluster;
  protected Vertx client;
  protected TokenIssuer issuer;
  protected ServiceRuntime gateway;
  protected ServiceRuntime printing;

  @BeforeEach
  void start(TestCluster cluster) {
    this.cluster =
        cluster
            .withDatabase()
            .set(
                Map.of(
                    "PRINTFLEET_DISPATCH_INTERVAL", "100ms",
                    "PRINTFLEET_RETRY_BACKOFF", "100ms",
                    "PRINTFLEET_AGENT_REQUEST_TIMEOUT", "500ms",
                    "PRINTFLEET_DISPATCH_TIMEOUT", "2s",
                    "PRINTFLEET_DISPATCH_LEASE", "5s",
                    "PRINTFLEET_OFFLINE_WAIT", "2s"));
    client = cluster.client();
    issuer = cluster.tokens();
    gateway = start(new GatewayService(), Map.of());
    printing = start(new PrintingService(), Map.of());
  }

  /** Another instance, with these settings on top of the test's; stopped after the test. */
  protected ServiceRuntime start(ServiceDefinition<?> service, Map<String, String> extra) {
    return cluster.start(service, extra);
  }

  protected SimulatedAgent agent(ServiceRuntime on, String agentId, String branch) {
    return cluster.agent(on, agentId, "acme", branch);
  }

  protected SimulatedAgent agent(
      ServiceRuntime on, String agentId, String branch, SimulatedAgent.Behaviour behaviour) {
    return cluster.agent(on.httpPort(), agentId, "acme", branch, behaviour);
  }

  protected String userToken(String company) {
    return cluster.userToken("alice", Role.USER, company);
  }

  protected HttpResponse<String> post(
      String path, String token, JsonObject body, String idempotencyKey) {
    return postTo(printing, path, token, body, idempotencyKey);
  }

  protected HttpResponse<String> postTo(
      ServiceRuntime target, String path, String token, JsonObject body, String idempotencyKey) {
    var request =
        Http.request(target.httpPort(), path, token)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body == null ? "" : body.encode()));
    if (idempotencyKey != null) {
      request.header("Idempotency-Key", idempotencyKey);
    }
    return send(request.build());
  }

  protected HttpResponse<String> get(String path, String token) {
    return Http.get(printing, path, token);
  }

  protected static HttpResponse<String> send(HttpRequest request) {
    return Http.send(request);
  }

  protected static JsonObject job(String printerId) {
    return new JsonObject()
        .put("printerId", printerId)
        .put("contentType", "text/plain")
        .put("content", Base64.getEncoder().encodeToString("Table 7: 2x soup".getBytes()))
        .put("copies", 2);
  }

  protected String state(String jobId) {
    return new JsonObject(get("/api/v1/jobs/" + jobId, userToken("acme")).body())
        .getString("state");
  }

  protected void awaitPrinterKnown(String printerId) {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> get("/api/v1/printers/" + printerId, userToken("acme")).statusCode() == 200);
  }

  /**
   * An agent written by hand, for behaviour the simulated agent does not have: each frame the
   * gateway sends goes to {@code onFrame} with the socket to answer on. Returns once its one
   * printer is known to the API.
   */
  protected WebSocket rawAgent(
      String agentId, String branch, String printerId, BiConsumer<WebSocket, JsonObject> onFrame) {
    var socket =
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
                            "Bearer " + cluster.agentToken(agentId, "acme", branch))));
    socket.textMessageHandler(text -> onFrame.accept(socket, new JsonObject(text)));
    socket.writeTextMessage(
        Envelope.request(
                "printers.sync",
                "s",
                new JsonObject()
                    .put("printers", new JsonArray().add(new JsonObject().put("id", printerId))))
            .encode());
    awaitPrinterKnown(printerId);
    return socket;
  }

  /** A dashboard subscribed to one room; the states of the job updates it receives, in order. */
  protected List<String> jobUpdates(String room) {
    var states = new CopyOnWriteArrayList<String>();
    var dashboard = TestSocket.open(client, gateway.httpPort(), "/ws/client", userToken("acme"));
    dashboard.onEnvelope(
        e -> {
          if ("job.update".equals(e.type())) {
            states.add(e.data().getString("state"));
          }
        });
    dashboard.send("subscribe", "s", new JsonObject().put("rooms", List.of(room)));
    dashboard.awaitResponse("s");
    return states;
  }

  /** The states of a job's history, oldest first. */
  protected List<String> historyStates(String jobId) {
    return new JsonObject(get("/api/v1/jobs/" + jobId, userToken("acme")).body())
        .getJsonArray("history").stream().map(h -> ((JsonObject) h).getString("state")).toList();
  }

  /** Replaces the gateway instance by one with these settings on top of the test's. */
  protected ServiceRuntime restartGateway(Map<String, String> extra) {
    cluster.stop(gateway);
    gateway = start(new GatewayService(), extra);
    return gateway;
  }

  /** Replaces the printing instance by one with these settings on top of the test's. */
  protected ServiceRuntime restartPrinting(Map<String, String> extra) {
    cluster.stop(printing);
    printing = start(new PrintingService(), extra);
    return printing;
  }

  /** The instance's Prometheus metrics, as scraped. */
  protected static PrometheusText metricsOf(ServiceRuntime instance) {
    return PrometheusText.parse(
        send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + instance.httpPort() + "/metrics"))
                .build())
            .body());
  }

  /** A count straight from the database, to check what was (not) written. */
  protected long count(String sql) {
    return cluster.count(sql);
  }

  protected static <T> T join(Future<T> future) {
    return TestCluster.join(future);
  }
}
