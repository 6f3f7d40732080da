package dev.printfleet.gateway;

import static dev.printfleet.gateway.GatewayHarness.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.JobEvent;
import dev.printfleet.common.messages.PrinterStatusEvent;
import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.testing.TestSocket;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** PROTOCOL.md §2.3: rooms, tenant checks, fan-out across gateways, batching, slow dashboards. */
class DashboardTest extends GatewayTestBase {

  private TestSocket dashboard(
      ServiceRuntime gateway, String company, List<String> branches, String... rooms) {
    String token =
        GatewayHarness.issuer(gateway)
            .user("user-" + company, Role.USER, company, branches, Duration.ofHours(1));
    var socket = TestSocket.open(client, gateway.httpPort(), "/ws/client", token);
    if (rooms.length > 0) {
      socket.send("subscribe", "sub", new JsonObject().put("rooms", List.of(rooms)));
      assertThat(socket.awaitResponse("sub").error()).isNull();
    }
    return socket;
  }

  private static void publishStatus(
      ServiceRuntime from,
      String company,
      String branch,
      String printerId,
      String status,
      Instant at) {
    from.vertx()
        .eventBus()
        .publish(
            Addresses.EVENTS_PRINTER,
            new PrinterStatusEvent("agent-1", company, branch, printerId, status, null, at)
                .toJson());
  }

  private static List<JsonObject> statusUpdates(TestSocket socket) {
    List<JsonObject> updates = new ArrayList<>();
    for (Envelope e : socket.received) {
      if (e.type().equals("printer.status")) {
        e.data().getJsonArray("updates").forEach(u -> updates.add((JsonObject) u));
      }
    }
    return updates;
  }

  @Test
  void subscribeToAnotherCompanysRoomIsRefusedForbidden() {
    var socket = dashboard(gateway(Map.of()), "c1", List.of());

    socket.send("subscribe", "other", new JsonObject().put("rooms", List.of("company:c2")));
    assertThat(socket.awaitResponse("other").error().code()).isEqualTo("forbidden");
    socket.send(
        "subscribe", "mixed", new JsonObject().put("rooms", List.of("branch:b1", "company:c2")));
    assertThat(socket.awaitResponse("mixed").error().code()).isEqualTo("forbidden");
    socket.send(
        "subscribe", "own", new JsonObject().put("rooms", List.of("company:c1", "branch:b9")));
    assertThat(socket.awaitResponse("own").data().getJsonArray("rooms").getList())
        .containsExactly("company:c1", "branch:b9");
  }

  @Test
  void userLimitedToSomeBranchesMayNotJoinOthersOrTheWholeCompanyFeedOfThem() {
    var socket = dashboard(gateway(Map.of()), "c1", List.of("b1"));

    socket.send("subscribe", "b2", new JsonObject().put("rooms", List.of("branch:b2")));
    assertThat(socket.awaitResponse("b2").error().code()).isEqualTo("forbidden");
    socket.send("subscribe", "b1", new JsonObject().put("rooms", List.of("branch:b1")));
    assertThat(socket.awaitResponse("b1").error()).isNull();
    socket.send("subscribe", "bad", new JsonObject().put("rooms", List.of("floor:3")));
    assertThat(socket.awaitResponse("bad").error().code()).isEqualTo("invalid_data");
  }

  @Test
  void equalBranchIdsOfTwoCompaniesNeverShareARoom() {
    var gateway = gateway(Map.of("PRINTFLEET_STATUS_BATCH_WINDOW", "20ms"));
    var c1 = dashboard(gateway, "c1", List.of(), "branch:b1");
    var c2 = dashboard(gateway, "c2", List.of(), "branch:b1");

    publishStatus(gateway, "c1", "b1", "p-c1", "busy", Instant.now());

    await().atMost(Duration.ofSeconds(10)).until(() -> !statusUpdates(c1).isEmpty());
    // c2's own status goes the same way after c1's: once it has arrived, a leak of c1's would have
    // too.
    publishStatus(gateway, "c2", "b1", "p-c2", "online", Instant.now());
    await().atMost(Duration.ofSeconds(10)).until(() -> !statusUpdates(c2).isEmpty());
    assertThat(statusUpdates(c2)).extracting(u -> u.getString("printerId")).containsOnly("p-c2");
    assertThat(statusUpdates(c1)).extracting(u -> u.getString("printerId")).containsOnly("p-c1");
  }

