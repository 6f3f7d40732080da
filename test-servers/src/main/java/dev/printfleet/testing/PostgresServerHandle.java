package dev.printfleet.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server (zonky's embedded binaries) on loopback. {@link #createDatabase} hands
 * each test class a database of its own on the shared server.
 */
public final class PostgresServerHandle implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PostgresServerHandle.class);
  private static final AtomicInteger databaseCounter = new AtomicInteger();

  private final int port;
  private final Path workDir;
  private EmbeddedPostgres server;

  private PostgresServerHandle(int port, Path workDir) {
    this.port = port;
    this.workDir = workDir;
  }

  /** Starts a server on a free port, with its binaries and data under a new temporary directory. */
  public static PostgresServerHandle startOnFreePort() {
    RootCheck.refuseRootForPostgres();
    try {
      var handle =
          new PostgresServerHandle(FreePorts.next(), Files.createTempDirectory("printfleet-pg-"));
      handle.start();
      return handle;
    } catch (IOException e) {
      throw new UncheckedIOException("could not create a directory for PostgreSQL", e);
    }
  }

  public synchronized void start() {
    if (server != null) {
      return;
    }
    try {
      var builder =
          EmbeddedPostgres.builder()
              .setPort(port)
              .setOverrideWorkingDirectory(workDir.resolve("bin").toFile())
              .setDataDirectory(workDir.resolve("data"))
              .setCleanDataDirectory(false)
              .setServerConfig("listen_addresses", "127.0.0.1")
              .setServerConfig("max_connections", "300")
              .setServerConfig("fsync", "on")
              // zonky turns synchronous_commit off for speed; a job answered 201 must survive a
              // crash.
              .setServerConfig("synchronous_commit", "on")
              .setRegisterShutdownHook(false);
      extraServerConfig().forEach(builder::setServerConfig);
      server = builder.start();
      log.info("PostgreSQL started port={}", port);
    } catch (IOException e) {
      throw new UncheckedIOException("could not start PostgreSQL on port " + port, e);
    }
  }

  /**
   * More server settings from {@code PRINTFLEET_PG_SERVER_CONFIG} ({@code name=value;name=value}),
   * for a look inside a benchmark's database, e.g. {@code
   * shared_preload_libraries=pg_stat_statements}.
   */
  static Map<String, String> extraServerConfig() {
    String raw = System.getenv("PRINTFLEET_PG_SERVER_CONFIG");
    var settings = new LinkedHashMap<String, String>();
    if (raw == null || raw.isBlank()) {
      return settings;
    }
    for (String pair : raw.split(";")) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "PRINTFLEET_PG_SERVER_CONFIG: expected name=value;name=value, got '" + pair + "'");
      }
      settings.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
    }
    return settings;
  }

  /** Stops the server and keeps its data, so {@link #start()} brings the same databases back. */
  public synchronized void stop() {
    if (server == null) {
      return;
    }
    try {
      server.close();
      log.info("PostgreSQL stopped port={}", port);
    } catch (IOException e) {
      throw new UncheckedIOException("could not stop PostgreSQL on port " + port, e);
    } finally {
      server = null;
    }
  }

  public synchronized boolean isRunning() {
    return server != null;
  }

  public String host() {
    return "127.0.0.1";
  }

  public int port() {
    return port;
  }

  public String user() {
    return "postgres";
  }

  public String password() {
    return "postgres";
  }

  /** The JDBC URL of a database on this server. */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://" + host() + ":" + port + "/" + database;
  }

  /**
   * What a service reads to use a database on this server: {@code PGHOST}, {@code PGPORT}, {@code
   * PGDATABASE}, {@code PGUSER} and {@code PGPASSWORD}, in that order.
   */
  public Map<String, String> settings(String database) {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("PGHOST", host());
    settings.put("PGPORT", String.valueOf(port));
    settings.put("PGDATABASE", database);
    settings.put("PGUSER", user());
    settings.put("PGPASSWORD", password());
    return settings;
  }

  /** Creates an empty database with a unique name and returns that name. */
  public String createDatabase(String prefix) {
    String name =
        (prefix.replaceAll("[^A-Za-z0-9]", "_") + "_" + databaseCounter.incrementAndGet())
            .toLowerCase();
    try (var connection = DriverManager.getConnection(jdbcUrl("postgres"), user(), password());
        var statement = connection.createStatement()) {
      statement.execute("CREATE DATABASE " + name);
      return name;
    } catch (SQLException e) {
      throw new IllegalStateException("could not create database " + name, e);
    }
  }

  @Override
  public synchronized void close() {
    stop();
    TempDirs.deleteRecursively(workDir);
  }
}
