package dev.printfleet.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.PrinterStatusEvent;
import dev.printfleet.testing.TestSocket;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

/**
 * What a tenant with a valid token of its own tries on the sockets (issue 12): compressed bombs,
 * the company feed from a branch-limited token, and rooms gathered request by request.
 */
class HostileSocketTest extends GatewayTestBase {

  private static final int OPCODE_TEXT = 0x1;
  private static final int OPCODE_CONTINUATION = 0x0;

  private TestSocket dashboard(ServiceRuntime gateway, List<String> branches) {
    String token =
        GatewayHarness.issuer(gateway)
            .user("user-1", Role.USER, "c1", branches, Duration.ofHours(1));
    return TestSocket.open(client, gateway.httpPort(), "/ws/client", token);
  }

  /** {@code size} spaces deflated as permessage-deflate carries them: raw deflate, tail removed. */
  private static byte[] deflatedSpaces(int size) {
    var deflater = new Deflater(9, true);
    byte[] chunk = new byte[1024 * 1024];
    Arrays.fill(chunk, (byte) ' ');
    var out = new ByteArrayOutputStream();
    byte[] buffer = new byte[64 * 1024];
    for (int left = size; left > 0; left -= chunk.length) {
      deflater.setInput(chunk, 0, Math.min(left, chunk.length));
      int n;
      while ((n = deflater.deflate(buffer, 0, buffer.length, Deflater.NO_FLUSH)) > 0) {
        out.write(buffer, 0, n);
      }
    }
    int n;
    while ((n = deflater.deflate(buffer, 0, buffer.length, Deflater.SYNC_FLUSH)) > 0) {
      out.write(buffer, 0, n);
      if (n < buffer.length) {
        break;
      }
    }
    deflater.end();
    byte[] bytes = out.toByteArray();
    return Arrays.copyOf(bytes, bytes.length - 4);
  }

  private static double tooBig(ServiceRuntime gateway, String role, String where) {
    var line =
        Pattern.compile(
                "^printfleet_gateway_messages_too_big_total\\{(?=[^}]*role=\""
                    + role
                    + "\")(?=[^}]*where=\""
                    + where
                    + "\")[^}]*} (\\S+)$",
                Pattern.MULTILINE)
            .matcher(GatewayHarness.get(gateway, "/metrics"));
    return line.find() ? Double.parseDouble(line.group(1)) : 0;
  }

  @Test
  void compressedMessageInflatingFarPastTheLimitClosesWith1009AndSparesTheNeighbours()
      throws Exception {
    var gateway = gateway(Map.of("PRINTFLEET_WS_MAX_MESSAGE", "1MiB"));
    GatewayHarness.storePrinterLists(gateway);
    var neighbour = agentSocket(gateway, "agent-honest");
    neighbour.send(
        "printers.sync",
        "sync",
        new JsonObject()
            .put(
                "printers",
                new io.vertx.core.json.JsonArray().add(new JsonObject().put("id", "p1"))));
    assertThat(neighbour.awaitResponse("sync").error()).isNull();
    byte[] bomb = deflatedSpaces(64 * 1024 * 1024);
    assertThat(bomb.length).as("on the wire, well under the frame limit").isLessThan(128 * 1024);

    try (var attacker =
        RawWebSocket.openDeflating(
            gateway.httpPort(),
            "/ws/agent",
            GatewayHarness.issuer(gateway).agent("agent-bomb", "c1", "b1", Duration.ofHours(1)))) {
      attacker.readTimeout(Duration.ofSeconds(15));
      attacker.sendFrame(true, true, OPCODE_TEXT, bomb);
      attacker.sendFrame(true, true, OPCODE_TEXT, bomb);
      assertThat(attacker.readUntilClose()).isEqualTo(1009);
    }

    await().atMost(Duration.ofSeconds(10)).until(() -> tooBig(gateway, "agent", "inflated") == 1.0);
    assertThat(neighbour.isOpen()).isTrue();
    neighbour.send(
        "printer.status", "after", new JsonObject().put("printerId", "p1").put("status", "online"));
    assertThat(neighbour.awaitResponse("after").error()).isNull();
  }

