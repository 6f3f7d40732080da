package dev.printfleet.printing.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.printfleet.testing.PostgresServerHandle;
import dev.printfleet.testing.RealServersExtension;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The retention's statement ({@link JobStore#DELETE_FINISHED}) on PostgreSQL itself: a batch takes
 * the oldest finished jobs with their history, says how far behind it is, and skips a job another
 * transaction holds instead of waiting for it.
 */
@ExtendWith(RealServersExtension.class)
class DeleteFinishedTest {

  private static final double THIRTY_DAYS_S = 30 * 86_400;

  private String url;
  private PostgresServerHandle postgres;

  @BeforeEach
  void migrate(PostgresServerHandle postgres) throws SQLException {
    this.postgres = postgres;
    url = MigratedDatabase.create(postgres, "retention");
    try (var connection = connect();
        var sql = connection.createStatement()) {
      // 1,500 jobs printed 31 days ago and one minute apart: job n finished n minutes before that.
      sql.execute(
          "INSERT INTO jobs (id, company, branch, printer_id, state, copies, content_type, content,"
              + " created_at, updated_at, dispatched_at, idempotency_key)"
              + " SELECT ('00000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, 'acme', 'b1',"
              + " 'p1', 'printed', 1, 'text/plain', 'x'::bytea,"
              + " now() - interval '31 days' - n * interval '1 minute' - interval '1 s',"
              + " now() - interval '31 days' - n * interval '1 minute',"
              + " now() - interval '31 days' - n * interval '1 minute', 'key-' || n"
              + " FROM generate_series(1, 1500) AS n");
      sql.execute(
          "INSERT INTO job_history (job_id, state, at) SELECT id, state, updated_at FROM jobs");
    }
  }

  private Connection connect() throws SQLException {
    return DriverManager.getConnection(
        url + "?preferQueryMode=simple", postgres.user(), postgres.password());
  }

  private static long count(Connection connection, String query) throws SQLException {
    try (var sql = connection.createStatement();
        var row = sql.executeQuery(query)) {
      row.next();
      return row.getLong(1);
    }
  }

  /** {deleted, behind_s} of one batch of at most 1,000 on this connection. */
  private static double[] deleteBatch(Connection connection) throws SQLException {
    try (var sql = connection.createStatement()) {
      sql.execute("DEALLOCATE ALL");
      sql.execute("PREPARE delete_finished (float8, integer) AS " + JobStore.DELETE_FINISHED);
      try (var row = sql.executeQuery("EXECUTE delete_finished(" + THIRTY_DAYS_S + ", 1000)")) {
        row.next();
        return new double[] {row.getLong("deleted"), row.getDouble("behind_s")};
      }
    }
  }

  @Test
  void aBatchTakesTheOldestWithTheirHistoryAndSaysHowFarBehindItIs() throws SQLException {
    try (var connection = connect()) {
      double[] first = deleteBatch(connection);
      assertThat(first[0]).isEqualTo(1000);
      // Jobs 1,500 to 501 went; the last of them finished a day and 501 minutes before the cutoff.
      assertThat(first[1]).isCloseTo(86_400 + 501 * 60, within(5.0));
      assertThat(
              count(
                  connection,
                  "SELECT count(*) FROM jobs WHERE substr(idempotency_key, 5)::int > 500"))
          .isZero();
      assertThat(count(connection, "SELECT count(*) FROM job_history")).isEqualTo(500);

      double[] second = deleteBatch(connection);
      assertThat(second[0]).isEqualTo(500);
      double[] none = deleteBatch(connection);
      assertThat(none[0]).isZero();
      assertThat(none[1]).isZero();
      assertThat(count(connection, "SELECT count(*) FROM jobs")).isZero();
      assertThat(count(connection, "SELECT count(*) FROM job_history")).isZero();
    }
  }

  @Test
  void aJobAnotherTransactionHoldsIsSkippedNotWaitedFor() throws SQLException {
    try (var holder = connect();
        var deleter = connect()) {
      holder.setAutoCommit(false);
      try (var sql = holder.createStatement()) {
        // The oldest job, locked as a late duplicate result would lock it.
        sql.execute("SELECT 1 FROM jobs WHERE idempotency_key = 'key-1500' FOR NO KEY UPDATE");
      }
      try (var sql = deleter.createStatement()) {
        sql.execute("SET statement_timeout = '5s'");
      }
      double[] batch = deleteBatch(deleter);
      assertThat(batch[0]).isEqualTo(1000);
      assertThat(count(deleter, "SELECT count(*) FROM jobs WHERE idempotency_key = 'key-1500'"))
          .isOne();
      holder.rollback();
    }
  }
}
