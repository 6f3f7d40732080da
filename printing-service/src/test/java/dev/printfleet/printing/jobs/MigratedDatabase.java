package dev.printfleet.printing.jobs;

import dev.printfleet.testing.PostgresServerHandle;
import io.vertx.pgclient.PgConnectOptions;
import org.flywaydb.core.Flyway;

/**
 * A new database on the test server with printing's migrations applied, for JDBC tests; and how a
 * Vert.x pool reaches a database of that server.
 */
final class MigratedDatabase {

  private MigratedDatabase() {}

  /** The JDBC URL of a new database {@code name}, migrated to the latest schema. */
  static String create(PostgresServerHandle postgres, String name) {
    String url = postgres.jdbcUrl(postgres.createDatabase(name));
    Flyway.configure()
        .dataSource(url, postgres.user(), postgres.password())
        .locations("classpath:db/migration")
        .load()
        .migrate();
    return url;
  }

  /** A Vert.x pool's way to {@code database} on the test server. */
  static PgConnectOptions connectOptions(PostgresServerHandle postgres, String database) {
    return new PgConnectOptions()
        .setHost(postgres.host())
        .setPort(postgres.port())
        .setDatabase(database)
        .setUser(postgres.user())
        .setPassword(postgres.password());
  }
}
