package dev.printfleet.printing.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.testing.PostgresServerHandle;
import dev.printfleet.testing.RealServersExtension;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The job statements that decide under concurrency, run on PostgreSQL itself:
 *
 * <ul>
 *   <li>the accepting statement parks a job whose printer is offline, and an agent's connect cannot
 *       slip between its test and its commit: the connect's {@code online} write either waits for
 *       the job to be written (and the release after it sees the job), or it is seen and the job is
 *       written due (two connections, one transaction held open);
 *   <li>the writes that end a lease are fenced by its mark: a dispatcher whose lease ran out and
 *       was taken by another instance's claim changes nothing.
 * </ul>
 */
@ExtendWith(RealServersExtension.class)
class JobStoreRacesTest {

  private static final String PARAMETERS =
      "(uuid, text, text, integer, text, bytea, text, text[], float8)";

  private String url;
  private PostgresServerHandle postgres;

  @BeforeEach
  void migrate(PostgresServerHandle postgres) throws SQLException {
    this.postgres = postgres;
    url = MigratedDatabase.create(postgres, "parking");
    try (var connection = connect();
        var sql = connection.createStatement()) {
      sql.execute(
          "INSERT INTO printers (company, id, name, branch, agent_id, status, online)"
              + " VALUES ('acme', 'p1', 'Kitchen', 'b1', 'agent-1', 'ready', false)");
    }
  }

  private Connection connect() throws SQLException {
    return DriverManager.getConnection(
        url + "?preferQueryMode=simple", postgres.user(), postgres.password());
  }

  /** Accepts one job for {@code p1} (push on accept with a 30 s lease) on its own connection. */
  private void accept(Connection connection, String key) throws SQLException {
    try (var sql = connection.createStatement()) {
      sql.execute("PREPARE accept" + PARAMETERS + " AS " + JobStore.INSERT);
      sql.execute(
          "EXECUTE accept(gen_random_uuid(), 'acme', 'p1', 1, 'text/plain', 'x'::bytea, '"
              + key
              + "', NULL, 30)");
    }
  }

  private String waitOf(String key) throws SQLException {
    try (var connection = connect();
        var sql = connection.createStatement();
        var row =
            sql.executeQuery(
                "SELECT CASE WHEN next_attempt_at = 'infinity' THEN 'parked'"
                    + " WHEN next_attempt_at <= now() THEN 'due' ELSE 'leased' END || ' ' || coalesce(error, '-')"
                    + " FROM jobs WHERE idempotency_key = '"
                    + key
                    + "'")) {
      assertThat(row.next()).as("job " + key + " written").isTrue();
      return row.getString(1);
    }
  }

  @Test
  void aJobForAnOfflinePrinterIsWrittenParked() throws SQLException {
    try (var connection = connect()) {
      accept(connection, "k-offline");
    }
    assertThat(waitOf("k-offline")).isEqualTo("parked agent offline");
  }

  @Test
  void aJobForAnOnlinePrinterIsWrittenLeasedForItsAgent() throws SQLException {
    try (var connection = connect();
        var sql = connection.createStatement()) {
      sql.execute("UPDATE printers SET online = true");
      accept(connection, "k-online");
    }
    assertThat(waitOf("k-online")).isEqualTo("leased -");
  }

  @Test
  void aConnectWrittenWhileTheJobIsAcceptedMakesItDueNotParked() throws Exception {
    try (var connect = connect();
        var accepting = connect()) {
      connect.setAutoCommit(false);
      try (var sql = connect.createStatement()) {
        // The agent's connect marks its printer online and has not committed yet.
        sql.execute(
            "UPDATE printers SET online = true, online_changed_at = now() WHERE company = 'acme' AND id = 'p1'");
      }
      var accepted =
          CompletableFuture.runAsync(
              () -> {
                try {
                  accept(accepting, "k-race");
                } catch (SQLException e) {
                  throw new IllegalStateException(e);
                }
              });
      // The accepting statement read the printer offline in its snapshot: it must wait for the
      // connect rather than park the job behind its back.
      long blocked = 0;
      try (var sql = connect.createStatement()) {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (blocked == 0 && System.nanoTime() < until && !accepted.isDone()) {
          try (var waiting =
              sql.executeQuery(
                  "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'")) {
            waiting.next();
            blocked = waiting.getLong(1);
          }
          Thread.sleep(20);
        }
      }
      assertThat(accepted).as("the accepting statement waits for the connect").isNotDone();
      assertThat(blocked).as("statements waiting for the connect's transaction").isEqualTo(1);
      connect.commit();
      accepted.get(10, TimeUnit.SECONDS);
    }
    // Written due (not leased: the printer was offline when the statement began; the claim sends
    // it).
    assertThat(waitOf("k-race")).isEqualTo("due -");
  }

