package dev.printfleet.printing.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.testing.PostgresServerHandle;
import dev.printfleet.testing.RealServersExtension;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The statements that touch one job by its id (or a batch of jobs, each by its id) keep to the
 * primary key in the plan PostgreSQL caches for them (a generic plan, made by every pooled
 * connection after five runs), even on a new, empty table. There the planner finds a partial index
 * of queued jobs, or an index of the whole company, as cheap as the key, and the plan it caches
 * then reads every queued job, or every job of the company, for each single job: it once took more
 * CPU than every other statement together.
 */
@ExtendWith(RealServersExtension.class)
class JobStorePlansTest {

  private static final Pattern SCAN_OF_JOBS =
      Pattern.compile("(\\w[\\w ]*Scan)(?: using (\\w+))? on jobs\\b");

  @Test
  void everyStatementOnOneJobReadsItByItsKeyOnAFreshTable(PostgresServerHandle postgres)
      throws Exception {
    String url = MigratedDatabase.create(postgres, "plans");
    Map<String, String> byKey =
        Map.of(
            "FIND", JobStore.FIND,
            "CANCEL", JobStore.CANCEL,
            "CONTENT", JobStore.CONTENT,
            "MARK_DISPATCHED", JobStore.MARK_DISPATCHED,
            "REQUEUE", JobStore.REQUEUE,
            "REQUEUE_NOT_SENT", JobStore.REQUEUE_NOT_SENT,
            "RECORD_RESULT", JobStore.RECORD_RESULT,
            "RECORD_RESULTS", JobStore.RECORD_RESULTS,
            "FINAL_FOR_AGENT", JobStore.FINAL_FOR_AGENT);

    List<String> offKey = new ArrayList<>();
    // The simple protocol: the text goes as it is, its $1 placeholders for GENERIC_PLAN to keep.
    try (var connection =
            DriverManager.getConnection(
                url + "?preferQueryMode=simple", postgres.user(), postgres.password());
        var sql = connection.createStatement()) {
      for (var statement : byKey.entrySet()) {
        List<String> scans = new ArrayList<>();
        try (var plan = sql.executeQuery("EXPLAIN (GENERIC_PLAN) " + statement.getValue())) {
          while (plan.next()) {
            var scan = SCAN_OF_JOBS.matcher(plan.getString(1));
            if (scan.find()) {
              scans.add(
                  scan.group(1).trim() + (scan.group(2) == null ? "" : " using " + scan.group(2)));
            }
          }
        }
        assertThat(scans).as(statement.getKey() + " reads jobs").isNotEmpty();
        scans.stream()
            .filter(scan -> !scan.equals("Index Scan using jobs_pkey"))
            .forEach(scan -> offKey.add(statement.getKey() + ": " + scan));
      }
    }
    assertThat(offKey).as("scans of jobs not by its primary key").isEmpty();
  }
}