  @Test
  void messageFragmentedIntoManyCompressedFramesPastTheLimitClosesWith1009() throws Exception {
    var gateway = gateway(Map.of("PRINTFLEET_WS_MAX_MESSAGE", "1MiB"));
    // 4 MiB inflated, cut into frames that each inflate to far less than the limit.
    byte[] message = deflatedSpaces(4 * 1024 * 1024);
    int pieces = 64;
    int step = (message.length + pieces - 1) / pieces;

    try (var attacker =
        RawWebSocket.openDeflating(
            gateway.httpPort(),
            "/ws/agent",
            GatewayHarness.issuer(gateway)
                .agent("agent-fragments", "c1", "b1", Duration.ofHours(1)))) {
      attacker.readTimeout(Duration.ofSeconds(15));
      for (int from = 0; from < message.length; from += step) {
        int to = Math.min(message.length, from + step);
        attacker.sendFrame(
            to == message.length,
            from == 0,
            from == 0 ? OPCODE_TEXT : OPCODE_CONTINUATION,
            Arrays.copyOfRange(message, from, to));
      }
      assertThat(attacker.readUntilClose()).isEqualTo(1009);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> tooBig(gateway, "agent", "message") == 1.0);
  }

  @Test
  void userWhoseTokenListsBranchesMayNotJoinTheCompanyRoom() {
    var socket = dashboard(gateway(Map.of()), List.of("b1"));

    socket.send("subscribe", "company", new JsonObject().put("rooms", List.of("company:c1")));
    assertThat(socket.awaitResponse("company").error().code()).isEqualTo("forbidden");
    socket.send(
        "subscribe", "mixed", new JsonObject().put("rooms", List.of("branch:b1", "company:c1")));
    assertThat(socket.awaitResponse("mixed").error().code()).isEqualTo("forbidden");
    socket.send("subscribe", "own", new JsonObject().put("rooms", List.of("branch:b1")));
    assertThat(socket.awaitResponse("own").error()).isNull();
  }

  @Test
  void roomsAreCountedOverTheSessionAndTheRequestPassingTheCapIsRefusedWhole() {
    var gateway =
        gateway(Map.of("PRINTFLEET_WS_MAX_ROOMS", "3", "PRINTFLEET_STATUS_BATCH_WINDOW", "20ms"));
    var socket = dashboard(gateway, List.of());

    socket.send(
        "subscribe", "two", new JsonObject().put("rooms", List.of("branch:b1", "branch:b2")));
    assertThat(socket.awaitResponse("two").error()).isNull();
    socket.send(
        "subscribe", "past-cap", new JsonObject().put("rooms", List.of("branch:b3", "branch:b4")));
    assertThat(socket.awaitResponse("past-cap").error().code()).isEqualTo("invalid_data");
    socket.send(
        "subscribe",
        "again",
        new JsonObject().put("rooms", List.of("branch:b1", "branch:b2", "branch:b3")));
    assertThat(socket.awaitResponse("again").error())
        .as("rooms already joined do not count twice")
        .isNull();
    socket.send("subscribe", "fourth", new JsonObject().put("rooms", List.of("branch:b4")));
    assertThat(socket.awaitResponse("fourth").error().code()).isEqualTo("invalid_data");

    // The refused requests joined nothing: b4's status never arrives, b1's does.
    publishStatus(gateway, "b4", "p4");
    publishStatus(gateway, "b1", "p1");
    socket.awaitFrame(
        e -> e.type().equals("printer.status") && e.data().encode().contains("\"p1\""));
    assertThat(socket.received)
        .noneMatch(e -> e.type().equals("printer.status") && e.data().encode().contains("\"p4\""));

    socket.send("unsubscribe", "leave", new JsonObject().put("rooms", List.of("branch:b2")));
    socket.awaitResponse("leave");
    socket.send("subscribe", "freed", new JsonObject().put("rooms", List.of("branch:b4")));
    assertThat(socket.awaitResponse("freed").error()).as("unsubscribe frees its room").isNull();
    publishStatus(gateway, "b4", "p4");
    socket.awaitFrame(
        e -> e.type().equals("printer.status") && e.data().encode().contains("\"p4\""));
  }

  @Test
  void dashboardTokenExpiringDuringTheSessionClosesWith4401() {
    var gateway = gateway(Map.of());
    String token =
        GatewayHarness.issuer(gateway)
            .user("user-short", Role.USER, "c1", List.of(), Duration.ofSeconds(2));
    var socket = TestSocket.open(client, gateway.httpPort(), "/ws/client", token);

    assertThat(socket.awaitClose(Duration.ofSeconds(10))).isEqualTo((short) 4401);
  }

  private static void publishStatus(ServiceRuntime gateway, String branch, String printerId) {
    gateway
        .vertx()
        .eventBus()
        .publish(
            Addresses.EVENTS_PRINTER,
            new PrinterStatusEvent(
                    "agent-1", "c1", branch, printerId, "online", null, Instant.now())
                .toJson());
  }
}
