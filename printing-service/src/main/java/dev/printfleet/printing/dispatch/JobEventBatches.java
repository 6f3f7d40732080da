package dev.printfleet.printing.dispatch;

import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.JobEvent;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;

/**
 * Job events leave in batches: the first event of a batch waits at most {@link #WINDOW_MS} for
 * others, then all go in one message on {@link Addresses#EVENTS_JOB}. A printed job makes three
 * events (accepted, dispatched, printed); one clustered message each, to every gateway and
 * monitoring instance, was a third of the event bus's work per job. Dashboards see a job's update
 * at most that window later. Any thread; the events of one batch keep the order they were added in,
 * and batches are published in the order they were taken.
 */
final class JobEventBatches {

  static final long WINDOW_MS = 10;

  private final Vertx vertx;
  private List<JobEvent> pending = new ArrayList<>();
  private boolean scheduled;

  JobEventBatches(Vertx vertx) {
    this.vertx = vertx;
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

  /** Publishes what is waiting now (the timer's, a full batch's, and the service's stop). */
  synchronized void flush() {
    scheduled = false;
    if (pending.isEmpty()) {
      return;
    }
    List<JobEvent> batch = pending;
    pending = new ArrayList<>();
    // Under the lock: a batch taken earlier is never published after a later one.
    vertx.eventBus().publish(Addresses.EVENTS_JOB, JobEvent.batchJson(batch));
  }
}
