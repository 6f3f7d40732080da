package dev.printfleet.gateway.agent;

import dev.printfleet.common.auth.AuthException;
import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.auth.Role;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.AgentEvent;
import dev.printfleet.common.messages.AgentReply;
import dev.printfleet.common.messages.DispatchRequest;
import dev.printfleet.common.messages.JobResult;
import dev.printfleet.common.messages.PrinterInfo;
import dev.printfleet.common.messages.PrinterStatusEvent;
import dev.printfleet.common.messages.PrinterTestRequest;
import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.common.protocol.Envelope.Code;
import dev.printfleet.gateway.GatewayConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /ws/agent}: authenticates agents before the upgrade, keeps one session per agent id,
 * registers presence, turns agent frames into cluster events and event bus requests into agent
 * requests. Confined to the gateway verticle's event loop.
 */
public final class AgentEndpoint {

  private static final Logger log = LoggerFactory.getLogger(AgentEndpoint.class);

  static final short CLOSE_GOING_AWAY = 1001;
  static final short CLOSE_SERVICE_RESTART = 1012;
  static final short CLOSE_REPLACED = 4409;
  static final short CLOSE_TOKEN_EXPIRED = 4401;

  private static final Set<String> PRINTER_STATUSES =
      Set.of("online", "offline", "busy", "paper_out", "error");

  private final Vertx vertx;
  private final ServiceRuntime runtime;
  private final GatewayConfig config;
  private final PresenceRegistry presence;
  private final Map<String, AgentSession> sessions = new HashMap<>();
  private final Map<AgentSession, Long> lastPongNanos = new HashMap<>();
  private final PendingRequests pending;
  private final AtomicLong correlation = new AtomicLong();
  private final List<Long> timers = new ArrayList<>();
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private boolean draining;

  public AgentEndpoint(Vertx vertx, ServiceRuntime runtime, GatewayConfig config, PresenceRegistry presence) {
    this.vertx = vertx;
    this.runtime = runtime;
    this.config = config;
    this.presence = presence;
    this.pending = new PendingRequests(config.maxPendingRequests());
  }

  /** Registers the event bus consumers and the periodic work; completes once they are in place. */
  public Future<Void> start() {
    var bus = vertx.eventBus();
    MessageConsumer<JsonObject> requests = bus.consumer(Addresses.gateway(runtime.instanceId()), this::onGatewayRequest);
    MessageConsumer<JsonObject> agentEvents = bus.consumer(Addresses.EVENTS_AGENT, this::onAgentEvent);
    consumers.add(requests);
    consumers.add(agentEvents);
    long refreshMs = Math.max(1000, presence.ttl().toMillis() / 3);
    timers.add(vertx.setPeriodic(refreshMs, id -> refreshPresence()));
    timers.add(vertx.setPeriodic(1000, id -> pending.sweep(System.nanoTime())));
    timers.add(vertx.setPeriodic(config.pingInterval().toMillis(), id -> pingAll()));
    return Future.all(registered(requests), registered(agentEvents)).mapEmpty();
  }

  public void stop() {
    timers.forEach(vertx::cancelTimer);
    consumers.forEach(MessageConsumer::unregister);
  }

  public int connectionCount() {
    return sessions.size();
  }

  // ---- connecting ----

  public void upgrade(RoutingContext ctx) {
    var request = ctx.request();
    request.pause();
    runtime
        .tokens()
        .verify(request)
        .compose(
            principal ->
                principal.role() == Role.AGENT
                    ? Future.succeededFuture(principal)
                    : Future.failedFuture(AuthException.forbidden("role " + principal.role().claim() + " may not connect as an agent")))
        .onSuccess(
            principal -> {
              if (draining) {
                refuse(ctx, 503, "unavailable", "gateway is draining");
                return;
              }
              request.toWebSocket()
                  .onSuccess(socket -> accept(principal, socket))
                  .onFailure(e -> log.warn("Agent upgrade failed agent={}: {}", principal.subject(), e.toString()));
            })
        .onFailure(
            e -> {
              log.debug("Agent connection refused remote={}: {}", request.remoteAddress(), e.getMessage());
              if (e instanceof AuthException auth) {
                refuse(ctx, auth.httpStatus(), auth.code(), auth.getMessage());
              } else {
                refuse(ctx, 401, "unauthorized", "invalid token");
              }
            });
  }

