package dev.printfleet.monitoring.jobs;

/**
 * The read-only queries monitoring runs on printing-service's {@code jobs} table. Each uses an
 * index of that table or a bounded time window; they run at most once per cache period.
 */
final class JobQueries {

  /** Jobs waiting and in flight, and the age of the oldest waiting one (partial indexes). */
  static final String QUEUE =
      "SELECT (SELECT count(*) FROM jobs WHERE state = 'queued') AS queued,"
          + " (SELECT count(*) FROM jobs WHERE state = 'dispatched') AS dispatched,"
          + " (SELECT EXTRACT(EPOCH FROM now() - min(created_at)) FROM jobs WHERE state = 'queued') AS oldest_queued_s";

  /** Finished jobs in the window ($1 seconds), by outcome. */
  static final String OUTCOMES =
      "SELECT count(*) FILTER (WHERE state = 'printed') AS printed,"
          + " count(*) FILTER (WHERE state = 'failed') AS failed"
          + " FROM jobs WHERE updated_at > now() - make_interval(secs => $1) AND state IN ('printed', 'failed')";

  /**
   * Time from creation to dispatch of the jobs dispatched in the window ($1 seconds), at most $2
   * rows.
   */
  static final String DISPATCH_LATENCY =
      "SELECT (EXTRACT(EPOCH FROM dispatched_at - created_at) * 1000)::bigint AS ms"
          + " FROM jobs WHERE dispatched_at > now() - make_interval(secs => $1) ORDER BY dispatched_at DESC LIMIT $2";

  private JobQueries() {}
}
