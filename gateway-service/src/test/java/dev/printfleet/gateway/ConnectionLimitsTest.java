package dev.printfleet.gateway;

import static dev.printfleet.gateway.GatewayHarness.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.presence.PresenceRegistry;
import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.testing.TestSocket;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** PROTOCOL.md §2.4, one test per row: bad input, limits and closing. */
class ConnectionLimitsTest extends GatewayTestBase {

  private static String agentToken(ServiceRuntime gateway, String agentId, Duration ttl) {
    return GatewayHarness.issuer(gateway).agent(agentId, "c1", "b1", ttl);
  }

  @Test
  void frameOverTheMaximumSizeClosesTheSocketWith1009() {
    var gateway = gateway(Map.of("PRINTFLEET_WS_MAX_MESSAGE", "1KiB"));
    var socket = agentSocket(gateway, "agent-big");

    socket.send(
        "printer.status",
        "big",
        new JsonObject()
            .put("printerId", "p1")
            .put("status", "online")
            .put("detail", "x".repeat(1500)));

    assertThat(socket.awaitClose(Duration.ofSeconds(10))).isEqualTo((short) 1009);
  }

  @Test
  void frameFarOverTheMaximumSizeIsCutOff() {
    var gateway = gateway(Map.of("PRINTFLEET_WS_MAX_MESSAGE", "1KiB"));
    var socket = agentSocket(gateway, "agent-huge");

    socket.send(
        "printer.status",
        "huge",
        new JsonObject().put("printerId", "p1").put("detail", "x".repeat(64 * 1024)));

    socket.awaitClose(Duration.ofSeconds(10));
    assertThat(socket.isOpen()).isFalse();
  }

  @Test
  void binaryFrameIsAnsweredBadEnvelopeAndTheConnectionLivesOn() {
    var gateway = gateway(Map.of());
    GatewayHarness.storePrinterLists(gateway);
    var socket = agentSocket(gateway, "agent-bin");
    socket.send(
        "printers.sync",
        "sync",
        new JsonObject().put("printers", new JsonArray().add(new JsonObject().put("id", "p1"))));
    assertThat(socket.awaitResponse("sync").error()).isNull();

    socket.socket.writeBinaryMessage(Buffer.buffer(new byte[] {1, 2, 3}));

    socket.awaitError("bad_envelope");
    socket.send(
        "printer.status", "after", new JsonObject().put("printerId", "p1").put("status", "online"));
    assertThat(socket.awaitResponse("after").error()).isNull();
    assertThat(socket.isOpen()).isTrue();
  }

  @Test
  void eachKindOfBadInputGetsItsCodeAndTheConnectionLivesOn() {
    var gateway = gateway(Map.of());
    GatewayHarness.storePrinterLists(gateway);
    var socket = agentSocket(gateway, "agent-bad");

    socket.sendRaw("{not json");
    socket.awaitError("bad_json");
    socket.sendRaw("{\"id\":\"no-type\",\"data\":{}}");
    assertThat(socket.awaitResponse("no-type").error().code()).isEqualTo("bad_envelope");
    socket.sendRaw("{\"type\":\"printer.status\",\"id\":\"bad-data-shape\",\"data\":[1]}");
    assertThat(socket.awaitResponse("bad-data-shape").error().code()).isEqualTo("bad_envelope");
    socket.send("no.such.type", "unknown", new JsonObject());
    assertThat(socket.awaitResponse("unknown").error().code()).isEqualTo("unknown_type");
    socket.send(
        "printer.status",
        "bad-status",
        new JsonObject().put("printerId", "p1").put("status", "on fire"));
    assertThat(socket.awaitResponse("bad-status").error().code()).isEqualTo("invalid_data");
    socket.send(
        "job.result", "bad-result", new JsonObject().put("jobId", "j1").put("outcome", "maybe"));
    assertThat(socket.awaitResponse("bad-result").error().code()).isEqualTo("invalid_data");
    socket.send("response", null, new JsonObject());
    socket.awaitError("not_found");

    socket.send(
        "printers.sync",
        "ok",
        new JsonObject().put("printers", new JsonArray().add(new JsonObject().put("id", "p1"))));
    assertThat(socket.awaitResponse("ok").error()).isNull();
    assertThat(socket.isOpen()).isTrue();
  }

