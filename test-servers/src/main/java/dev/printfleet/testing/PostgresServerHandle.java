package dev.printfleet.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
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
  private final int walFiles;
  private EmbeddedPostgres server;

  /** Whether the WAL files were made ready: once, at the first start (a restart keeps them). */
  private boolean walPrepared;

  private PostgresServerHandle(int port, Path workDir, int walFiles) {
    this.port = port;
    this.workDir = workDir;
    this.walFiles = walFiles;
  }

  /** Starts a server on a free port, with its binaries and data under a new temporary directory. */
  public static PostgresServerHandle startOnFreePort() {
    return startOnFreePort(walFilesToPrepare());
  }

  /**
   * The same, with {@code walFiles} WAL files ready before it is used (see {@link
   * #walFilesToPrepare}).
   */
  static PostgresServerHandle startOnFreePort(int walFiles) {
    RootCheck.refuseRootForPostgres();
    try {
      var handle =
          new PostgresServerHandle(
              FreePorts.next(), Files.createTempDirectory("printfleet-pg-"), walFiles);
      try {
        handle.start();
      } catch (RuntimeException e) {
        handle.close();
        throw e;
      }
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
      if (walFiles > 0 && !walPrepared) {
        try {
          prepareWalFiles(walFiles);
          walPrepared = true;
        } catch (RuntimeException e) {
          stop();
          throw e;
        }
      }
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

  /**
   * At most this many WAL files are written (1 GiB of 16 MiB files, the default {@code
   * max_wal_size}, which the server keeps). The checkpoint keeps part of them ahead for reuse: 35
   * of 64 here, about four minutes at 1,000 jobs/s (logged as {@code readyAhead}).
   */
  static final int MAX_WAL_FILES = 64;

  /**
   * How many WAL files {@code PRINTFLEET_PG_WAL_FILES} asks to have ready before the server is used
   * (0, the default: none). A new server has no WAL file to reuse: each time one fills, PostgreSQL
   * creates the next and writes its 16 MiB of zeros while every commit waits (40 to 76 ms here,
   * every 6.85 s at 1,000 jobs/s). A server that has run through a checkpoint renames the files it
   * no longer needs instead, as a benchmark's server should.
   */
  static int walFilesToPrepare() {
    return walFilesToPrepare(System.getenv("PRINTFLEET_PG_WAL_FILES"));
  }

  static int walFilesToPrepare(String raw) {
    if (raw == null || raw.isBlank()) {
      return 0;
    }
    try {
      int files = Integer.parseInt(raw.trim());
      if (files >= 0 && files <= MAX_WAL_FILES) {
        return files;
      }
    } catch (NumberFormatException e) {
      // said below
    }
    throw new IllegalArgumentException(
        "PRINTFLEET_PG_WAL_FILES: expected a whole number from 0 to "
            + MAX_WAL_FILES
            + ", got '"
            + raw
            + "'");
  }

  /**
   * Fills {@code files} WAL files (a commit, then a switch to the next file, each time), then runs
   * a checkpoint, which renames as many of them for reuse as it expects the WAL of the next
   * checkpoint interval to need, within {@code max_wal_size}.
   */
  private void prepareWalFiles(int files) {
    long began = System.nanoTime();
    try (var connection = DriverManager.getConnection(jdbcUrl("postgres"), user(), password());
        var statement = connection.createStatement()) {
      for (int i = 0; i < files; i++) {
        statement.execute("SELECT txid_current()");
        statement.execute("SELECT pg_switch_wal()");
      }
      statement.execute("CHECKPOINT");
      log.info(
          "PostgreSQL WAL files prepared files={} readyAhead={} tookMs={}",
          files,
          filesAhead(statement),
          (System.nanoTime() - began) / 1_000_000);
    } catch (SQLException e) {
      throw new IllegalStateException("could not prepare the WAL files of PostgreSQL", e);
    }
  }

  /** The WAL files ready after the one being written, for a test. */
  long walFilesAhead() {
    try (var connection = DriverManager.getConnection(jdbcUrl("postgres"), user(), password());
        var statement = connection.createStatement()) {
      return filesAhead(statement);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static long filesAhead(Statement statement) throws SQLException {
    try (var rows =
        statement.executeQuery(
            "SELECT count(*) FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$'"
                + " AND name > pg_walfile_name(pg_current_wal_lsn())")) {
      rows.next();
      return rows.getLong(1);
    }
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
