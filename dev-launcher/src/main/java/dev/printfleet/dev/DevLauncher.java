package dev.printfleet.dev;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.auth.TokenIssuer;
import dev.printfleet.common.config.ConfigException;
import dev.printfleet.common.config.JwtSettings;
import dev.printfleet.common.config.Settings;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.gateway.GatewayService;
import dev.printfleet.monitoring.MonitoringService;
import dev.printfleet.printing.PrintingService;
import dev.printfleet.simulator.AgentFleet;
import dev.printfleet.simulator.SimulatedAgent;
import dev.printfleet.testing.PostgresServerHandle;
import dev.printfleet.testing.RedisServerHandle;
import dev.printfleet.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./printfleet dev}: the whole set on one machine. Embedded Redis and PostgreSQL, the three
 * services (each its own clustered Vert.x, in this JVM), simulated agents, and the URLs and tokens
 * to try it. Ctrl-C stops everything and removes what it created.
 */
@Command(
    name = "printfleet dev",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Runs gateway, printing and monitoring on embedded Redis and PostgreSQL, with simulated agents.",
      "Ports come from the options or PRINTFLEET_GATEWAY_HTTP_PORT, PRINTFLEET_PRINTING_HTTP_PORT and",
      "PRINTFLEET_MONITORING_HTTP_PORT; the token secret from PRINTFLEET_JWT_SECRET (random when unset).",
      "Ctrl-C stops everything."
    })
