package dev.printfleet.printing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.AgentEvent;
import dev.printfleet.common.messages.AgentReply;
import dev.printfleet.common.messages.Heartbeat;
import dev.printfleet.common.presence.AgentKey;
import dev.printfleet.common.presence.PresenceRegistry;
import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.gateway.GatewayService;
import dev.printfleet.simulator.SimulatedAgent;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Faults of the route to an agent are not the printer's: they neither use an attempt nor count
 * against the printer's circuit, and the job goes wherever the agent is next.
 */
class RoutingFaultTest extends PrintingTestBase {

  private final List<MessageConsumer<?>> standIns = new ArrayList<>();
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

  @AfterEach
  void dropStandIns() {
    standIns.forEach(MessageConsumer::unregister);
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
  }

  /** An agent that prints every job it gets; answers on its socket. */
  private void printingAgent(String agentId, String printerId, AtomicInteger printed) {
    rawAgent(
        agentId,
        "b1",
        printerId,
        (socket, envelope) -> {
          if (!"job.dispatch".equals(envelope.getString("type"))) {
            return;
          }
          String jobId = envelope.getJsonObject("data").getString("jobId");
          socket.writeTextMessage(
              Envelope.response(envelope.getString("id"), new JsonObject().put("accepted", true))
                  .encode());
          printed.incrementAndGet();
          socket.writeTextMessage(
              Envelope.request(
                      "job.result",
                      "r-" + jobId,
                      new JsonObject().put("jobId", jobId).put("outcome", "printed"))
                  .encode());
        });
    // Its connect written, so its gateway's CONNECTED event (published just before) reached
    // printing: a route a test then sets by an event of its own is not overtaken by the real one.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                count("SELECT count(*) FROM printers WHERE agent_id = '" + agentId + "' AND online")
                    == 1);
  }

  /**
   * Points the agent's presence at an instance and says so on the event bus, as that instance's
   * registration of a connecting agent would (printing keeps routes from these events). The event
   * is dated before the real agent's connection, so the gateway holding that one keeps it (a newer
   * connect elsewhere would close it).
   */
  private void presenceAt(String agentId, String instance) {
    presenceOnlyAt(agentId, instance);
    printing
        .vertx()
        .eventBus()
        .publish(
            Addresses.EVENTS_AGENT,
            new AgentEvent(
                    AgentEvent.Kind.CONNECTED,
                    agentId,
                    "acme",
                    "b1",
                    instance,
                    List.of(),
                    Instant.EPOCH)
                .toJson());
  }

  /** Points the agent's presence at an instance in Redis only, with no event. */
  private void presenceOnlyAt(String agentId, String instance) {
    join(
        new PresenceRegistry(
                printing.redis(), printing.settings().redis(), instance, Duration.ofMinutes(5))
            .register(new AgentKey("acme", agentId)));
  }

  /** A consumer on the real clustered event bus standing in for a gateway instance. */
  private void standInGateway(String instance, Consumer<Message<JsonObject>> onRequest) {
    var consumer =
        printing
            .vertx()
            .eventBus()
            .<JsonObject>consumer(Addresses.gateway(instance), onRequest::accept);
    var registered = io.vertx.core.Promise.<Void>promise();
    consumer.completionHandler(registered);
    join(registered.future());
    standIns.add(consumer);
  }

  /**
   * A stand-in gateway that does not hold the agent: it answers every dispatch not_found; how many
   * it got.
   */
  private AtomicInteger refusingGateway(String instance) {
    var refused = new AtomicInteger();
    standInGateway(
        instance,
        message -> {
          refused.incrementAndGet();
          message.reply(
              AgentReply.failed("not_found", "agent is not connected to " + instance).toJson());
        });
    return refused;
  }

  private long attempts(String jobId) {
    return count("SELECT attempts FROM jobs WHERE id = '" + jobId + "'");
  }

  private String circuit(String printerId) {
    return new JsonObject(get("/api/v1/printers/" + printerId, userToken("acme")).body())
        .getString("circuit");
  }

  private List<String> historyDetails(String jobId) {
    return new JsonObject(get("/api/v1/jobs/" + jobId, userToken("acme")).body())
        .getJsonArray("history").stream()
            .map(h -> String.valueOf(((JsonObject) h).getString("detail")))
            .toList();
  }

  @Test
  void
      aGatewayWithoutHandlerOrAnsweringNotFoundLeavesTheJobQueuedWithoutAnAttemptAndItPrintsOnceTheAgentIsBack() {
    restartPrinting(Map.of("PRINTFLEET_DISPATCH_ROUTE_WAIT", "200ms"));
    var printed = new AtomicInteger();
    printingAgent("agent-route", "route-p1", printed);

    presenceAt("agent-route", "gone-gateway");
    String id =
        new JsonObject(post("/api/v1/jobs", userToken("acme"), job("route-p1"), null).body())
            .getString("id");
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> historyDetails(id).stream().anyMatch(d -> d.startsWith("not sent")));
    assertThat(state(id)).isEqualTo("queued");
    assertThat(attempts(id)).as("attempts used by a missing route").isZero();

    var refused = refusingGateway("moved-gateway");
    presenceAt("agent-route", "moved-gateway");
    await().atMost(Duration.ofSeconds(15)).until(() -> refused.get() >= 6);
    assertThat(state(id)).isEqualTo("queued");
    assertThat(attempts(id)).as("attempts used by a gateway that does not hold the agent").isZero();
    assertThat(circuit("route-p1")).isEqualTo("CLOSED");
    assertThat(historyDetails(id).stream().filter(d -> d.startsWith("not sent")).count())
        .as("one history row per reason, not one per retry")
        .isLessThanOrEqualTo(3);

    presenceAt("agent-route", gateway.instanceId());
    await().atMost(Duration.ofSeconds(15)).until(() -> "printed".equals(state(id)));
    assertThat(printed.get()).isEqualTo(1);
  }

  @Test
  void
      aGatewayThatStopsHeartbeatingFailsNoJobAndOpensNoCircuitAndTheJobGoesToTheAgentsNewGateway() {
    // The stand-in writes the frame and freezes: only its silence can tell printing it is gone,
    // long before this dispatch timeout.
    restartGateway(Map.of("PRINTFLEET_HEARTBEAT_INTERVAL", "200ms"));
    restartPrinting(
        Map.of(
            "PRINTFLEET_DISPATCH_TIMEOUT",
            "60s",
            "PRINTFLEET_DISPATCH_LEASE",
            "90s",
            "PRINTFLEET_GATEWAY_DEAD_AFTER",
            "1500ms",
            "PRINTFLEET_DISPATCH_ROUTE_WAIT",
            "200ms",
            // A job for a dead gateway's agent waits the offline wait unless the agent's connect
            // releases it; here the presence moves without a connect.
            "PRINTFLEET_OFFLINE_WAIT",
            "1s",
            "PRINTFLEET_CIRCUIT_MAX_FAILURES",
            "1"));
    var printed = new AtomicInteger();
    printingAgent("agent-frozen", "frozen-p1", printed);
    var received = new AtomicInteger();
    standInGateway(
        "frozen-gateway",
        message -> {
          received.incrementAndGet();
          message.replyAndRequest(AgentReply.written().toJson());
        });
    var beaten = new AtomicInteger();
    long beats =
        gateway
            .vertx()
            .setPeriodic(
                200,
                t -> {
                  gateway
                      .vertx()
                      .eventBus()
                      .publish(
                          Addresses.MONITORING_HEARTBEAT,
                          new Heartbeat(
                                  "frozen-gateway",
                                  "gateway",
                                  1,
                                  0,
                                  0,
                                  -1,
                                  0,
                                  1,
                                  true,
                                  false,
                                  List.of(),
                                  Instant.now())
                              .toJson());
                  beaten.incrementAndGet();
                });
    await().atMost(Duration.ofSeconds(5)).until(() -> beaten.get() >= 3);
    presenceAt("agent-frozen", "frozen-gateway");

    String id =
        new JsonObject(post("/api/v1/jobs", userToken("acme"), job("frozen-p1"), null).body())
            .getString("id");
    await().atMost(Duration.ofSeconds(10)).until(() -> received.get() >= 1);
    gateway.vertx().cancelTimer(beats);
    // The agent reconnects elsewhere, as it does when its pings go unanswered; no connect is heard:
    // the dead gateway's route is dropped and Redis's presence read again.
    presenceOnlyAt("agent-frozen", gateway.instanceId());

    await().atMost(Duration.ofSeconds(30)).until(() -> !"queued".equals(state(id)));
    assertThat(state(id)).isIn("dispatched", "printed");
    await().atMost(Duration.ofSeconds(10)).until(() -> "printed".equals(state(id)));
    assertThat(attempts(id)).as("only the attempt that reached the agent").isEqualTo(1);
    assertThat(circuit("frozen-p1")).isEqualTo("CLOSED");
    assertThat(historyDetails(id)).anyMatch(d -> d.startsWith("not sent"));
  }

  @Test
  void anOfflineAgentsJobsStayParkedUntouchedUntilItsPresenceIsFoundEvenWithoutAConnect() {
    restartPrinting(Map.of("PRINTFLEET_OFFLINE_WAIT", "1s"));
    var socket = rawAgent("agent-parked", "b1", "parked-p1", (s, e) -> {});
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                count("SELECT count(*) FROM printers WHERE agent_id = 'agent-parked' AND online")
                    == 1);
    join(socket.close());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                count("SELECT count(*) FROM printers WHERE agent_id = 'agent-parked' AND online")
                    == 0);

    for (int i = 0; i < 3; i++) {
      assertThat(post("/api/v1/jobs", userToken("acme"), job("parked-p1"), null).statusCode())
          .isEqualTo(201);
    }
    String parked =
        "SELECT count(*) FROM jobs WHERE printer_id = 'parked-p1' AND state = 'queued'"
            + " AND next_attempt_at = 'infinity'";
    await().atMost(Duration.ofSeconds(10)).until(() -> count(parked) == 3);
    // Three offline waits: a parked job is not claimed, looked up and written back each time.
    String lastWrite =
        "SELECT (extract(epoch FROM max(updated_at)) * 1000000)::bigint FROM jobs WHERE printer_id = 'parked-p1'";
    long written = count(lastWrite);
    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(5))
        .until(() -> count(lastWrite) == written);

    // The agent turns up where printing heard no connect from: the sweep finds its presence.
    var received = refusingGateway("parked-gateway");
    presenceOnlyAt("agent-parked", "parked-gateway");
    await().atMost(Duration.ofSeconds(10)).until(() -> received.get() >= 1);
    assertThat(count(parked)).isLessThan(3);
  }

  @Test
  void aLateDisconnectFromAGatewayTheAgentLeftLeavesItsPrintersOnline() {
    var printed = new AtomicInteger();
    printingAgent("agent-moved", "moved-p1", printed);
    String online = "SELECT count(*) FROM printers WHERE agent_id = 'agent-moved' AND online";

    // The agent's old gateway saw its dead socket only now, after the agent connected here.
    join(
        printing
            .vertx()
            .eventBus()
            .request(
                Addresses.PRINTING_AGENTS,
                new AgentEvent(
                        AgentEvent.Kind.DISCONNECTED,
                        "agent-moved",
                        "acme",
                        "b1",
                        "gateway-left-behind",
                        List.of(),
                        Instant.now())
                    .toJson()));

    assertThat(count(online)).as("printers of the connected agent still online").isEqualTo(1);
    String id =
        new JsonObject(post("/api/v1/jobs", userToken("acme"), job("moved-p1"), null).body())
            .getString("id");
    await().atMost(Duration.ofSeconds(10)).until(() -> "printed".equals(state(id)));

    // Its own gateway's disconnect is written.
    join(
        printing
            .vertx()
            .eventBus()
            .request(
                Addresses.PRINTING_AGENTS,
                new AgentEvent(
                        AgentEvent.Kind.DISCONNECTED,
                        "agent-moved",
                        "acme",
                        "b1",
                        gateway.instanceId(),
                        List.of(),
                        Instant.now())
                    .toJson()));
    assertThat(count(online)).isZero();
  }

  @Test
  void theAgentsPresenceReappearingReleasesItsQueuedJobs() {
    // Presence refreshed every second; a job of an agent without presence waits a minute unless
    // released.
    restartGateway(Map.of("PRINTFLEET_PRESENCE_TTL", "3s"));
    restartPrinting(Map.of("PRINTFLEET_OFFLINE_WAIT", "60s"));
    var printed = new AtomicInteger();
    printingAgent("agent-lost", "lost-p1", printed);
    // Redis lost the entry (a flush, a restart without persistence) while the agent stayed.
    join(
        printing
            .redis()
            .send(
                Request.cmd(Command.DEL)
                    .arg(
                        PresenceRegistry.key(
                            printing.settings().redis(), new AgentKey("acme", "agent-lost")))));
    String id =
        new JsonObject(post("/api/v1/jobs", userToken("acme"), job("lost-p1"), null).body())
            .getString("id");

    await().atMost(Duration.ofSeconds(20)).until(() -> "printed".equals(state(id)));
    assertThat(printed.get()).isEqualTo(1);
  }

  @Test
  void twoPrintingInstancesHearingAgentsReconnectWriteOnceAndNeverDeadlock() {
    var root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    logs.start();
    root.addAppender(logs);
    ServiceRuntime second = start(new PrintingService(), Map.of());
    ServiceRuntime otherGateway = start(new GatewayService(), Map.of());
    for (int round = 0; round < 3; round++) {
      List<SimulatedAgent> connected = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        connected.add(agent(i % 2 == 0 ? gateway : otherGateway, "agent-many-" + i, "b1"));
      }
      connected.forEach(a -> join(a.stop()));
    }
    for (int i = 0; i < 8; i++) {
      agent(i % 2 == 0 ? otherGateway : gateway, "agent-many-" + i, "b1");
    }
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                count("SELECT count(*) FROM printers WHERE agent_id LIKE 'agent-many-%' AND online")
                    == 16);
    assertThat(second.instanceId()).isNotNull();
    assertThat(logs.list)
        .as("deadlocks and failed writes of agent connects")
        .noneMatch(
            e ->
                e.getLevel().isGreaterOrEqual(Level.WARN)
                    && (e.getFormattedMessage().contains("deadlock")
                        || e.getFormattedMessage().contains("not marked")
                        || e.getFormattedMessage().contains("not stored")));
    // A disconnect from the agent's old gateway that lands after its connect elsewhere changes
    // nothing.
    var late =
        new AgentEvent(
            AgentEvent.Kind.DISCONNECTED,
            "agent-many-0",
            "acme",
            "b1",
            "old-gateway",
            List.of(),
            Instant.now().minusSeconds(30));
    join(printing.vertx().eventBus().request(Addresses.PRINTING_AGENTS, late.toJson()));
    assertThat(count("SELECT count(*) FROM printers WHERE agent_id = 'agent-many-0' AND online"))
        .as("printers of an agent still connected")
        .isEqualTo(2);
  }

  @Test
  void connectsAndPrinterListsOfOneAgentWrittenAtOnceByTwoInstancesNeverDeadlock() {
    start(new PrintingService(), Map.of());
    var printers = new ArrayList<dev.printfleet.common.messages.PrinterInfo>();
    for (int i = 0; i < 30; i++) {
      printers.add(
          new dev.printfleet.common.messages.PrinterInfo("race-p" + i, "Printer " + i, "online"));
    }
    var bus = printing.vertx().eventBus();
    var random = new java.util.Random(7);
    List<io.vertx.core.Future<?>> writes = new ArrayList<>();
    Instant base = Instant.now();
    for (int round = 0; round < 40; round++) {
      var shuffled = new ArrayList<>(printers);
      java.util.Collections.shuffle(shuffled, random);
      // Lists of 25..30: the agent's missing printers are deleted while others are upserted.
      var listed = shuffled.subList(0, 25 + random.nextInt(6));
      writes.add(
          bus.request(
              Addresses.PRINTING_PRINTERS,
              new dev.printfleet.common.messages.PrintersSync(
                      "agent-race", "acme", "b1", listed, Instant.now())
                  .toJson()));
      var kind = round % 2 == 0 ? AgentEvent.Kind.CONNECTED : AgentEvent.Kind.DISCONNECTED;
      writes.add(
          bus.request(
              Addresses.PRINTING_AGENTS,
              new AgentEvent(
                      kind, "agent-race", "acme", "b1", "gw", List.of(), base.plusMillis(round))
                  .toJson()));
    }
    // Every write answered: none was the victim of a deadlock (each instance takes half of them).
    join(io.vertx.core.Future.all(writes));
  }
}
