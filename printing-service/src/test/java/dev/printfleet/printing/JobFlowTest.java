package dev.printfleet.printing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.auth.TokenIssuer;
import dev.printfleet.common.config.Settings;
import dev.printfleet.common.lifecycle.ServiceLauncher;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.gateway.GatewayService;
import dev.printfleet.simulator.SimulatedAgent;
import dev.printfleet.testing.PostgresServerHandle;
import dev.printfleet.testing.RealServersExtension;
import dev.printfleet.testing.RedisServerHandle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A job end to end: REST API, PostgreSQL, dispatcher, a real gateway and simulated agents. */
@ExtendWith(RealServersExtension.class)
class JobFlowTest {

  static final String SECRET = "printing-test-secret-0123456789-0123456789";
  private static final HttpClient http = HttpClient.newHttpClient();

  private final Map<String, String> env = new HashMap<>();
  private final List<ServiceRuntime> services = new ArrayList<>();
  private final List<SimulatedAgent> agents = new ArrayList<>();
  private Vertx client;
  private TokenIssuer issuer;
  private ServiceRuntime gateway;
  private ServiceRuntime printing;

  @BeforeEach
  void start(RedisServerHandle redis, PostgresServerHandle postgres) {
    env.put("PRINTFLEET_JWT_SECRET", SECRET);
    env.put("REDIS_CONNECTION_ADDRESS", redis.address());
    env.put("REDIS_KEY_NAMESPACE", "jobs-" + UUID.randomUUID().toString().substring(0, 8));
    env.put("PRINTFLEET_HTTP_PORT", "0");
    env.put("PRINTFLEET_HTTP_HOST", "127.0.0.1");
    env.put("PRINTFLEET_DRAIN_DELAY", "0s");
    env.put("PGHOST", postgres.host());
    env.put("PGPORT", String.valueOf(postgres.port()));
    env.put("PGDATABASE", postgres.createDatabase("jobs"));
    env.put("PGUSER", postgres.user());
    env.put("PGPASSWORD", postgres.password());
    env.put("PRINTFLEET_DISPATCH_INTERVAL", "100ms");
    env.put("PRINTFLEET_RETRY_BACKOFF", "100ms");
    env.put("PRINTFLEET_AGENT_REQUEST_TIMEOUT", "500ms");
    env.put("PRINTFLEET_DISPATCH_TIMEOUT", "2s");
    client = Vertx.vertx();
    issuer = new TokenIssuer(client, SECRET);
    gateway = start(new GatewayService(), Map.of());
    printing = start(new PrintingService(), Map.of());
  }

  @AfterEach
  void stop() {
    agents.forEach(a -> join(a.stop()));
    join(client.close());
    services.forEach(s -> join(s.shutdown()));
  }

  private ServiceRuntime start(dev.printfleet.common.lifecycle.ServiceDefinition<?> service, Map<String, String> extra) {
    var settings = new HashMap<>(env);
    settings.putAll(extra);
    var runtime = join(ServiceLauncher.start(service, new Settings(settings)));
    services.add(runtime);
    return runtime;
  }

  private SimulatedAgent agent(ServiceRuntime on, String agentId, String branch) {
    String token = issuer.agent(agentId, "acme", branch, Duration.ofHours(1));
    var agent = new SimulatedAgent(client, client.createWebSocketClient(new WebSocketClientOptions()), "127.0.0.1",
        on.httpPort(), agentId, SimulatedAgent.printerIdsFor(agentId, 2), () -> token,
        new SimulatedAgent.Behaviour(20, 0.0, 0));
    agents.add(agent);
    join(agent.start());
    await().atMost(Duration.ofSeconds(10)).until(agent::isConnected);
    return agent;
  }

  private String userToken(String company) {
    return issuer.user("alice", Role.USER, company, List.of(), Duration.ofHours(1));
  }

