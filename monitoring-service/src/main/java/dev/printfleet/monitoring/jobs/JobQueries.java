package dev.printfleet.monitoring.jobs;

/**
 * The read-only queries monitoring runs on printing-service's {@code jobs} table, at most once per
 * cache period. Each reads a partial index of that table, never the whole table, which holds every
 * job finished within {@code PRINTFLEET_JOB_RETENTION} (30 days by default). The queued jobs are
 * read whole (their count and the oldest), bounded by {@code PRINTFLEET_MAX_QUEUED_PER_COMPANY} per
 * company; the finished ones only within the window ({@code jobs_finished}); the dispatched ones
 * are those in flight.
 */
final class JobQueries {

  /** Jobs waiting and in flight, and the age of the oldest waiting one (partial indexes). */
  static final String QUEUE =
      "SELECT (SELECT count(*) FROM jobs WHERE state = 'queued') AS queued,"
          + " (SELECT count(*) FROM jobs WHERE state = 'dispatched') AS dispatched,"
          + " (SELECT EXTRACT(EPOCH FROM now() - min(created_at)) FROM jobs WHERE state = 'queued') AS oldest_queued_s";

  /** Jobs finished in the window ($1 seconds), by outcome ({@code jobs_finished}). */
  static final String OUTCOMES =
      "SELECT count(*) FILTER (WHERE state = 'printed') AS printed,"
          + " count(*) FILTER (WHERE state = 'failed') AS failed"
          + " FROM jobs WHERE updated_at > now() - make_interval(secs => $1) AND state IN ('printed', 'failed')";

  /**
   * Time from creation to dispatch, in ms, of at most $2 jobs dispatched in the window ($1
   * seconds), the latest first, whatever their state now: those finished since, from {@code
   * jobs_finished} (a job finishes after its dispatch, so within the window too); those still
   * waiting for their result, from {@code jobs_dispatched}; those sent back to the queue since (no
   * result before the deadline, a failed send), from the queued jobs' indexes.
   */
  static final String DISPATCH_LATENCY =
      "SELECT (EXTRACT(EPOCH FROM dispatched_at - created_at) * 1000)::bigint AS ms FROM ("
          + "(SELECT dispatched_at, created_at FROM jobs"
          + " WHERE updated_at > now() - make_interval(secs => $1)"
          + " AND state IN ('printed', 'failed', 'cancelled', 'expired')"
          + " AND dispatched_at > now() - make_interval(secs => $1) ORDER BY updated_at DESC LIMIT $2)"
          + " UNION ALL "
          + "(SELECT dispatched_at, created_at FROM jobs"
          + " WHERE state = 'dispatched' AND dispatched_at > now() - make_interval(secs => $1)"
          + " ORDER BY dispatched_at DESC LIMIT $2)"
          + " UNION ALL "
          + "(SELECT dispatched_at, created_at FROM jobs"
          + " WHERE state = 'queued' AND dispatched_at > now() - make_interval(secs => $1)"
          + " ORDER BY dispatched_at DESC LIMIT $2)) recent ORDER BY dispatched_at DESC LIMIT $2";

  private JobQueries() {}
}
