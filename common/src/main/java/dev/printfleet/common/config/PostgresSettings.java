package dev.printfleet.common.config;

/** Where PostgreSQL is, from the standard {@code PG*} variables libpq also reads. */
public record PostgresSettings(
    String host, int port, String database, String user, String password, int poolSize) {

  public static PostgresSettings from(Settings settings) {
    return new PostgresSettings(
        settings.string("PGHOST", "127.0.0.1"),
        settings.port("PGPORT", 5432),
        settings.string("PGDATABASE", "printfleet"),
        settings.string("PGUSER", "printfleet"),
        settings.string("PGPASSWORD", ""),
        settings.integer("PRINTFLEET_PG_POOL_SIZE", 10, 1, 200));
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://" + host + ":" + port + "/" + database;
  }

  @Override
  public String toString() {
    return "PostgresSettings[host="
        + host
        + ", port="
        + port
        + ", database="
        + database
        + ", user="
        + user
        + ", poolSize="
        + poolSize
        + "]";
  }
}