  private static void refuse(RoutingContext ctx, int status, String code, String message) {
    ctx.request().resume();
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("error", new JsonObject().put("code", code).put("message", message)).encode());
  }

  private void accept(Principal principal, ServerWebSocket socket) {
    var session = new AgentSession(UUID.randomUUID().toString(), principal, socket);
    AgentSession older = sessions.put(session.agentId(), session);
    if (older != null) {
      log.info("Agent connected again, closing the older socket agent={}", session.agentId());
      older.close(CLOSE_REPLACED, "replaced by a newer connection");
    }
    lastPongNanos.put(session, System.nanoTime());
    socket.textMessageHandler(text -> onFrame(session, text));
    socket.binaryMessageHandler(b -> session.send(Envelope.errorEvent(Code.BAD_ENVELOPE, "binary frames are not accepted", null)));
    socket.pongHandler(b -> lastPongNanos.put(session, System.nanoTime()));
    socket.exceptionHandler(e -> log.debug("Agent socket error agent={}: {}", session.agentId(), e.toString()));
    long expiresInMs = Duration.between(Instant.now(), principal.expiresAt()).toMillis();
    long expiryTimer = vertx.setTimer(Math.max(1, expiresInMs), id -> session.close(CLOSE_TOKEN_EXPIRED, "token expired"));
    socket.closeHandler(v -> {
      vertx.cancelTimer(expiryTimer);
      onClosed(session);
    });

    session.send(
        Envelope.event(
            "welcome",
            new JsonObject()
                .put("sessionId", session.sessionId)
                .put("instance", runtime.instanceId())
                .put("heartbeatMs", config.pingInterval().toMillis())));
    presence
        .register(session.agentId())
        .onFailure(e -> log.warn("Could not register presence agent={}: {}", session.agentId(), e.toString()))
        .onComplete(v -> publishAgentEvent(session, AgentEvent.Kind.CONNECTED, List.of()));
    log.info("Agent connected agent={} company={} branch={}", session.agentId(), session.company(), session.branch());
  }

  private void onClosed(AgentSession session) {
    if (!lastPongNanos.containsKey(session)) {
      return;
    }
    session.closed = true;
    lastPongNanos.remove(session);
    if (sessions.get(session.agentId()) == session) {
      sessions.remove(session.agentId());
      pending.failAgent(session.agentId(), Code.NOT_FOUND, "the agent disconnected");
      presence.unregister(session.agentId());
      publishAgentEvent(session, AgentEvent.Kind.DISCONNECTED, List.of());
    }
    log.info("Agent disconnected agent={}", session.agentId());
  }

  // ---- frames from agents ----

  private void onFrame(AgentSession session, String text) {
    Envelope envelope;
    try {
      envelope = Envelope.parse(text);
    } catch (Envelope.ParseException e) {
      reject(session, e.id(), e.code(), e.getMessage());
      return;
    }
    switch (envelope.type()) {
      case "printers.sync" -> onPrintersSync(session, envelope);
      case "printer.status" -> onPrinterStatus(session, envelope);
      case "job.result" -> onJobResult(session, envelope);
      case Envelope.RESPONSE -> {
        if (envelope.id() == null || !pending.answer(envelope.id(), session.agentId(), envelope)) {
          reject(session, null, Code.NOT_FOUND, "no request waits for this response");
        }
      }
      default -> reject(session, envelope.id(), Code.UNKNOWN_TYPE, "unknown type " + envelope.type());
    }
  }

  private void onPrintersSync(AgentSession session, Envelope envelope) {
    if (!(envelope.data().getValue("printers") instanceof JsonArray list)) {
      reject(session, envelope.id(), Code.INVALID_DATA, "printers must be a list");
      return;
    }
    List<PrinterInfo> printers = new ArrayList<>();
    for (Object item : list) {
      if (!(item instanceof JsonObject p) || !(p.getValue("id") instanceof String id) || id.isBlank()) {
        reject(session, envelope.id(), Code.INVALID_DATA, "each printer needs an id");
        return;
      }
      String status = p.getString("status", "online");
      if (!PRINTER_STATUSES.contains(status)) {
        reject(session, envelope.id(), Code.INVALID_DATA, "unknown printer status " + status);
        return;
      }
      printers.add(new PrinterInfo(id, p.getString("name", id), status));
    }
    publishAgentEvent(session, AgentEvent.Kind.PRINTERS_SYNCED, printers);
    acknowledge(session, envelope, new JsonObject().put("printers", printers.size()));
  }

  private void onPrinterStatus(AgentSession session, Envelope envelope) {
    JsonObject data = envelope.data();
    String printerId = data.getValue("printerId") instanceof String s ? s : null;
    String status = data.getValue("status") instanceof String s ? s : null;
    if (printerId == null || printerId.isBlank() || status == null || !PRINTER_STATUSES.contains(status)) {
      reject(session, envelope.id(), Code.INVALID_DATA, "printerId and a known status are required");
      return;
    }
    var event =
        new PrinterStatusEvent(
            session.agentId(), session.company(), session.branch(), printerId, status,
            data.getValue("detail") instanceof String d ? d : null, Instant.now());
    vertx.eventBus().publish(Addresses.EVENTS_PRINTER, event.toJson());
    acknowledge(session, envelope, new JsonObject());
  }

  private void onJobResult(AgentSession session, Envelope envelope) {
    JsonObject data = envelope.data();
    String jobId = data.getValue("jobId") instanceof String s ? s : null;
    String outcome = data.getValue("outcome") instanceof String s ? s : null;
    if (jobId == null || jobId.isBlank() || !("printed".equals(outcome) || "failed".equals(outcome))) {
      reject(session, envelope.id(), Code.INVALID_DATA, "jobId and an outcome of printed or failed are required");
      return;
    }
    var result =
        new JobResult(jobId, session.agentId(), session.company(), outcome,
            data.getValue("error") instanceof String e ? e : null, Instant.now());
    deliverResult(result, 1)
        .onSuccess(v -> acknowledge(session, envelope, new JsonObject()))
        .onFailure(e -> {
          log.warn("Job result not recorded job={} agent={}: {}", jobId, session.agentId(), e.toString());
          reject(session, envelope.id(), Code.UNAVAILABLE, "the result could not be recorded, send it again");
        });
  }

  /** A result is acknowledged by the printing instance that wrote it; retried a few times. */
  private Future<Void> deliverResult(JobResult result, int attempt) {
    return vertx.eventBus()
        .request(Addresses.PRINTING_RESULTS, result.toJson(), new DeliveryOptions().setSendTimeout(5_000))
        .<Void>mapEmpty()
        .recover(e -> {
          if (attempt >= 3) {
            return Future.failedFuture(e);
          }
          Promise<Void> retry = Promise.promise();
          vertx.setTimer(200L * attempt, id -> deliverResult(result, attempt + 1).onComplete(retry));
          return retry.future();
        });
  }

  private static void acknowledge(AgentSession session, Envelope request, JsonObject data) {
    if (request.id() != null) {
      session.send(Envelope.response(request.id(), data));
    }
  }

  private static void reject(AgentSession session, String id, Code code, String message) {
    session.send(id != null ? Envelope.errorResponse(id, code, message) : Envelope.errorEvent(code, message, null));
  }

  // ---- requests from the cluster to agents ----

  private void onGatewayRequest(Message<JsonObject> message) {
    String action = message.headers().get(Addresses.ACTION_HEADER);
    String agentId;
    String type;
    JsonObject data;
    try {
      if (DispatchRequest.ACTION.equals(action)) {
        var request = DispatchRequest.fromJson(message.body());
        agentId = request.agentId();
        type = "job.dispatch";
        data = new JsonObject()
            .put("jobId", request.jobId())
            .put("printerId", request.printerId())
            .put("contentType", request.contentType())
            .put("content", request.content())
            .put("copies", request.copies())
            .put("createdAt", request.createdAt().toString());
      } else if (PrinterTestRequest.ACTION.equals(action)) {
        var request = PrinterTestRequest.fromJson(message.body());
        agentId = request.agentId();
        type = "printer.test";
        data = new JsonObject().put("printerId", request.printerId());
      } else {
        message.reply(AgentReply.failed("invalid_data", "unknown action " + action).toJson());
        return;
      }
    } catch (IllegalArgumentException e) {
      message.reply(AgentReply.failed("invalid_data", e.getMessage()).toJson());
      return;
    }
    AgentSession session = sessions.get(agentId);
    if (session == null || session.closed) {
      message.reply(AgentReply.failed("not_found", "agent " + agentId + " is not connected to " + runtime.instanceId()).toJson());
      return;
    }
    if (draining) {
      message.reply(AgentReply.failed("unavailable", "gateway is draining").toJson());
      return;
    }
    String correlationId = "g-" + correlation.incrementAndGet();
    pending.add(correlationId, agentId, config.agentRequestTimeout().toNanos(), outcome -> {
      if (outcome.response() == null) {
        message.reply(AgentReply.failed(outcome.errorCode().wire(), outcome.errorMessage()).toJson());
      } else if (outcome.response().error() != null) {
        message.reply(AgentReply.failed(outcome.response().error().code(), outcome.response().error().message()).toJson());
      } else {
        message.reply(AgentReply.answered(outcome.response().data()).toJson());
      }
    });
    session.send(Envelope.request(type, correlationId, data));
  }

  /** Another gateway accepted an agent we hold: the newer connection wins everywhere. */
  private void onAgentEvent(Message<JsonObject> message) {
    AgentEvent event;
    try {
      event = AgentEvent.fromJson(message.body());
    } catch (RuntimeException e) {
      return;
    }
    if (event.kind() == AgentEvent.Kind.CONNECTED && !event.instanceId().equals(runtime.instanceId())) {
      AgentSession local = sessions.get(event.agentId());
      if (local != null && local.connectedAt.isBefore(event.at())) {
        log.info("Agent connected to another gateway, closing here agent={} other={}", event.agentId(), event.instanceId());
        local.close(CLOSE_REPLACED, "replaced by a newer connection");
      }
    }
  }

  private void publishAgentEvent(AgentSession session, AgentEvent.Kind kind, List<PrinterInfo> printers) {
    var event = new AgentEvent(kind, session.agentId(), session.company(), session.branch(), runtime.instanceId(), printers, Instant.now());
    vertx.eventBus().publish(Addresses.EVENTS_AGENT, event.toJson());
  }

  // ---- periodic work ----

  private void refreshPresence() {
    presence.refresh(List.copyOf(sessions.keySet()))
        .onFailure(e -> log.warn("Presence refresh failed agents={}: {}", sessions.size(), e.toString()));
  }

  private void pingAll() {
    long now = System.nanoTime();
    long timeout = config.pongTimeout().toNanos();
    for (var entry : List.copyOf(lastPongNanos.entrySet())) {
      AgentSession session = entry.getKey();
      if (now - entry.getValue() > timeout) {
        session.close(CLOSE_GOING_AWAY, "no pong within " + config.pongTimeout().toSeconds() + " s");
      } else if (!session.closed) {
        session.socket.writePing(Buffer.buffer("p"));
      }
    }
  }

  /** Drain: refuse new agents, answer waiting requests, close every socket with 1012. */
  public Future<Void> closeAllForDrain() {
    draining = true;
    pending.failAll(Code.UNAVAILABLE, "gateway is draining");
    var all = List.copyOf(sessions.values());
    log.info("Closing agent sockets for drain agents={}", all.size());
    all.forEach(s -> s.close(CLOSE_SERVICE_RESTART, "instance draining, reconnect"));
    Promise<Void> settled = Promise.promise();
    // Give the close frames a moment to leave and the presence deletes to land.
    vertx.setTimer(all.isEmpty() ? 1 : 500, id -> settled.complete());
    return settled.future();
  }

  private static Future<Void> registered(MessageConsumer<?> consumer) {
    Promise<Void> promise = Promise.promise();
    consumer.completionHandler(promise);
    return promise.future();
  }
}
