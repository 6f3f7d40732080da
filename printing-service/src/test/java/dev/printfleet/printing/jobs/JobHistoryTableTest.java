package dev.printfleet.printing.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.testing.PostgresServerHandle;
import dev.printfleet.testing.RealServersExtension;
import java.sql.DriverManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * job_history has no foreign key to jobs (V6: it cost a lookup and a row lock per history row), and
 * still goes with its job: a job deleted by hand, alone or many in one statement, leaves no history
 * behind, and the other jobs' history stays.
 */
@ExtendWith(RealServersExtension.class)
class JobHistoryTableTest {

  @Test
  void aDeletedJobTakesItsHistoryWithItAndNoOtherJobs(PostgresServerHandle postgres)
      throws Exception {
    String url = MigratedDatabase.create(postgres, "history");
    try (var connection = DriverManager.getConnection(url, postgres.user(), postgres.password());
        var sql = connection.createStatement()) {
      for (int n = 1; n <= 3; n++) {
        String id = "00000000-0000-0000-0000-00000000000" + n;
        sql.execute(
            "INSERT INTO jobs (id, company, branch, printer_id, state, copies, content_type, content)"
                + " VALUES ('"
                + id
                + "', 'acme', 'b1', 'p1', 'printed', 1, 'text/plain', 'x')");
        sql.execute(
            "INSERT INTO job_history (job_id, state) VALUES ('"
                + id
                + "', 'accepted'), ('"
                + id
                + "', 'printed')");
      }
      sql.execute("DELETE FROM jobs WHERE id = '00000000-0000-0000-0000-000000000001'");
      sql.execute(
          "DELETE FROM jobs WHERE id IN ('00000000-0000-0000-0000-000000000002',"
              + " '00000000-0000-0000-0000-000000000009')");
      // No foreign key checks the rows any more (the migration dropped it by its name): a row of
      // a job that never existed is taken.
      sql.execute(
          "INSERT INTO job_history (job_id, state) VALUES ('00000000-0000-0000-0000-000000000008', 'x')");
      sql.execute("DELETE FROM job_history WHERE state = 'x'");
      try (var left =
          sql.executeQuery("SELECT job_id::text, count(*) FROM job_history GROUP BY job_id")) {
        assertThat(left.next()).isTrue();
        assertThat(left.getString(1)).isEqualTo("00000000-0000-0000-0000-000000000003");
        assertThat(left.getInt(2)).isEqualTo(2);
        assertThat(left.next()).isFalse();
      }
    }
  }
}
