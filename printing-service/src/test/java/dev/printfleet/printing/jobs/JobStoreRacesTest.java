package dev.printfleet.printing.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.testing.PostgresServerHandle;
import dev.printfleet.testing.RealServersExtension;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The accepting statement parks a job whose printer is offline, and an agent's connect cannot slip
 * between its test and its commit: the connect's {@code online} write either waits for the job to
 * be written (and the release after it sees the job), or it is seen and the job is written due.
 * Run on PostgreSQL itself, two connections, one transaction held open.
 */
@ExtendWith(RealServersExtension.class)
class JobStoreParkingTest {

  private static final String PARAMETERS = "(uuid, text, text, integer, text, bytea, text, text[], float8)";

  private String url;
  private PostgresServerHandle postgres;

  @BeforeEach
  void migrate(PostgresServerHandle postgres) throws SQLException {
    this.postgres = postgres;
    url = "jdbc:postgresql://" + postgres.host() + ":" + postgres.port() + "/" + postgres.createDatabase("parking");
    Flyway.configure().dataSource(url, postgres.user(), postgres.password()).locations("classpath:db/migration")
        .load().migrate();
    try (var connection = connect(); var sql = connection.createStatement()) {
      sql.execute("INSERT INTO printers (company, id, name, branch, agent_id, status, online)"
          + " VALUES ('acme', 'p1', 'Kitchen', 'b1', 'agent-1', 'ready', false)");
    }
  }

  private Connection connect() throws SQLException {
    return DriverManager.getConnection(url + "?preferQueryMode=simple", postgres.user(), postgres.password());
  }

  /** Accepts one job for {@code p1} (push on accept with a 30 s lease) on its own connection. */
  private void accept(Connection connection, String key) throws SQLException {
    try (var sql = connection.createStatement()) {
      sql.execute("PREPARE accept" + PARAMETERS + " AS " + JobStore.INSERT);
      sql.execute("EXECUTE accept(gen_random_uuid(), 'acme', 'p1', 1, 'text/plain', 'x'::bytea, '" + key
          + "', NULL, 30)");
    }
  }

  private String waitOf(String key) throws SQLException {
    try (var connection = connect(); var sql = connection.createStatement();
        var row = sql.executeQuery("SELECT CASE WHEN next_attempt_at = 'infinity' THEN 'parked'"
            + " WHEN next_attempt_at <= now() THEN 'due' ELSE 'leased' END || ' ' || coalesce(error, '-')"
            + " FROM jobs WHERE idempotency_key = '" + key + "'")) {
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
    try (var connection = connect(); var sql = connection.createStatement()) {
      sql.execute("UPDATE printers SET online = true");
      accept(connection, "k-online");
    }
    assertThat(waitOf("k-online")).isEqualTo("leased -");
  }

  @Test
  void aConnectWrittenWhileTheJobIsAcceptedMakesItDueNotParked() throws Exception {
    try (var connect = connect(); var accepting = connect()) {
      connect.setAutoCommit(false);
      try (var sql = connect.createStatement()) {
        // The agent's connect marks its printer online and has not committed yet.
        sql.execute("UPDATE printers SET online = true, online_changed_at = now() WHERE company = 'acme' AND id = 'p1'");
      }
      var accepted = CompletableFuture.runAsync(() -> {
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
          try (var waiting = sql.executeQuery(
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
    // Written due (not leased: the printer was offline when the statement began; the claim sends it).
    assertThat(waitOf("k-race")).isEqualTo("due -");
  }
}
