package dev.printfleet.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.auth.TokenIssuer;
import dev.printfleet.simulator.SimulatedAgent;
import dev.printfleet.testing.FreePorts;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * deploy/local-cluster.sh for real: Redis, PostgreSQL, two gateways, two printing services and
 * monitoring as separate processes behind Debian's nginx, with Debian's Prometheus. An agent
 * connects through nginx, jobs flow through nginx, the gateway holding the agent is killed with
 * SIGKILL, the agent reconnects through nginx to the other gateway and every accepted job
 * prints. Prints the failover time (SIGKILL to the first job printed through the other gateway)
 * and the cluster's resident memory at idle.
 */
class LocalClusterIT {

  static final String SECRET = "local-cluster-secret-0123456789-0123456789";
  private static final Pattern STARTED = Pattern.compile("^PRINTFLEET_LOCAL_CLUSTER (\\S+) pid=(\\d+) port=(\\d+)$");

  private final List<String> output = Collections.synchronizedList(new ArrayList<>());
  private final Map<String, Long> pids = Collections.synchronizedMap(new LinkedHashMap<>());
  private Process script;
  private Vertx vertx;
  private SimulatedAgent agent;
  private int nginx;

  @AfterEach
  void stop() throws Exception {
    if (agent != null) {
      agent.stop();
    }
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    if (script != null) {
      var descendants = script.descendants().toList();
      script.toHandle().destroy(); // SIGTERM: the script stops everything it started
      if (!script.waitFor(60, TimeUnit.SECONDS)) {
        script.destroyForcibly();
      }
      descendants.forEach(ProcessHandle::destroyForcibly);
      await().atMost(Duration.ofSeconds(20)).until(() -> descendants.stream().noneMatch(ProcessHandle::isAlive));
    }
  }

  @Test
  void agentFailsOverThroughNginxWhenItsGatewayIsKilledAndEveryJobPrints() throws Exception {
    requireTools();
    Path root = Path.of(System.getProperty("printfleet.root", "..")).toAbsolutePath().normalize();
    nginx = FreePorts.next();
    int prometheus = FreePorts.next();
    var builder = new ProcessBuilder("bash", root.resolve("deploy/local-cluster.sh").toString()).directory(root.toFile());
    builder.environment().keySet().removeIf(k -> k.startsWith("PRINTFLEET_") && !k.equals("PRINTFLEET_IN_USERNS") || k.startsWith("REDIS_") || k.startsWith("PG"));
    builder.environment().putAll(Map.of(
        "PRINTFLEET_JWT_SECRET", SECRET,
        "LC_NGINX_PORT", String.valueOf(nginx),
        "LC_PROMETHEUS_PORT", String.valueOf(prometheus),
        "LC_GATEWAY_PORTS", FreePorts.next() + " " + FreePorts.next(),
        "LC_PRINTING_PORTS", FreePorts.next() + " " + FreePorts.next(),
        "LC_MONITORING_PORT", String.valueOf(FreePorts.next()),
        "LC_MAX_SECONDS", "600",
        "PRINTFLEET_DISPATCH_INTERVAL", "100ms",
        "PRINTFLEET_RETRY_BACKOFF", "200ms"));
    builder.environment().putAll(Map.of(
        "PRINTFLEET_AGENT_REQUEST_TIMEOUT", "1s",
        "PRINTFLEET_DISPATCH_TIMEOUT", "2s"));
    builder.redirectErrorStream(true);
    script = builder.start();
    Thread.ofVirtual().start(() -> {
      try (var reader = new BufferedReader(new InputStreamReader(script.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = reader.readLine()) != null) {
          output.add(line);
          Matcher m = STARTED.matcher(line);
          if (m.matches()) {
            pids.put(m.group(1), Long.parseLong(m.group(2)));
          }
        }
      } catch (IOException e) {
        // the script ended
      }
    });
    long starting = System.nanoTime();
    await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(250))
        .failFast("local-cluster.sh exited: " + output, () -> !script.isAlive())
        .until(() -> output.contains("PRINTFLEET_LOCAL_CLUSTER_READY"));
    System.out.printf("printfleet-figure local-cluster-start-ms=%d%n", (System.nanoTime() - starting) / 1_000_000);