  private HttpResponse<String> post(String path, String token, JsonObject body, String idempotencyKey) {
    var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + printing.httpPort() + path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body == null ? "" : body.encode()));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    if (idempotencyKey != null) {
      request.header("Idempotency-Key", idempotencyKey);
    }
    return send(request.build());
  }

  private HttpResponse<String> get(String path, String token) {
    return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + printing.httpPort() + path))
        .header("Authorization", "Bearer " + token).GET().build());
  }

  private static HttpResponse<String> send(HttpRequest request) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static JsonObject job(String printerId) {
    return new JsonObject().put("printerId", printerId).put("contentType", "text/plain")
        .put("content", Base64.getEncoder().encodeToString("Table 7: 2x soup".getBytes())).put("copies", 2);
  }

  private String state(String jobId) {
    return new JsonObject(get("/api/v1/jobs/" + jobId, userToken("acme")).body()).getString("state");
  }

  private void awaitPrinterKnown(String printerId) {
    await().atMost(Duration.ofSeconds(10)).until(() -> get("/api/v1/printers/" + printerId, userToken("acme")).statusCode() == 200);
  }

  @Test
  void jobGoesQueuedDispatchedPrintedAndADashboardSeesEachUpdate() {
    var agent = agent(gateway, "agent-1", "b1");
    awaitPrinterKnown("agent-1-p1");
    var updates = new CopyOnWriteArrayList<String>();
    var dashboard = join(client.createWebSocketClient().connect(new WebSocketConnectOptions().setHost("127.0.0.1")
        .setPort(gateway.httpPort()).setURI("/ws/client").addHeader("Authorization", "Bearer " + userToken("acme"))));
    dashboard.textMessageHandler(text -> {
      var e = new JsonObject(text);
      if ("job.update".equals(e.getString("type"))) {
        updates.add(e.getJsonObject("data").getString("state"));
      } else if ("response".equals(e.getString("type"))) {
        updates.add("subscribed");
      }
    });
    dashboard.writeTextMessage(Envelope.request("subscribe", "s", new JsonObject().put("rooms", List.of("branch:b1"))).encode());
    await().atMost(Duration.ofSeconds(5)).until(() -> updates.contains("subscribed"));

    var created = post("/api/v1/jobs", userToken("acme"), job("agent-1-p1"), null);

    assertThat(created.statusCode()).isEqualTo(201);
    var body = new JsonObject(created.body());
    assertThat(body.getString("state")).isEqualTo("queued");
    assertThat(body.getString("branch")).isEqualTo("b1");
    assertThat(body.getInteger("copies")).isEqualTo(2);
    String id = body.getString("id");
    await().atMost(Duration.ofSeconds(15)).until(() -> state(id).equals("printed"));
    var history = new JsonObject(get("/api/v1/jobs/" + id, userToken("acme")).body()).getJsonArray("history");
    assertThat(history.stream().map(h -> ((JsonObject) h).getString("state")).toList()).containsExactly("queued", "dispatched", "printed");
    await().atMost(Duration.ofSeconds(5)).until(() -> updates.contains("printed"));
    assertThat(updates).containsSubsequence("queued", "dispatched", "printed");
    assertThat(agent.jobsPrinted()).isEqualTo(1);
  }

  @Test
  void jobForAnOfflineAgentWaitsQueuedAndPrintsWhenTheAgentConnectsToAnyGateway() {
    var first = agent(gateway, "agent-2", "b2");
    awaitPrinterKnown("agent-2-p1");
    join(first.stop());
    await().atMost(Duration.ofSeconds(10)).until(() -> !new JsonObject(get("/api/v1/printers/agent-2-p1", userToken("acme")).body()).getBoolean("online"));

    String id = new JsonObject(post("/api/v1/jobs", userToken("acme"), job("agent-2-p2"), null).body()).getString("id");
    await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> true);
    assertThat(state(id)).isEqualTo("queued");
    assertThat(new JsonObject(get("/api/v1/jobs/" + id, userToken("acme")).body()).getInteger("attempts")).isZero();

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
    assertThat(new JsonObject(again.body()).getString("id")).isEqualTo(new JsonObject(first.body()).getString("id"));
  }

  @Test
  void agentThatNeverAnswersGetsItsRetriesThenTheJobFails() throws Exception {
    var mute = join(client.createWebSocketClient().connect(new WebSocketConnectOptions().setHost("127.0.0.1")
        .setPort(gateway.httpPort()).setURI("/ws/agent")
        .addHeader("Authorization", "Bearer " + issuer.agent("agent-mute", "acme", "b1", Duration.ofHours(1)))));
    mute.writeTextMessage(Envelope.request("printers.sync", "s", new JsonObject().put("printers",
        new io.vertx.core.json.JsonArray().add(new JsonObject().put("id", "mute-p1")))).encode());
    awaitPrinterKnown("mute-p1");

    String id = new JsonObject(post("/api/v1/jobs", userToken("acme"), job("mute-p1"), null).body()).getString("id");

    await().atMost(Duration.ofSeconds(30)).until(() -> state(id).equals("failed"));
    var failed = new JsonObject(get("/api/v1/jobs/" + id, userToken("acme")).body());
    assertThat(failed.getInteger("attempts")).isEqualTo(5);
    assertThat(failed.getString("error")).contains("timeout");
  }

  @Test
  void everyRefusalHasItsStatusAndCode() {
    agent(gateway, "agent-4", "b1");
    awaitPrinterKnown("agent-4-p1");
    String user = userToken("acme");

    assertThat(post("/api/v1/jobs", null, job("agent-4-p1"), null).statusCode()).isEqualTo(401);
    assertThat(post("/api/v1/jobs", issuer.agent("a", "acme", "b1", Duration.ofHours(1)), job("agent-4-p1"), null).statusCode()).isEqualTo(403);
    var missing = post("/api/v1/jobs", user, job("agent-4-p1").put("printerId", ""), null);
    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(missing.body()).getJsonObject("error").getString("field")).isEqualTo("printerId");
    assertThat(new JsonObject(post("/api/v1/jobs", user, job("agent-4-p1").put("copies", 100), null).body())
        .getJsonObject("error").getString("field")).isEqualTo("copies");
    assertThat(new JsonObject(post("/api/v1/jobs", user, job("agent-4-p1").put("content", "%%%"), null).body())
        .getJsonObject("error").getString("code")).isEqualTo("invalid_data");
    var tooLarge = post("/api/v1/jobs", user, job("agent-4-p1").put("content", Base64.getEncoder().encodeToString(new byte[1024 * 1024 + 1])), null);
    assertThat(tooLarge.statusCode()).isEqualTo(413);
    assertThat(new JsonObject(tooLarge.body()).getJsonObject("error").getString("code")).isEqualTo("too_large");
    assertThat(post("/api/v1/jobs", user, job("no-such-printer"), null).statusCode()).isEqualTo(404);
    var notJson = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + printing.httpPort() + "/api/v1/jobs"))
        .header("Authorization", "Bearer " + user).POST(HttpRequest.BodyPublishers.ofString("{oops")).build());
    assertThat(notJson.statusCode()).isEqualTo(400);

    String id = new JsonObject(post("/api/v1/jobs", user, job("agent-4-p1"), null).body()).getString("id");
    assertThat(get("/api/v1/jobs/" + id, userToken("other-company")).statusCode()).as("other tenants see nothing").isEqualTo(404);
    assertThat(get("/api/v1/jobs/not-a-uuid", user).statusCode()).isEqualTo(404);
    await().atMost(Duration.ofSeconds(15)).until(() -> state(id).equals("printed"));
    var conflict = post("/api/v1/jobs/" + id + "/cancel", user, null, null);
    assertThat(conflict.statusCode()).isEqualTo(409);
    assertThat(new JsonObject(conflict.body()).getJsonObject("error").getString("code")).isEqualTo("conflict");
  }

  private static <T> T join(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("future did not complete: " + e, e);
    }
  }
}
