package dev.printfleet.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.auth.TokenIssuer;
import dev.printfleet.simulator.SimulatedAgent;
import dev.printfleet.testing.FreePorts;
import dev.printfleet.testing.PostgresServerHandle;
import dev.printfleet.testing.RealServersExtension;
import dev.printfleet.testing.RedisServerHandle;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * printing-service killed with SIGKILL in the middle of dispatching, then started again: every job
 * it had accepted still reaches a final state, printed by the agent.
 */
@ExtendWith(RealServersExtension.class)
class PrintingCrashIT {

  static final String SECRET = "system-test-secret-0123456789-0123456789";
  static final int JOBS = 300;

  @Test
  void everyAcceptedJobIsPrintedAfterPrintingIsKilledMidDispatch(
      RedisServerHandle redis, PostgresServerHandle postgres) throws Exception {
    Map<String, String> env = ServiceProcess.environment(SECRET, redis, postgres, "crash");
    env.put("PRINTFLEET_DISPATCH_INTERVAL", "100ms");
    env.put("PRINTFLEET_DISPATCH_TIMEOUT", "3s");
    env.put("PRINTFLEET_DISPATCH_LEASE", "6s");
    env.put("PRINTFLEET_RESULT_DEADLINE", "5s");
    env.put("PRINTFLEET_RETRY_BACKOFF", "200ms");
    env.put("PRINTFLEET_OFFLINE_WAIT", "2s");
    int gatewayPort = FreePorts.next();
    int printingPort = FreePorts.next();
    var gatewayEnv = new HashMap<>(env);
    gatewayEnv.put("PRINTFLEET_HTTP_PORT", String.valueOf(gatewayPort));
    var printingEnv = new HashMap<>(env);
    printingEnv.put("PRINTFLEET_HTTP_PORT", String.valueOf(printingPort));

    Vertx vertx = Vertx.vertx();
    var issuer = new TokenIssuer(vertx, SECRET);
    String user = issuer.user("crash-test", Role.USER, "acme", List.of(), Duration.ofHours(1));
    String agentToken = issuer.agent("agent-crash", "acme", "b1", Duration.ofHours(1));
    try (var gateway = ServiceProcess.start("gateway-service", gatewayEnv)) {
      var printing = ServiceProcess.start("printing-service", printingEnv);
      SimulatedAgent agent = null;
      try {
        ServiceProcess.awaitReady(gatewayPort);
        ServiceProcess.awaitReady(printingPort);
        // Prints take a while, so the kill finds jobs dispatched whose results are still to come.
        agent =
            new SimulatedAgent(
                vertx,
                vertx.createWebSocketClient(),
                "127.0.0.1",
                gatewayPort,
                "agent-crash",
                SimulatedAgent.printerIdsFor("agent-crash", 2),
                () -> agentToken,
                new SimulatedAgent.Behaviour(300, 0.0, 0));
        agent.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () ->
                    ServiceProcess.get(printingPort, "/api/v1/printers/agent-crash-p2", user)
                            .statusCode()
                        == 200);
        // The jobs pile up while the agent is away, so the kill lands while the dispatcher works
        // through them.
        agent.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () ->
                    !new JsonObject(
                            ServiceProcess.get(
                                    printingPort, "/api/v1/printers/agent-crash-p1", user)
                                .body())
                        .getBoolean("online"));

        List<String> accepted = new ArrayList<>();
        for (int i = 0; i < JOBS; i++) {
          var response =
              ServiceProcess.post(
                  printingPort,
                  user,
                  new JsonObject()
                      .put("printerId", "agent-crash-p" + (1 + i % 2))
                      .put("contentType", "text/plain")
                      .put(
                          "content",
                          Base64.getEncoder().encodeToString(("order " + i).getBytes())));
          assertThat(response.statusCode()).isEqualTo(201);
          accepted.add(new JsonObject(response.body()).getString("id"));
        }
        agent.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        SimulatedAgent watched = agent;
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(10))
            .until(() -> watched.jobsReceived() >= 20);
        printing.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        long printedAtKill = agent.jobsPrinted();
        System.out.printf(
            "printfleet-figure crash-killed-after-received=%d printed=%d of=%d%n",
            agent.jobsReceived(), printedAtKill, JOBS);
        assertThat(printedAtKill).as("killed mid-dispatch, not after").isLessThan(JOBS / 2);

        printing = ServiceProcess.start("printing-service", printingEnv);
        ServiceProcess.awaitReady(printingPort);
        String url =
            "jdbc:postgresql://"
                + postgres.host()
                + ":"
                + postgres.port()
                + "/"
                + env.get("PGDATABASE");
        await()
            .atMost(Duration.ofSeconds(120))
            .pollInterval(Duration.ofMillis(500))
            .until(
                () ->
                    ServiceProcess.count(
                            url, postgres, "SELECT count(*) FROM jobs WHERE state = 'printed'")
                        == JOBS);
        assertThat(ServiceProcess.count(url, postgres, "SELECT count(*) FROM jobs"))
            .as("nothing lost, nothing added")
            .isEqualTo(JOBS);
        assertThat(agent.jobsPrinted()).as("each job printed once by the agent").isEqualTo(JOBS);
        for (String id : List.of(accepted.get(0), accepted.get(JOBS / 2), accepted.get(JOBS - 1))) {
          assertThat(
                  new JsonObject(
                          ServiceProcess.get(printingPort, "/api/v1/jobs/" + id, user).body())
                      .getString("state"))
              .isEqualTo("printed");
        }
      } finally {
        if (agent != null) {
          agent.stop();
        }
        printing.close();
        vertx.close();
      }
    }
  }
}
