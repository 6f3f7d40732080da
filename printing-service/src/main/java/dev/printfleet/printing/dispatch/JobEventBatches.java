package dev.printfleet.printing.dispatch;

import dev.printfleet.common.history.KeptBatches;
import dev.printfleet.common.history.PrintingHistory;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.JobEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Job events leave in batches: the first event of a batch waits at most {@link #WINDOW_MS} for
 * others, then all are appended to their companies' printing history and go in one message on
 * {@link Addresses#EVENTS_JOB}, each with its offset ({@link KeptBatches}: one append under way at
 * a time, what comes meanwhile goes in the next). A printed job makes three events (accepted,
 * dispatched, printed); one clustered message each, to every gateway and monitoring instance, was a
 * third of the event bus's work per job. Dashboards see a job's update at most that window (and the
 * append) later. Any thread; events are published in the order they were added.
 */
final class JobEventBatches {

  static final long WINDOW_MS = 10;

  private final Vertx vertx;
  private final KeptBatches<JobEvent> batches;

  JobEventBatches(Vertx vertx, PrintingHistory history) {
    this.vertx = vertx;
    this.batches =
        new KeptBatches<>(
            vertx,
            history,
            JobEvent.MAX_BATCH,
            PrintingHistory.Event::of,
            JobEvent::withOffset,
            batch -> vertx.eventBus().publish(Addresses.EVENTS_JOB, JobEvent.batchJson(batch)),
            null);
  }

  void add(JobEvent event) {
    if (batches.add(event)) {
      vertx.setTimer(WINDOW_MS, id -> batches.flush());
    }
  }

  /** Publishes what is waiting (the service's stop); completes once every event is published. */
  Future<Void> flush() {
    return batches.drained();
  }
}
