package dev.printfleet.monitoring;

import static dev.printfleet.testing.Http.get;
import static dev.printfleet.testing.Http.getJson;
import static dev.printfleet.testing.TestCluster.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.gateway.GatewayService;
import dev.printfleet.testing.PrometheusText;
import dev.printfleet.testing.RedisServerHandle;
import dev.printfleet.testing.TestCluster;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Redis loses its data under a running cluster: monitoring writes back the alerts it holds, and
 * raises {@code cluster_state_lost}, which clears by itself once no instance has lost its state for
 * a while. On a Redis of its own, since the test flushes it.
 */
class ClusterStateLossTest {

  private RedisServerHandle redis;
  private TestCluster cluster;
  private ServiceRuntime monitoring;
  private Redis commands;

  @BeforeEach
  void start() {
    redis = RedisServerHandle.startOnFreePort();
    cluster =
        MonitoringTestBase.monitoringSettings(TestCluster.on(redis))
            .set("PRINTFLEET_CLUSTER_CHECK_INTERVAL", "500ms")
            .set("PRINTFLEET_ALERT_CLUSTER_LOSS_QUIET", "5s");
    monitoring =
        cluster.start(new MonitoringService(), Map.of("PRINTFLEET_INSTANCE_ID", "monitoring-1"));
    commands = Redis.createClient(cluster.client(), redis.address());
  }

  @AfterEach
  void stop() {
    // This test's own Redis has no shutdown hook: it stops even when the cluster did not.
    try {
      cluster.close();
    } finally {
      redis.close();
    }
  }

  @Test
  void afterRedisLostItsDataActiveAlertsAreRaisedAgainAndClusterStateLostFiresThenClears() {
    cluster.start(new GatewayService(), Map.of("PRINTFLEET_INSTANCE_ID", "gw-1"));
    ServiceRuntime victim =
        cluster.start(new GatewayService(), Map.of("PRINTFLEET_INSTANCE_ID", "gw-victim"));
    await().atMost(Duration.ofSeconds(10)).until(() -> instanceKnown("gw-victim"));
    cluster.kill(victim);
    await().atMost(Duration.ofSeconds(10)).until(() -> alertActive("instance_down", "gw-victim"));
    assertThat(activeAlertsInRedis()).contains("instance_down|gw-victim");
    assertThat(alertActive("cluster_state_lost", "cluster")).isFalse();

    join(commands.send(Request.cmd(Command.FLUSHALL)));

    // The alert monitoring holds is in Redis again, for every replica to see.
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> activeAlertsInRedis().contains("instance_down|gw-victim"));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> alertActive("cluster_state_lost", "cluster"));
    // Every instance that lost its state is named, as their heartbeats report it.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              JsonObject lost =
                  active()
                      .filter(a -> a.getString("kind").equals("cluster_state_lost"))
                      .findFirst()
                      .orElseThrow();
              assertThat(lost.getString("severity")).isEqualTo("critical");
              assertThat(lost.getString("message")).contains("monitoring-1").contains("gw-1");
            });
    assertThat(alertActive("instance_down", "gw-victim")).isTrue();

    // The instance counted its heal, and is ready: its state was put back.
    var metrics = PrometheusText.parse(get(monitoring, "/metrics", null).body());
    assertThat(metrics.sum("printfleet_cluster_heals_total", Map.of("what", "subscriptions")))
        .isPositive();
    assertThat(metrics.sum("printfleet_cluster_heals_total", Map.of("what", "node"))).isPositive();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> get(monitoring, "/health/ready", null).statusCode() == 200);

    // Healthy for longer than the quiet period: it clears by itself and is listed as recent.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> !alertActive("cluster_state_lost", "cluster"));
    assertThat(
            getJson(monitoring, "/monitoring/alerts", sreToken()).getJsonArray("recent").stream()
                .map(JsonObject.class::cast)
                .anyMatch(a -> a.getString("kind").equals("cluster_state_lost")))
        .isTrue();
  }

  private String namespace() {
    return cluster.setting("REDIS_KEY_NAMESPACE");
  }

  private java.util.Set<String> activeAlertsInRedis() {
    var response =
        join(
            commands.send(
                Request.cmd(Command.HGETALL).arg(namespace() + ":monitoring:alerts:active")));
    return response == null ? java.util.Set.of() : response.getKeys();
  }

  private boolean instanceKnown(String id) {
    return getJson(monitoring, "/monitoring/cluster", sreToken()).getJsonArray("instances").stream()
        .map(JsonObject.class::cast)
        .anyMatch(i -> i.getString("id").equals(id));
  }

  private Stream<JsonObject> active() {
    return getJson(monitoring, "/monitoring/alerts", sreToken()).getJsonArray("active").stream()
        .map(JsonObject.class::cast);
  }

  private boolean alertActive(String kind, String subject) {
    return active()
        .anyMatch(a -> a.getString("kind").equals(kind) && a.getString("subject").equals(subject));
  }

  private String sreToken() {
    return cluster.userToken("sam", Role.SRE, "acme");
  }
}
