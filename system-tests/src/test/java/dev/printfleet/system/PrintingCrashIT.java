package dev.printfleet.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.auth.Role;
import dev.printfleet.simulator.SimulatedAgent;
import dev.printfleet.testing.FreePorts;
import dev.printfleet.testing.Http;
import dev.printfleet.testing.TestCluster;
import dev.printfleet.testing.TestClusterExtension;
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
@ExtendWith(TestClusterExtension.class)
class PrintingCrashIT {

  static final int JOBS = 300;

  @Test
  void everyAcceptedJobIsPrintedAfterPrintingIsKilledMidDispatch(TestCluster cluster)
      throws Exception {
    Map<String, String> env =
        cluster
            .withDatabase()
            .set(
                Map.of(
                    "PRINTFLEET_DISPATCH_INTERVAL", "100ms",
                    "PRINTFLEET_DISPATCH_TIMEOUT", "3s",
                    "PRINTFLEET_DISPATCH_LEASE", "6s",
                    "PRINTFLEET_RESULT_DEADLINE", "5s",
                    "PRINTFLEET_RETRY_BACKOFF", "200ms",
                    "PRINTFLEET_OFFLINE_WAIT", "2s"))
            .settings();
    int gatewayPort = FreePorts.next();
    int printingPort = FreePorts.next();
    var gatewayEnv = new HashMap<>(env);
    gatewayEnv.put("PRINTFLEET_HTTP_PORT", String.valueOf(gatewayPort));
    var printingEnv = new HashMap<>(env);
    printingEnv.put("PRINTFLEET_HTTP_PORT", String.valueOf(printingPort));

    String user = cluster.userToken("crash-test", Role.USER, "acme");
    try (var gateway = ServiceProcess.start("gateway-service", gatewayEnv)) {
      var printing = ServiceProcess.start("printing-service", printingEnv);
      try {
        ServiceProcess.awaitReady(gatewayPort);
        ServiceProcess.awaitReady(printingPort);
        // Prints take a while, so the kill finds jobs dispatched whose results are still to come.
        var agent =
            cluster.agent(
                gatewayPort,
                "agent-crash",
                "acme",
                "b1",
                new SimulatedAgent.Behaviour(300, 0.0, 0));
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () ->
                    Http.get(printingPort, "/api/v1/printers/agent-crash-p2", user).statusCode()
                        == 200);
        // The jobs pile up while the agent is away, so the kill lands while the dispatcher works
        // through them.
        agent.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () ->
                    !new JsonObject(
                            Http.get(printingPort, "/api/v1/printers/agent-crash-p1", user).body())
                        .getBoolean("online"));

        List<String> accepted = new ArrayList<>();
        for (int i = 0; i < JOBS; i++) {
          var response =
              Http.post(
                  printingPort,
                  "/api/v1/jobs",
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
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(10))
            .until(() -> agent.jobsReceived() >= 20);
        printing.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        long killedAt = System.nanoTime();
        long printedAtKill = agent.jobsPrinted();
        System.out.printf(
            "printfleet-figure crash-killed-after-received=%d printed=%d of=%d%n",
            agent.jobsReceived(), printedAtKill, JOBS);
        assertThat(printedAtKill).as("killed mid-dispatch, not after").isLessThan(JOBS / 2);

        printing = ServiceProcess.start("printing-service", printingEnv);
        ServiceProcess.awaitReady(printingPort);
        await()
            .atMost(Duration.ofSeconds(120))
            .pollInterval(Duration.ofMillis(500))
            .until(
                () -> cluster.count("SELECT count(*) FROM jobs WHERE state = 'printed'") == JOBS);
        System.out.printf(
            "printfleet-figure crash-all-printed-after-kill-ms=%d%n",
            (System.nanoTime() - killedAt) / 1_000_000);
        assertThat(cluster.count("SELECT count(*) FROM jobs"))
            .as("nothing lost, nothing added")
            .isEqualTo(JOBS);
        assertThat(agent.jobsPrinted()).as("each job printed once by the agent").isEqualTo(JOBS);
        for (String id : List.of(accepted.get(0), accepted.get(JOBS / 2), accepted.get(JOBS - 1))) {
          assertThat(
                  new JsonObject(Http.get(printingPort, "/api/v1/jobs/" + id, user).body())
                      .getString("state"))
              .isEqualTo("printed");
        }
      } finally {
        printing.close();
      }
    }
  }
}
