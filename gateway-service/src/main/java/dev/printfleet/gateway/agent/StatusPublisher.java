package dev.printfleet.gateway.agent;

import dev.printfleet.common.history.InOrder;
import dev.printfleet.common.history.PrintingHistory;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.PrinterStatusEvent;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;

/**
 * Printer statuses leave an event loop in batches: the statuses read in one turn of the loop (from
 * every socket that had frames) are appended to their companies' printing history ({@link
 * PrintingHistory}) and go out in one message on {@link Addresses#EVENTS_PRINTER}, each with its
 * offset, once the append answered. Nothing waits for a timer, so a lone status leaves at once;
 * under load a turn reads many. One clustered message per status, to every gateway, printing and
 * monitoring instance, was a third of a busy gateway's work. A batch keeps the order statuses were
 * read in, and batches (and what {@link #flushThen} is given) leave in the order they were taken.
 * Confined to its event loop.
 */
final class StatusPublisher {

  private final Vertx vertx;
  private final Context context;
  private final PrintingHistory history;
  private final InOrder published = new InOrder();
  private List<PrinterStatusEvent> pending = new ArrayList<>();

  StatusPublisher(Vertx vertx, Context context, PrintingHistory history) {
    this.vertx = vertx;
    this.context = context;
    this.history = history;
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
    var appended = history.append(batch.stream().map(PrintingHistory.Event::of).toList());
    published.after(
        appended,
        () -> {
          String[] offsets = appended.result();
          List<PrinterStatusEvent> kept = new ArrayList<>(batch.size());
          for (int i = 0; i < batch.size(); i++) {
            kept.add(batch.get(i).withOffset(offsets[i]));
          }
          vertx.eventBus().publish(Addresses.EVENTS_PRINTER, PrinterStatusEvent.batchJson(kept));
        });
  }

  /** Runs {@code next} once the statuses read before it are published (an agent event follows). */
  void flushThen(Runnable next) {
    flush();
    published.after(Future.succeededFuture(), next);
  }
}