  @Test
  void burstOverTheRateLimitIsRefusedAndSustainedAbuseClosesWith1008() {
    var gateway =
        gateway(
            Map.of(
                "PRINTFLEET_WS_RATE_BURST",
                "20",
                "PRINTFLEET_WS_RATE_PER_SECOND",
                "1",
                "PRINTFLEET_WS_ABUSE_THRESHOLD",
                "30",
                "PRINTFLEET_WS_ABUSE_WINDOW",
                "10s"));
    var socket = agentSocket(gateway, "agent-noisy");
    var frame =
        Envelope.event(
                "printer.status", new JsonObject().put("printerId", "p1").put("status", "online"))
            .encode();

    for (int i = 0; i < 25; i++) {
      socket.sendRaw(frame);
    }
    socket.awaitError("rate_limited");
    assertThat(socket.isOpen()).as("a burst is refused, not punished").isTrue();

    for (int i = 0; i < 40; i++) {
      socket.sendRaw(frame);
    }
    assertThat(socket.awaitClose(Duration.ofSeconds(10))).isEqualTo((short) 1008);
  }

  @Test
  void clientPingsAreAnsweredAndDoNotCountAgainstTheFrameRateLimit() {
    // PROTOCOL.md §2.4 asks agents to ping every 5 s: their pings must never be what closes them.
    var gateway =
        gateway(
            Map.of(
                "PRINTFLEET_WS_RATE_BURST",
                "5",
                "PRINTFLEET_WS_RATE_PER_SECOND",
                "1",
                "PRINTFLEET_WS_ABUSE_THRESHOLD",
                "10",
                "PRINTFLEET_WS_ABUSE_WINDOW",
                "10s"));
    var socket = agentSocket(gateway, "agent-pinging");
    var pongs = new java.util.concurrent.atomic.AtomicInteger();
    socket.socket.pongHandler(pong -> pongs.incrementAndGet());
    for (int i = 0; i < 40; i++) {
      socket.socket.writePing(io.vertx.core.buffer.Buffer.buffer("p" + i));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> pongs.get() == 40);
    socket.send(
        "printer.status",
        "after-pings",
        new JsonObject().put("printerId", "p1").put("status", "online"));
    assertThat(socket.awaitResponse("after-pings").error())
        .as("answered, not refused rate_limited")
        .satisfiesAnyOf(
            e -> assertThat(e).isNull(), e -> assertThat(e.code()).isNotEqualTo("rate_limited"));
    assertThat(socket.isOpen()).isTrue();
  }

  @Test
  void socketThatNeverAnswersPingsIsClosedWith1001() throws Exception {
    var gateway =
        gateway(Map.of("PRINTFLEET_WS_PING_INTERVAL", "200ms", "PRINTFLEET_WS_PONG_TIMEOUT", "1s"));
    try (var silent =
        RawWebSocket.open(
            gateway.httpPort(),
            "/ws/agent",
            agentToken(gateway, "agent-silent", Duration.ofHours(1)),
            0)) {
      assertThat(silent.readUntilClose()).isEqualTo(1001);
    }
  }

  @Test
  void socketThatAnswersPingsStaysOpenPastThePongTimeout() {
    var gateway =
        gateway(Map.of("PRINTFLEET_WS_PING_INTERVAL", "200ms", "PRINTFLEET_WS_PONG_TIMEOUT", "1s"));
    var socket = agentSocket(gateway, "agent-alive");
    // Open all along, for three pong timeouts.
    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(socket::isOpen);
  }

