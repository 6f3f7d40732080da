package dev.printfleet.system;

import dev.printfleet.testing.Http;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A printfleet jar run as its own JVM, as production runs it: only environment variables (a test
 * takes them from its {@link dev.printfleet.testing.TestCluster}'s settings).
 */
final class ServiceProcess implements AutoCloseable {

  final Process process;
  final List<String> stdout = Collections.synchronizedList(new ArrayList<>());
  final List<String> stderr = Collections.synchronizedList(new ArrayList<>());

  private final List<Thread> readers = new ArrayList<>();

  private ServiceProcess(Process process) {
    this.process = process;
    readers.add(drain(process.getInputStream(), stdout));
    readers.add(drain(process.getErrorStream(), stderr));
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
    return run(command, env);
  }

  /** Any command (a script of the repository), with the same environment rule. */
  static ServiceProcess run(List<String> command, Map<String, String> env) throws IOException {
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

  /** Waits up to a minute until the service on this port is ready. */
  static void awaitReady(int port) {
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> Http.status(port, "/health/ready") == 200);
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
    // What it started too (a script's launcher in a session of its own, the embedded servers).
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    if (process.isAlive()) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
