package dev.printfleet.system;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A printfleet jar run as its own JVM, as production runs it: only environment variables. */
final class ServiceProcess implements AutoCloseable {

  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  final Process process;
  final List<String> stdout = Collections.synchronizedList(new ArrayList<>());
  final List<String> stderr = Collections.synchronizedList(new ArrayList<>());

  private final List<Thread> readers = new ArrayList<>();

  private ServiceProcess(Process process) {
    this.process = process;
    readers.add(drain(process.getInputStream(), stdout));
    readers.add(drain(process.getErrorStream(), stderr));
  }

  /**
   * What every service process of a test needs: the secret, the test's Redis under a key namespace
   * of its own, a fresh database on the test's PostgreSQL, no drain delay.
   */
  static Map<String, String> environment(
      String secret,
      dev.printfleet.testing.RedisServerHandle redis,
      dev.printfleet.testing.PostgresServerHandle postgres,
      String name) {
    Map<String, String> env = new java.util.HashMap<>();
    env.put("PRINTFLEET_JWT_SECRET", secret);
    env.put("PRINTFLEET_DRAIN_DELAY", "0s");
    env.put("REDIS_CONNECTION_ADDRESS", redis.address());
    env.put(
        "REDIS_KEY_NAMESPACE", name + "-" + java.util.UUID.randomUUID().toString().substring(0, 8));
    env.put("PGHOST", postgres.host());
    env.put("PGPORT", String.valueOf(postgres.port()));
    env.put("PGDATABASE", postgres.createDatabase(name));
    env.put("PGUSER", postgres.user());
    env.put("PGPASSWORD", postgres.password());
    return env;
  }

  static Path jar(String module) {
    Path root = Path.of(System.getProperty("printfleet.root", ".."));
    Path jar = root.resolve(module).resolve("target").resolve(module + ".jar").normalize();
    if (!Files.exists(jar)) {
      throw new IllegalStateException("no fat jar at " + jar + "; run mvn package first");
    }
    return jar;
  }

  static ServiceProcess start(String module, Map<String, String> env, String... args)
      throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java, "-Xmx256m"));
    if (Runtime.version().feature() >= 24) {
      command.add("--sun-misc-unsafe-memory-access=allow");
    }
    command.addAll(List.of("-jar", jar(module).toString()));
    command.addAll(List.of(args));
    var builder = new ProcessBuilder(command);
    // Only what the test gives: a service must not depend on the test JVM's environment.
    builder
        .environment()
        .keySet()
        .removeIf(k -> k.startsWith("PRINTFLEET_") || k.startsWith("REDIS_") || k.startsWith("PG"));
    builder.environment().putAll(env);
    return new ServiceProcess(builder.start());
  }

  private static Thread drain(java.io.InputStream in, List<String> into) {
    return Thread.ofVirtual()
        .start(
            () -> {
              try (var reader =
                  new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                  into.add(line);
                }
              } catch (IOException e) {
                // the process went away
              }
            });
  }

  static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(5))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static void awaitReady(int port) {
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> status(port, "/health/ready") == 200);
  }

  /** The first column of the first row of a query against the test's PostgreSQL database. */
  static long count(String url, dev.printfleet.testing.PostgresServerHandle postgres, String sql)
      throws Exception {
    try (var connection =
            java.sql.DriverManager.getConnection(url, postgres.user(), postgres.password());
        var rows = connection.createStatement().executeQuery(sql)) {
      rows.next();
      return rows.getLong(1);
    }
  }

  static HttpResponse<String> get(int port, String path, String token)
      throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Authorization", "Bearer " + token)
            .timeout(Duration.ofSeconds(10))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** {@code POST /api/v1/jobs}. */
  static HttpResponse<String> post(int port, String token, io.vertx.core.json.JsonObject body)
      throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/jobs"))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString(body.encode()))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static int status(int port, String path) {
    try {
      return get(port, path).statusCode();
    } catch (IOException | InterruptedException e) {
      return -1;
    }
  }

  /** Sends SIGTERM and waits for the exit; the exit status. */
  int terminate(Duration timeout) throws InterruptedException {
    // Process.destroy() would also close our ends of its pipes, and the drain's log lines with
    // them.
    process.toHandle().destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError("the service did not stop within " + timeout + " after SIGTERM");
    }
    awaitOutput();
    return process.exitValue();
  }

  /** Waits until everything the exited process wrote has been read. */
  void awaitOutput() throws InterruptedException {
    for (Thread reader : readers) {
      reader.join(Duration.ofSeconds(10));
    }
  }

  String output() {
    synchronized (stdout) {
      return String.join("\n", stdout);
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
