package dev.printfleet.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** WAL files made ready before a benchmark's server is used ({@code PRINTFLEET_PG_WAL_FILES}). */
class PostgresServerHandleTest {

  @Test
  void aNewServerHasFewWalFiles() {
    try (var postgres = PostgresServerHandle.startOnFreePort(0)) {
      assertThat(postgres.walFilesAhead()).isLessThan(4);
    }
  }

  /**
   * Kept by the checkpoint for reuse: the next files are there before the first commit needs them.
   */
  @Test
  void preparedWalFilesAreKeptForReuse() {
    try (var postgres = PostgresServerHandle.startOnFreePort(12)) {
      assertThat(postgres.walFilesAhead()).isGreaterThanOrEqualTo(10);
    }
  }
}
