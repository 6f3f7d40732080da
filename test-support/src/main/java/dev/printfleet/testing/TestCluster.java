package dev.printfleet.testing;

import static org.awaitility.Awaitility.await;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.auth.TokenIssuer;
import dev.printfleet.common.config.Settings;
import dev.printfleet.common.lifecycle.ServiceDefinition;
import dev.printfleet.common.lifecycle.ServiceLauncher;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.simulator.SimulatedAgent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClientOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The test fixture: any set of services started in this JVM, each its own clustered Vert.x as in
 * production, in a cluster of their own on a real Redis (a key namespace of their own) and, when
 * asked, a database of their own on a real PostgreSQL; tokens signed with the cluster's secret,
 * simulated agents, and a client Vert.x for sockets. {@link #close} stops the agents, the client
 * and every service still running. A JUnit test gets one per test from {@link
 * TestClusterExtension}.
 */
public final class TestCluster implements AutoCloseable {

  /** The secret the services of a test cluster verify tokens with. */
  public static final String SECRET = "printfleet-test-secret-0123456789-0123456789";

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final SimulatedAgent.Behaviour QUICK_PRINTS =
      new SimulatedAgent.Behaviour(20, 0.0, 0);

  private final Map<String, String> settings;
  private final List<ServiceRuntime> services = new CopyOnWriteArrayList<>();
  private final List<SimulatedAgent> agents = new CopyOnWriteArrayList<>();
  private PostgresServerHandle postgres;
  private String database;
  private Vertx client;
  private TokenIssuer tokens;
  private volatile boolean closed;

  /** A cluster whose services get exactly these settings, plus what each start adds. */
  public TestCluster(Map<String, String> settings) {
    this.settings = new HashMap<>(settings);
  }

  /**
   * A cluster for a test on this Redis: the test secret, a key namespace of its own, HTTP on a free
   * loopback port, no drain delay, and no database ({@code PGPORT} 1: a service that reads
   * PostgreSQL fails fast) until {@link #withDatabase} gives it one.
   */
  public static TestCluster on(RedisServerHandle redis) {
    Map<String, String> settings = new HashMap<>();
    settings.put("PRINTFLEET_JWT_SECRET", SECRET);
    settings.put("REDIS_CONNECTION_ADDRESS", redis.address());
    settings.put("REDIS_KEY_NAMESPACE", "test-" + UUID.randomUUID().toString().substring(0, 8));
    settings.put("PRINTFLEET_HTTP_HOST", "127.0.0.1");
    settings.put("PRINTFLEET_HTTP_PORT", "0");
    settings.put("PRINTFLEET_DRAIN_DELAY", "0s");
    settings.put("PGPORT", "1");
    return new TestCluster(settings);
  }

  /** Gives the services started from now on a new database on the shared PostgreSQL. */
  public TestCluster withDatabase() {
    return withDatabase(TestServers.postgres());
  }

  /** Gives the services started from now on a new database on this PostgreSQL. */
  public synchronized TestCluster withDatabase(PostgresServerHandle postgres) {
    this.postgres = postgres;
    this.database = postgres.createDatabase("test");
    settings.putAll(postgres.settings(database));
    return this;
  }

  /** Sets one setting for the services started from now on. */
  public synchronized TestCluster set(String name, String value) {
    settings.put(name, value);
    return this;
  }

  /** Sets these settings for the services started from now on. */
  public synchronized TestCluster set(Map<String, String> more) {
    settings.putAll(more);
    return this;
  }

  /** What every service started from now on gets: to start a service's jar as a process too. */
  public synchronized Map<String, String> settings() {
    return new HashMap<>(settings);
  }

  public synchronized String setting(String name) {
    return settings.get(name);
  }

  public ServiceRuntime start(ServiceDefinition<?> service) {
    return start(service, Map.of());
  }

  /** Starts a service with these settings on top of the cluster's; stopped by {@link #close}. */
  public ServiceRuntime start(ServiceDefinition<?> service, Map<String, String> extra) {
    return join(launch(service, extra));
  }

  /** Starts a service without waiting for it, for starts that run side by side. */
  public Future<ServiceRuntime> launch(ServiceDefinition<?> service, Map<String, String> extra) {
    Map<String, String> merged = settings();
    merged.putAll(extra);
    return ServiceLauncher.start(service, new Settings(merged))
        .compose(
            runtime -> {
              services.add(runtime);
              if (closed && services.remove(runtime)) {
                // Started after close() took the list: stopped here, or it would run on.
                return runtime
                    .shutdown()
                    .transform(
                        stopped ->
                            Future.failedFuture(
                                new IllegalStateException("the test cluster was closed")));
              }
              return Future.succeededFuture(runtime);
            });
  }

  /** The services started and not stopped yet, in the order they started. */
  public List<ServiceRuntime> services() {
    return List.copyOf(services);
  }

  /** Stops a service gracefully (its drain included) and waits until it has left the cluster. */
  public void stop(ServiceRuntime service) {
    stop(service, WAIT);
  }

  /**
   * {@link #stop(ServiceRuntime)}, failing when it has not left the cluster within {@code wait}.
   */
  public void stop(ServiceRuntime service, Duration wait) {
    services.remove(service);
    join(service.shutdown(), wait);
  }

  /** Stops a service without a drain: its heartbeats stop as if the process had died. */
  public void kill(ServiceRuntime service) {
    services.remove(service);
    service.heartbeat().stop();
    join(service.vertx().close());
  }

  /** A Vert.x for the test's own clients (sockets, agents, tokens), closed with the cluster. */
  public synchronized Vertx client() {
    if (client == null) {
      client = Vertx.vertx();
    }
    return client;
  }

  /** Signs tokens with the cluster's secret. */
  public synchronized TokenIssuer tokens() {
    if (tokens == null) {
      tokens = new TokenIssuer(client(), settings.get("PRINTFLEET_JWT_SECRET"));
    }
    return tokens;
  }

  /** An agent token valid for an hour. */
  public String agentToken(String agentId, String company, String branch) {
    return tokens().agent(agentId, company, branch, Duration.ofHours(1));
  }

  /** A user token valid for an hour; no branches means every branch of the company. */
  public String userToken(String userId, Role role, String company, String... branches) {
    return tokens().user(userId, role, company, List.of(branches), Duration.ofHours(1));
  }

  /**
   * A simulated agent with two printers ({@code <agentId>-p1}, {@code -p2}) that print in 20 ms,
   * connected to this gateway; stopped by {@link #close}.
   */
  public SimulatedAgent agent(
      ServiceRuntime gateway, String agentId, String company, String branch) {
    return agent(gateway.httpPort(), agentId, company, branch, QUICK_PRINTS);
  }

  /** A simulated agent with two printers, connected to the gateway on this loopback port. */
  public SimulatedAgent agent(
      int gatewayPort,
      String agentId,
      String company,
      String branch,
      SimulatedAgent.Behaviour behaviour) {
    String token = agentToken(agentId, company, branch);
    var agent =
        new SimulatedAgent(
            client(),
            // As the simulator's fleet: a 1 MiB job's dispatch frame is about 1.4 MiB.
            client()
                .createWebSocketClient(
                    new WebSocketClientOptions()
                        .setMaxFrameSize(2 * 1024 * 1024)
                        .setMaxMessageSize(2 * 1024 * 1024)),
            "127.0.0.1",
            gatewayPort,
            agentId,
            SimulatedAgent.printerIdsFor(agentId, 2),
            () -> token,
            behaviour);
    agents.add(agent);
    join(agent.start());
    await().atMost(Duration.ofSeconds(10)).until(agent::isConnected);
    return agent;
  }

  /** The JDBC URL of the cluster's database. */
  public synchronized String jdbcUrl() {
    if (database == null) {
      throw new IllegalStateException("this cluster has no database: call withDatabase() first");
    }
    return postgres.jdbcUrl(database);
  }

  /** A new JDBC connection to the cluster's database, to write or read behind the services. */
  public Connection connectToDatabase() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(), postgres.user(), postgres.password());
  }

  /** The first column of the first row of a query, straight from the database. */
  public long count(String sql) {
    try (var connection = connectToDatabase();
        var rows = connection.createStatement().executeQuery(sql)) {
      rows.next();
      return rows.getLong(1);
    } catch (SQLException e) {
      throw new AssertionError(sql + ": " + e, e);
    }
  }

  /**
   * Stops the agents, then the client Vert.x, then every service still running, side by side;
   * fails, once all is stopped, when any of them did not stop within a minute.
   */
  @Override
  public void close() {
    close(WAIT);
  }

  /** {@link #close()}, giving each step (agents, client, services) at most {@code wait}. */
  public void close(Duration wait) {
    closed = true;
    List<Throwable> failures = new ArrayList<>();
    awaitAll(Future.join(agents.stream().map(SimulatedAgent::stop).toList()), wait, failures);
    agents.clear();
    Vertx own;
    synchronized (this) {
      own = client;
      client = null;
      tokens = null;
    }
    if (own != null) {
      awaitAll(own.close(), wait, failures);
    }
    List<ServiceRuntime> running = List.copyOf(services);
    services.removeAll(running);
    awaitAll(Future.join(running.stream().map(ServiceRuntime::shutdown).toList()), wait, failures);
    if (!failures.isEmpty()) {
      var failure = new AssertionError("the test cluster did not stop cleanly");
      failures.forEach(failure::addSuppressed);
      throw failure;
    }
  }

  private static void awaitAll(Future<?> stopping, Duration wait, List<Throwable> failures) {
    try {
      join(stopping, wait);
    } catch (AssertionError e) {
      failures.add(e);
    }
  }

  /** Waits up to a minute for a future; its result, or an AssertionError with its cause. */
  public static <T> T join(Future<T> future) {
    return VertxChecks.join(future, WAIT);
  }

  public static <T> T join(Future<T> future, Duration timeout) {
    return VertxChecks.join(future, timeout);
  }
}