  @Test
  void sameAgentConnectingAgainClosesTheOlderSocketWith4409() {
    var gateway = gateway(Map.of());
    var older = agentSocket(gateway, "agent-twice");
    var newer = agentSocket(gateway, "agent-twice");

    assertThat(older.awaitClose(Duration.ofSeconds(10))).isEqualTo((short) 4409);
    assertThat(newer.isOpen()).isTrue();
  }

  @Test
  void sameAgentConnectingToAnotherGatewayClosesTheOlderSocketWith4409() {
    var first = gateway(Map.of());
    var second = gateway(Map.of());
    var older = agentSocket(first, "agent-moves");
    var newer = agentSocket(second, "agent-moves");

    assertThat(older.awaitClose(Duration.ofSeconds(10))).isEqualTo((short) 4409);
    assertThat(newer.isOpen()).isTrue();
  }

  @Test
  void agentMovingToAnotherGatewayStaysOnlineForDashboardsAndInPresence() {
    var first = gateway(Map.of());
    var second = gateway(Map.of());
    var dashboard =
        TestSocket.open(
            client,
            first.httpPort(),
            "/ws/client",
            GatewayHarness.issuer(first)
                .user(
                    "u",
                    dev.printfleet.common.auth.Role.USER,
                    "c1",
                    java.util.List.of(),
                    Duration.ofHours(1)));
    dashboard.send("subscribe", "s", new JsonObject().put("rooms", java.util.List.of("branch:b1")));
    dashboard.awaitResponse("s");
    var older = agentSocket(first, "agent-roams");
    dashboard.awaitFrame(e -> e.type().equals("agent.presence") && e.data().getBoolean("online"));

    agentSocket(second, "agent-roams");
    assertThat(older.awaitClose(Duration.ofSeconds(10))).isEqualTo((short) 4409);

    var presence =
        new PresenceRegistry(
            first.redis(), first.settings().redis(), "probe", Duration.ofSeconds(30));
    // The older socket's close must not take the entry away: it stays the second gateway's.
    await()
        .during(Duration.ofMillis(500))
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                GatewayHarness.await(
                        presence.lookup(
                            new dev.printfleet.common.presence.AgentKey("c1", "agent-roams")))
                    .equals(java.util.Optional.of(second.instanceId())));
    var last =
        dashboard.received.stream()
            .filter(e -> e.type().equals("agent.presence"))
            .reduce((a, b) -> b)
            .orElseThrow();
    assertThat(last.data().getBoolean("online")).as("the last presence a dashboard saw").isTrue();
  }

  @Test
  void tokenExpiringDuringTheSessionClosesWith4401() {
    var gateway = gateway(Map.of());
    var socket =
        TestSocket.open(
            client,
            gateway.httpPort(),
            "/ws/agent",
            agentToken(gateway, "agent-short", Duration.ofSeconds(2)));
    socket.awaitFrame(e -> e.type().equals("welcome"));

    assertThat(socket.awaitClose(Duration.ofSeconds(10))).isEqualTo((short) 4401);
  }

  @Test
  void drainingInstanceClosesAgentsAndDashboardsWith1012AndTurnsAwayNewOnes() {
    Map<String, String> settings = new HashMap<>(Map.of("PRINTFLEET_DRAIN_DELAY", "2s"));
    var gateway = harness.start(settings);
    var agent = agentSocket(gateway, "agent-drained");
    var dashboard =
        TestSocket.open(
            client,
            gateway.httpPort(),
            "/ws/client",
            GatewayHarness.issuer(gateway)
                .user(
                    "u",
                    dev.printfleet.common.auth.Role.USER,
                    "c1",
                    List.of(),
                    Duration.ofHours(1)));

    var stopped = gateway.shutdown();

    assertThat(agent.awaitClose(Duration.ofSeconds(10))).isEqualTo((short) 1012);
    assertThat(dashboard.awaitClose(Duration.ofSeconds(10))).isEqualTo((short) 1012);
    await(stopped);
  }
}
