package dev.printfleet.system;

import static org.awaitility.Awaitility.await;

import dev.printfleet.testing.FreePorts;
import dev.printfleet.testing.Http;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * deploy/local-cluster.sh run by a test: Redis and PostgreSQL, two gateways, two printing instances
 * and monitoring, each its own process, behind Debian's nginx, with Debian's Prometheus. Knows each
 * process by name (from the script's {@code PRINTFLEET_LOCAL_CLUSTER} lines), where the services
 * write their logs, and how to hurt them: SIGKILL, SIGSTOP, Redis flushed or restarted empty on its
 * port.
 */
final class LocalCluster implements AutoCloseable {

  static final String SECRET = "local-cluster-secret-0123456789-0123456789";
  private static final Pattern STARTED =
      Pattern.compile("^PRINTFLEET_LOCAL_CLUSTER (\\S+) pid=(\\d+) port=(\\d+)$");
  private static final Pattern FILES = Pattern.compile("files in (\\S+)\\)");

  final int nginx = FreePorts.next();
  final int prometheus = FreePorts.next();
  final List<Integer> gatewayPorts = List.of(FreePorts.next(), FreePorts.next());
  final List<Integer> printingPorts = List.of(FreePorts.next(), FreePorts.next());
  final int monitoringPort = FreePorts.next();

  private final List<String> output = Collections.synchronizedList(new ArrayList<>());
  private final Map<String, Long> pids = Collections.synchronizedMap(new LinkedHashMap<>());
  private final Map<String, String> infra = new HashMap<>();
  private final List<Process> restartedRedis = new ArrayList<>();
  private Process script;
  private Path files;

  /** Starts the cluster with these settings on top of the defaults and waits until it is ready. */
  static LocalCluster start(Map<String, String> settings) throws IOException {
    requireTools();
    var cluster = new LocalCluster();
    cluster.launch(settings);
    return cluster;
  }

  private void launch(Map<String, String> settings) throws IOException {
    Path root = Path.of(System.getProperty("printfleet.root", "..")).toAbsolutePath().normalize();
    var builder =
        new ProcessBuilder("bash", root.resolve("deploy/local-cluster.sh").toString())
            .directory(root.toFile());
    builder
        .environment()
        .keySet()
        .removeIf(
            k ->
                k.startsWith("PRINTFLEET_") && !k.equals("PRINTFLEET_IN_USERNS")
                    || k.startsWith("REDIS_")
                    || k.startsWith("PG"));
    builder
        .environment()
        .putAll(
            Map.of(
                "PRINTFLEET_JWT_SECRET",
                SECRET,
                "LC_NGINX_PORT",
                String.valueOf(nginx),
                "LC_PROMETHEUS_PORT",
                String.valueOf(prometheus),
                "LC_GATEWAY_PORTS",
                gatewayPorts.get(0) + " " + gatewayPorts.get(1),
                "LC_PRINTING_PORTS",
                printingPorts.get(0) + " " + printingPorts.get(1),
                "LC_MONITORING_PORT",
                String.valueOf(monitoringPort),
                "LC_MAX_SECONDS",
                "900"));
    builder.environment().putAll(settings);
    // -Dprintfleet.cluster.logLevel=DEBUG: the services' own log level, to see what a drill did.
    String logLevel = System.getProperty("printfleet.cluster.logLevel");
    if (logLevel != null) {
      builder.environment().put("PRINTFLEET_LOG_LEVEL", logLevel);
    }
    builder.redirectErrorStream(true);
    script = builder.start();
    Thread.ofVirtual()
        .start(
            () -> {
              try (var reader =
                  new BufferedReader(
                      new InputStreamReader(script.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                  output.add(line);
                  Matcher started = STARTED.matcher(line);
                  if (started.matches()) {
                    pids.put(started.group(1), Long.parseLong(started.group(2)));
                  }
                  Matcher files = FILES.matcher(line);
                  if (files.find()) {
                    this.files = Path.of(files.group(1));
                  }
                  if (line.startsWith("PRINTFLEET_INFRA ")) {
                    for (String pair : line.substring("PRINTFLEET_INFRA ".length()).split(" ")) {
                      int eq = pair.indexOf('=');
                      infra.put(pair.substring(0, eq), pair.substring(eq + 1));
                    }
                  }
                }
              } catch (IOException e) {
                // the script ended
              }
            });
    await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofMillis(250))
        .failFast("local-cluster.sh exited: " + output, () -> !script.isAlive())
        .until(() -> output.contains("PRINTFLEET_LOCAL_CLUSTER_READY"));
  }

  static void requireTools() {
    List<String> missing = new ArrayList<>();
    for (String tool : List.of("nginx", "prometheus", "curl")) {
      boolean found = false;
      for (String dir :
          (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/usr/bin:/sbin").split(":")) {
        found |= !dir.isEmpty() && Files.isExecutable(Path.of(dir, tool));
      }
      if (!found) {
        missing.add(tool);
      }
    }
    if (!missing.isEmpty()) {
      throw new AssertionError(
          "the local cluster needs "
              + missing
              + " (Debian: apt-get install nginx prometheus curl; ./printfleet test and .ci/run install them when run as root)");
    }
  }

  Process script() {
    return script;
  }

  long pid(String name) {
    Long pid = pids.get(name);
    if (pid == null) {
      throw new IllegalArgumentException("no process " + name + " in " + pids.keySet());
    }
    return pid;
  }

  /**
   * The service names of the gateways, printing instances and monitoring, as the script names them.
   */
  static List<String> services() {
    return List.of("gateway-1", "gateway-2", "printing-1", "printing-2", "monitoring");
  }

  int port(String service) {
    return switch (service) {
      case "gateway-1" -> gatewayPorts.get(0);
      case "gateway-2" -> gatewayPorts.get(1);
      case "printing-1" -> printingPorts.get(0);
      case "printing-2" -> printingPorts.get(1);
      case "monitoring" -> monitoringPort;
      default -> throw new IllegalArgumentException(service);
    };
  }

  void kill(String name) {
    ProcessHandle.of(pid(name)).orElseThrow().destroyForcibly();
  }

  /** SIGSTOP or SIGCONT: the process stays, its sockets stay open, nothing answers. */
  void signal(String name, String signal) throws IOException, InterruptedException {
    var kill =
        new ProcessBuilder("kill", "-" + signal, String.valueOf(pid(name))).inheritIO().start();
    if (kill.waitFor() != 0) {
      throw new IllegalStateException("kill -" + signal + " " + name + " failed");
    }
  }

  /** What a service wrote to its log so far. */
  String log(String name) throws IOException {
    return Files.readString(files.resolve(name + ".log"));
  }

  /** The {@code PRINTFLEET_INFRA} settings of the cluster's Redis and PostgreSQL. */
  String infra(String key) {
    return Optional.ofNullable(infra.get(key))
        .orElseThrow(() -> new IllegalStateException("no " + key + " in " + infra));
  }

  String jdbcUrl() {
    return "jdbc:postgresql://"
        + infra("PGHOST")
        + ":"
        + infra("PGPORT")
        + "/"
        + infra("PGDATABASE");
  }

  /** Rows of a query against the cluster's database, each row its columns joined by a space. */
  List<String> query(String sql) throws Exception {
    try (var connection =
            java.sql.DriverManager.getConnection(jdbcUrl(), infra("PGUSER"), infra("PGPASSWORD"));
        var rows = connection.createStatement().executeQuery(sql)) {
      List<String> result = new ArrayList<>();
      int columns = rows.getMetaData().getColumnCount();
      while (rows.next()) {
        List<String> values = new ArrayList<>();
        for (int i = 1; i <= columns; i++) {
          values.add(rows.getString(i));
        }
        result.add(String.join(" ", values));
      }
      return result;
    }
  }

  private int redisPort() {
    return URI.create(infra("REDIS_CONNECTION_ADDRESS")).getPort();
  }

  /** Sends one command without arguments to Redis and returns its first reply line. */
  String redis(String command) throws IOException {
    try (var socket = new Socket("127.0.0.1", redisPort())) {
      socket.setSoTimeout(5_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("*1\r\n$" + command.length() + "\r\n" + command + "\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      var line = new StringBuilder();
      int c;
      while ((c = in.read()) != -1 && c != '\n') {
        line.append((char) c);
      }
      return line.toString().trim();
    }
  }

  /**
   * SIGKILLs the Redis server, then starts the same binary on the same port, empty: a Redis that
   * restarts without persistence. The new process is this fixture's, stopped by {@link #close()}.
   */
  void restartRedisEmpty(Duration down) throws Exception {
    ProcessHandle redis =
        script
            .descendants()
            .filter(p -> p.info().command().map(c -> c.contains("redis-server")).orElse(false))
            .findFirst()
            .orElseThrow(
                () -> new IllegalStateException("no redis-server among the cluster's processes"));
    String binary = redis.info().command().orElseThrow();
    redis.destroyForcibly();
    await().atMost(Duration.ofSeconds(10)).until(() -> !redis.isAlive());
    Thread.sleep(down.toMillis());
    var command =
        new ArrayList<>(
            List.of(
                binary,
                "--port",
                String.valueOf(redisPort()),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no"));
    var restarted =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(files.resolve("redis-restarted.log").toFile())
            .start();
    restartedRedis.add(restarted);
    await()
        .atMost(Duration.ofSeconds(10))
        .ignoreExceptions()
        .until(() -> "+PONG".equals(redis("PING")));
  }

  HttpResponse<String> http(String method, String path, String token, JsonObject body)
      throws Exception {
    var request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nginx + path))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body.encode()));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return Http.client().send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Prometheus's scrape targets (see {@link #prometheus}). */
  JsonArray targets() {
    return prometheus("/api/v1/targets", "activeTargets");
  }

  /** The alerts Prometheus holds now (pending and firing), from its rules (alerts.yml). */
  JsonArray alerts() {
    return prometheus("/api/v1/alerts", "alerts");
  }

  /**
   * One list of a Prometheus API answer's data; an {@link AssertionError} saying why when
   * Prometheus does not answer with it (its status and body, or the error), so that a wait on it
   * retries, and says on its timeout what it last saw.
   */
  private JsonArray prometheus(String path, String list) {
    String why;
    try {
      var response =
          Http.send(Http.request(prometheus, path, null).timeout(Duration.ofSeconds(5)).build());
      var data =
          response.statusCode() == 200
              ? new JsonObject(response.body()).getJsonObject("data")
              : null;
      if (data != null && data.getJsonArray(list) != null) {
        return data.getJsonArray(list);
      }
      why = "HTTP " + response.statusCode() + " without data." + list + ": " + response.body();
    } catch (Exception e) {
      why = e.toString();
    }
    throw new AssertionError("Prometheus did not answer " + path + ": " + why);
  }

  /**
   * Keeps the services', nginx's and Prometheus's logs under system-tests/target/cluster-logs/ (the
   * script removes its files).
   */
  private void keepLogs() {
    if (files == null) {
      return;
    }
    Path into =
        Path.of(
            "target", "cluster-logs", java.time.LocalDateTime.now().toString().replace(':', '-'));
    // Runs before the processes are stopped: nothing here may throw (a script that died may be
    // removing these files meanwhile), and a log that cannot be copied leaves the others kept.
    try (var logs = Files.walk(files, 2)) {
      Files.createDirectories(into);
      for (Path log : logs.filter(f -> f.toString().endsWith(".log")).toList()) {
        // nginx's and Prometheus's logs are in directories of their own: prometheus-prometheus.log
        String name = files.relativize(log).toString().replace('/', '-');
        try {
          Files.copy(log, into.resolve(name));
        } catch (IOException e) {
          System.out.println("local cluster log " + log + " not kept: " + e);
        }
      }
      System.out.println("local cluster logs kept in " + into.toAbsolutePath());
    } catch (IOException | UncheckedIOException e) {
      System.out.println("local cluster logs not kept: " + e);
    }
  }

  @Override
  public void close() throws Exception {
    keepLogs();
    for (String name : List.copyOf(pids.keySet())) {
      // A frozen process ignores SIGTERM until it runs again.
      new ProcessBuilder("kill", "-CONT", String.valueOf(pids.get(name))).start().waitFor();
    }
    if (script != null) {
      var descendants = script.descendants().toList();
      script.toHandle().destroy(); // SIGTERM: the script stops everything it started
      if (!script.waitFor(60, TimeUnit.SECONDS)) {
        script.destroyForcibly();
      }
      descendants.forEach(ProcessHandle::destroyForcibly);
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> descendants.stream().noneMatch(ProcessHandle::isAlive));
    }
    for (Process redis : restartedRedis) {
      redis.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