  /** A queued job leased at {@code leasedAt} (for another 60 s), as a claim leaves it; its id. */
  private String leasedJob(Connection connection, String leasedAt) throws SQLException {
    try (var sql = connection.createStatement();
        var row =
            sql.executeQuery(
                "INSERT INTO jobs (id, company, branch, printer_id, state, copies, content_type,"
                    + " content, next_attempt_at, leased_at, dispatched_to) VALUES (gen_random_uuid(), 'acme', 'b1', 'p1',"
                    + " 'queued', 1, 'text/plain', 'x'::bytea, now() + interval '60 s', '"
                    + leasedAt
                    + "', 'agent-1')"
                    + " RETURNING id")) {
      row.next();
      return row.getString(1);
    }
  }

  private long rows(Connection connection, String execute) throws SQLException {
    try (var sql = connection.createStatement();
        var result = sql.executeQuery(execute)) {
      long n = 0;
      while (result.next()) {
        n++;
      }
      return n;
    }
  }

  private String lease(Connection connection, String id) throws SQLException {
    try (var sql = connection.createStatement();
        var row =
            sql.executeQuery(
                "SELECT state || ' ' || coalesce(leased_at::text, '-') || ' '"
                    + " || (next_attempt_at > now() + interval '50 s') FROM jobs WHERE id = '"
                    + id
                    + "'")) {
      row.next();
      return row.getString(1);
    }
  }

  @Test
  void aDispatcherWhoseLeaseWasTakenByAnotherClaimChangesNothing() throws SQLException {
    String mine = "2026-01-01 10:00:00.123456+00";
    String theirs = "2026-01-01 10:01:00.654321+00";
    try (var connection = connect();
        var sql = connection.createStatement()) {
      sql.execute("SET TimeZone = 'UTC'");
      sql.execute("PREPARE dispatched(uuid, text, timestamptz) AS " + JobStore.MARK_DISPATCHED);
      sql.execute(
          "PREPARE requeue(uuid, text, integer, float8, text, timestamptz) AS " + JobStore.REQUEUE);
      sql.execute(
          "PREPARE not_sent(uuid, float8, text, timestamptz) AS " + JobStore.REQUEUE_NOT_SENT);
      String id = leasedJob(connection, theirs);
      String before = lease(connection, id);
      assertThat(before).isEqualTo("queued 2026-01-01 10:01:00.654321+00 true");

      // This instance's lease (mine) ran out; another claimed the job (theirs) and sent it.
      List<String> stale =
          List.of(
              "EXECUTE dispatched('" + id + "', 'sent', '" + mine + "')",
              "EXECUTE requeue('" + id + "', 'queued', 1, 5, 'dispatch failed', '" + mine + "')",
              "EXECUTE not_sent('" + id + "', 5, 'not sent', '" + mine + "')");
      for (String write : stale) {
        assertThat(rows(connection, write)).as(write).isZero();
        assertThat(lease(connection, id)).as("after " + write).isEqualTo(before);
      }

      // The holder of the lease still ends it.
      assertThat(
              rows(
                  connection,
                  "EXECUTE requeue('"
                      + id
                      + "', 'queued', 1, 5, 'dispatch failed', '"
                      + theirs
                      + "')"))
          .isEqualTo(1);
      assertThat(lease(connection, id)).isEqualTo("queued - false");
    }
  }
}
