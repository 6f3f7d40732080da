package dev.printfleet.gateway.agent;

import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.AgentEvent;
import dev.printfleet.common.messages.PrinterInfo;
import dev.printfleet.common.messages.PrinterStatusEvent;
import dev.printfleet.gateway.session.Session;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one event loop's agents tell the cluster: connects, disconnects and printer lists (to
 * monitoring, the other gateways and one printing instance), and their printer statuses in batches.
 * A loop's statuses read before an agent event leave before it. Confined to its event loop.
 */
final class AgentEvents {

  private static final Logger log = LoggerFactory.getLogger(AgentEvents.class);

  private final Vertx vertx;
  private final String instanceId;
  private final AgentDirectory directory;
  private final StatusPublisher statuses;

  AgentEvents(Vertx vertx, Context context, String instanceId, AgentDirectory directory) {
    this.vertx = vertx;
    this.instanceId = instanceId;
    this.directory = directory;
    this.statuses = new StatusPublisher(vertx, context, directory.printingHistory());
  }

  void status(PrinterStatusEvent event) {
    statuses.add(event);
  }

  /**
   * Connects and disconnects go to one printing instance, which writes them (printers online,
   * queued jobs released) once however many printing instances run; they are also published for
   * monitoring and the other gateways. The event's time lets printing drop one that arrives after a
   * newer one (a disconnect from the old gateway after the connect on the new).
   */
  void publish(Session session, AgentEvent.Kind kind, List<PrinterInfo> printers) {
    var principal = session.principal();
    var event =
        new AgentEvent(
            kind,
            principal.subject(),
            principal.company(),
            principal.branch().orElseThrow(),
            instanceId,
            printers,
            Instant.now());
    // The statuses read before this event leave before it: watchers see them in that order. They
    // wait for their history's append, at most its timeout, and no more while Redis is failing.
    statuses.flushThen(() -> publish(event));
  }

  private void publish(AgentEvent event) {
    var kind = event.kind();
    vertx.eventBus().publish(Addresses.EVENTS_AGENT, event.toJson());
    if (kind != AgentEvent.Kind.PRINTERS_SYNCED) {
      directory
          .requestPrinting(Addresses.PRINTING_AGENTS, event.toJson())
          .onFailure(
              e ->
                  log.warn(
                      "Agent {} not recorded by printing agent={} company={}: {}",
                      kind == AgentEvent.Kind.CONNECTED ? "connect" : "disconnect",
                      event.agentId(),
                      event.company(),
                      e.toString()));
    }
  }
}
