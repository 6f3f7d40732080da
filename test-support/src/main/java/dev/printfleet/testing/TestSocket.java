package dev.printfleet.testing;

import static org.awaitility.Awaitility.await;

import dev.printfleet.common.protocol.Envelope;
import io.vertx.core.Future;
import io.vertx.core.Promise;
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
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A real WebSocket client, for an agent or a dashboard written by hand in a test: it records every
 * envelope it receives and how it was closed.
 */
public final class TestSocket {

  public final WebSocket socket;
  public final List<Envelope> received = new CopyOnWriteArrayList<>();
  public final CompletableFuture<Short> closeStatus = new CompletableFuture<>();
  private final List<Consumer<Envelope>> listeners = new CopyOnWriteArrayList<>();

  private TestSocket(WebSocket socket) {
    this.socket = socket;
    socket.textMessageHandler(
        text -> {
          try {
            Envelope envelope = Envelope.parse(text);
            received.add(envelope);
            listeners.forEach(listener -> listener.accept(envelope));
          } catch (Envelope.ParseException e) {
            throw new AssertionError("server sent a frame that is not an envelope: " + text);
          }
        });
    socket.closeHandler(
        v ->
            closeStatus.complete(socket.closeStatusCode() == null ? -1 : socket.closeStatusCode()));
  }

  public static Future<TestSocket> connect(
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
    Promise<TestSocket> opened = Promise.promise();
    vertx.runOnContext(v -> client.connect(options).map(TestSocket::new).onComplete(opened));
    return opened.future();
  }

  public static TestSocket open(Vertx vertx, int port, String path, String token) {
    return TestCluster.join(connect(vertx, port, path, token, false, null));
  }

  /** The HTTP status the upgrade was refused with. */
  public static int refusal(Vertx vertx, int port, String path, String token, String origin) {
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

  /** Hands each envelope received from now on to the listener too, on the socket's event loop. */
  public void onEnvelope(Consumer<Envelope> listener) {
    listeners.add(listener);
  }

  public void send(String type, String id, JsonObject data) {
    socket.writeTextMessage(Envelope.request(type, id, data).encode());
  }

  public void sendRaw(String text) {
    socket.writeTextMessage(text);
  }

  public Envelope awaitFrame(Predicate<Envelope> match) {
    await().atMost(Duration.ofSeconds(10)).until(() -> received.stream().anyMatch(match));
    return received.stream().filter(match).findFirst().orElseThrow();
  }

  public Envelope awaitResponse(String id) {
    return awaitFrame(e -> e.isResponse() && id.equals(e.id()));
  }

  public Envelope awaitError(String code) {
    return awaitFrame(
        e -> Envelope.ERROR.equals(e.type()) && code.equals(e.data().getString("code")));
  }

  public short awaitClose(Duration timeout) {
    try {
      return closeStatus.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("the socket was not closed within " + timeout, e);
    }
  }

  /** Closes the socket from the client's side, as a dashboard whose network went away. */
  public void close() {
    socket.close();
  }

  public boolean isOpen() {
    return !closeStatus.isDone();
  }
}
