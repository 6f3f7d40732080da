package dev.printfleet.simulator;

import dev.printfleet.common.protocol.Envelope;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A printer agent speaking PROTOCOL.md §2 over a real WebSocket: it syncs its printers after the
 * welcome, accepts {@code job.dispatch} (dropping a job id it already printed, as real agents do),
 * reports {@code job.result} after a delay, answers {@code printer.test}, changes printer statuses
 * now and then, and reconnects with backoff when its socket closes. {@link #overSocketIo} makes it
 * an agent of the original system instead: the same behaviour on Socket.IO (PROTOCOL.md §2.5).
 */
public final class SimulatedAgent {

  private static final Logger log = LoggerFactory.getLogger(SimulatedAgent.class);
  private static final int REMEMBERED_JOBS = 10_000;

  /** How the agent's printers behave. */
  public record Behaviour(long printDelayMs, double failureRate, long statusChangeEveryMs) {
    public static Behaviour defaults() {
      return new Behaviour(200, 0.0, 15_000);
    }
  }

  private final Vertx vertx;
  private final WebSocketClient client;
  private final String host;
  private final int port;
  private final String agentId;
  private final List<String> printerIds;
  private final Supplier<String> token;
  private final Behaviour behaviour;
  private final Random random;
  private final Set<String> printedJobs =
      Collections.newSetFromMap(
          new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
              return size() > REMEMBERED_JOBS;
            }
          });

  /**
   * Whether each printed job failed, to report its result again when the job is dispatched a second
   * time: a flag, not the result's JSON (a fleet of 1,000 agents remembers every job of a
   * benchmark's run, and the load generator's collector marks all of it).
   */
  private final Map<String, Boolean> outcomes =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > REMEMBERED_JOBS;
        }
      };

  /**
   * Results sent and not acknowledged yet, by request id: a real agent keeps them until they are.
   */
  private final Map<String, JsonObject> unacknowledged =
      new java.util.concurrent.ConcurrentHashMap<>();

  private final AtomicLong jobsReceived = new AtomicLong();
  private final AtomicLong jobsPrinted = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong connects = new AtomicLong();
  private final AtomicLong requestIds = new AtomicLong();

  private volatile java.util.function.Consumer<JsonObject> dispatchListener;
  private volatile WebSocket socket;
  private volatile boolean socketIo;

  /** The current socket with its Socket.IO state (null on {@code /ws/agent}), set as one. */
  private record Link(WebSocket socket, SocketIoWire wire) {}

  private volatile Link link;

  private volatile boolean stopped;
  private volatile String instance;
  private volatile String syncId;
  private volatile long statusTimer = -1;
  private long backoffMs = 500;
  private volatile long livenessTimer = -1;
  private long lastPingNanos;

  /** When this connection last received a frame (a pong included), System.nanoTime. */
  private volatile long lastFrameNanos;

  /** PROTOCOL.md §2.4: ping every 5 s, give up on a server silent for 15 s, bound the handshake. */
  static final long PING_EVERY_MS = 5_000;

  static final long SILENT_AFTER_MS = 15_000;
  static final int HANDSHAKE_TIMEOUT_MS = 5_000;

  /** How the agent watches its server: PROTOCOL.md §2.4's bounds, or a test's. */
  record Liveness(long pingEveryMs, long silentAfterMs, int handshakeTimeoutMs) {
    static final Liveness PROTOCOL =
        new Liveness(PING_EVERY_MS, SILENT_AFTER_MS, HANDSHAKE_TIMEOUT_MS);
  }

  private volatile Liveness liveness = Liveness.PROTOCOL;

  public SimulatedAgent(
      Vertx vertx,
      WebSocketClient client,
      String host,
      int port,
      String agentId,
      List<String> printerIds,
      Supplier<String> token,
      Behaviour behaviour) {
    this.vertx = vertx;
    this.client = client;
    this.host = host;
    this.port = port;
    this.agentId = agentId;
    this.printerIds = List.copyOf(printerIds);
    this.token = token;
    this.behaviour = behaviour;
    this.random = new Random(agentId.hashCode());
  }

  /**
   * Speaks Socket.IO at {@code /socket.io/} (a WebSocket from the start, the token in the CONNECT,
   * the original's event names) instead of the envelope at {@code /ws/agent}. Call before start.
   */
  public SimulatedAgent overSocketIo() {
    socketIo = true;
    return this;
  }

  /**
   * Other liveness bounds than PROTOCOL.md §2.4's (ping every 5 s, a server silent for 15 s is
   * left, a handshake gets 5 s): for a test that must not wait the protocol's seconds. Call before
   * start.
   */
  SimulatedAgent liveness(Liveness liveness) {
    this.liveness = liveness;
    return this;
  }

  Liveness liveness() {
    return liveness;
  }

  public String agentId() {
    return agentId;
  }

  public List<String> printerIds() {
    return printerIds;
  }

  public boolean isConnected() {
    return socket != null && !socket.isClosed() && instance != null;
  }

  /** The gateway instance that holds this agent, from its welcome. */
  public String instance() {
    return instance;
  }

  public long jobsReceived() {
    return jobsReceived.get();
  }

  public long jobsPrinted() {
    return jobsPrinted.get();
  }

  public long duplicates() {
    return duplicates.get();
  }

  public long connects() {
    return connects.get();
  }

  public Future<Void> start() {
    stopped = false;
    // A failed first attempt is retried with backoff like any later one. The connect runs on the
    // event loop, so the frame handler is in place before the server's welcome is read.
    io.vertx.core.Promise<Void> started = io.vertx.core.Promise.promise();
    vertx.runOnContext(
        v -> {
          if (stopped) {
            started.tryComplete();
            return;
          }
          try {
            if (behaviour.statusChangeEveryMs() > 0) {
              long first =
                  behaviour.statusChangeEveryMs() / 2
                      + random.nextLong(behaviour.statusChangeEveryMs());
              statusTimer = vertx.setTimer(first, id -> changeStatus());
            }
            connect().otherwiseEmpty().onComplete(started);
          } catch (RuntimeException e) {
            started.tryFail(e);
          }
        });
    return started.future();
  }

  public Future<Void> stop() {
    stopped = true;
    vertx.cancelTimer(statusTimer);
    vertx.cancelTimer(livenessTimer);
    WebSocket current = socket;
    return current == null || current.isClosed() ? Future.succeededFuture() : current.close();
  }

  private Future<Void> connect() {
    String bearer = token.get();
    var options =
        new WebSocketConnectOptions()
            .setHost(host)
            .setPort(port)
            .setURI(socketIo ? SocketIoWire.URI : "/ws/agent")
            // Vert.x's handshake timer: it closes the connection it gave up on. Left open, a proxy
            // in front (nginx) would hand that upgrade to another gateway later, and the stale
            // connection would replace the agent's live one there (4409).
            .setIdleTimeout(liveness.handshakeTimeoutMs());
    if (!socketIo) {
      options.addHeader("Authorization", "Bearer " + bearer);
    }
    // A gateway frozen behind the load balancer accepts the TCP connection and answers nothing: the
    // handshake is given up after the handshake timeout, and a socket that opens after all is
    // closed. (WebSocketConnectOptions#setTimeout would also close an open socket idle that long.)
    var outcome = io.vertx.core.Promise.<Void>promise();
    long deadline =
        vertx.setTimer(
            liveness.handshakeTimeoutMs(),
            id -> {
              if (outcome.tryFail("handshake timed out")) {
                log.debug("Agent handshake timed out agent={}", agentId);
                scheduleReconnect();
              }
            });
    client
        .connect(options)
        .onComplete(
            ar -> {
              vertx.cancelTimer(deadline);
              if (ar.succeeded() && !outcome.tryComplete()) {
                ar.result().close();
              } else if (ar.succeeded()) {
                onOpen(ar.result(), bearer);
              } else if (outcome.tryFail(ar.cause())) {
                log.debug("Agent could not connect agent={}: {}", agentId, ar.cause().toString());
                scheduleReconnect();
              }
            });
    return outcome.future();
  }

  private void onOpen(WebSocket ws, String bearer) {
    var connection = socketIo ? new SocketIoWire(bearer) : null;
    link = new Link(ws, connection);
    socket = ws;
    connects.incrementAndGet();
    backoffMs = 500;
    lastFrameNanos = System.nanoTime();
    ws.pongHandler(pong -> lastFrameNanos = System.nanoTime());
    if (connection == null) {
      ws.textMessageHandler(this::onFrame);
    } else {
      ws.textMessageHandler(text -> onSocketIoFrame(ws, connection, text));
    }
    vertx.cancelTimer(livenessTimer);
    lastPingNanos = System.nanoTime();
    livenessTimer = vertx.setTimer(liveness.pingEveryMs(), id -> checkServer(ws));
    ws.closeHandler(
        v -> {
          vertx.cancelTimer(livenessTimer);
          if (socket != ws) {
            // Given up on already (the server went silent) and replaced: nothing to do.
            return;
          }
          instance = null;
          if (!stopped) {
            log.debug("Agent socket closed agent={} status={}", agentId, ws.closeStatusCode());
            scheduleReconnect();
          }
        });
    ws.exceptionHandler(e -> log.debug("Agent socket error agent={}: {}", agentId, e.toString()));
  }

  /**
   * A frozen gateway keeps the TCP connection open and answers nothing: without this the agent
   * would wait for the kernel to notice, minutes, while its jobs cannot reach it.
   */
  private void checkServer(WebSocket ws) {
    if (ws.isClosed()) {
      return;
    }
    long now = System.nanoTime();
    long silentNanos = now - lastFrameNanos;
    if (silentNanos >= liveness.silentAfterMs() * 1_000_000) {
      log.info("Gateway silent, reconnecting agent={} instance={}", agentId, instance);
      instance = null;
      socket = null;
      // The close handshake would wait for the frozen server (the client's closing timeout): the
      // socket closes in the background while the agent connects again.
      ws.close((short) 1001, "server silent").onFailure(e -> {});
      scheduleReconnect();
      return;
    }
    if (now - lastPingNanos >= liveness.pingEveryMs() * 1_000_000) {
      lastPingNanos = now;
      ws.writePing(io.vertx.core.buffer.Buffer.buffer("p")).onFailure(e -> {});
    }
    // Next look: at the next ping or the moment the silence would reach its limit, whichever comes
    // first, so the 15 s are not rounded up (a frame received meanwhile moves that moment on).
    long untilSilentMs = liveness.silentAfterMs() - silentNanos / 1_000_000;
    long untilPingMs = liveness.pingEveryMs() - (now - lastPingNanos) / 1_000_000;
    livenessTimer =
        vertx.setTimer(Math.max(1, Math.min(untilSilentMs, untilPingMs)), id -> checkServer(ws));
  }

  private void scheduleReconnect() {
    if (stopped) {
      return;
    }
    long delay = backoffMs / 2 + random.nextLong(backoffMs / 2 + 1);
    backoffMs = Math.min(backoffMs * 2, 30_000);
    vertx.setTimer(
        delay,
        id -> {
          if (!stopped) {
            connect();
          }
        });
  }

  private void onFrame(String text) {
    lastFrameNanos = System.nanoTime();
    Envelope envelope;
    try {
      envelope = Envelope.parse(text);
    } catch (Envelope.ParseException e) {
      log.warn("Agent received a bad frame agent={}: {}", agentId, e.getMessage());
      return;
    }
    onEnvelope(envelope);
  }

  private void onSocketIoFrame(WebSocket ws, SocketIoWire connection, String text) {
    lastFrameNanos = System.nanoTime();
    boolean open;
    try {
      open = connection.read(text, ws::writeTextMessage, this::onEnvelope);
    } catch (dev.printfleet.common.protocol.socketio.ProtocolException e) {
      log.warn("Agent received a bad Socket.IO frame agent={}: {}", agentId, e.getMessage());
      return;
    }
    if (!open) {
      log.debug("Agent's Socket.IO session ended by the gateway agent={}", agentId);
      ws.close().onFailure(e -> {});
    }
  }

  private void onEnvelope(Envelope envelope) {
    switch (envelope.type()) {
      case "welcome" -> {
        instance = envelope.data().getString("instance");
        syncPrinters();
        // Results sent over the socket that closed may never have arrived.
        List<JsonObject> resend = List.copyOf(unacknowledged.values());
        unacknowledged.clear();
        resend.forEach(this::reportResult);
      }
      case Envelope.RESPONSE -> onResponse(envelope);
      case "job.dispatch" -> onDispatch(envelope);
      case "printer.test" ->
          send(
              Envelope.response(
                  envelope.id(),
                  new JsonObject()
                      .put("ok", true)
                      .put("latencyMs", behaviour.printDelayMs())
                      .put("detail", "test page printed")));
      case Envelope.ERROR ->
          log.debug("Agent was sent an error agent={}: {}", agentId, envelope.data().encode());
      default -> {
        /* other messages need no action */
      }
    }
  }

  /**
   * Sent first on each connection, before any status: the gateway accepts statuses only for the
   * printers of the connection's last sync. Sent again while the server cannot store it.
   */
  private void syncPrinters() {
    var printers = new JsonArray();
    for (String id : printerIds) {
      printers.add(
          new JsonObject().put("id", id).put("name", "Printer " + id).put("status", "online"));
    }
    syncId = nextId();
    send(Envelope.request("printers.sync", syncId, new JsonObject().put("printers", printers)));
  }

  /**
   * Called with each {@code job.dispatch}'s data as it arrives (load tests time deliveries with
   * it).
   */
  public void onDispatch(java.util.function.Consumer<JsonObject> listener) {
    this.dispatchListener = listener;
  }

  private void onDispatch(Envelope request) {
    String jobId = request.data().getString("jobId");
    jobsReceived.incrementAndGet();
    var listener = dispatchListener;
    if (listener != null) {
      listener.accept(request.data());
    }
    send(Envelope.response(request.id(), new JsonObject().put("accepted", true)));
    boolean duplicate;
    synchronized (printedJobs) {
      duplicate = !printedJobs.add(jobId);
    }
    if (duplicate) {
      duplicates.incrementAndGet();
      // Dispatched again: the server has not recorded the result, so report it once more.
      Boolean failed;
      synchronized (outcomes) {
        failed = outcomes.get(jobId);
      }
      if (failed != null) {
        reportResult(result(jobId, failed));
      }
      return;
    }
    vertx.setTimer(
        Math.max(1, behaviour.printDelayMs()),
        id -> {
          boolean failed = random.nextDouble() < behaviour.failureRate();
          if (!failed) {
            jobsPrinted.incrementAndGet();
          }
          synchronized (outcomes) {
            outcomes.put(jobId, failed);
          }
          reportResult(result(jobId, failed));
        });
  }

  private static JsonObject result(String jobId, boolean failed) {
    var result = new JsonObject().put("jobId", jobId).put("outcome", failed ? "failed" : "printed");
    if (failed) {
      result.put("error", "simulated paper jam");
    }
    return result;
  }

  private void reportResult(JsonObject result) {
    String id = nextId();
    unacknowledged.put(id, result);
    send(Envelope.request("job.result", id, result));
  }

  /**
   * A refused result (the server could not record it) is sent again a second later, but not one
   * refused {@code forbidden}: that job is not this agent's, and sending it again changes nothing.
   * A sync the server could not store is sent again too.
   */
  private void onResponse(Envelope response) {
    if (response.id() != null
        && response.id().equals(syncId)
        && response.error() != null
        && !stopped
        && ("unavailable".equals(response.error().code())
            || "rate_limited".equals(response.error().code()))) {
      vertx.setTimer(
          1_000,
          t -> {
            if (isConnected() && !stopped) {
              syncPrinters();
            }
          });
      return;
    }
    JsonObject result = response.id() == null ? null : unacknowledged.remove(response.id());
    if (result != null && response.error() != null && "forbidden".equals(response.error().code())) {
      log.warn("Job result refused forbidden agent={} job={}", agentId, result.getString("jobId"));
      return;
    }
    if (result != null && response.error() != null && !stopped) {
      unacknowledged.put(response.id(), result);
      vertx.setTimer(
          1_000,
          t -> {
            if (unacknowledged.remove(response.id()) != null && !stopped) {
              reportResult(result);
            }
          });
    }
  }

  private void changeStatus() {
    if (stopped) {
      return;
    }
    if (isConnected()) {
      String printerId = printerIds.get(random.nextInt(printerIds.size()));
      double roll = random.nextDouble();
      String status =
          roll < 0.6 ? "online" : roll < 0.85 ? "busy" : roll < 0.95 ? "paper_out" : "offline";
      send(
          Envelope.request(
              "printer.status",
              nextId(),
              new JsonObject().put("printerId", printerId).put("status", status)));
    }
    statusTimer = vertx.setTimer(behaviour.statusChangeEveryMs(), id -> changeStatus());
  }

  /** Sends any envelope, for tests that need the agent to say something specific. */
  public void send(Envelope envelope) {
    Link current = link;
    if (current == null || current.socket() != socket || current.socket().isClosed()) {
      return;
    }
    String text = current.wire() == null ? envelope.encode() : current.wire().write(envelope);
    if (text != null) {
      current.socket().writeTextMessage(text);
    }
  }

  private String nextId() {
    return "a-" + requestIds.incrementAndGet();
  }

  /** Printer ids for an agent: unique within the company. */
  public static List<String> printerIdsFor(String agentId, int count) {
    List<String> ids = new ArrayList<>(count);
    for (int i = 1; i <= count; i++) {
      ids.add(agentId + "-p" + i);
    }
    return ids;
  }
}
