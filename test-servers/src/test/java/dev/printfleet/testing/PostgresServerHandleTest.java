package dev.printfleet.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.DriverManager;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The settings the embedded server runs with, which dev mode, the tests and the benchmarks share.
 */
class PostgresServerHandleTest {

  private static PostgresServerHandle postgres;

  @BeforeAll
  static void start() {
    postgres = PostgresServerHandle.startOnFreePort();
  }

  @AfterAll
  static void stop() {
    postgres.close();
  }

  @Test
  void aCommitIsOnDiskBeforeItIsAnswered() throws SQLException {
    assertThat(setting("fsync")).isEqualTo("on");
    assertThat(setting("synchronous_commit")).isEqualTo("on");
  }

  /**
   * A new WAL file is created sparse, not written full of zeros first while every commit waits: a
   * fresh server would otherwise stall its commits each time a file fills, which a server that
   * recycles its files does not.
   */
  @Test
  void newWalFilesAreNotZeroFilled() throws SQLException {
    assertThat(setting("wal_init_zero")).isEqualTo("off");
  }

  private static String setting(String name) throws SQLException {
    try (var connection =
            DriverManager.getConnection(
                postgres.jdbcUrl("postgres"), postgres.user(), postgres.password());
        var statement = connection.createStatement();
        var rows = statement.executeQuery("SHOW " + name)) {
      rows.next();
      return rows.getString(1);
    }
  }
}
