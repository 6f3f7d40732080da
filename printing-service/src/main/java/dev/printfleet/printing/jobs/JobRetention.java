package dev.printfleet.printing.jobs;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes finished jobs (printed, failed, cancelled, expired) {@code PRINTFLEET_JOB_RETENTION}
 * after they finished, with their history: printfleet kept every job, and at 1,000 jobs/s that is
 * 86 million rows a day. A job still queued or dispatched is never deleted, however old.
 *
 * <p>Oldest first, {@link #BATCH} jobs per statement, each in its own transaction, from the index
 * of finished jobs ({@code jobs_finished}); rows another instance is deleting are skipped. After a
 * full batch the next follows at once but for a pause of {@link #PAUSE_FACTOR} times the batch's
 * duration, so the deletion takes PostgreSQL at most about a tenth of the time, however far behind
 * it is (the first run after an upgrade may face years of jobs); after a short one, it looks again
 * in {@link #IDLE}. A deletion that fails is retried then.
 *
 * <p>Every printing instance deletes: a job is deleted once whichever does, so the work is the same
 * however many there are, but while they catch up each takes its tenth (three instances, three
 * tenths). {@code printfleet_jobs_retention_behind_seconds} tells how far behind they are.
 */
public final class JobRetention {

  private static final Logger log = LoggerFactory.getLogger(JobRetention.class);

  static final int BATCH = 1_000;
  static final Duration IDLE = Duration.ofMinutes(1);
  static final int PAUSE_FACTOR = 9;
  static final Duration MIN_PAUSE = Duration.ofMillis(100);

  private final JobStore jobs;
  private final Duration retention;
  private final Counter deleted;

  /** How far behind the deletion is, in seconds: 0 once it has caught up. */
  private final AtomicLong behindS = new AtomicLong();

  /** The timer and its Vert.x, once started. Guarded by this. */
  private Vertx vertx;

  private long timer = -1;
  private boolean stopped;

  /** Jobs deleted since the last log line, and when it was written. Event loop only. */
  private long unlogged;

  private long loggedAt = System.nanoTime();

  public JobRetention(JobStore jobs, Duration retention, MeterRegistry registry) {
    this.jobs = jobs;
    this.retention = retention;
    this.deleted =
        Counter.builder("printfleet.jobs.deleted")
            .description("Finished jobs deleted, with their history, past PRINTFLEET_JOB_RETENTION")
            .register(registry);
    Gauge.builder("printfleet.jobs.retention.behind", behindS, AtomicLong::get)
        .description(
            "How long before the retention's cutoff the last job deleted finished, while the"
                + " deletion catches up (jobs finished since then are still due); 0 once caught up")
        .baseUnit("seconds")
        .register(registry);
  }

  /** Deletes what is due now, then on its own timer, on the calling verticle's context. */
  public synchronized void start(Vertx vertx) {
    this.vertx = vertx;
    schedule(Duration.ZERO);
  }

  /** No more deletions after the one under way. Any thread. */
  public synchronized void stop() {
    stopped = true;
    if (vertx != null) {
      vertx.cancelTimer(timer);
    }
  }

  private synchronized boolean isStopped() {
    return stopped;
  }

  private synchronized void schedule(Duration in) {
    if (!stopped) {
      timer = vertx.setTimer(Math.max(1, in.toMillis()), id -> deleteBatch());
    }
  }

  private void deleteBatch() {
    long began = System.nanoTime();
    jobs.deleteFinished(retention, BATCH)
        .onSuccess(
            gone -> {
              int count = (int) gone.jobs();
              deleted.increment(count);
              behindS.set(count < BATCH ? 0 : gone.behind().toSeconds());
              noteDeleted(count);
              schedule(nextIn(count, Duration.ofNanos(System.nanoTime() - began)));
            })
        .onFailure(
            e -> {
              if (isStopped()) {
                // The drain closed the pool under it.
                return;
              }
              log.warn(
                  "Finished jobs past PRINTFLEET_JOB_RETENTION not deleted, trying again in {} s: {}",
                  IDLE.toSeconds(),
                  e.toString());
              schedule(IDLE);
            });
  }

  /** A line a minute at most while jobs are being deleted, none while there are none. */
  private void noteDeleted(int count) {
    unlogged += count;
    if (unlogged > 0 && (count < BATCH || System.nanoTime() - loggedAt >= IDLE.toNanos())) {
      log.info(
          "Deleted {} finished jobs (and their history) finished more than {} h ago",
          unlogged,
          retention.toHours());
      unlogged = 0;
      loggedAt = System.nanoTime();
    }
  }

  /** When the next deletion runs after one that deleted {@code count} jobs in {@code took}. */
  static Duration nextIn(int count, Duration took) {
    if (count < BATCH) {
      return IDLE;
    }
    Duration pause = took.multipliedBy(PAUSE_FACTOR);
    return pause.compareTo(MIN_PAUSE) > 0 ? pause : MIN_PAUSE;
  }
}
