package dev.printfleet.printing.jobs;

import dev.printfleet.common.config.PostgresSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the schema up to date with Flyway at start. JDBC is used only here, once, on a worker
 * thread; all runtime access goes through the reactive PostgreSQL client.
 */
public final class SchemaMigration {

  private static final Logger log = LoggerFactory.getLogger(SchemaMigration.class);

  private SchemaMigration() {}

  public static Future<Void> migrate(Vertx vertx, PostgresSettings pg) {
    return vertx.executeBlocking(
        () -> {
          var result =
              Flyway.configure()
                  .dataSource(pg.jdbcUrl(), pg.user(), pg.password())
                  .locations("classpath:db/migration")
                  .connectRetries(10)
                  .load()
                  .migrate();
          log.info(
              "Schema migrated database={} applied={} version={}",
              pg.database(),
              result.migrationsExecuted,
              result.targetSchemaVersion);
          return null;
        },
        false);
  }
}
