package dev.printfleet.monitoring;

import static dev.printfleet.testing.Http.get;
import static dev.printfleet.testing.Http.getJson;
import static dev.printfleet.testing.Http.post;
import static dev.printfleet.testing.TestCluster.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.AgentEvent;
import dev.printfleet.common.messages.PrinterStatusEvent;
import dev.printfleet.common.presence.PresenceRegistry;
import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.gateway.GatewayService;
import dev.printfleet.printing.PrintingService;
import dev.printfleet.simulator.SimulatedAgent;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Circuits reported by a real printing-service and the fleet as real gateways see simulated agents.
 */
class CircuitsAndFleetTest extends MonitoringTestBase {

  private ServiceRuntime gateway;
  private ServiceRuntime printing;
  private ServiceRuntime monitoring;

  @BeforeEach
  void start() {
    withPrinting();
    gateway = cluster.start(new GatewayService(), Map.of());
    // One failed dispatch opens a circuit, which stays open for the whole test unless reset.
    printing =
        cluster.start(
            new PrintingService(),
            Map.of("PRINTFLEET_CIRCUIT_MAX_FAILURES", "1", "PRINTFLEET_CIRCUIT_RESET", "5m"));
    monitoring = cluster.start(new MonitoringService(), Map.of());
  }

  private JsonObject fleet() {
    return getJson(monitoring, "/monitoring/printers", sreToken());
  }

  private Optional<JsonObject> branch(String company, String branch) {
    return fleet().getJsonArray("byBranch").stream()
        .map(JsonObject.class::cast)
        .filter(b -> b.getString("company").equals(company) && b.getString("branch").equals(branch))
        .findFirst();
  }

  private Optional<JsonObject> circuit(String name) {
    return getJson(monitoring, "/monitoring/circuits", sreToken()).getJsonArray("items").stream()
        .map(JsonObject.class::cast)
        .filter(c -> c.getString("name").equals(name))
        .findFirst();
  }

  private String circuitState(String name) {
    return circuit(name).map(c -> c.getString("state")).orElse("ABSENT");
  }

  @Test
  void fleetCountsFollowSimulatedAgentsConnectingAndLeaving() {
    var reporting = cluster.agent(gateway, "agent-a", "acme", "b1");
    var leaving = cluster.agent(gateway, "agent-b", "acme", "b1");
    cluster.agent(gateway, "agent-c", "acme", "b2");
    cluster.agent(gateway, "agent-z", "zeta", "b1");

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> fleet().getJsonObject("printers").getInteger("online") == 8);
    var all = fleet();
    assertThat(all.getJsonObject("agents").getMap())
        .containsEntry("online", 4)
        .containsEntry("offline", 0);
    assertThat(branch("acme", "b1").orElseThrow().getJsonObject("agents").getInteger("online"))
        .isEqualTo(2);
    assertThat(branch("zeta", "b1").orElseThrow().getJsonObject("printers").getInteger("online"))
        .isEqualTo(2);
    assertThat(all.getJsonArray("byCompany")).hasSize(2);

