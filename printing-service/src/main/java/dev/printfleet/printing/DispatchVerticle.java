package dev.printfleet.printing;

import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.AgentEvent;
import dev.printfleet.common.messages.Heartbeat;
import dev.printfleet.common.presence.AgentKey;
import dev.printfleet.printing.dispatch.AgentRoutes;
import dev.printfleet.printing.dispatch.DispatchLoop;
import dev.printfleet.printing.dispatch.GatewayLiveness;
import dev.printfleet.printing.dispatch.ResultsConsumer;
import dev.printfleet.printing.jobs.JobRetention;
import dev.printfleet.printing.printers.PrinterRegistry;
import dev.printfleet.printing.printers.StatusWrites;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The dispatcher: the claim loop with its timers, and what the event bus brings it (the agents'
 * results, printer lists and statuses, agents connecting and leaving, the gateways' heartbeats),
 * and the deletion of finished jobs past their retention. Undeploying it stops the loop, writes
 * what the loop still owes and the statuses reported, and unregisters the consumers and timers with
 * the verticle.
 */
final class DispatchVerticle extends AbstractVerticle {

  private final DispatchLoop loop;
  private final ResultsConsumer results;
  private final PrinterRegistry registry;
  private final StatusWrites statuses;
  private final AgentRoutes routes;
  private final GatewayLiveness liveness;
  private final JobRetention retention;
  private MessageConsumer<JsonObject> statusConsumer;

  DispatchVerticle(
      DispatchLoop loop,
      ResultsConsumer results,
      PrinterRegistry registry,
      StatusWrites statuses,
      AgentRoutes routes,
      GatewayLiveness liveness,
      JobRetention retention) {
    this.loop = loop;
    this.results = results;
    this.registry = registry;
    this.statuses = statuses;
    this.routes = routes;
    this.liveness = liveness;
    this.retention = retention;
  }

  /** Started once its subscriptions are known to the cluster: the instance is not ready before. */
  @Override
  public void start(Promise<Void> started) {
    var bus = vertx.eventBus();
    statusConsumer = bus.consumer(Addresses.EVENTS_PRINTER, registry::onPrinterStatus);
    List<MessageConsumer<JsonObject>> consumers =
        List.of(
            bus.consumer(Addresses.PRINTING_RESULTS, results::handle),
            bus.consumer(Addresses.PRINTING_RESULT_BATCHES, results::handleBatch),
            bus.consumer(Addresses.PRINTING_PRINTERS, registry::onPrintersSync),
            bus.consumer(Addresses.PRINTING_AGENTS, registry::onAgent),
            statusConsumer,
            bus.consumer(Addresses.EVENTS_AGENT, this::onAgentEvent),
            bus.consumer(Addresses.MONITORING_HEARTBEAT, this::onHeartbeat));
    // The registrations may complete on the cluster manager's threads: the loop and its timers
    // start
    // back on this verticle's event loop, so they are its own.
    Future.all(consumers.stream().map(DispatchVerticle::registered).toList())
        .onComplete(
            all ->
                context.runOnContext(
                    v -> {
                      if (all.failed()) {
                        started.fail(all.cause());
                        return;
                      }
                      statuses.start();
                      loop.start();
                      retention.start(vertx);
                      started.complete();
                    }));
  }

  private static Future<Void> registered(MessageConsumer<?> consumer) {
    Promise<Void> done = Promise.promise();
    consumer.completionHandler(done);
    return done.future();
  }

  /** Statuses stop coming in before the last ones are written; the loop writes what it owes. */
  @Override
  public void stop(Promise<Void> stopped) {
    retention.stop();
    statusConsumer
        .unregister()
        .recover(e -> Future.succeededFuture())
        .compose(v -> Future.join(loop.stop(), statuses.stop()))
        .<Void>mapEmpty()
        .onComplete(stopped);
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
