package dev.printfleet.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.DriverManager;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** The settings of the embedded server that dev mode, the tests and the benchmarks share. */
class PostgresServerHandleTest {

  @Test
  void aCommitIsOnDiskBeforeItIsAnswered() throws SQLException {
    try (var postgres = PostgresServerHandle.startOnFreePort(0)) {
      assertThat(setting(postgres, "fsync")).isEqualTo("on");
      assertThat(setting(postgres, "synchronous_commit")).isEqualTo("on");
    }
  }

  /**
   * {@code PRINTFLEET_PG_WAL_FILES}: the files are kept by the checkpoint for reuse, so they are
   * there before the first commits need them, and still there after a restart.
   */
  @Test
  void preparedWalFilesAreReadyAhead() {
    try (var postgres = PostgresServerHandle.startOnFreePort(12)) {
      assertThat(postgres.walFilesAhead()).isGreaterThanOrEqualTo(10);
      postgres.stop();
      postgres.start();
      assertThat(postgres.walFilesAhead()).isGreaterThanOrEqualTo(10);
    }
  }

  @Test
  void walFilesAreAskedForAsAWholeNumberUpToTheLimit() {
    assertThat(PostgresServerHandle.walFilesToPrepare(null)).isZero();
    assertThat(PostgresServerHandle.walFilesToPrepare(" ")).isZero();
    assertThat(PostgresServerHandle.walFilesToPrepare(" 64 ")).isEqualTo(64);
    for (String bad : new String[] {"65", "-1", "lots", "1.5"}) {
      assertThatThrownBy(() -> PostgresServerHandle.walFilesToPrepare(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("PRINTFLEET_PG_WAL_FILES")
          .hasMessageContaining("from 0 to 64");
    }
  }

  private static String setting(PostgresServerHandle postgres, String name) throws SQLException {
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
