package dev.printfleet.gateway.agent;

import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.auth.Role;
import dev.printfleet.common.lifecycle.OnEventLoop;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.AgentEvent;
import dev.printfleet.common.messages.AgentReply;
import dev.printfleet.common.messages.JobResult;
import dev.printfleet.common.messages.PrinterInfo;
import dev.printfleet.common.messages.PrinterStatusEvent;
import dev.printfleet.common.messages.PrintersSync;
import dev.printfleet.common.presence.AgentKey;
import dev.printfleet.common.presence.PresenceRegistry;
import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.common.protocol.Envelope.Code;
import dev.printfleet.gateway.GatewayConfig;
import dev.printfleet.gateway.connection.CloseCodes;
import dev.printfleet.gateway.connection.Connection;
import dev.printfleet.gateway.connection.ConnectionRegistry;
import dev.printfleet.gateway.connection.GatewayMetrics;
import dev.printfleet.gateway.connection.Handshake;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /ws/agent} on one event loop: authenticates agents before the upgrade, holds their
 * sessions in the process's {@link AgentDirectory} (one per agent, company and agent id: agent ids
 * are unique only within a company), registers presence, turns agent frames into cluster events and
 * event bus requests into agent requests. Confined to its verticle's event loop: the directory hops
 * here ({@link #onLoop}) to reach a socket of this loop.
 */
public final class AgentEndpoint {

  private static final Logger log = LoggerFactory.getLogger(AgentEndpoint.class);

  /**
   * A result not answered within this is sent again. Longer than other requests: under load its
   * write can wait its turn for the database, and a copy sent while the first still waits is only
   * more work for it (both are written, the second as a duplicate).
   */
  private static final long RESULT_TIMEOUT_MS = 15_000;

  private final Vertx vertx;

  /** Runs a task on this endpoint's event loop: at once when already there, else queued to it. */
  private final OnEventLoop loop;

  private final ServiceRuntime runtime;
  private final GatewayConfig config;
  private final AgentDirectory directory;
  private final PresenceRegistry presence;
  private final ConnectionRegistry registry;
  private final GatewayMetrics metrics;
  private final Handshake handshake;

  /** Per agent connection: the printers of its last valid sync, which alone it may report on. */
  private final Map<Connection, SyncedPrinters> synced = new HashMap<>();

  private final PendingRequests pending;
  private final StatusPublisher statuses;

  public AgentEndpoint(
      Vertx vertx,
      Context context,
      ServiceRuntime runtime,
      GatewayConfig config,
      AgentDirectory directory,
      ConnectionRegistry registry,
      GatewayMetrics metrics) {
    this.vertx = vertx;
    // Built in the verticle's start, on its event loop.
    this.loop = OnEventLoop.current();
    this.runtime = runtime;
    this.config = config;
    this.directory = directory;
    this.presence = directory.presence();
    this.registry = registry;
    this.metrics = metrics;
    this.handshake = new Handshake(runtime.tokens(), Set.of(Role.AGENT), List.of());
    this.pending = directory.pending();
    this.statuses = new StatusPublisher(vertx, context);
  }

  /** Runs a task on this endpoint's event loop, the only thread that may touch its sockets. */
  void onLoop(Runnable task) {
    loop.execute(task);
  }

  // ---- connecting ----

  public void upgrade(HttpServerRequest request) {
    handshake.upgrade(request, directory.draining(), this::accept);
  }

  private void accept(Principal principal, ServerWebSocket socket) {
    if (directory.draining()) {
      // The drain began while the token was checked: this socket missed the drain's close.
      socket.close(CloseCodes.SERVICE_RESTART, "instance draining, reconnect");
      return;
    }
    socket.setWriteQueueMaxSize((int) Math.min(Integer.MAX_VALUE, config.agentWriteQueueBytes()));
    var session =
        new Connection(Connection.Kind.AGENT, principal, socket, config.limits(), metrics);
    String agentId = principal.subject();
    AgentKey key = keyOf(session);
    var older = directory.hold(key, new AgentDirectory.Held(session, this));
    if (older != null) {
      log.info(
          "Agent connected again, closing the older socket agent={} company={}",
          agentId,
          principal.company());
      // The older socket may be on another event loop: closed there.
      older
          .endpoint()
          .onLoop(
              () -> older.session().close(CloseCodes.REPLACED, "replaced by a newer connection"));
    }
    registry.add(session);
    socket.textMessageHandler(text -> onFrame(session, text));
    socket.binaryMessageHandler(
        b -> {
          if (session.admit("binary", System.nanoTime())) {
            session.reject(
                null, Code.BAD_ENVELOPE, "binary frames are not accepted; send JSON text frames");
          }
        });
    socket.exceptionHandler(
        e -> log.debug("Agent socket error agent={}: {}", agentId, e.toString()));
    socket.closeHandler(v -> onClosed(session));

    session.send(
        Envelope.event(
            "welcome",
            new JsonObject()
                .put("sessionId", session.id())
                .put("instance", runtime.instanceId())
                .put("heartbeatMs", config.pingInterval().toMillis())));
    presence
        .register(key)
        .onFailure(e -> log.warn("Could not register presence agent={}: {}", key, e.toString()))
        .onComplete(
            v -> {
              // Gone during the write: its DISCONNECTED went out already, and a CONNECTED after it
              // would leave printing and the dashboards believing it online.
              if (!session.isClosed()) {
                publishAgentEvent(session, AgentEvent.Kind.CONNECTED, List.of());
              }
            });
    log.info(
        "Agent connected agent={} company={} branch={}",
        agentId,
        principal.company(),
        branchOf(session));
  }

  private void onClosed(Connection session) {
    synced.remove(session);
    if (!registry.remove(session)) {
      return;
    }
    String agentId = session.principal().subject();
    AgentKey key = keyOf(session);
    if (directory.release(key, new AgentDirectory.Held(session, this))) {
      pending.failAgent(key, Code.NOT_FOUND, "the agent disconnected");
      // Replaced by a newer connection on another gateway: the agent is still online there, so
      // neither its presence nor a disconnect event may go out from here.
      if (session.closedWith() != CloseCodes.REPLACED) {
        presence.unregister(key);
        publishAgentEvent(session, AgentEvent.Kind.DISCONNECTED, List.of());
      }
    }
    log.info("Agent disconnected agent={} status={}", agentId, session.socket().closeStatusCode());
  }

  private static AgentKey keyOf(Connection session) {
    return new AgentKey(session.principal().company(), session.principal().subject());
  }

  private static String branchOf(Connection session) {
    return session.principal().branch().orElseThrow();
  }

  // ---- frames from agents ----

  /** Messages over the size limit never get here: MessageSizeGuard closes their socket 1009. */
  private void onFrame(Connection session, String text) {
    Envelope envelope;
    try {
      envelope = Envelope.parse(text);
    } catch (Envelope.ParseException e) {
      if (session.admit(null, System.nanoTime())) {
        session.reject(e.id(), e.code(), e.getMessage());
      }
      return;
    }
    if (!session.admit(envelope.type(), System.nanoTime())) {
      return;
    }
    switch (envelope.type()) {
      case "printers.sync" -> onPrintersSync(session, envelope);
      case "printer.status" -> onPrinterStatus(session, envelope);
      case "job.result" -> onJobResult(session, envelope);
      case Envelope.RESPONSE -> {
        if (envelope.id() == null || !pending.answer(envelope.id(), keyOf(session), envelope)) {
          session.reject(null, Code.NOT_FOUND, "no request waits for this response");
        }
      }
      default ->
          session.reject(envelope.id(), Code.UNKNOWN_TYPE, "unknown type " + envelope.type());
    }
  }

  /**
   * The list is bounded and checked whole, then written by one printing instance; the agent is
   * acknowledged once it is stored. One sync per connection is written at a time: a second one
   * meanwhile is refused, so an older list never overwrites a newer one and no connection queues
   * lists in memory. The printers count as the agent's from the moment the list is accepted here:
   * the statuses an agent sends right after its sync must not race the write.
   */
  private void onPrintersSync(Connection session, Envelope envelope) {
    List<PrinterInfo> printers;
    try {
      printers =
          PrinterList.read(envelope.data().getValue("printers"), config.maxPrintersPerAgent());
    } catch (PrinterList.Refused e) {
      session.reject(envelope.id(), Code.INVALID_DATA, e.getMessage());
      return;
    }
    var state = synced.computeIfAbsent(session, s -> new SyncedPrinters());
    if (state.writing) {
      session.reject(
          envelope.id(),
          Code.RATE_LIMITED,
          "the previous printers.sync is still being stored; send this one once it is answered");
      return;
    }
    var principal = session.principal();
    var sync =
        new PrintersSync(
            principal.subject(), principal.company(), branchOf(session), printers, Instant.now());
    Set<String> before = state.ids;
    state.ids = Set.copyOf(printers.stream().map(PrinterInfo::id).toList());
    state.writing = true;
    directory
        .requestPrinting(Addresses.PRINTING_PRINTERS, sync.toJson())
        .onComplete(done -> state.writing = false)
        .onSuccess(
            reply -> {
              if (reply.getValue(PrintersSync.OTHER_BRANCH) instanceof JsonArray taken
                  && !taken.isEmpty()) {
                state.ids = before;
                session.reject(
                    envelope.id(),
                    Code.FORBIDDEN,
                    "printers of another branch are not this agent's: " + taken.encode());
                return;
              }
              publishAgentEvent(session, AgentEvent.Kind.PRINTERS_SYNCED, printers);
              acknowledge(session, envelope, new JsonObject().put("printers", printers.size()));
            })
        .onFailure(
            e -> {
              // Not stored: the agent may report only on the printers of its last list that was.
              state.ids = before;
              log.warn(
                  "Printers not stored agent={} printers={}: {}",
                  principal.subject(),
                  printers.size(),
                  e.toString());
              session.reject(
                  envelope.id(),
                  Code.UNAVAILABLE,
                  "the printers could not be stored, send them again");
            });
  }

  /** What one agent connection synced; confined to the event loop like the sessions. */
  private static final class SyncedPrinters {
    Set<String> ids = Set.of();
    boolean writing;
  }

  private void onPrinterStatus(Connection session, Envelope envelope) {
    JsonObject data = envelope.data();
    String printerId = data.getValue("printerId") instanceof String s ? s : null;
    String status = data.getValue("status") instanceof String s ? s : null;
    if (printerId == null
        || printerId.isBlank()
        || status == null
        || !PrinterList.isStatus(status)) {
      session.reject(envelope.id(), Code.INVALID_DATA, "printerId and a known status are required");
      return;
    }
    Object detail = data.getValue("detail");
    if (detail != null
        && !(detail instanceof String d && AgentText.isFreeText(d, AgentText.MAX_DETAIL_LENGTH))) {
      session.reject(
          envelope.id(),
          Code.INVALID_DATA,
          "detail is text of at most "
              + AgentText.MAX_DETAIL_LENGTH
              + " characters without control characters");
      return;
    }
    var own = synced.get(session);
    if (own == null || !own.ids.contains(printerId)) {
      session.reject(
          envelope.id(), Code.NOT_FOUND, "the printer is not in this agent's last printers.sync");
      return;
    }
    var event =
        new PrinterStatusEvent(
            session.principal().subject(),
            session.principal().company(),
            branchOf(session),
            printerId,
            status,
            (String) detail,
            Instant.now());
    statuses.add(event);
    acknowledge(session, envelope, new JsonObject());
  }

  private void onJobResult(Connection session, Envelope envelope) {
    JsonObject data = envelope.data();
    String jobId = data.getValue("jobId") instanceof String s ? s : null;
    String outcome = data.getValue("outcome") instanceof String s ? s : null;
    if (jobId == null
        || jobId.isBlank()
        || jobId.length() > AgentText.MAX_JOB_ID_LENGTH
        || !AgentText.isPlain(jobId)
        || !("printed".equals(outcome) || "failed".equals(outcome))) {
      session.reject(
          envelope.id(),
          Code.INVALID_DATA,
          "jobId and an outcome of printed or failed are required");
      return;
    }
    Object error = data.getValue("error");
    if (error != null
        && !(error instanceof String e && AgentText.isFreeText(e, AgentText.MAX_DETAIL_LENGTH))) {
      session.reject(
          envelope.id(),
          Code.INVALID_DATA,
          "error is text of at most "
              + AgentText.MAX_DETAIL_LENGTH
              + " characters without control characters");
      return;
    }
    var result =
        new JobResult(
            jobId,
            session.principal().subject(),
            session.principal().company(),
            outcome,
            (String) error,
            Instant.now());
    directory
        .requestPrinting(Addresses.PRINTING_RESULTS, result.toJson(), 3, RESULT_TIMEOUT_MS)
        .onSuccess(
            reply -> {
              if (JobResult.NOT_DISPATCHED_TO_AGENT.equals(reply.getString("reason"))) {
                log.info(
                    "Job result refused, the job was not dispatched to this agent job={} agent={} company={}",
                    jobId,
                    session.principal().subject(),
                    session.principal().company());
                session.reject(
                    envelope.id(), Code.FORBIDDEN, "this job was not dispatched to this agent");
              } else {
                acknowledge(session, envelope, new JsonObject());
              }
            })
        .onFailure(
            e -> {
              log.warn(
                  "Job result not recorded job={} agent={}: {}",
                  jobId,
                  session.principal().subject(),
                  e.toString());
              session.reject(
                  envelope.id(),
                  Code.UNAVAILABLE,
                  "the result could not be recorded, send it again");
            });
  }

  private static void acknowledge(Connection session, Envelope request, JsonObject data) {
    if (request.id() != null) {
      session.send(Envelope.response(request.id(), data));
    }
  }

  private static void reject(Connection session, String id, Code code, String message) {
    session.send(
        id != null
            ? Envelope.errorResponse(id, code, message)
            : Envelope.errorEvent(code, message, null));
  }

  // ---- requests from the cluster to agents ----

  /**
   * Sends a request from the cluster to an agent whose socket this loop holds; called on this loop
   * by the directory, which took the request off the event bus.
   */
  void send(Connection session, Message<JsonObject> message, AgentDirectory.AgentRequest request) {
    AgentKey agent = request.agent();
    String type = request.type();
    JsonObject data = request.data();
    long contentBytes = request.contentBytes();
    if (session.isClosed()) {
      message.reply(directory.notConnected(agent).toJson());
      return;
    }
    if (directory.draining()) {
      message.reply(AgentReply.notSent("unavailable", "gateway is draining").toJson());
      return;
    }
    boolean dispatch = "job.dispatch".equals(type);
    // A slow agent gets fewer jobs, never an unbounded buffer: its socket's write queue is capped
    // (set on accept), and a dispatch that finds it full is refused at once; printing puts the job
    // back for a moment without using an attempt.
    if (dispatch
        && (session.writeQueueFull()
            || session.dispatchBytes() + contentBytes > config.agentDispatchBytes()
                && session.dispatchBytes() > 0)) {
      metrics.agentRequest(type, AgentReply.BUSY, Duration.ZERO);
      message.reply(
          AgentReply.failed(AgentReply.BUSY, "agent " + agent + " is behind on its socket")
              .toJson());
      return;
    }
    String correlationId = directory.nextCorrelationId();
    long sentAt = System.nanoTime();
    long bytes = contentBytes;
    Promise<AgentReply> answer = Promise.promise();
    // Captures neither the request's message nor its data: what waits here is a few small objects.
    pending.add(
        correlationId,
        agent,
        config.agentRequestTimeout().toNanos(),
        loop,
        outcome -> {
          String result =
              outcome.response() == null
                  ? outcome.errorCode().wire()
                  : outcome.response().error() != null ? "agent_error" : "ok";
          metrics.agentRequest(type, result, Duration.ofNanos(System.nanoTime() - sentAt));
          session.dispatchAnswered(bytes);
          if (outcome.response() == null && outcome.errorCode() != Code.TIMEOUT) {
            // The agent went away, or this gateway dropped the request (evicted, draining): the
            // route failed, not the printer.
            answer.complete(AgentReply.notSent(outcome.errorCode().wire(), outcome.errorMessage()));
          } else if (outcome.response() == null) {
            answer.complete(AgentReply.failed(outcome.errorCode().wire(), outcome.errorMessage()));
          } else if (outcome.response().error() != null) {
            answer.complete(
                AgentReply.failed(
                    outcome.response().error().code(), outcome.response().error().message()));
          } else {
            answer.complete(AgentReply.answered(outcome.response().data()));
          }
        });
    session.dispatchSent(bytes);
    session.expectAnswers(dispatch ? 2 : 1);
    session.send(Envelope.request(type, correlationId, data));
    if (!dispatch) {
      answer.future().onSuccess(reply -> message.reply(reply.toJson()));
      return;
    }
    // The dispatch's message holds the job's content, its wire bytes too: it is answered now, and
    // the agent's answer goes back on the sender's follow-up (DispatchRequest's two steps).
    message
        .<JsonObject>replyAndRequest(
            AgentReply.written().toJson(),
            new DeliveryOptions().setSendTimeout(config.agentRequestTimeout().toMillis() + 5_000))
        .onSuccess(followUp -> answer.future().onSuccess(reply -> followUp.reply(reply.toJson())))
        .onFailure(e -> log.debug("No follow-up for a dispatch agent={}: {}", agent, e.toString()));
  }

  /**
   * Connects and disconnects go to one printing instance, which writes them (printers online,
   * queued jobs released) once however many printing instances run; they are also published for
   * monitoring and the other gateways. The event's time lets printing drop one that arrives after a
   * newer one (a disconnect from the old gateway after the connect on the new).
   */
  private void publishAgentEvent(
      Connection session, AgentEvent.Kind kind, List<PrinterInfo> printers) {
    var principal = session.principal();
    var event =
        new AgentEvent(
            kind,
            principal.subject(),
            principal.company(),
            branchOf(session),
            runtime.instanceId(),
            printers,
            Instant.now());
    // The statuses read before this event leave before it: watchers see them in that order.
    statuses.flush();
    vertx.eventBus().publish(Addresses.EVENTS_AGENT, event.toJson());
    if (kind != AgentEvent.Kind.PRINTERS_SYNCED) {
      directory
          .requestPrinting(Addresses.PRINTING_AGENTS, event.toJson())
          .onFailure(
              e ->
                  log.warn(
                      "Agent {} not recorded by printing agent={} company={}: {}",
                      kind == AgentEvent.Kind.CONNECTED ? "connect" : "disconnect",
                      principal.subject(),
                      principal.company(),
                      e.toString()));
    }
  }

  /** Drain: close every socket of this loop with 1012 (the directory refuses new agents first). */
  public Future<Void> closeAllForDrain() {
    var all = directory.heldBy(this);
    log.info("Closing agent sockets for drain agents={}", all.size());
    all.forEach(s -> s.close(CloseCodes.SERVICE_RESTART, "instance draining, reconnect"));
    Promise<Void> settled = Promise.promise();
    // Give the close frames a moment to leave and the presence deletes to land.
    vertx.setTimer(all.isEmpty() ? 1 : 500, id -> settled.complete());
    return settled.future();
  }
}
