package dev.printfleet.gateway.agent;

import dev.printfleet.common.history.PrintingHistory;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.AgentEvent;
import dev.printfleet.common.messages.AgentReply;
import dev.printfleet.common.messages.DispatchRequest;
import dev.printfleet.common.messages.PresenceRestored;
import dev.printfleet.common.messages.PrinterTestRequest;
import dev.printfleet.common.presence.AgentKey;
import dev.printfleet.common.presence.PresenceRegistry;
import dev.printfleet.common.protocol.Envelope.Code;
import dev.printfleet.gateway.GatewayConfig;
import dev.printfleet.gateway.session.CloseCodes;
import dev.printfleet.gateway.session.Session;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agents of the whole gateway process, whichever event loop holds their socket: one session per
 * agent (company and agent id), the requests waiting on agents, presence, and the consumers of what
 * must be handled once per process (a dispatch to this instance, another gateway's connect). A
 * session is touched only on its own loop: what reaches it from here hops to its endpoint's
 * context. The map is concurrent; everything else here runs on the context that {@link #start}ed
 * it.
 */
public final class AgentDirectory {

  private static final Logger log = LoggerFactory.getLogger(AgentDirectory.class);

  /** Tries to tell printing that agents are reachable again: about 12 s of retries. */
  private static final int ANNOUNCE_ATTEMPTS = 7;

  private static final long REQUEST_TIMEOUT_MS = 5_000;

  /** A session and the endpoint (the event loop) that owns its socket. */
  record Held(Session session, AgentEndpoint endpoint) {}

  /** A request for an agent, read from the event bus message. */
  record AgentRequest(AgentKey agent, String type, JsonObject data, long contentBytes) {}

  private final Vertx vertx;
  private final ServiceRuntime runtime;
  private final PresenceRegistry presence;
  private final ConcurrentMap<AgentKey, Held> held = new ConcurrentHashMap<>();
  private final PendingRequests pending;
  private final AtomicLong correlation = new AtomicLong();
  private final List<Long> timers = new ArrayList<>();
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private volatile boolean draining;
  private final PrintingHistory printingHistory;

  public AgentDirectory(
      Vertx vertx, ServiceRuntime runtime, GatewayConfig config, PresenceRegistry presence) {
    this.vertx = vertx;
    this.runtime = runtime;
    this.presence = presence;
    this.pending = new PendingRequests(config.maxPendingRequests());
    this.printingHistory =
        new PrintingHistory(
            vertx, runtime.redis(), runtime.settings().redis(), config.printingHistory());
  }

  /** Where every loop's printer statuses are kept for dashboards that recover. */
  PrintingHistory printingHistory() {
    return printingHistory;
  }

  /** Registers the process's consumers and periodic work on the calling context. */
  public Future<Void> start() {
    var bus = vertx.eventBus();
    MessageConsumer<JsonObject> requests =
        bus.consumer(Addresses.gateway(runtime.instanceId()), this::onGatewayRequest);
    MessageConsumer<JsonObject> agentEvents =
        bus.consumer(Addresses.EVENTS_AGENT, this::onAgentEvent);
    consumers.add(requests);
    consumers.add(agentEvents);
    long refreshMs = Math.max(1000, presence.ttl().toMillis() / 3);
    timers.add(vertx.setPeriodic(refreshMs, id -> refreshPresence()));
    timers.add(vertx.setPeriodic(1000, id -> pending.sweep(System.nanoTime())));
    return Future.all(registered(requests), registered(agentEvents)).mapEmpty();
  }

  public void stop() {
    timers.forEach(vertx::cancelTimer);
    consumers.forEach(MessageConsumer::unregister);
  }

  public int agents() {
    return held.size();
  }

  boolean draining() {
    return draining;
  }

  PresenceRegistry presence() {
    return presence;
  }

  PendingRequests pending() {
    return pending;
  }

  String nextCorrelationId() {
    return "g-" + correlation.incrementAndGet();
  }

  /** Holds a new session; returns the one it replaces in this process, if any. */
  Held hold(AgentKey key, Held session) {
    return held.put(key, session);
  }

  /**
   * Forgets a session unless a newer one of its agent replaced it; false when it had been replaced.
   */
  boolean release(AgentKey key, Held session) {
    return held.remove(key, session);
  }

  /** The sessions one endpoint owns. */
  List<Session> heldBy(AgentEndpoint endpoint) {
    List<Session> mine = new ArrayList<>();
    held.values()
        .forEach(
            h -> {
              if (h.endpoint() == endpoint) {
                mine.add(h.session());
              }
            });
    return mine;
  }

  // ---- requests from the cluster to agents ----

  private void onGatewayRequest(Message<JsonObject> message) {
    String action = message.headers().get(Addresses.ACTION_HEADER);
    AgentRequest request;
    try {
      if (DispatchRequest.ACTION.equals(action)) {
        var dispatch = DispatchRequest.fromJson(message.body());
        var data =
            new JsonObject()
                .put("jobId", dispatch.jobId())
                .put("printerId", dispatch.printerId())
                .put("contentType", dispatch.contentType())
                .put("content", dispatch.content())
                .put("copies", dispatch.copies())
                .put("createdAt", dispatch.createdAt().toString());
        request =
            new AgentRequest(
                new AgentKey(dispatch.company(), dispatch.agentId()),
                "job.dispatch",
                data,
                dispatch.content().length());
      } else if (PrinterTestRequest.ACTION.equals(action)) {
        var test = PrinterTestRequest.fromJson(message.body());
        request =
            new AgentRequest(
                new AgentKey(test.company(), test.agentId()),
                "printer.test",
                new JsonObject().put("printerId", test.printerId()),
                0);
      } else {
        message.reply(AgentReply.failed("invalid_data", "unknown action " + action).toJson());
        return;
      }
    } catch (IllegalArgumentException e) {
      message.reply(AgentReply.failed("invalid_data", e.getMessage()).toJson());
      return;
    }
    Held session = held.get(request.agent());
    if (session == null) {
      message.reply(notConnected(request.agent()).toJson());
      return;
    }
    // The socket belongs to its own event loop: the request is sent from there.
    session
        .endpoint()
        .onLoop(() -> session.endpoint().request(session.session(), message, request));
  }

  AgentReply notConnected(AgentKey agent) {
    return AgentReply.notSent(
        "not_found", "agent " + agent + " is not connected to " + runtime.instanceId());
  }

  /** Another gateway accepted an agent we hold: the newer connection wins everywhere. */
  private void onAgentEvent(Message<JsonObject> message) {
    AgentEvent event;
    try {
      event = AgentEvent.fromJson(message.body());
    } catch (RuntimeException e) {
      return;
    }
    if (event.kind() == AgentEvent.Kind.CONNECTED
        && !event.instanceId().equals(runtime.instanceId())) {
      // Keyed by company too: another company's agent with the same id is a different agent.
      Held local = held.get(new AgentKey(event.company(), event.agentId()));
      if (local == null) {
        return;
      }
      local
          .endpoint()
          .onLoop(
              () -> {
                if (local.session().connectedAt().isBefore(event.at())) {
                  log.info(
                      "Agent connected to another gateway, closing here agent={} company={} other={}",
                      event.agentId(),
                      event.company(),
                      event.instanceId());
                  local.session().close(CloseCodes.REPLACED, "replaced by a newer connection");
                }
              });
    }
  }

  /**
   * A result or a printer list is acknowledged by the printing instance that wrote it; retried a
   * few times. Writes are idempotent, so a retry after a lost reply does no harm. Runs on the
   * caller's context.
   */
  Future<JsonObject> requestPrinting(String address, JsonObject body) {
    return requestPrinting(address, body, 3, REQUEST_TIMEOUT_MS);
  }

  /** Tried up to {@code attempts} times, each waiting {@code timeoutMs} for its answer. */
  Future<JsonObject> requestPrinting(
      String address, JsonObject body, int attempts, long timeoutMs) {
    return tryRequest(address, body, 1, attempts, timeoutMs);
  }

  /** The wait before each retry doubles from 200 ms. */
  private Future<JsonObject> tryRequest(
      String address, JsonObject body, int attempt, int attempts, long timeoutMs) {
    return vertx
        .eventBus()
        .<JsonObject>request(address, body, new DeliveryOptions().setSendTimeout(timeoutMs))
        .map(reply -> reply.body() == null ? new JsonObject() : reply.body())
        .recover(
            e -> {
              if (attempt >= attempts) {
                return Future.failedFuture(e);
              }
              Promise<JsonObject> retry = Promise.promise();
              vertx.setTimer(
                  200L << Math.min(attempt - 1, 6),
                  id ->
                      tryRequest(address, body, attempt + 1, attempts, timeoutMs)
                          .onComplete(retry));
              return retry.future();
            });
  }

  // ---- presence, once per process ----

  private void refreshPresence() {
    presence
        .refresh(List.copyOf(held.keySet()), held::containsKey)
        .onSuccess(
            missing -> {
              if (!missing.isEmpty()) {
                log.warn(
                    "Presence entries were missing and are written again agents={}",
                    missing.size());
                announcePresence(missing);
              }
            })
        .onFailure(
            e -> log.warn("Presence refresh failed agents={}: {}", held.size(), e.toString()));
  }

  /**
   * Writes the presence of every agent held here again and tells printing that their queued jobs
   * can reach them: for when Redis lost its data (the cluster guard calls it), so their jobs go out
   * now rather than at the next refresh or their offline wait.
   */
  public Future<Void> restorePresence() {
    List<AgentKey> agents = List.copyOf(held.keySet());
    return presence
        .refresh(agents, held::containsKey)
        .onSuccess(
            missing ->
                log.info(
                    "Presence written again agents={} missing={}", agents.size(), missing.size()))
        .compose(missing -> announcePresence(agents));
  }

  /** Tells one printing instance, in chunks, that these agents are reachable here again. */
  private Future<Void> announcePresence(List<AgentKey> agents) {
    Future<Void> chain = Future.succeededFuture();
    for (int from = 0; from < agents.size(); from += PresenceRestored.MAX_AGENTS) {
      var message =
          new PresenceRestored(
              runtime.instanceId(),
              agents.subList(from, Math.min(agents.size(), from + PresenceRestored.MAX_AGENTS)));
      // Patient: after Redis lost its data, printing's consumers are unreachable until its own
      // guard has put them back (a few seconds), and a release not heard leaves jobs waiting.
      chain =
          chain.compose(
              v ->
                  requestPrinting(
                          Addresses.PRINTING_AGENTS,
                          message.toJson(),
                          ANNOUNCE_ATTEMPTS,
                          REQUEST_TIMEOUT_MS)
                      .onFailure(
                          e ->
                              log.warn(
                                  "Printing not told that presence is back agents={}: {}",
                                  message.agents().size(),
                                  e.toString()))
                      .<Void>mapEmpty()
                      .recover(e -> Future.succeededFuture()));
    }
    return chain;
  }

  /** Drain, first step: refuse new agents and dispatches, answer every waiting request. */
  public void startDraining() {
    draining = true;
    pending.failAll(Code.UNAVAILABLE, "gateway is draining");
  }

  private static Future<Void> registered(MessageConsumer<?> consumer) {
    Promise<Void> promise = Promise.promise();
    consumer.completionHandler(promise);
    return promise.future();
  }
}
