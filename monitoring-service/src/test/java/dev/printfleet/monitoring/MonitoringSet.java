package dev.printfleet.monitoring;

import static org.awaitility.Awaitility.await;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.auth.TokenIssuer;
import dev.printfleet.common.config.Settings;
import dev.printfleet.common.lifecycle.ServiceDefinition;
import dev.printfleet.common.lifecycle.ServiceLauncher;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.simulator.SimulatedAgent;
import dev.printfleet.testing.PostgresServerHandle;
import dev.printfleet.testing.RedisServerHandle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A running set for monitoring tests: real services started in this JVM with {@link
 * ServiceLauncher} on the test Redis (and PostgreSQL when given), in a cluster of the test's own
 * (its own Redis key namespace), with short heartbeats, plus simulated agents and tokens.
 */
public final class MonitoringSet implements AutoCloseable {

  static final String SECRET = "monitoring-test-secret-0123456789-0123456789";
  static final Duration INTERVAL = Duration.ofMillis(300);
  private static final HttpClient http = HttpClient.newHttpClient();

  final Map<String, String> env = new HashMap<>();
  final Vertx client = Vertx.vertx();
  public final TokenIssuer issuer = new TokenIssuer(client, SECRET);
  private final List<ServiceRuntime> services = new ArrayList<>();
  private final List<SimulatedAgent> agents = new ArrayList<>();

  MonitoringSet(RedisServerHandle redis, PostgresServerHandle postgres) {
    env.put("PRINTFLEET_JWT_SECRET", SECRET);
    env.put("REDIS_CONNECTION_ADDRESS", redis.address());
    env.put("REDIS_KEY_NAMESPACE", "mon-" + UUID.randomUUID().toString().substring(0, 8));
    env.put("PRINTFLEET_HTTP_PORT", "0");
    env.put("PRINTFLEET_HTTP_HOST", "127.0.0.1");
    env.put("PRINTFLEET_DRAIN_DELAY", "0s");
    env.put("PRINTFLEET_HEARTBEAT_INTERVAL", INTERVAL.toMillis() + "ms");
    // Every service of a test shares this JVM's heap and CPU: those thresholds are tested directly.
    env.put("PRINTFLEET_ALERT_MEMORY_PERCENT", "100");
    env.put("PRINTFLEET_ALERT_CPU_PERCENT", "100");
    env.put("PRINTFLEET_ALERT_EVENT_LOOP_LAG", "10s");
    env.put("PRINTFLEET_JOB_STATS_MAX_AGE", "1s");
    env.put("PRINTFLEET_DASHBOARD_PUSH_INTERVAL", "300ms");
    if (postgres != null) {
      env.put("PGHOST", postgres.host());
      env.put("PGPORT", String.valueOf(postgres.port()));
      env.put(
          "PGDATABASE",
          postgres.createDatabase("mon" + UUID.randomUUID().toString().substring(0, 8)));
      env.put("PGUSER", postgres.user());
      env.put("PGPASSWORD", postgres.password());
      env.put("PRINTFLEET_DISPATCH_INTERVAL", "100ms");
      env.put("PRINTFLEET_RETRY_BACKOFF", "100ms");
      env.put("PRINTFLEET_AGENT_REQUEST_TIMEOUT", "1s");
      env.put("PRINTFLEET_DISPATCH_TIMEOUT", "2s");
    } else {
      // No database in this set: point at a closed port so the job figures fail fast.
      env.put("PGPORT", "1");
    }
  }

  public ServiceRuntime start(ServiceDefinition<?> service, Map<String, String> extra) {
    var settings = new HashMap<>(env);
    settings.putAll(extra);
    var runtime = join(ServiceLauncher.start(service, new Settings(settings)));
    services.add(runtime);
    return runtime;
  }

  public SimulatedAgent agent(
      ServiceRuntime gateway, String agentId, String company, String branch) {
    String token = issuer.agent(agentId, company, branch, Duration.ofHours(1));
    var agent =
        new SimulatedAgent(
            client,
            client.createWebSocketClient(new WebSocketClientOptions()),
            "127.0.0.1",
            gateway.httpPort(),
            agentId,
            SimulatedAgent.printerIdsFor(agentId, 2),
            () -> token,
            new SimulatedAgent.Behaviour(20, 0.0, 0));
    agents.add(agent);
    join(agent.start());
    await().atMost(Duration.ofSeconds(10)).until(agent::isConnected);
    return agent;
  }

  public String token(Role role) {
    return issuer.user("sam", role, "acme", List.of(), Duration.ofHours(1));
  }

  public String sreToken() {
    return token(Role.SRE);
  }

  public static HttpResponse<String> get(ServiceRuntime service, String path, String token) {
    var request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.httpPort() + path)).GET();
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return send(request.build());
  }

  public static JsonObject getJson(ServiceRuntime service, String path, String token) {
    var response = get(service, path, token);
    if (response.statusCode() != 200) {
      throw new AssertionError(
          "GET " + path + " answered " + response.statusCode() + ": " + response.body());
    }
    return new JsonObject(response.body());
  }

  public static HttpResponse<String> post(
      ServiceRuntime service, String path, String token, JsonObject body) {
    var request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.httpPort() + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body == null ? "" : body.encode()));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return send(request.build());
  }

  private static HttpResponse<String> send(HttpRequest request) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static <T> T join(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Stops an instance without a drain: its heartbeats stop as if the process had died. */
  static void kill(ServiceRuntime runtime) {
    runtime.heartbeat().stop();
    join(runtime.vertx().close());
  }

  @Override
  public void close() {
    agents.forEach(
        a -> {
          try {
            join(a.stop());
          } catch (AssertionError ignored) {
            // already stopped
          }
        });
    for (var service : services) {
      try {
        join(service.shutdown());
      } catch (AssertionError ignored) {
        // killed by the test
      }
    }
    join(client.close());
  }
}
