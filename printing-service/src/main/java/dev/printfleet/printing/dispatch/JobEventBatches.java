package dev.printfleet.printing.dispatch;

import dev.printfleet.common.history.InOrder;
import dev.printfleet.common.history.PrintingHistory;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.JobEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;

/**
 * Job events leave in batches: the first event of a batch waits at most {@link #WINDOW_MS} for
 * others, then all are appended to their companies' printing history ({@link PrintingHistory}) and
 * go in one message on {@link Addresses#EVENTS_JOB}, each with its offset. A printed job makes
 * three events (accepted, dispatched, printed); one clustered message each, to every gateway and
 * monitoring instance, was a third of the event bus's work per job. Dashboards see a job's update
 * at most that window (and the append) later. Any thread; the events of one batch keep the order
 * they were added in, and batches are published in the order they were taken.
 */
final class JobEventBatches {

  static final long WINDOW_MS = 10;

  private final Vertx vertx;
  private final PrintingHistory history;
  private final InOrder published = new InOrder();
  private List<JobEvent> pending = new ArrayList<>();
  private boolean scheduled;

  JobEventBatches(Vertx vertx, PrintingHistory history) {
    this.vertx = vertx;
    this.history = history;
  }

  synchronized void add(JobEvent event) {
    pending.add(event);
    if (pending.size() >= JobEvent.MAX_BATCH) {
      flush();
    } else if (!scheduled) {
      scheduled = true;
      vertx.setTimer(WINDOW_MS, id -> flush());
    }
  }

  /**
   * Publishes what is waiting now (the timer's, a full batch's, and the service's stop), once its
   * history append answered; completes when it and every batch before it are published.
   */
  synchronized Future<Void> flush() {
    scheduled = false;
    if (pending.isEmpty()) {
      return published.drained();
    }
    List<JobEvent> batch = pending;
    pending = new ArrayList<>();
    var appended = history.append(batch.stream().map(PrintingHistory.Event::of).toList());
    return published.after(
        appended,
        () -> {
          String[] offsets = appended.result();
          List<JobEvent> kept = new ArrayList<>(batch.size());
          for (int i = 0; i < batch.size(); i++) {
            kept.add(batch.get(i).withOffset(offsets[i]));
          }
          vertx.eventBus().publish(Addresses.EVENTS_JOB, JobEvent.batchJson(kept));
        });
  }
}
