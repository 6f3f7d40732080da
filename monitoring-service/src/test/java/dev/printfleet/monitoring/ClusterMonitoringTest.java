package dev.printfleet.monitoring;

import static dev.printfleet.testing.Http.get;
import static dev.printfleet.testing.Http.getJson;
import static dev.printfleet.testing.Http.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.gateway.GatewayService;
import dev.printfleet.testing.PrometheusText;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The cluster view, instance-down alerts, shared state and auth, against real services. */
class ClusterMonitoringTest extends MonitoringTestBase {

  private ServiceRuntime monitoring;

  @BeforeEach
  void start() {
    monitoring =
        cluster.start(new MonitoringService(), Map.of("PRINTFLEET_INSTANCE_ID", "monitoring-1"));
  }

  private Optional<JsonObject> instance(ServiceRuntime on, String id) {
    JsonArray items = getJson(on, "/monitoring/cluster", sreToken()).getJsonArray("instances");
    return items.stream()
        .map(JsonObject.class::cast)
        .filter(i -> i.getString("id").equals(id))
        .findFirst();
  }

  private String status(ServiceRuntime on, String id) {
    return instance(on, id).map(i -> i.getString("status")).orElse("ABSENT");
  }

  private boolean alertActive(String kind, String subject) {
    return getJson(monitoring, "/monitoring/alerts", sreToken()).getJsonArray("active").stream()
        .map(JsonObject.class::cast)
        .anyMatch(a -> a.getString("kind").equals(kind) && a.getString("subject").equals(subject));
  }

