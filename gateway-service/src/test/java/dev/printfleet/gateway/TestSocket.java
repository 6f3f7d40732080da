package dev.printfleet.gateway;

import static org.awaitility.Awaitility.await;

import dev.printfleet.common.protocol.Envelope;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A real WebSocket client that records every envelope it receives and how it was closed. */
final class TestSocket {

  final WebSocket socket;
  final List<Envelope> received = new CopyOnWriteArrayList<>();
  final CompletableFuture<Short> closeStatus = new CompletableFuture<>();

  private TestSocket(WebSocket socket) {
    this.socket = socket;
    socket.textMessageHandler(
        text -> {
          try {
            received.add(Envelope.parse(text));
          } catch (Envelope.ParseException e) {
            throw new AssertionError("server sent a frame that is not an envelope: " + text);
          }
        });
    socket.closeHandler(
        v ->
            closeStatus.complete(socket.closeStatusCode() == null ? -1 : socket.closeStatusCode()));
  }

  static Future<TestSocket> connect(
      Vertx vertx, int port, String path, String token, boolean deflate, String origin) {
    var client =
        vertx.createWebSocketClient(
            new WebSocketClientOptions()
                .setTryUsePerMessageCompression(deflate)
                .setMaxFrameSize(4 * 1024 * 1024)
                .setMaxMessageSize(4 * 1024 * 1024));
    var options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(path);
    if (token != null) {
      options.addHeader("Authorization", "Bearer " + token);
    }
    if (origin != null) {
      options.addHeader("Origin", origin);
    }
    // Connect from the event loop: the recording handler is then set before the first frame (the
    // server's welcome) can be read. From a test thread, the connect could complete and the welcome
    // arrive before the handler is set, and be dropped.
    io.vertx.core.Promise<TestSocket> opened = io.vertx.core.Promise.promise();
    vertx.runOnContext(v -> client.connect(options).map(TestSocket::new).onComplete(opened));
    return opened.future();
  }

  static TestSocket open(Vertx vertx, int port, String path, String token) {
    return GatewayHarness.await(connect(vertx, port, path, token, false, null));
  }

  /** The HTTP status the upgrade was refused with. */
  static int refusal(Vertx vertx, int port, String path, String token, String origin) {
    try {
      connect(vertx, port, path, token, false, origin)
          .toCompletionStage()
          .toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof UpgradeRejectedException rejected) {
        return rejected.getStatus();
      }
      throw new AssertionError("the upgrade failed otherwise: " + e.getCause(), e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("the upgrade was accepted");
  }

  void send(String type, String id, JsonObject data) {
    socket.writeTextMessage(Envelope.request(type, id, data).encode());
  }

  void sendRaw(String text) {
    socket.writeTextMessage(text);
  }

  Envelope awaitFrame(Predicate<Envelope> match) {
    await().atMost(Duration.ofSeconds(10)).until(() -> received.stream().anyMatch(match));
    return received.stream().filter(match).findFirst().orElseThrow();
  }

  Envelope awaitResponse(String id) {
    return awaitFrame(e -> e.isResponse() && id.equals(e.id()));
  }

  Envelope awaitError(String code) {
    return awaitFrame(
        e -> Envelope.ERROR.equals(e.type()) && code.equals(e.data().getString("code")));
  }

  short awaitClose(Duration timeout) {
    try {
      return closeStatus.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("the socket was not closed within " + timeout, e);
    }
  }

  boolean isOpen() {
    return !closeStatus.isDone();
  }
}
