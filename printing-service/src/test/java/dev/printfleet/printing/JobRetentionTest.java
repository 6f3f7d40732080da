package dev.printfleet.printing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Finished jobs are deleted with their history PRINTFLEET_JOB_RETENTION (30 days by default) after
 * they finished, in batches, oldest first; a job still queued or dispatched never, however old.
 */
class JobRetentionTest extends PrintingTestBase {

  private static final String OLD_FAILED = "00000000-0000-4000-8000-000000000001";
  private static final String RECENT_PRINTED = "00000000-0000-4000-8000-000000000002";
  private static final String OLD_QUEUED = "00000000-0000-4000-8000-000000000003";
  private static final String OLD_DISPATCHED = "00000000-0000-4000-8000-000000000004";

  @Test
  void finishedJobsPastTheRetentionGoWithTheirHistoryAndNoUnfinishedJobDoes() throws SQLException {
    // Written while no printing instance runs; the one started next deletes what is due at once.
    cluster.stop(printing);
    try (var connection = cluster.connectToDatabase();
        var sql = connection.createStatement()) {
      // More than one batch (1,000) of jobs that finished 31 days ago, of each final state.
      insertJobs(sql, "gen_random_uuid()", 1_500, "'printed'", "interval '31 days'");
      insertJobs(sql, "gen_random_uuid()", 1, "'cancelled'", "interval '40 days'");
      insertJobs(sql, "gen_random_uuid()", 1, "'expired'", "interval '31 days'");
      insertJobs(sql, "'" + OLD_FAILED + "'::uuid", 1, "'failed'", "interval '365 days'");
      // Kept: finished within the retention, and unfinished ones older than it.
      insertJobs(sql, "'" + RECENT_PRINTED + "'::uuid", 1, "'printed'", "interval '29 days'");
      insertJobs(sql, "'" + OLD_QUEUED + "'::uuid", 1, "'queued'", "interval '60 days'");
      insertJobs(sql, "'" + OLD_DISPATCHED + "'::uuid", 1, "'dispatched'", "interval '60 days'");
      sql.execute(
          "INSERT INTO job_history (job_id, state, at) SELECT id, state, updated_at FROM jobs"
              + " WHERE printer_id = 'ret-p1'");
      sql.execute("UPDATE jobs SET idempotency_key = 'ret-key' WHERE id = '" + OLD_FAILED + "'");
    }
    assertThat(count("SELECT count(*) FROM job_history h JOIN jobs j ON j.id = h.job_id"))
        .isEqualTo(1_506);

    printing = start(new PrintingService(), Map.of());

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> count("SELECT count(*) FROM jobs WHERE printer_id = 'ret-p1'") == 3);
    assertThat(count("SELECT count(*) FROM jobs WHERE id = '" + RECENT_PRINTED + "'")).isOne();
    // Unfinished jobs are the dispatcher's (it may expire or send them again), never deleted.
    assertThat(
            count(
                "SELECT count(*) FROM jobs WHERE id IN ('"
                    + OLD_QUEUED
                    + "', '"
                    + OLD_DISPATCHED
                    + "')"))
        .isEqualTo(2);
    // The history of the deleted jobs went with them; the others' stayed.
    assertThat(count("SELECT count(*) FROM job_history WHERE job_id NOT IN (SELECT id FROM jobs)"))
        .isZero();
    assertThat(count("SELECT count(*) FROM job_history WHERE job_id = '" + RECENT_PRINTED + "'"))
        .isOne();
    assertThat(get("/api/v1/jobs/" + OLD_FAILED, userToken("acme")).statusCode()).isEqualTo(404);
    assertThat(get("/api/v1/jobs/" + RECENT_PRINTED, userToken("acme")).statusCode())
        .isEqualTo(200);
    var metrics = metricsOf(printing);
    assertThat(metrics.value("printfleet_jobs_deleted_total", Map.of())).isEqualTo(1_503.0);
    // The deleted job's key is free again (PROTOCOL §3): a new job, not the deleted one.
    agent(gateway, "ret", "b1");
    awaitPrinterKnown("ret-p1");
    var reused = post("/api/v1/jobs", userToken("acme"), job("ret-p1"), "ret-key");
    assertThat(reused.statusCode()).isEqualTo(201);
    assertThat(new JsonObject(reused.body()).getString("id")).isNotEqualTo(OLD_FAILED);
    // Caught up.
    assertThat(metrics.value("printfleet_jobs_retention_behind_seconds", Map.of())).isZero();
  }

  /** {@code jobs} jobs of printer ret-p1 in the state, finished (last written) {@code ago}. */
  private static void insertJobs(Statement sql, String id, int jobs, String state, String ago)
      throws SQLException {
    sql.execute(
        "INSERT INTO jobs (id, company, branch, printer_id, state, copies, content_type, content,"
            + " created_at, updated_at, dispatched_at, next_attempt_at)"
            + " SELECT "
            + id
            + ", 'acme', 'b1', 'ret-p1', "
            + state
            + ", 1, 'text/plain', 'x'::bytea, now() - "
            + ago
            + " - interval '1 s', now() - "
            + ago
            + " - n * interval '1 ms', now() - "
            + ago
            + ", 'infinity' FROM generate_series(1, "
            + jobs
            + ") AS n");
  }
}
