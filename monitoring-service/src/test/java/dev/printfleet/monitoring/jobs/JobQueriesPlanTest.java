package dev.printfleet.monitoring.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.testing.PostgresServerHandle;
import dev.printfleet.testing.RealServersExtension;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Monitoring reads the jobs table every PRINTFLEET_JOB_STATS_MAX_AGE, and the table keeps every job
 * finished within PRINTFLEET_JOB_RETENTION (30 days): none of its queries may read the whole table.
 * Checked on printing's own schema, with a table of mostly old finished jobs (as in production) and
 * its statistics gathered, so the planner chooses as it would there.
 */
@ExtendWith(RealServersExtension.class)
class JobQueriesPlanTest {

  private static final Map<String, String> QUERIES =
      Map.of(
          "queue", JobQueries.QUEUE,
          "outcomes", JobQueries.OUTCOMES.replace("$1", "900"),
          "dispatch latency",
              JobQueries.DISPATCH_LATENCY.replace("$1", "900").replace("$2", "20000"));

  @Test
  void noQueryReadsTheWholeJobsTable(PostgresServerHandle postgres) throws SQLException {
    // Printing's schema, from its own migrations.
    String url = postgres.jdbcUrl(postgres.createDatabase("monitoring_plans"));
    Flyway.configure()
        .dataSource(url, postgres.user(), postgres.password())
        .locations("classpath:db/migration")
        .load()
        .migrate();
    try (var connection = DriverManager.getConnection(url, postgres.user(), postgres.password());
        var sql = connection.createStatement()) {
      // A day of finished jobs, then the last minutes': printed, failed, in flight and queued.
      insert(sql, 200_000, "'printed'", "now() - interval '1 day' + n * interval '1 ms'");
      insert(sql, 2_000, "'printed'", "now() - n * interval '10 ms'");
      insert(sql, 100, "'failed'", "now() - n * interval '100 ms'");
      insert(sql, 50, "'dispatched'", "now() - n * interval '10 ms'");
      insert(sql, 500, "'queued'", "NULL");
      // Dispatched, then sent back to the queue (no result before the deadline).
      insert(sql, 20, "'queued'", "now() - n * interval '1 s'");
      sql.execute("ANALYZE jobs");

      List<String> wholeTable = new ArrayList<>();
      for (var query : QUERIES.entrySet()) {
        var plan = new StringBuilder();
        try (var rows = sql.executeQuery("EXPLAIN " + query.getValue())) {
          while (rows.next()) {
            plan.append(rows.getString(1)).append('\n');
          }
        }
        if (plan.toString().contains("Seq Scan on jobs")) {
          wholeTable.add(query.getKey() + ":\n" + plan);
        }
      }
      assertThat(wholeTable).isEmpty();
    }
  }

  /** {@code jobs} in the state, each finished (or dispatched) at {@code at} of its number n. */
  private static void insert(Statement sql, int jobs, String state, String at) throws SQLException {
    sql.execute(
        "INSERT INTO jobs (id, company, branch, printer_id, state, copies, content_type, content,"
            + " created_at, updated_at, dispatched_at)"
            + " SELECT gen_random_uuid(), 'acme', 'b1', 'p' || (n % 20), "
            + state
            + ", 1, 'text/plain', 'x'::bytea, COALESCE("
            + at
            + ", now()) - interval '5 ms', COALESCE("
            + at
            + ", now()), "
            + at
            + " FROM generate_series(1, "
            + jobs
            + ") AS n");
  }
}
