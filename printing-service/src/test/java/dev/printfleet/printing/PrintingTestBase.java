package dev.printfleet.printing;

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
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
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
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A real gateway and printing instance on the shared Redis and a database of the test's own, a
 * client Vert.x for agents and dashboards, and HTTP helpers for the API.
 */
@ExtendWith(RealServersExtension.class)
abstract class PrintingTestBase {

  static final String SECRET = "printing-test-secret-0123456789-0123456789";
  protected static final HttpClient http = HttpClient.newHttpClient();

  protected final Map<String, String> env = new HashMap<>();
  protected final List<ServiceRuntime> services = new ArrayList<>();
  protected final List<SimulatedAgent> agents = new ArrayList<>();
  protected Vertx client;
  protected TokenIssuer issuer;
  protected ServiceRuntime gateway;
  protected ServiceRuntime printing;

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
    env.put("PRINTFLEET_DISPATCH_LEASE", "5s");
    env.put("PRINTFLEET_OFFLINE_WAIT", "2s");
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

  protected ServiceRuntime start(
      dev.printfleet.common.lifecycle.ServiceDefinition<?> service, Map<String, String> extra) {
    var settings = new HashMap<>(env);
    settings.putAll(extra);
    var runtime = join(ServiceLauncher.start(service, new Settings(settings)));
    services.add(runtime);
    return runtime;
  }

  protected SimulatedAgent agent(ServiceRuntime on, String agentId, String branch) {
    return agent(on, agentId, branch, new SimulatedAgent.Behaviour(20, 0.0, 0));
  }

  protected SimulatedAgent agent(
      ServiceRuntime on, String agentId, String branch, SimulatedAgent.Behaviour behaviour) {
    String token = issuer.agent(agentId, "acme", branch, Duration.ofHours(1));
    var agent =
        new SimulatedAgent(
            client,
            client.createWebSocketClient(new WebSocketClientOptions()),
            "127.0.0.1",
            on.httpPort(),
            agentId,
            SimulatedAgent.printerIdsFor(agentId, 2),
            () -> token,
            behaviour);
    agents.add(agent);
    join(agent.start());
    await().atMost(Duration.ofSeconds(10)).until(agent::isConnected);
    return agent;
  }

  protected String userToken(String company) {
    return issuer.user("alice", Role.USER, company, List.of(), Duration.ofHours(1));
  }

  protected HttpResponse<String> post(
      String path, String token, JsonObject body, String idempotencyKey) {
    return postTo(printing, path, token, body, idempotencyKey);
  }

  protected HttpResponse<String> postTo(
      ServiceRuntime target, String path, String token, JsonObject body, String idempotencyKey) {
    var request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + target.httpPort() + path))
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

  protected HttpResponse<String> get(String path, String token) {
    return send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + printing.httpPort() + path))
            .header("Authorization", "Bearer " + token)
            .GET()
            .build());
  }

  protected static HttpResponse<String> send(HttpRequest request) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
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
                            "Bearer "
                                + issuer.agent(agentId, "acme", branch, Duration.ofHours(1)))));
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
    var subscribed = new java.util.concurrent.atomic.AtomicBoolean();
    var dashboard =
        join(
            client
                .createWebSocketClient()
                .connect(
                    new WebSocketConnectOptions()
                        .setHost("127.0.0.1")
                        .setPort(gateway.httpPort())
                        .setURI("/ws/client")
                        .addHeader("Authorization", "Bearer " + userToken("acme"))));
    dashboard.textMessageHandler(
        text -> {
          var e = new JsonObject(text);
          if ("job.update".equals(e.getString("type"))) {
            states.add(e.getJsonObject("data").getString("state"));
          } else if ("response".equals(e.getString("type"))) {
            subscribed.set(true);
          }
        });
    dashboard.writeTextMessage(
        Envelope.request("subscribe", "s", new JsonObject().put("rooms", List.of(room))).encode());
    await().atMost(Duration.ofSeconds(5)).untilTrue(subscribed);
    return states;
  }

  /** The states of a job's history, oldest first. */
  protected List<String> historyStates(String jobId) {
    return new JsonObject(get("/api/v1/jobs/" + jobId, userToken("acme")).body())
        .getJsonArray("history").stream().map(h -> ((JsonObject) h).getString("state")).toList();
  }

  /** Replaces the gateway instance by one with these settings on top of the test's. */
  protected ServiceRuntime restartGateway(Map<String, String> extra) {
    services.remove(gateway);
    join(gateway.shutdown());
    gateway = start(new GatewayService(), extra);
    return gateway;
  }

  /** Replaces the printing instance by one with these settings on top of the test's. */
  protected ServiceRuntime restartPrinting(Map<String, String> extra) {
    services.remove(printing);
    join(printing.shutdown());
    printing = start(new PrintingService(), extra);
    return printing;
  }

  /** A count straight from the database, to check what was (not) written. */
  protected long count(String sql) {
    String url =
        "jdbc:postgresql://"
            + env.get("PGHOST")
            + ":"
            + env.get("PGPORT")
            + "/"
            + env.get("PGDATABASE");
    try (var connection =
            java.sql.DriverManager.getConnection(url, env.get("PGUSER"), env.get("PGPASSWORD"));
        var rows = connection.createStatement().executeQuery(sql)) {
      rows.next();
      return rows.getLong(1);
    } catch (java.sql.SQLException e) {
      throw new AssertionError(e);
    }
  }

  protected static <T> T join(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("future did not complete: " + e, e);
    }
  }
}
