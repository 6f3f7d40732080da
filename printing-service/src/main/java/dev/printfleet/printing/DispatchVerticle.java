package dev.printfleet.printing;

import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.AgentEvent;
import dev.printfleet.common.messages.Heartbeat;
import dev.printfleet.common.presence.AgentKey;
import dev.printfleet.printing.dispatch.AgentRoutes;
import dev.printfleet.printing.dispatch.DispatchLoop;
import dev.printfleet.printing.dispatch.GatewayLiveness;
import dev.printfleet.printing.dispatch.ResultsConsumer;
import dev.printfleet.printing.printers.PrinterRegistry;
import dev.printfleet.printing.printers.StatusWrites;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

/**
 * The dispatcher: the claim loop with its timers, and what the event bus brings it (the agents'
 * results, printer lists and statuses, agents connecting and leaving, the gateways' heartbeats).
 * Undeploying it stops the loop, writes what the loop still owes and the statuses reported, and
 * unregisters the consumers and timers with the verticle.
 */
final class DispatchVerticle extends AbstractVerticle {

  private final DispatchLoop loop;
  private final ResultsConsumer results;
  private final PrinterRegistry registry;
  private final StatusWrites statuses;
  private final AgentRoutes routes;
  private final GatewayLiveness liveness;

  DispatchVerticle(
      DispatchLoop loop,
      ResultsConsumer results,
      PrinterRegistry registry,
      StatusWrites statuses,
      AgentRoutes routes,
      GatewayLiveness liveness) {
    this.loop = loop;
    this.results = results;
    this.registry = registry;
    this.statuses = statuses;
    this.routes = routes;
    this.liveness = liveness;
  }

  @Override
  public void start() {
    var bus = vertx.eventBus();
    bus.<JsonObject>consumer(Addresses.PRINTING_RESULTS, results::handle);
    bus.<JsonObject>consumer(Addresses.PRINTING_PRINTERS, registry::onPrintersSync);
    bus.<JsonObject>consumer(Addresses.PRINTING_AGENTS, registry::onAgent);
    bus.<JsonObject>consumer(Addresses.EVENTS_PRINTER, registry::onPrinterStatus);
    bus.<JsonObject>consumer(Addresses.EVENTS_AGENT, this::onAgentEvent);
    bus.<JsonObject>consumer(Addresses.MONITORING_HEARTBEAT, this::onHeartbeat);
    statuses.start();
    loop.start();
  }

  @Override
  public void stop(Promise<Void> stopped) {
    Future.join(loop.stop(), statuses.stop()).<Void>mapEmpty().onComplete(stopped);
  }

  /**
   * Every instance hears an agent connect (one instance writes it, on PRINTING_AGENTS): its route
   * is kept, and its dispatches waiting here on the gateway it left go back for the new one.
   */
  private void onAgentEvent(Message<JsonObject> message) {
    AgentEvent event;
    try {
      event = AgentEvent.fromJson(message.body());
    } catch (RuntimeException e) {
      // A malformed event is the gateways' to report; here it only does not count.
      return;
    }
    var agent = new AgentKey(event.company(), event.agentId());
    if (event.kind() == AgentEvent.Kind.CONNECTED) {
      routes.connected(agent, event.instanceId());
      loop.agentConnected(agent, event.instanceId());
    } else if (event.kind() == AgentEvent.Kind.DISCONNECTED) {
      routes.disconnected(agent, event.instanceId());
    }
  }

  /**
   * A gateway that stops beating is suspected gone: its dispatches go back without waiting them
   * out.
   */
  private void onHeartbeat(Message<JsonObject> message) {
    Heartbeat beat;
    try {
      beat = Heartbeat.fromJson(message.body());
    } catch (RuntimeException e) {
      // A malformed heartbeat is monitoring's to report; here it only does not count.
      return;
    }
    if ("gateway".equals(beat.service())) {
      liveness.beat(beat.instanceId(), System.nanoTime());
    }
  }
}
