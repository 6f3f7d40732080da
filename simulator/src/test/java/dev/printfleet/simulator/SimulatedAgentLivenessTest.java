package dev.printfleet.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A gateway frozen (SIGSTOP) keeps its sockets open and says nothing, and the load balancer may
 * hand a reconnecting agent the same frozen instance: the agent must leave both on its own.
 */
@ExtendWith(VertxExtension.class)
class SimulatedAgentLivenessTest {

  @Test
  void anAgentWatchesItsServerWithTheProtocolsBoundsUnlessATestSetsOthers(Vertx vertx) {
    var agent =
        new SimulatedAgent(
            vertx,
            vertx.createWebSocketClient(new WebSocketClientOptions()),
            "127.0.0.1",
            1,
            "agent-bounds",
            List.of("p1"),
            () -> "token",
            SimulatedAgent.Behaviour.defaults());

    // PROTOCOL.md §2.4: a ping every 5 s, a server silent for 15 s is left, a handshake gets 5 s.
    assertThat(agent.liveness()).isEqualTo(new SimulatedAgent.Liveness(5_000, 15_000, 5_000));
  }

  @Test
  @Timeout(value = 15, timeUnit = TimeUnit.SECONDS)
  void anAgentLeavesAGatewayThatFreezesAfterTheHandshakeAndOneThatNeverCompletesIt(
      Vertx vertx, VertxTestContext test) {
    // A handshake given up on must be closed, not left open: a proxy in front (nginx) would
    // otherwise hand it to another gateway later, and that stale connection would replace the
    // agent's live one there (4409).
    Checkpoint abandonedHandshakeClosed = test.checkpoint();
    Checkpoint connectedAgain = test.checkpoint();
    var connections = new AtomicInteger();
    vertx
        .createNetServer()
        .connectHandler(
            socket -> {
              // The first connection completes the handshake, then freezes; the second never
              // answers it; the agent must then try again.
              switch (connections.incrementAndGet()) {
                case 1 -> socket.handler(new HandshakeThenSilence(socket));
                case 2 -> socket.closeHandler(v -> abandonedHandshakeClosed.flag());
                case 3 -> connectedAgain.flag();
                default -> {}
              }
            })
        .listen(0, "127.0.0.1")
        .onComplete(
            test.succeeding(
                server ->
                    new SimulatedAgent(
                            vertx,
                            vertx.createWebSocketClient(new WebSocketClientOptions()),
                            "127.0.0.1",
                            server.actualPort(),
                            "agent-frozen",
                            List.of("p1"),
                            () -> "token",
                            new SimulatedAgent.Behaviour(0, 0.0, 0))
                        // The mechanism, not the protocol's seconds: silent for 3 s, a 1 s
                        // handshake (a frozen gateway is left the same way after 15 s and 5 s).
                        .liveness(new SimulatedAgent.Liveness(1_000, 3_000, 1_000))
                        .start()));
  }

  /** Answers the WebSocket upgrade, then reads and answers nothing (pings included). */
  private static final class HandshakeThenSilence implements io.vertx.core.Handler<Buffer> {
    private static final Pattern KEY =
        Pattern.compile("Sec-WebSocket-Key: *(\\S+)", Pattern.CASE_INSENSITIVE);
    private final NetSocket socket;
    private final StringBuilder request = new StringBuilder();
    private boolean upgraded;

    HandshakeThenSilence(NetSocket socket) {
      this.socket = socket;
    }

    @Override
    public void handle(Buffer data) {
      if (upgraded) {
        return;
      }
      request.append(data.toString(StandardCharsets.ISO_8859_1));
      if (!request.toString().contains("\r\n\r\n")) {
        return;
      }
      var key = KEY.matcher(request);
      if (!key.find()) {
        socket.close();
        return;
      }
      upgraded = true;
      socket.write(
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              + "Sec-WebSocket-Accept: "
              + accept(key.group(1))
              + "\r\n\r\n");
    }

    private static String accept(String key) {
      try {
        var sha1 =
            MessageDigest.getInstance("SHA-1")
                .digest(
                    (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                        .getBytes(StandardCharsets.ISO_8859_1));
        return Base64.getEncoder().encodeToString(sha1);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