  @Test
  void aKilledInstanceIsDownWithinThreeIntervalsWithAnAlertThatClearsWhenItReturns() {
    for (String id : new String[] {"gw-1", "gw-2", "gw-3"}) {
      cluster.start(new GatewayService(), Map.of("PRINTFLEET_INSTANCE_ID", id));
    }
    ServiceRuntime victim =
        cluster.start(new GatewayService(), Map.of("PRINTFLEET_INSTANCE_ID", "gw-victim"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                status(monitoring, "gw-1").equals("UP")
                    && status(monitoring, "gw-2").equals("UP")
                    && status(monitoring, "gw-3").equals("UP")
                    && status(monitoring, "gw-victim").equals("UP"));
    var before = instance(monitoring, "gw-1").orElseThrow();
    assertThat(before.getString("service")).isEqualTo("gateway");
    assertThat(before.getLong("uptimeS")).isNotNegative();
    assertThat(before.getJsonObject("heap").getLong("maxBytes")).isPositive();
    assertThat(before.getString("lastHeartbeat")).isNotBlank();
    assertThat(alertActive("instance_down", "gw-victim")).isFalse();

    long killedAt = System.nanoTime();
    cluster.kill(victim);

    // Three intervals after its last beat, plus one evaluation tick and some room for a busy
    // machine.
    await()
        .atMost(INTERVAL.multipliedBy(3).plus(Duration.ofMillis(700)))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> status(monitoring, "gw-victim").equals("DOWN"));
    long downAfterMs = (System.nanoTime() - killedAt) / 1_000_000;
    // Its last beat came at most one interval before the kill: DOWN from two to three intervals
    // later.
    assertThat(downAfterMs)
        .as("DOWN too early: a live instance would flap")
        .isGreaterThanOrEqualTo(INTERVAL.toMillis() * 3 / 2);
    assertThat(downAfterMs)
        .as("DOWN later than three intervals")
        .isLessThanOrEqualTo(INTERVAL.toMillis() * 3 + 500);
    await().atMost(Duration.ofSeconds(2)).until(() -> alertActive("instance_down", "gw-victim"));
    assertThat(status(monitoring, "gw-1")).isEqualTo("UP");
    String metrics = get(monitoring, "/metrics", null).body();
    assertThat(
            PrometheusText.parse(metrics)
                .value(
                    "printfleet_monitoring_alert_active",
                    Map.of(
                        "kind", "instance_down", "subject", "gw-victim", "severity", "critical")))
        .isEqualTo(1.0);

    cluster.start(new GatewayService(), Map.of("PRINTFLEET_INSTANCE_ID", "gw-victim"));

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> status(monitoring, "gw-victim").equals("UP"));
    await().atMost(Duration.ofSeconds(2)).until(() -> !alertActive("instance_down", "gw-victim"));
    var recent = getJson(monitoring, "/monitoring/alerts", sreToken()).getJsonArray("recent");
    assertThat(
            recent.stream()
                .map(JsonObject.class::cast)
                .filter(
                    a ->
                        a.getString("kind").equals("instance_down")
                            && a.getString("subject").equals("gw-victim"))
                .findFirst())
        .hasValueSatisfying(a -> assertThat(a.getString("clearedAt")).isNotBlank());
    assertThat(
            PrometheusText.parse(get(monitoring, "/metrics", null).body())
                .sum(
                    "printfleet_monitoring_alert_active",
                    Map.of("kind", "instance_down", "subject", "gw-victim")))
        .isZero();
  }

  @Test
  void aSecondReplicaAndARestartedMonitoringSeeTheSameClusterAtOnceFromRedis() {
    cluster.start(new GatewayService(), Map.of("PRINTFLEET_INSTANCE_ID", "gw-a"));
    ServiceRuntime gone =
        cluster.start(new GatewayService(), Map.of("PRINTFLEET_INSTANCE_ID", "gw-gone"));
    await().atMost(Duration.ofSeconds(10)).until(() -> status(monitoring, "gw-gone").equals("UP"));
    cluster.kill(gone);
    await().atMost(Duration.ofSeconds(5)).until(() -> status(monitoring, "gw-gone").equals("DOWN"));

    cluster.kill(monitoring);
    ServiceRuntime replica =
        cluster.start(new MonitoringService(), Map.of("PRINTFLEET_INSTANCE_ID", "monitoring-2"));

    // No heartbeat can tell the new replica about gw-gone: it comes from the shared state.
    assertThat(status(replica, "gw-gone")).isEqualTo("DOWN");
    await().atMost(Duration.ofSeconds(5)).until(() -> status(replica, "gw-a").equals("UP"));
    var detail = getJson(replica, "/monitoring/instances/gw-a", sreToken());
    assertThat(detail.getJsonArray("history")).isNotEmpty();
    assertThat(detail.getJsonArray("history").getJsonObject(0).getLong("heapUsedBytes"))
        .isPositive();
    assertThat(get(replica, "/monitoring/instances/nobody", sreToken()).statusCode())
        .isEqualTo(404);
  }

  @Test
  void everythingButHealthAndMetricsNeedsAnSreOrAdminToken() {
    for (String path :
        new String[] {
          "/monitoring/cluster",
          "/monitoring/circuits",
          "/monitoring/printers",
          "/monitoring/alerts",
          "/monitoring/jobs",
          "/monitoring/instances/monitoring-1",
          "/monitoring/stream"
        }) {
      var none = get(monitoring, path, null);
      assertThat(none.statusCode()).as(path).isEqualTo(401);
      assertThat(new JsonObject(none.body()).getJsonObject("error").getString("code"))
          .isEqualTo("unauthorized");
      var user = get(monitoring, path, token(Role.USER));
      assertThat(user.statusCode()).as(path).isEqualTo(403);
      assertThat(new JsonObject(user.body()).getJsonObject("error").getString("code"))
          .isEqualTo("forbidden");
      assertThat(get(monitoring, path, "not-a-jwt").statusCode()).as(path).isEqualTo(401);
    }
    String agent = cluster.tokens().agent("agent-1", "acme", "b1", Duration.ofHours(1));
    assertThat(get(monitoring, "/monitoring/cluster", agent).statusCode()).isEqualTo(403);
    assertThat(
            post(monitoring, "/monitoring/circuits/acme%2Fp1/reset", token(Role.USER), null)
                .statusCode())
        .isEqualTo(403);
    assertThat(get(monitoring, "/monitoring/cluster", token(Role.SRE)).statusCode()).isEqualTo(200);
    assertThat(get(monitoring, "/monitoring/cluster", token(Role.ADMIN)).statusCode())
        .isEqualTo(200);
    assertThat(get(monitoring, "/monitoring/cluster?access_token=" + sreToken(), null).statusCode())
        .isEqualTo(200);
    assertThat(get(monitoring, "/health/live", null).statusCode()).isEqualTo(200);
    assertThat(get(monitoring, "/health/ready", null).statusCode()).isEqualTo(200);
    assertThat(get(monitoring, "/metrics", null).statusCode()).isEqualTo(200);
    var unknown = post(monitoring, "/monitoring/circuits/acme%2Fnothing/reset", sreToken(), null);
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(unknown.body()).getJsonObject("error").getString("code"))
        .isEqualTo("not_found");
  }

  @Test
  void theStreamEndsWhenItsTokenExpires() throws Exception {
    String shortLived =
        cluster.tokens().user("sam", Role.SRE, "acme", java.util.List.of(), Duration.ofSeconds(3));
    var request =
        java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(
                    "http://127.0.0.1:"
                        + monitoring.httpPort()
                        + "/monitoring/stream?access_token="
                        + shortLived))
            .GET()
            .build();
    var http = java.net.http.HttpClient.newHttpClient();
    try {
      var response = http.send(request, java.net.http.HttpResponse.BodyHandlers.ofLines());
      assertThat(response.statusCode()).isEqualTo(200);
      var lines =
          java.util.concurrent.CompletableFuture.supplyAsync(() -> response.body().toList());
      // Fails (times out) while the server keeps the stream open past the token's exp.
      var received = lines.get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(received).as("the stream was live before it ended").contains("event: snapshot");
    } finally {
      // Not close(): it would wait for a stream that does not end.
      http.shutdownNow();
    }
  }

  @Test
  void aMalformedlyEncodedCircuitNameAnswers400InvalidData() throws Exception {
    for (String name : new String[] {"acme%zzp1", "acme%2", "%"}) {
      String response = rawPost("/monitoring/circuits/" + name + "/reset", sreToken());
      assertThat(response).as(name).startsWith("HTTP/1.1 400");
      assertThat(response).as(name).contains("invalid_data");
    }
  }

  /** A request line java.net.URI would refuse to build (malformed percent escapes), sent as is. */
  private String rawPost(String path, String token) throws java.io.IOException {
    try (var socket = new java.net.Socket("127.0.0.1", monitoring.httpPort())) {
      socket.setSoTimeout(10_000);
      String request =
          "POST "
              + path
              + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
              + token
              + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      return new String(
          socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }
}
