package dev.printfleet.gateway.agent;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.lifecycle.OnEventLoop;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.messages.AgentEvent;
import dev.printfleet.common.presence.AgentKey;
import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.common.protocol.Envelope.Code;
import dev.printfleet.gateway.GatewayConfig;
import dev.printfleet.gateway.session.Admission;
import dev.printfleet.gateway.session.CloseCodes;
import dev.printfleet.gateway.session.Endpoint;
import dev.printfleet.gateway.session.GatewayMetrics;
import dev.printfleet.gateway.session.Inbound;
import dev.printfleet.gateway.session.Session;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agents of one event loop, whatever their transport: one session per agent in the process's
 * {@link AgentDirectory} (keyed by company and agent id: agent ids are unique only within a
 * company), a newer session replacing an older one (4409), presence, and the agent's connect and
 * disconnect told to the cluster. What agents send is handled by {@link AgentReports}; what the
 * cluster asks of them by {@link AgentRequests}. Confined to its verticle's event loop: the
 * directory hops here ({@link #onLoop}) to reach a session of this loop.
 */
public final class AgentEndpoint implements Endpoint {

  private static final Logger log = LoggerFactory.getLogger(AgentEndpoint.class);

  private final Vertx vertx;

  /** Runs a task on this endpoint's event loop: at once when already there, else queued to it. */
  private final OnEventLoop loop;

  private final String instanceId;
  private final GatewayConfig config;
  private final AgentDirectory directory;
  private final Admission admission;
  private final AgentEvents events;
  private final AgentReports reports;
  private final AgentRequests requests;
  private final Inbound inbound;

  public AgentEndpoint(
      Vertx vertx,
      Context context,
      ServiceRuntime runtime,
      GatewayConfig config,
      AgentDirectory directory,
      GatewayMetrics metrics) {
    this.vertx = vertx;
    // Built in the verticle's start, on its event loop.
    this.loop = OnEventLoop.current();
    this.instanceId = runtime.instanceId();
    this.config = config;
    this.directory = directory;
    this.admission = new Admission(runtime.tokens(), Set.of(Role.AGENT), List.of());
    this.events = new AgentEvents(vertx, context, instanceId, directory);
    this.reports =
        new AgentReports(vertx, context, directory, events, config.maxPrintersPerAgent());
    this.requests = new AgentRequests(vertx, loop, config, directory, metrics);
    this.inbound =
        Inbound.handling()
            .on("printers.sync", reports::printersSync)
            .on("printer.status", reports::printerStatus)
            .on("job.result", reports::jobResult)
            .on(Envelope.RESPONSE, reports::response)
            .build();
  }

  /** Runs a task on this endpoint's event loop, the only thread that may touch its sessions. */
  void onLoop(Runnable task) {
    loop.execute(task);
  }

  /** Sends the cluster's request to an agent of this loop; on this loop. */
  void request(Session session, Message<JsonObject> message, AgentDirectory.AgentRequest request) {
    requests.send(session, message, request);
  }

  @Override
  public Session.Kind kind() {
    return Session.Kind.AGENT;
  }

  @Override
  public Admission admission() {
    return admission;
  }

  @Override
  public boolean draining() {
    return directory.draining();
  }

  @Override
  public long writeQueueBytes() {
    return config.agentWriteQueueBytes();
  }

  @Override
  public Inbound inbound() {
    return inbound;
  }

  @Override
  public void opened(Session session) {
    var principal = session.principal();
    AgentKey key = keyOf(session);
    var older = directory.hold(key, new AgentDirectory.Held(session, this));
    if (older != null) {
      log.info(
          "Agent connected again, closing the older socket agent={} company={}",
          principal.subject(),
          principal.company());
      // The older session may be on another event loop: closed there.
      older
          .endpoint()
          .onLoop(
              () -> older.session().close(CloseCodes.REPLACED, "replaced by a newer connection"));
    }
    session.send(
        Envelope.event(
            "welcome",
            new JsonObject()
                .put("sessionId", session.id())
                .put("instance", instanceId)
                .put("heartbeatMs", config.pingInterval().toMillis())));
    directory
        .presence()
        .register(key)
        .onFailure(e -> log.warn("Could not register presence agent={}: {}", key, e.toString()))
        .onComplete(
            v -> {
              // Gone during the write: its DISCONNECTED went out already, and a CONNECTED after it
              // would leave printing and the dashboards believing it online.
              if (!session.isClosed()) {
                events.publish(session, AgentEvent.Kind.CONNECTED, List.of());
              }
            });
    log.info(
        "Agent connected agent={} company={} branch={}",
        principal.subject(),
        principal.company(),
        principal.branch().orElseThrow());
  }

  @Override
  public void closed(Session session) {
    reports.forget(session);
    AgentKey key = keyOf(session);
    if (directory.release(key, new AgentDirectory.Held(session, this))) {
      directory.pending().failAgent(key, Code.NOT_FOUND, "the agent disconnected");
      // Replaced by a newer connection on another gateway: the agent is still online there, so
      // neither its presence nor a disconnect event may go out from here.
      if (session.closedWith() != CloseCodes.REPLACED) {
        directory.presence().unregister(key);
        events.publish(session, AgentEvent.Kind.DISCONNECTED, List.of());
      }
    }
    log.info(
        "Agent disconnected agent={} company={} status={}",
        session.principal().subject(),
        session.principal().company(),
        session.closeCode());
  }

  private static AgentKey keyOf(Session session) {
    return new AgentKey(session.principal().company(), session.principal().subject());
  }

  /** Drain: closes every session of this loop 1012 (the directory refuses new agents first). */
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