    join(leaving.stop());

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> fleet().getJsonObject("agents").getInteger("offline") == 1);
    var after = fleet();
    assertThat(after.getJsonObject("agents").getInteger("online")).isEqualTo(3);
    assertThat(after.getJsonObject("printers").getMap())
        .containsEntry("online", 6)
        .containsEntry("offline", 2);
    var b1 = branch("acme", "b1").orElseThrow();
    assertThat(b1.getJsonObject("agents").getMap())
        .containsEntry("online", 1)
        .containsEntry("offline", 1);
    // Offline for seconds, not the 5 minutes that make an agent "offline long".
    assertThat(after.getJsonArray("agentsOfflineLong")).isEmpty();

    cluster.agent(gateway, "agent-b", "acme", "b1");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> fleet().getJsonObject("agents").getInteger("online") == 4);
    assertThat(
            fleet().getJsonArray("reconnects").stream()
                .map(JsonObject.class::cast)
                .anyMatch(
                    r ->
                        r.getString("agentId").equals("agent-b") && r.getInteger("perMinute") == 1))
        .isTrue();

    // A status through a real gateway, then a batch of two as gateways publish them: each counts.
    String printerId = reporting.printerIds().get(0);
    reporting.send(
        Envelope.request(
            "printer.status",
            "off-" + printerId,
            new JsonObject().put("printerId", printerId).put("status", "offline")));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> fleet().getJsonObject("printers").getInteger("offline") == 1);
    var batch =
        SimulatedAgent.printerIdsFor("agent-c", 2).stream()
            .map(
                id ->
                    new PrinterStatusEvent(
                        "agent-c", "acme", "b2", id, "offline", null, Instant.now()))
            .toList();
    gateway
        .vertx()
        .eventBus()
        .publish(Addresses.EVENTS_PRINTER, PrinterStatusEvent.batchJson(batch));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> fleet().getJsonObject("printers").getInteger("offline") == 3);
    assertThat(fleet().getJsonObject("printers").getInteger("online")).isEqualTo(5);
    assertThat(branch("acme", "b2").orElseThrow().getJsonObject("printers").getMap())
        .containsEntry("online", 0)
        .containsEntry("offline", 2);
  }

  @Test
  void aCircuitOpenedInPrintingAppearsInMonitoringAndTheResetClosesItThere() {
    var agent = cluster.agent(gateway, "agent-c", "acme", "b1");
    String user = token(Role.USER);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> get(printing, "/api/v1/printers/agent-c-p1", user).statusCode() == 200);
    join(agent.stop());
    var presence =
        new PresenceRegistry(
            monitoring.redis(),
            monitoring.settings().redis(),
            "gateway-ghost",
            Duration.ofMinutes(5));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                join(presence.lookup(
                        new dev.printfleet.common.presence.AgentKey("acme", "agent-c")))
                    .isEmpty());
    // The agent now seems held by a stand-in gateway whose agent answers every dispatch with its
    // printer's error: the printer's own failures open its circuit (a gateway that is merely not
    // there would not: that is the route's failure, not the printer's).
    var failing =
        monitoring
            .vertx()
            .eventBus()
            .<JsonObject>consumer(
                dev.printfleet.common.messages.Addresses.gateway("gateway-ghost"),
                message ->
                    message.reply(
                        dev.printfleet.common.messages.AgentReply.failed(
                                "printer_error", "paper jam")
                            .toJson()));
    var registered = io.vertx.core.Promise.<Void>promise();
    failing.completionHandler(registered);
    join(registered.future());
    join(presence.register(new dev.printfleet.common.presence.AgentKey("acme", "agent-c")));
    // Its connect there, as that gateway would report it: printing marks the agent's printers
    // online (a job for a printer marked offline is parked as it is accepted, and never sent).
    join(
        monitoring
            .vertx()
            .eventBus()
            .request(
                Addresses.PRINTING_AGENTS,
                new AgentEvent(
                        AgentEvent.Kind.CONNECTED,
                        "agent-c",
                        "acme",
                        "b1",
                        "gateway-ghost",
                        List.of(),
                        Instant.now())
                    .toJson()));
    var job =
        new JsonObject()
            .put("printerId", "agent-c-p1")
            .put("contentType", "text/plain")
            .put("content", Base64.getEncoder().encodeToString("table 4".getBytes()));
    assertThat(post(printing, "/api/v1/jobs", user, job).statusCode()).isEqualTo(201);

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> circuitState("acme/agent-c-p1").equals("OPEN"));
    var open = circuit("acme/agent-c-p1").orElseThrow();
    assertThat(open.getString("instance")).isEqualTo(printing.instanceId());
    assertThat(open.getLong("failures")).isPositive();
    await()
        .atMost(Duration.ofSeconds(3))
        .until(
            () ->
                getJson(monitoring, "/monitoring/alerts", sreToken())
                    .getJsonArray("active")
                    .stream()
                    .map(JsonObject.class::cast)
                    .anyMatch(
                        a ->
                            a.getString("kind").equals("circuit_open")
                                && a.getString("subject")
                                    .equals("acme/agent-c-p1@" + printing.instanceId())));
    join(presence.unregister(new dev.printfleet.common.presence.AgentKey("acme", "agent-c")));
    join(failing.unregister());

    var reset = post(monitoring, "/monitoring/circuits/acme%2Fagent-c-p1/reset", sreToken(), null);

    assertThat(reset.statusCode()).isEqualTo(202);
    assertThat(new JsonObject(reset.body()).getJsonArray("instances").getList())
        .containsExactly(printing.instanceId());
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> circuitState("acme/agent-c-p1").equals("CLOSED"));
    await()
        .atMost(Duration.ofSeconds(3))
        .until(
            () ->
                getJson(monitoring, "/monitoring/alerts", sreToken())
                    .getJsonArray("active")
                    .stream()
                    .map(JsonObject.class::cast)
                    .noneMatch(a -> a.getString("kind").equals("circuit_open")));
    assertThat(
            post(monitoring, "/monitoring/circuits/acme%2Fagent-x-p9/reset", sreToken(), null)
                .statusCode())
        .isEqualTo(404);
  }

  @Test
  void jobFiguresComeFromEventsAndTheDatabase() {
    cluster.agent(gateway, "agent-j", "acme", "b1");
    String user = token(Role.USER);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> get(printing, "/api/v1/printers/agent-j-p1", user).statusCode() == 200);
    for (int i = 0; i < 5; i++) {
      var job =
          new JsonObject()
              .put("printerId", "agent-j-p" + (1 + i % 2))
              .put("contentType", "text/plain")
              .put("content", Base64.getEncoder().encodeToString(("order " + i).getBytes()));
      assertThat(post(printing, "/api/v1/jobs", user, job).statusCode()).isEqualTo(201);
    }

    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                getJson(monitoring, "/monitoring/jobs", sreToken())
                        .getJsonObject("database")
                        .getLong("printed", 0L)
                    == 5);
    var jobs = getJson(monitoring, "/monitoring/jobs", sreToken());
    var db = jobs.getJsonObject("database");
    assertThat(db.getBoolean("available")).isTrue();
    assertThat(db.getLong("queueDepth")).isZero();
    assertThat(db.getDouble("failureRate")).isZero();
    assertThat(db.getJsonObject("dispatchLatencyMs").getLong("count")).isEqualTo(5);
    var live = jobs.getJsonObject("live");
    assertThat(live.getLong("printed")).isEqualTo(5);
    assertThat(live.getJsonObject("dispatchLatencyMs").getLong("count")).isEqualTo(5);
    assertThat(
            jobs.getJsonObject("series").getJsonArray("printedPerSecond").stream()
                .mapToDouble(v -> ((Number) v).doubleValue())
                .sum())
        .isPositive();
  }
}