  @Test
  void dashboardOnGatewayAReceivesTheStatusSentByAnAgentOnGatewayB() {
    var gatewayA = gateway(Map.of());
    var gatewayB = gateway(Map.of());
    var dashboard = dashboard(gatewayA, "c1", List.of(), "branch:b1");
    var agent =
        TestSocket.open(
            client,
            gatewayB.httpPort(),
            "/ws/agent",
            GatewayHarness.issuer(gatewayB).agent("agent-b", "c1", "b1", Duration.ofHours(1)));
    agent.awaitFrame(e -> e.type().equals("welcome"));
    GatewayHarness.storePrinterLists(gatewayB);
    agent.send(
        "printers.sync",
        "sync",
        new JsonObject().put("printers", List.of(new JsonObject().put("id", "kitchen-1"))));
    assertThat(agent.awaitResponse("sync").error()).isNull();

    agent.send(
        "printer.status",
        "st",
        new JsonObject()
            .put("printerId", "kitchen-1")
            .put("status", "paper_out")
            .put("detail", "tray 2"));

    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                statusUpdates(dashboard).stream()
                    .anyMatch(u -> u.getString("printerId").equals("kitchen-1")));
    var update = statusUpdates(dashboard).get(0);
    assertThat(update.getString("status")).isEqualTo("paper_out");
    assertThat(update.getString("detail")).isEqualTo("tray 2");
    assertThat(update.getString("branch")).isEqualTo("b1");
    assertThat(update.getString("at")).isNotBlank();
  }

  @Test
  void hundredStatusUpdatesOfOnePrinterWithinOneWindowArriveAsOneUpdate() {
    var gateway = gateway(Map.of("PRINTFLEET_STATUS_BATCH_WINDOW", "1s"));
    var dashboard = dashboard(gateway, "c1", List.of(), "company:c1");
    Instant start = Instant.now();

    gateway
        .vertx()
        .runOnContext(
            v -> {
              for (int i = 1; i <= 100; i++) {
                publishStatus(
                    gateway, "c1", "b1", "p1", i == 100 ? "online" : "busy", start.plusMillis(i));
              }
            });

    await().atMost(Duration.ofSeconds(10)).until(() -> !statusUpdates(dashboard).isEmpty());
    // Another printer's status opens the next window: when its frame arrives, any second frame of
    // the first window's updates would have arrived before it.
    publishStatus(gateway, "c1", "b1", "p2", "busy", Instant.now());
    await().atMost(Duration.ofSeconds(10)).until(() -> statusUpdates(dashboard).size() >= 2);
    var frames =
        dashboard.received.stream().filter(e -> e.type().equals("printer.status")).toList();
    assertThat(frames).hasSize(2);
    assertThat(frames.get(0).data().getJsonArray("updates"))
        .singleElement()
        .satisfies(u -> assertThat(((JsonObject) u).getString("status")).isEqualTo("online"));
    assertThat(frames.get(1).data().getJsonArray("updates"))
        .singleElement()
        .satisfies(u -> assertThat(((JsonObject) u).getString("printerId")).isEqualTo("p2"));
  }

  @Test
  void busyRoomStillGetsAFrameEveryWindowInsteadOfWaitingForQuiet() {
    var gateway = gateway(Map.of("PRINTFLEET_STATUS_BATCH_WINDOW", "100ms"));
    var dashboard = dashboard(gateway, "c1", List.of(), "company:c1");

    // Updates every 20 ms for 1.5 s: a debounce that restarts on each update would send nothing.
    long timer =
        gateway
            .vertx()
            .setPeriodic(20, id -> publishStatus(gateway, "c1", "b1", "p1", "busy", Instant.now()));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                dashboard.received.stream().filter(e -> e.type().equals("printer.status")).count()
                    >= 5);
    gateway.vertx().cancelTimer(timer);
  }

  @Test
  void jobUpdatesAndPresenceReachTheBranchAndCompanyRoomsOnce() {
    var gateway = gateway(Map.of());
    var both = dashboard(gateway, "c1", List.of(), "company:c1", "branch:b1");
    var otherBranch = dashboard(gateway, "c1", List.of(), "branch:b2");

    gateway
        .vertx()
        .eventBus()
        .publish(
            Addresses.EVENTS_JOB,
            new JobEvent("job-1", "p1", "c1", "b1", "printed", 1, null, Instant.now()).toJson());
    var agent =
        TestSocket.open(
            client,
            gateway.httpPort(),
            "/ws/agent",
            GatewayHarness.issuer(gateway).agent("agent-p", "c1", "b1", Duration.ofHours(1)));

    var update = both.awaitFrame(e -> e.type().equals("job.update"));
    assertThat(update.data().getString("jobId")).isEqualTo("job-1");
    assertThat(update.data().getString("state")).isEqualTo("printed");
    var presence = both.awaitFrame(e -> e.type().equals("agent.presence"));
    assertThat(presence.data().getString("agentId")).isEqualTo("agent-p");
    assertThat(presence.data().getBoolean("online")).isTrue();
    assertThat(both.received.stream().filter(e -> e.type().equals("job.update")).count())
        .isEqualTo(1);
    assertThat(otherBranch.received.stream().filter(e -> e.type().equals("job.update"))).isEmpty();
    agent.socket.close();
    both.awaitFrame(e -> e.type().equals("agent.presence") && !e.data().getBoolean("online"));
  }

  @Test
  void aBatchOfJobUpdatesReachesADashboardWholeAndInOrder() {
    var events = new ArrayList<JobEvent>();
    for (int i = 0; i < 200; i++) {
      events.add(
          new JobEvent("job-" + i, "p1", "c1", "b" + (i % 3), "printed", 1, null, Instant.now()));
    }
    assertThat(updatesReceived(Map.of(), events)).containsExactlyElementsOf(updates(events));
  }

  @Test
  void aDashboardThatReadsIsNotTreatedAsBehindByABatchLargerThanItsWriteQueue() {
    // About 70 KB: three updates of each of 100 jobs, against a write queue of 16 KiB. Frames
    // waiting for the batch's flush count against that queue; a dashboard found behind gets only
    // the latest update of each job (PROTOCOL.md §2.4). One that reads must get all of them.
    var events = new ArrayList<JobEvent>();
    for (int i = 0; i < 100; i++) {
      for (String state : List.of("queued", "dispatched", "printed")) {
        events.add(new JobEvent("job-" + i, "p1", "c1", "b1", state, 1, null, Instant.now()));
      }
    }
    assertThat(updatesReceived(Map.of("PRINTFLEET_WS_CLIENT_WRITE_QUEUE", "16KiB"), events))
        .containsExactlyElementsOf(updates(events));
  }

  /** The job updates a company dashboard receives when one message carries the events. */
  private List<String> updatesReceived(Map<String, String> settings, List<JobEvent> events) {
    // No ping in the test's time: a ping's flush would send frames the batch left unflushed.
    var all = new java.util.HashMap<>(settings);
    all.put("PRINTFLEET_WS_PING_INTERVAL", "1h");
    all.put("PRINTFLEET_WS_PONG_TIMEOUT", "2h");
    var gateway = gateway(all);
    var dashboard = dashboard(gateway, "c1", List.of(), "company:c1");

    // One message, as printing publishes them: its frames to a socket leave with one flush at the
    // batch's end.
    gateway.vertx().eventBus().publish(Addresses.EVENTS_JOB, JobEvent.batchJson(events));
    try {
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> updates(dashboard).size() >= events.size());
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      // Fewer arrived: the assertion on what did says which.
    }
    return updates(dashboard);
  }

  private static List<String> updates(List<JobEvent> events) {
    return events.stream().map(e -> e.jobId() + " " + e.state()).toList();
  }

  private static List<String> updates(TestSocket dashboard) {
    return dashboard.received.stream()
        .filter(e -> e.type().equals("job.update"))
        .map(e -> e.data().getString("jobId") + " " + e.data().getString("state"))
        .toList();
  }

  @Test
  void stalledDashboardDoesNotDelayAHealthyOneAndIsClosedWhenItStaysStuck() throws Exception {
    var gateway =
        gateway(
            Map.of(
                "PRINTFLEET_STATUS_BATCH_WINDOW", "50ms",
                "PRINTFLEET_WS_CLIENT_WRITE_QUEUE", "32KiB",
                "PRINTFLEET_WS_SEND_BUFFER", "16KiB",
                "PRINTFLEET_WS_SLOW_CLIENT_TIMEOUT", "3s"));
    String token =
        GatewayHarness.issuer(gateway)
            .user("stalled", Role.USER, "c1", List.of(), Duration.ofHours(1));
    try (var stalled = RawWebSocket.open(gateway.httpPort(), "/ws/client", token, 4096)) {
      stalled.sendSubscribe("company:c1");
      var healthy = dashboard(gateway, "c1", List.of(), "company:c1");
      await().atMost(Duration.ofSeconds(5)).until(() -> roomMembers(gateway) >= 2);

      // 500 printers change every round: about 50 KB per frame, far more than the stalled socket
      // takes.
      int rounds = 40;
      for (int round = 1; round <= rounds; round++) {
        int r = round;
        gateway
            .vertx()
            .runOnContext(
                v -> {
                  for (int p = 0; p < 500; p++) {
                    publishStatus(
                        gateway,
                        "c1",
                        "b" + (p % 5),
                        "printer-" + p,
                        r % 2 == 0 ? "online" : "busy",
                        Instant.now());
                  }
                });
        Thread.sleep(60);
        int expected = r;
        // The healthy dashboard keeps up round by round while the other one reads nothing.
        if (round % 10 == 0) {
          await()
              .atMost(Duration.ofSeconds(5))
              .until(() -> statusUpdates(healthy).size() >= expected * 500 / 2);
        }
      }
      await().atMost(Duration.ofSeconds(15)).until(() -> closes(gateway, 1013) >= 1);
      assertThat(healthy.isOpen()).isTrue();
    }
  }

  private static int roomMembers(ServiceRuntime gateway) {
    return new JsonObject(GatewayHarness.get(gateway, "/health/websocket/metrics"))
        .getInteger("totalConnections");
  }

  private static double closes(ServiceRuntime gateway, int code) {
    return gateway
        .registry()
        .find("printfleet.gateway.closes")
        .tag("code", String.valueOf(code))
        .counters()
        .stream()
        .mapToDouble(c -> c.count())
        .sum();
  }
}
