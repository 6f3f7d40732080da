package dev.printfleet.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.auth.TokenIssuer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * deploy/local-cluster.sh for real, with its default settings: Redis, PostgreSQL, two gateways, two
 * printing services and monitoring as separate processes behind Debian's nginx, with Debian's
 * Prometheus. The ingress routes what it should and nothing more; then 20 agents connect through
 * nginx, 100 jobs/s flow through nginx, the gateway holding the most agents is killed with SIGKILL,
 * its agents reconnect through nginx to the other gateway and every accepted job prints, none
 * failed. Prints the cluster's resident memory at idle and the failover figures.
 */
class LocalClusterIT {

  @Test
  void ingressRoutesOnlyWhatItShouldAndAKilledGatewayFailsNoJob() throws Exception {
    long starting = System.nanoTime();
    try (var cluster = LocalCluster.start(Map.of())) {
      System.out.printf(
          "printfleet-figure local-cluster-start-ms=%d%n",
          (System.nanoTime() - starting) / 1_000_000);

      // Prometheus scrapes every instance's /metrics.
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> {
                var targets = cluster.targets();
                return targets.size() == 5
                    && targets.stream()
                        .allMatch(t -> "up".equals(((JsonObject) t).getString("health")));
              });

      // Idle: the resident memory of everything the script started.
      Thread.sleep(3000);
      var script = cluster.script();
      long rssKb = script.descendants().mapToLong(p -> rssKb(p.pid())).sum() + rssKb(script.pid());
      System.out.printf(
          "printfleet-figure local-cluster-idle-rss-mib=%d (%d processes)%n",
          rssKb / 1024, script.descendants().count() + 1);

      var vertx = Vertx.vertx();
      String user;
      try {
        user =
            new TokenIssuer(vertx, LocalCluster.SECRET)
                .user("alice", Role.USER, "acme", List.of(), Duration.ofHours(1));
      } finally {
        vertx.close();
      }

      // Through nginx: the dashboard, monitoring's API and printing's API are routed; /metrics and
      // /health/* are answered by nginx itself, never by a service (they stay inside the cluster).
      for (String inside :
          List.of("/metrics", "/health/ready", "/health/live", "/health/websocket/metrics")) {
        var response = cluster.http("GET", inside, null, null);
        assertThat(response.statusCode()).as(inside).isEqualTo(404);
        assertThat(response.body()).as(inside).isEqualTo("not routed by the ingress\n");
      }
      var page = cluster.http("GET", "/", null, null);
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.headers().firstValue("Content-Type"))
          .hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
      assertThat(cluster.http("GET", "/dashboard/dashboard.js", null, null).statusCode())
          .isEqualTo(200);
      var monitoringApi = cluster.http("GET", "/monitoring/cluster", user, null);
      assertThat(monitoringApi.statusCode())
          .as("monitoring answers: a user may not monitor")
          .isEqualTo(403);
      assertThat(new JsonObject(monitoringApi.body()).getJsonObject("error").getString("code"))
          .isEqualTo("forbidden");
      assertThat(cluster.http("GET", "/api/v1/jobs", user, null).statusCode()).isEqualTo(200);

      try (var drill = new FaultDrill(cluster, ClusterFaultsIT.AGENTS)) {
        drill.startLoad(ClusterFaultsIT.JOBS_PER_SECOND);
        drill.awaitSteady();
        String gateway = drill.busiestGateway();
        long held = drill.agentsOn(gateway);
        drill.unwatch(gateway);
        long killedAt = System.nanoTime();
        cluster.kill(gateway);
        Thread.sleep(20_000);
        drill.stopLoad();
        boolean allFinal = drill.awaitAllFinal(System.nanoTime() + TimeUnit.SECONDS.toNanos(60));
        var states = drill.states();
        long afterKill = drill.longestWaitMs(killedAt, Long.MAX_VALUE);
        System.out.printf(
            "printfleet-figure gateway-killed gateway=%s agents-held=%d accepted=%d states=%s refused=%s%n",
            gateway, held, drill.accepted(), states, drill.refusals());
        System.out.printf(
            "printfleet-figure gateway-killed longest-wait-after-kill-ms=%d most-open-circuits=%d"
                + " seconds-until-every-agent-receives-jobs=%.1f%n",
            afterKill, drill.mostOpenCircuits(), drill.secondsUntilEveryAgentReceives(killedAt));
        drill
            .waitsPerSecond(killedAt, -3, 10)
            .forEach(line -> System.out.println("printfleet-figure gateway-killed" + line));
        drill
            .slowestJobHistory(killedAt - TimeUnit.SECONDS.toNanos(2), Long.MAX_VALUE)
            .forEach(line -> System.out.println("printfleet-drill " + line));

        assertThat(held).as("agents on the killed gateway").isPositive();
        assertThat(allFinal).as("every job final: %s", states).isTrue();
        assertThat(states).as("no job failed").containsOnlyKeys("printed");
        assertThat(drill.mostOpenCircuits()).as("circuits opened").isZero();
        assertThat(afterKill)
            .as("every job accepted after the kill reached an agent (ms; -1: one never did)")
            .isNotNegative();
        assertThat(drill.agents())
            .allSatisfy(agent -> assertThat(agent.instance()).isNotEqualTo(gateway));
      }

      // Prometheus sees the killed gateway down and every other target up.
      await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () ->
                  cluster.targets().stream()
                          .map(JsonObject.class::cast)
                          .filter(t -> "up".equals(t.getString("health")))
                          .count()
                      == 4);
    }
  }

  private static long rssKb(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | RuntimeException e) {
      // gone
    }
    return 0;
  }
}
