package dev.printfleet.gateway.agent;

import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.PrinterStatusEvent;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;

/**
 * Printer statuses leave an event loop in batches: the statuses read in one turn of the loop (from
 * every socket that had frames) go out in one message on {@link Addresses#EVENTS_PRINTER},
 * published when the turn's reads are done. Nothing waits for a timer, so a lone status leaves at
 * once; under load a turn reads many. One clustered message per status, to every gateway, printing
 * and monitoring instance, was a third of a busy gateway's work. A batch keeps the order statuses
 * were read in. Confined to its event loop.
 */
final class StatusPublisher {

  private final Vertx vertx;
  private final Context context;
  private List<PrinterStatusEvent> pending = new ArrayList<>();

  StatusPublisher(Vertx vertx, Context context) {
    this.vertx = vertx;
    this.context = context;
  }

  void add(PrinterStatusEvent event) {
    pending.add(event);
    if (pending.size() >= PrinterStatusEvent.MAX_BATCH) {
      flush();
    } else if (pending.size() == 1) {
      // Queued behind the reads of this turn, so it runs once they are done.
      context.runOnContext(v -> flush());
    }
  }

  /**
   * Publishes what waits now. Called on the loop's thread only, as {@link #add} is: a socket's
   * handlers run on a duplicate of the verticle's context, on the same thread, so the thread is
   * what confines this, not the context object.
   */
  void flush() {
    if (pending.isEmpty()) {
      return;
    }
    List<PrinterStatusEvent> batch = pending;
    pending = new ArrayList<>();
    vertx.eventBus().publish(Addresses.EVENTS_PRINTER, PrinterStatusEvent.batchJson(batch));
  }
}
