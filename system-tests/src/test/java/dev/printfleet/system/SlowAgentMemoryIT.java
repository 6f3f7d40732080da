package dev.printfleet.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.testing.FreePorts;
import dev.printfleet.testing.Http;
import dev.printfleet.testing.PrometheusText;
import dev.printfleet.testing.TestCluster;
import dev.printfleet.testing.TestClusterExtension;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Big jobs to an agent that reads slowly, printing-service at {@code -Xmx256m} (as {@link
 * ServiceProcess} runs every service): its memory stays bounded (no OutOfMemoryError) and every job
 * is printed. The jobs pile up while the agent is away, so the dispatcher finds them all due at
 * once when it comes back, as a restarted instance would.
 */
@ExtendWith(TestClusterExtension.class)
class SlowAgentMemoryIT {

  static final int JOBS = 200;
  static final int JOB_BYTES = 1024 * 1024;

  @Test
  void twoHundredJobsOfOneMebibyteToASlowAgentAreAllPrintedWithoutRunningOutOfMemory(
      TestCluster cluster) throws Exception {
    Map<String, String> env =
        cluster
            .withDatabase()
            .set(
                Map.of(
                    "PRINTFLEET_DISPATCH_INTERVAL", "100ms",
                    "PRINTFLEET_RETRY_BACKOFF", "200ms",
                    "PRINTFLEET_OFFLINE_WAIT", "2s",
                    // A busy agent is no printer failure: were it counted, the circuit would open
                    // and hold every job far past this test's deadline.
                    "PRINTFLEET_CIRCUIT_RESET", "10m"))
            .settings();
    int gatewayPort = FreePorts.next();
    int printingPort = FreePorts.next();
    var gatewayEnv = new HashMap<>(env);
    gatewayEnv.put("PRINTFLEET_HTTP_PORT", String.valueOf(gatewayPort));
    var printingEnv = new HashMap<>(env);
    printingEnv.put("PRINTFLEET_HTTP_PORT", String.valueOf(printingPort));

    Vertx vertx = cluster.client();
    String user = cluster.userToken("slow-test", Role.USER, "acme");
    String agentToken = cluster.agentToken("agent-slow", "acme", "b1");
    Set<String> printed = ConcurrentHashMap.newKeySet();
    try (var gateway = ServiceProcess.start("gateway-service", gatewayEnv);
        var printing = ServiceProcess.start("printing-service", printingEnv)) {
      ServiceProcess.awaitReady(gatewayPort);
      ServiceProcess.awaitReady(printingPort);
      // The agent syncs its printer, then goes away while the jobs are accepted.
      var first = connect(vertx, gatewayPort, agentToken, printed);
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () -> Http.get(printingPort, "/api/v1/printers/slow-p1", user).statusCode() == 200);
      first.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  !new JsonObject(Http.get(printingPort, "/api/v1/printers/slow-p1", user).body())
                      .getBoolean("online"));

      long postingFrom = System.nanoTime();
      var random = new Random(42);
      for (int i = 0; i < JOBS; i++) {
        byte[] content = new byte[JOB_BYTES];
        random.nextBytes(content);
        var response =
            Http.post(
                printingPort,
                "/api/v1/jobs",
                user,
                new JsonObject()
                    .put("printerId", "slow-p1")
                    .put("contentType", "application/octet-stream")
                    .put("content", Base64.getEncoder().encodeToString(content)));
        assertThat(response.statusCode()).as("job %d accepted", i).isEqualTo(201);
      }

      System.out.printf(
          "printfleet-figure slow-agent-posted=%d in=%dms%n",
          JOBS, Duration.ofNanos(System.nanoTime() - postingFrom).toMillis());
      long drainingFrom = System.nanoTime();
      // Back, and slow: it takes one message every 100 ms and leaves the rest in its socket.
      var slow = connect(vertx, gatewayPort, agentToken, printed);
      slow.pause();
      long reader = vertx.setPeriodic(100, id -> slow.fetch(1));
      await()
          .atMost(Duration.ofSeconds(150))
          .pollInterval(Duration.ofSeconds(1))
          .until(
              () ->
                  !printing.process.isAlive()
                      || outOfMemory(printing)
                      || cluster.count("SELECT count(*) FROM jobs WHERE state = 'printed'")
                          == JOBS);
      vertx.cancelTimer(reader);
      System.out.printf(
          "printfleet-figure slow-agent-printed=%d in=%dms%n",
          printed.size(), Duration.ofNanos(System.nanoTime() - drainingFrom).toMillis());

      assertThat(outOfMemory(printing)).as("printing ran out of memory").isFalse();
      assertThat(outOfMemory(gateway)).as("the gateway ran out of memory").isFalse();
      assertThat(printing.process.isAlive()).as("printing still runs").isTrue();
      assertThat(cluster.count("SELECT count(*) FROM jobs WHERE state = 'printed'"))
          .as("every job printed")
          .isEqualTo(JOBS);
      assertThat(printed).as("the agent printed each job").hasSize(JOBS);
      assertThat(cluster.count("SELECT count(*) FROM jobs WHERE attempts <> 1"))
          .as("jobs held back busy used no attempt")
          .isZero();
      // The gateway held the slow agent back rather than buffer for it.
      double busy =
          PrometheusText.parse(Http.get(gatewayPort, "/metrics", null).body())
              .samples("printfleet_gateway_agent_request_seconds_count")
              .stream()
              .filter(sample -> "busy".equals(sample.labels().get("outcome")))
              .mapToDouble(sample -> sample.value())
              .sum();
      System.out.printf("printfleet-figure slow-agent-busy-refusals=%.0f%n", busy);
      assertThat(busy).as("dispatches refused busy by the gateway").isPositive();
    }
  }

  /**
   * An agent by hand: answers each dispatch accepted, then reports it printed. Its messages may be
   * far larger than an agent may send, so it accepts up to 4 MiB.
   */
  private static WebSocket connect(Vertx vertx, int port, String token, Set<String> printed)
      throws Exception {
    var client =
        vertx.createWebSocketClient(
            new WebSocketClientOptions()
                .setMaxMessageSize(4 * JOB_BYTES)
                .setMaxFrameSize(4 * JOB_BYTES));
    WebSocket socket =
        client
            .connect(
                new WebSocketConnectOptions()
                    .setHost("127.0.0.1")
                    .setPort(port)
                    .setURI("/ws/agent")
                    .addHeader("Authorization", "Bearer " + token))
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    socket.textMessageHandler(
        text -> {
          var envelope = new JsonObject(text);
          if ("job.dispatch".equals(envelope.getString("type"))) {
            String jobId = envelope.getJsonObject("data").getString("jobId");
            socket.writeTextMessage(
                Envelope.response(envelope.getString("id"), new JsonObject().put("accepted", true))
                    .encode());
            socket.writeTextMessage(
                Envelope.request(
                        "job.result",
                        "r-" + jobId,
                        new JsonObject().put("jobId", jobId).put("outcome", "printed"))
                    .encode());
            printed.add(jobId);
          }
        });
    socket.writeTextMessage(
        Envelope.request(
                "printers.sync",
                "s",
                new JsonObject()
                    .put("printers", new JsonArray().add(new JsonObject().put("id", "slow-p1"))))
            .encode());
    return socket;
  }

  private static boolean outOfMemory(ServiceProcess service) {
    synchronized (service.stderr) {
      if (service.stderr.stream().anyMatch(line -> line.contains("OutOfMemoryError"))) {
        return true;
      }
    }
    return service.output().contains("OutOfMemoryError");
  }
}