    // Prometheus scrapes every instance's /metrics.
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
      var targets = targets(prometheus);
      return targets.size() == 5 && targets.stream().allMatch(t -> "up".equals(((JsonObject) t).getString("health")));
    });

    // Idle: the resident memory of everything the script started.
    Thread.sleep(3000);
    long rssKb = script.descendants().mapToLong(p -> rssKb(p.pid())).sum() + rssKb(script.pid());
    System.out.printf("printfleet-figure local-cluster-idle-rss-mib=%d (%d processes)%n", rssKb / 1024, script.descendants().count() + 1);

    vertx = Vertx.vertx();
    var issuer = new TokenIssuer(vertx, SECRET);
    String agentToken = issuer.agent("lc-agent", "acme", "b1", Duration.ofHours(1));
    String user = issuer.user("alice", Role.USER, "acme", List.of(), Duration.ofHours(1));

    // Through nginx: the dashboard, monitoring's API and printing's API are routed; /metrics and
    // /health/* are answered by nginx itself, never by a service (they stay inside the cluster).
    for (String inside : List.of("/metrics", "/health/ready", "/health/live", "/health/websocket/metrics")) {
      var response = http("GET", inside, null, null);
      assertThat(response.statusCode()).as(inside).isEqualTo(404);
      assertThat(response.body()).as(inside).isEqualTo("not routed by the ingress\n");
    }
    var page = http("GET", "/", null, null);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
    assertThat(http("GET", "/dashboard/dashboard.js", null, null).statusCode()).isEqualTo(200);
    var monitoringApi = http("GET", "/monitoring/cluster", user, null);
    assertThat(monitoringApi.statusCode()).as("monitoring answers: a user may not monitor").isEqualTo(403);
    assertThat(new JsonObject(monitoringApi.body()).getJsonObject("error").getString("code")).isEqualTo("forbidden");
    assertThat(http("GET", "/api/v1/jobs", user, null).statusCode()).isEqualTo(200);
    agent = new SimulatedAgent(vertx, vertx.createWebSocketClient(new WebSocketClientOptions()), "127.0.0.1", nginx, "lc-agent",
        SimulatedAgent.printerIdsFor("lc-agent", 1), () -> agentToken, new SimulatedAgent.Behaviour(20, 0.0, 0));
    agent.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(20)).until(agent::isConnected);
    String holder = agent.instance();
    assertThat(holder).isIn("gateway-1", "gateway-2");
    String printer = "lc-agent-p1";
    await().atMost(Duration.ofSeconds(20)).until(() -> http("GET", "/api/v1/printers/" + printer, user, null).statusCode() == 200);

    List<String> accepted = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      accepted.add(postJob(user, printer));
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> accepted.stream().allMatch(id -> "printed".equals(state(user, id))));

    // SIGKILL the gateway that holds the agent; keep posting jobs through nginx meanwhile.
    long printedBefore = agent.jobsPrinted();
    long killedAt = System.nanoTime();
    assertThat(ProcessHandle.of(pids.get(holder)).orElseThrow().destroyForcibly()).isTrue();
    String other = holder.equals("gateway-1") ? "gateway-2" : "gateway-1";
    long failoverMs = -1;
    long nextPost = 0;
    while (System.nanoTime() - killedAt < TimeUnit.SECONDS.toNanos(90)) {
      if (System.nanoTime() >= nextPost) {
        accepted.add(postJob(user, printer));
        nextPost = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(250);
      }
      if (other.equals(agent.instance()) && agent.jobsPrinted() > printedBefore) {
        failoverMs = (System.nanoTime() - killedAt) / 1_000_000;
        break;
      }
      Thread.sleep(10);
    }
    assertThat(failoverMs).as("a job printed through %s after %s was killed", other, holder).isPositive();
    System.out.printf("printfleet-figure local-cluster-failover-ms=%d (SIGKILL %s -> first job printed through %s)%n", failoverMs, holder, other);

    for (int i = 0; i < 5; i++) {
      accepted.add(postJob(user, printer));
    }
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
        .until(() -> accepted.stream().allMatch(id -> "printed".equals(state(user, id))));
    assertThat(agent.instance()).isEqualTo(other);
    System.out.printf("printfleet-figure local-cluster-jobs-printed=%d%n", accepted.size());

    // Prometheus sees the killed gateway down and every other target up.
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).until(() ->
        targets(prometheus).stream().map(JsonObject.class::cast).filter(t -> "up".equals(t.getString("health"))).count() == 4);
  }

  private static void requireTools() {
    List<String> missing = new ArrayList<>();
    for (String tool : List.of("nginx", "prometheus", "curl")) {
      boolean found = false;
      for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/usr/bin:/sbin").split(":")) {
        found |= !dir.isEmpty() && Files.isExecutable(Path.of(dir, tool));
      }
      if (!found) {
        missing.add(tool);
      }
    }
    if (!missing.isEmpty()) {
      throw new AssertionError("LocalClusterIT needs " + missing
          + " (Debian: apt-get install nginx prometheus curl; ./printfleet test and .ci/run install them when run as root)");
    }
  }

  private static JsonArray targets(int prometheus) {
    try {
      var response = ServiceProcess.get(prometheus, "/api/v1/targets");
      return new JsonObject(response.body()).getJsonObject("data").getJsonArray("activeTargets");
    } catch (Exception e) {
      return new JsonArray();
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

  private String postJob(String token, String printer) throws Exception {
    var body = new JsonObject().put("printerId", printer).put("contentType", "text/plain")
        .put("content", Base64.getEncoder().encodeToString("Table 7: 2x soup".getBytes(StandardCharsets.UTF_8)));
    var response = http("POST", "/api/v1/jobs", token, body);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    return new JsonObject(response.body()).getString("id");
  }

  private String state(String token, String id) {
    try {
      var response = http("GET", "/api/v1/jobs/" + id, token, null);
      return response.statusCode() == 200 ? new JsonObject(response.body()).getString("state") : "http-" + response.statusCode();
    } catch (Exception e) {
      return e.toString();
    }
  }

  private HttpResponse<String> http(String method, String path, String token, JsonObject body) throws Exception {
    var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nginx + path)).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.encode()));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return ServiceProcess.HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