public final class DevLauncher implements Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger(DevLauncher.class);
  private static final String COMPANY = "acme";

  @Option(
      names = "--agents",
      paramLabel = "N",
      description = "Simulated agents to run (default: ${DEFAULT-VALUE}; 0 for none).",
      defaultValue = "5")
  int agents;

  @Option(
      names = "--printers",
      paramLabel = "M",
      description = "Printers per simulated agent (default: ${DEFAULT-VALUE}).",
      defaultValue = "2")
  int printersPerAgent;

  @Option(
      names = "--branches",
      paramLabel = "B",
      description = "Branches the agents are spread over (default: ${DEFAULT-VALUE}).",
      defaultValue = "3")
  int branches;

  @Option(
      names = "--failure-rate",
      paramLabel = "F",
      description = "Share of simulated prints that fail, 0..1 (default: ${DEFAULT-VALUE}).",
      defaultValue = "0.02")
  double failureRate;

  @Option(
      names = "--print-delay",
      paramLabel = "MS",
      description = "How long a simulated printer takes, in ms (default: ${DEFAULT-VALUE}).",
      defaultValue = "300")
  long printDelayMs;

  @Option(
      names = "--gateway-port",
      paramLabel = "PORT",
      description = "Gateway HTTP port (default: PRINTFLEET_GATEWAY_HTTP_PORT or 8080).")
  Integer gatewayPort;

  @Option(
      names = "--printing-port",
      paramLabel = "PORT",
      description = "Printing HTTP port (default: PRINTFLEET_PRINTING_HTTP_PORT or 8081).")
  Integer printingPort;

  @Option(
      names = "--monitoring-port",
      paramLabel = "PORT",
      description = "Monitoring HTTP port (default: PRINTFLEET_MONITORING_HTTP_PORT or 8082).")
  Integer monitoringPort;

  @Option(
      names = "--services",
      split = ",",
      paramLabel = "NAME",
      description =
          "Services to run: gateway, printing, monitoring (default: all three). PostgreSQL starts only for printing.")
  List<String> only = List.of("gateway", "printing", "monitoring");

  @Option(
      names = "--infra-only",
      description =
          "Start only embedded Redis and PostgreSQL, print one line PRINTFLEET_INFRA with their settings, and wait (deploy/local-cluster.sh).")
  boolean infraOnly;

  @Option(
      names = "--duration",
      paramLabel = "DURATION",
      description = "Stop by itself after this long, e.g. 90s or 10m (default: run until Ctrl-C).")
  String duration;

  private TestCluster cluster;

  /** The services started, gateway first: the order they stop in. */
  private final List<ServiceRuntime> services = new ArrayList<>();

  private RedisServerHandle redis;
  private PostgresServerHandle postgres;
  private AgentFleet fleet;

  public static void main(String[] args) {
    int exit = new CommandLine(new DevLauncher()).execute(args);
    System.exit(exit);
  }

  @Override
  public Integer call() throws Exception {
    Settings env = Settings.fromEnvironment();
    Map<String, String> base = new HashMap<>(System.getenv());
    int gateway;
    int printing;
    int monitoring;
    Duration stopAfter;
    try {
      gateway =
          gatewayPort != null
              ? gatewayPort
              : env.port("PRINTFLEET_GATEWAY_HTTP_PORT", GatewayService.DEFAULT_HTTP_PORT);
      printing =
          printingPort != null
              ? printingPort
              : env.port("PRINTFLEET_PRINTING_HTTP_PORT", PrintingService.DEFAULT_HTTP_PORT);
      monitoring =
          monitoringPort != null
              ? monitoringPort
              : env.port("PRINTFLEET_MONITORING_HTTP_PORT", MonitoringService.DEFAULT_HTTP_PORT);
      stopAfter =
          duration == null
              ? null
              : new Settings(Map.of("--duration", duration)).duration("--duration", null);
    } catch (ConfigException e) {
      System.err.println("printfleet dev: " + e.getMessage());
      return 2;
    }
    if (!List.of("gateway", "printing", "monitoring").containsAll(only) || only.isEmpty()) {
      System.err.println(
          "printfleet dev: --services takes gateway, printing and monitoring, comma-separated");
      return 2;
    }
    if (failureRate < 0 || failureRate > 1 || agents < 0 || printersPerAgent < 1 || branches < 1) {
      System.err.println(
          "printfleet dev: --failure-rate must be within 0..1, --agents >= 0, --printers and --branches >= 1");
      return 2;
    }
    String secret = env.optional("PRINTFLEET_JWT_SECRET").orElseGet(DevLauncher::randomSecret);
    if (secret.length() < JwtSettings.MIN_SECRET_LENGTH) {
      System.err.println(
          "printfleet dev: PRINTFLEET_JWT_SECRET is too short; HS256 needs at least "
              + JwtSettings.MIN_SECRET_LENGTH
              + " characters");
      return 2;
    }

    long startedAt = System.nanoTime();
    CountDownLatch stop = new CountDownLatch(1);
    Thread cleanup =
        new Thread(
            () -> {
              stopAll();
              stop.countDown();
            },
            "printfleet-dev-stop");
    Runtime.getRuntime().addShutdownHook(cleanup);
    stopInOrderOnSignals(stop);

    log.info("Starting embedded Redis and PostgreSQL");
    redis = RedisServerHandle.startOnFreePort();
    String database = "";
    if (only.contains("printing")) {
      postgres = PostgresServerHandle.startOnFreePort();
      database = postgres.createDatabase("printfleet");
    }
    Map<String, String> infra = new LinkedHashMap<>();
    infra.put("REDIS_CONNECTION_ADDRESS", redis.address());
    if (postgres != null) {
      infra.putAll(postgres.settings(database));
    }
    base.putAll(infra);

    if (infraOnly) {
      StringBuilder line = new StringBuilder("PRINTFLEET_INFRA");
      infra.forEach((name, value) -> line.append(' ').append(name).append('=').append(value));
      System.out.println(line);
      System.out.flush();
      if (stopAfter != null && !stop.await(stopAfter.toMillis(), TimeUnit.MILLISECONDS)) {
        stopAll();
      } else if (stopAfter == null) {
        stop.await();
      }
      return 0;
    }

    base.put("PRINTFLEET_JWT_SECRET", secret);
    base.put("PRINTFLEET_DRAIN_DELAY", "0s");
    base.put("PRINTFLEET_EVENTBUS_HOST", "127.0.0.1");

    // The services start side by side, in one cluster, through the test fixture.
    cluster = new TestCluster(base);
    List<Future<ServiceRuntime>> starting = new ArrayList<>();
    if (only.contains("gateway")) {
      starting.add(cluster.launch(new GatewayService(), instance(gateway, "gateway-dev-1")));
    }
    if (only.contains("printing")) {
      starting.add(cluster.launch(new PrintingService(), instance(printing, "printing-dev-1")));
    }
    if (only.contains("monitoring")) {
      starting.add(
          cluster.launch(new MonitoringService(), instance(monitoring, "monitoring-dev-1")));
    }
    try {
      for (var future : starting) {
        ServiceRuntime started =
            future.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
        synchronized (this) {
          services.add(started);
        }
      }
    } catch (Exception e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      System.err.println("printfleet dev: a service did not start: " + cause.getMessage());
      return 1;
    }

    if (agents > 0 && only.contains("gateway")) {
      fleet =
          new AgentFleet(
              cluster.client(),
              "127.0.0.1",
              gateway,
              secret,
              COMPANY,
              agents,
              printersPerAgent,
              branches,
              new SimulatedAgent.Behaviour(printDelayMs, failureRate, 10_000));
      fleet.start();
    }
    printWelcome(
        secret,
        gateway,
        printing,
        monitoring,
        database,
        (System.nanoTime() - startedAt) / 1_000_000);

    if (stopAfter != null) {
      if (!stop.await(stopAfter.toMillis(), TimeUnit.MILLISECONDS)) {
        log.info("Stopping after duration={}", duration);
        // In order, before the JVM's shutdown hooks (embedded-redis's among them) run.
        stopAll();
      }
      return 0;
    }
    stop.await();
    return 0;
  }

  /** What one service adds to the shared settings: its port and instance id. */
  private static Map<String, String> instance(int port, String instanceId) {
    return Map.of(
        "PRINTFLEET_HTTP_PORT", String.valueOf(port), "PRINTFLEET_INSTANCE_ID", instanceId);
  }

  private void printWelcome(
      String secret, int gateway, int printing, int monitoring, String database, long startMs) {
    Vertx vertx = cluster.services().get(0).vertx();
    var issuer = new TokenIssuer(vertx, secret);
    Duration day = Duration.ofDays(1);
    String agentToken = issuer.agent("acme-agent-try", COMPANY, "b1", day);
    String userToken = issuer.user("alice", Role.USER, COMPANY, List.of(), day);
    String sreToken = issuer.user("sam", Role.SRE, COMPANY, List.of(), day);
    String out =
        String.join(
            "\n",
            "",
            "printfleet is running (started in " + startMs + " ms). Ctrl-C stops everything.",
            "",
            "  gateway     http://127.0.0.1:"
                + gateway
                + "     agents: ws://127.0.0.1:"
                + gateway
                + "/ws/agent   dashboards: ws://127.0.0.1:"
                + gateway
                + "/ws/client",
            "  printing    http://127.0.0.1:"
                + printing
                + "     REST API: http://127.0.0.1:"
                + printing
                + "/api/v1",
            "  monitoring  http://127.0.0.1:"
                + monitoring
                + "     SRE dashboard: http://127.0.0.1:"
                + monitoring
                + "/",
            "  health      /health/live  /health/ready  /metrics on each",
            "  redis       "
                + redis.address()
                + (postgres == null
                    ? ""
                    : "   postgres  127.0.0.1:"
                        + postgres.port()
                        + "/"
                        + database
                        + " (user postgres)"),
            "  agents      "
                + agents
                + " simulated (company "
                + COMPANY
                + ", "
                + printersPerAgent
                + " printers each, branches b1..b"
                + branches
                + ")",
            "",
            "Tokens (valid 24 h, company " + COMPANY + "):",
            "  agent (acme-agent-try, branch b1): " + agentToken,
            "  user  (alice):                     " + userToken,
            "  sre   (sam):                       " + sreToken,
            "",
            "Try:  curl -s http://127.0.0.1:" + printing + "/health/ready",
            "");
    System.out.println(out);
    System.out.flush();
  }

  /**
   * SIGTERM and Ctrl-C (SIGINT) stop everything in order, the services first (they drain and leave
   * the cluster), then PostgreSQL and Redis, and only then let the JVM exit. Through the JVM's
   * shutdown alone they could not: embedded-redis registers a shutdown hook of its own
   * (RedisInstanceCleaner) on every start, and shutdown hooks run side by side, so Redis went away
   * while the services were still leaving the cluster. Its hook then finds Redis stopped.
   */
  private void stopInOrderOnSignals(CountDownLatch stop) {
    for (String name : List.of("TERM", "INT")) {
      try {
        sun.misc.Signal.handle(
            new sun.misc.Signal(name),
            signal ->
                Thread.ofPlatform()
                    .name("printfleet-dev-" + name.toLowerCase(java.util.Locale.ROOT))
                    .start(
                        () -> {
                          stopAll();
                          stop.countDown();
                        }));
      } catch (IllegalArgumentException e) {
        // The platform has no such signal (or the JVM keeps it): the shutdown hook stops.
        log.debug("No handler for SIG{}: {}", name, e.getMessage());
      }
    }
  }

  /**
   * Stops what runs, in order; again (the shutdown hook after a signal) it stops what was started
   * since, or nothing.
   */
  private synchronized void stopAll() {
    if (fleet == null && cluster == null && postgres == null && redis == null) {
      return;
    }
    log.info("Stopping printfleet dev");
    if (fleet != null) {
      await(fleet.stop(), 5);
      fleet = null;
    }
    if (cluster != null) {
      // One by one: the gateway first (its drain closes the agents' sockets and tells the others
      // while they still listen), then printing, then monitoring. Each withdraws its subscriptions
      // and answers until quiet before its event bus closes (ServiceRuntime), so none is sent to a
      // closed one. Within one deadline for the three.
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      for (var service : services) {
        Duration left = Duration.ofNanos(Math.max(deadline - System.nanoTime(), 1_000_000_000L));
        try {
          cluster.stop(service, left);
        } catch (AssertionError e) {
          log.warn("Did not stop cleanly instance={}: {}", service.instanceId(), e.getMessage());
        }
      }
      services.clear();
      try {
        cluster.close(Duration.ofSeconds(15));
      } catch (AssertionError e) {
        log.warn("Did not stop cleanly: {}", Arrays.toString(e.getSuppressed()));
      }
      cluster = null;
    }
    if (postgres != null) {
      quietly(postgres::close, "PostgreSQL");
      postgres = null;
    }
    if (redis != null) {
      quietly(redis::close, "Redis");
      redis = null;
    }
    log.info("Stopped; embedded servers and their files are gone");
  }

  private static void await(Future<?> future, int seconds) {
    try {
      future.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("Did not stop cleanly within {} s: {}", seconds, e.toString());
    }
  }

  private static void quietly(Runnable action, String what) {
    try {
      action.run();
    } catch (RuntimeException e) {
      log.warn("{} did not stop cleanly: {}", what, e.toString());
    }
  }

  private static String randomSecret() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }
}
