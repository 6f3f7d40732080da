package dev.printfleet.monitoring.jobs;

import dev.printfleet.monitoring.alerts.AlertRules;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job figures read from PostgreSQL: queue depth, failure rate and dispatch latency over a
 * window. Refreshed on a timer, never by a request: dashboards and API calls read the cached
 * figures, so any number of them cost the database nothing.
 */
public final class JobStats {

  private static final Logger log = LoggerFactory.getLogger(JobStats.class);
  public static final Duration WINDOW = Duration.ofMinutes(15);
  private static final int MAX_LATENCY_ROWS = 20_000;

  private static final String SNAPSHOT =
      "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";

  private record Read(Row queue, Row outcomes, Histogram latency) {}

  private final Pool pool;
  private volatile JsonObject latest =
      new JsonObject().put("available", false).put("error", "not read yet");
  private volatile AlertRules.JobFailures failures;
  private volatile boolean failing;

  /** PostgreSQL's SQLSTATE for a table that does not exist. */
  private static final String UNDEFINED_TABLE = "42P01";

  public JobStats(Pool pool) {
    this.pool = pool;
  }

  /**
   * The latest figures, with {@code readAt}; {@code available} false when the database did not
   * answer.
   */
  public JsonObject latest() {
    return latest;
  }

  public AlertRules.JobFailures failures() {
    return failures;
  }

  /**
   * Reads the figures in one read-only transaction on one snapshot, so they agree with each other
   * (a job seen printed is never also counted queued, as it could be when the queries ran on
   * separate connections at slightly different moments).
   */
  public Future<Void> refresh() {
    double windowS = WINDOW.toSeconds();
    return pool.withTransaction(
            conn ->
                conn.query(SNAPSHOT)
                    .execute()
                    .compose(
                        begun -> {
                          Future<Row> queue =
                              conn.query(JobQueries.QUEUE)
                                  .execute()
                                  .map(rows -> rows.iterator().next());
                          Future<Row> outcomes =
                              conn.preparedQuery(JobQueries.OUTCOMES)
                                  .execute(Tuple.of(windowS))
                                  .map(rows -> rows.iterator().next());
                          Future<Histogram> latency =
                              conn.preparedQuery(JobQueries.DISPATCH_LATENCY)
                                  .execute(Tuple.of(windowS, MAX_LATENCY_ROWS))
                                  .map(
                                      rows -> {
                                        var h = new Histogram(Duration.ofDays(2).toMillis(), 2);
                                        rows.forEach(
                                            r ->
                                                h.recordValue(
                                                    Math.max(
                                                        0,
                                                        Math.min(
                                                            h.getHighestTrackableValue(),
                                                            r.getLong("ms")))));
                                        return h;
                                      });
                          return Future.all(queue, outcomes, latency)
                              .map(
                                  all ->
                                      new Read(
                                          queue.result(), outcomes.result(), latency.result()));
                        }))
        .onSuccess(
            read -> {
              Row q = read.queue();
              Row o = read.outcomes();
              long printed = o.getLong("printed");
              long failed = o.getLong("failed");
              failures = new AlertRules.JobFailures(printed + failed, failed);
              Number oldest = q.getNumeric("oldest_queued_s");
              latest =
                  new JsonObject()
                      .put("available", true)
                      .put("readAt", Instant.now().toString())
                      .put("windowS", WINDOW.toSeconds())
                      .put("queueDepth", q.getLong("queued"))
                      .put("inFlight", q.getLong("dispatched"))
                      .put("oldestQueuedS", oldest == null ? null : oldest.longValue())
                      .put("printed", printed)
                      .put("failed", failed)
                      .put(
                          "failureRate",
                          printed + failed == 0
                              ? 0.0
                              : Math.round(failed * 10000.0 / (printed + failed)) / 10000.0)
                      .put(
                          "throughputPerMinute",
                          Math.round((printed + failed) * 60.0 / WINDOW.toSeconds() * 100) / 100.0)
                      .put("dispatchLatencyMs", Percentiles.of(read.latency()));
              if (failing) {
                log.info("Job figures readable again from the database");
                failing = false;
              }
            })
        .onFailure(
            e -> {
              latest =
                  new JsonObject()
                      .put("available", false)
                      .put("error", "database unavailable")
                      .put("readAt", Instant.now().toString());
              if (!failing) {
                failing = true;
                if (e instanceof PgException pg && UNDEFINED_TABLE.equals(pg.getSqlState())) {
                  // Monitoring starts beside printing, which creates the table (dev mode, a
                  // fresh database): no warning for that, but said once.
                  log.info(
                      "Job figures wait for the jobs table: printing has not migrated the"
                          + " database yet");
                } else {
                  log.warn("Job figures could not be read from the database: {}", e.toString());
                }
              }
            })
        .<Void>mapEmpty()
        .recover(e -> Future.succeededFuture());
  }
}
