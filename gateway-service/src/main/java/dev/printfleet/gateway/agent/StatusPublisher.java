package dev.printfleet.gateway.agent;

import dev.printfleet.common.history.KeptBatches;
import dev.printfleet.common.history.PrintingHistory;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.PrinterStatusEvent;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;

/**
 * Printer statuses leave an event loop in batches: the statuses read in one turn of the loop (from
 * every socket that had frames) are appended to their companies' printing history and go out in one
 * message on {@link Addresses#EVENTS_PRINTER}, each with its offset when the append answered within
 * {@link #OFFSET_WAIT} ({@link KeptBatches}). Nothing waits for a timer, so a lone status leaves at
 * once; under load a turn reads many. One clustered message per status, to every gateway, printing
 * and monitoring instance, was a third of a busy gateway's work. A batch keeps the order statuses
 * were read in, and batches (and what {@link #flushThen} is given) leave in the order they were
 * taken. Called on its event loop; publishing may run where Redis answered.
 */
final class StatusPublisher {

  /**
   * How long statuses wait for their offsets at most: a status is a state, and the fan-out's
   * latency counts; past it they go out without, and are kept all the same.
   */
  static final Duration OFFSET_WAIT = Duration.ofMillis(20);

  private final Context context;
  private final KeptBatches<PrinterStatusEvent> batches;

  StatusPublisher(Vertx vertx, Context context, PrintingHistory history) {
    this.context = context;
    this.batches =
        new KeptBatches<>(
            vertx,
            history,
            PrinterStatusEvent.MAX_BATCH,
            PrintingHistory.Event::of,
            PrinterStatusEvent::withOffset,
            batch ->
                vertx
                    .eventBus()
                    .publish(Addresses.EVENTS_PRINTER, PrinterStatusEvent.batchJson(batch)),
            OFFSET_WAIT);
  }

  void add(PrinterStatusEvent event) {
    if (batches.add(event)) {
      // Queued behind the reads of this turn, so it runs once they are done.
      context.runOnContext(v -> batches.flush());
    }
  }

  /** Runs {@code next} once the statuses read before it are published (an agent event follows). */
  void flushThen(Runnable next) {
    batches.flushThen(next);
  }
}
