package dev.printfleet.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.testing.FreePorts;
import dev.printfleet.testing.Http;
import dev.printfleet.testing.PrometheusText;
import dev.printfleet.testing.TestCluster;
import dev.printfleet.testing.TestClusterExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each service's fat jar, started alone with nothing but environment variables, as a container
 * would start it.
 */
@ExtendWith(TestClusterExtension.class)
class ServiceJarsIT {

  private TestCluster cluster;

  @BeforeEach
  void database(TestCluster cluster) {
    this.cluster = cluster.withDatabase();
  }

  private Map<String, String> environment(int port) {
    Map<String, String> env = cluster.settings();
    env.put("PRINTFLEET_HTTP_PORT", String.valueOf(port));
    // The jar binds its default address, as in a container: the fixture's loopback is for the
    // services a test starts in its own JVM.
    env.remove("PRINTFLEET_HTTP_HOST");
    return env;
  }

  @ParameterizedTest
  @ValueSource(strings = {"gateway-service", "printing-service", "monitoring-service"})
  void jarStartsAloneServesHealthAndMetricsAndStopsOnSigterm(String module) throws Exception {
    int port = FreePorts.next();
    try (var service = ServiceProcess.start(module, environment(port))) {
      long started = System.nanoTime();
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> Http.status(port, "/health/ready") == 200);
      System.out.printf(
          "printfleet-figure %s-jar-ready-ms=%d%n",
          module, (System.nanoTime() - started) / 1_000_000);

      assertThat(Http.status(port, "/health/live")).isEqualTo(200);
      var ready = Http.get(port, "/health/ready", null).body();
      assertThat(ready).contains("\"cluster\"").contains("\"redis\"").contains("\"draining\"");
      if (module.equals("printing-service")) {
        assertThat(ready).contains("\"postgres\"");
      }

      var metrics = Http.get(port, "/metrics", null);
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("content-type").orElse("")).startsWith("text/plain");
      var parsed = PrometheusText.parse(metrics.body());
      assertThat(parsed.hasFamily("jvm_memory_used_bytes")).as("JVM metrics").isTrue();
      assertThat(parsed.hasFamily("vertx_http_server_requests_total"))
          .as("HTTP server metrics")
          .isTrue();
      assertThat(parsed.hasFamily("vertx_eventbus_handlers")).as("event bus metrics").isTrue();
      assertThat(parsed.hasFamily("printfleet_event_loop_lag_seconds"))
          .as("event loop lag")
          .isTrue();
      System.out.printf(
          "printfleet-figure %s-heap-used-bytes=%.0f%n",
          module,
          parsed.samples("jvm_memory_used_bytes").stream()
              .filter(s -> "heap".equals(s.labels().get("area")))
              .mapToDouble(PrometheusText.Sample::value)
              .sum());

      int exit = service.terminate(Duration.ofSeconds(30));
      assertThat(exit).as("exit status after SIGTERM").isEqualTo(143);
      assertThat(service.output())
          .as("stderr: %s", service.stderr)
          .contains("Draining instance=")
          .contains("Left the cluster");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"gateway-service", "printing-service", "monitoring-service"})
  void jarRefusesToStartWithoutAJwtSecretInOneClearLine(String module) throws Exception {
    var env = environment(FreePorts.next());
    env.remove("PRINTFLEET_JWT_SECRET");
    try (var service = ServiceProcess.start(module, env)) {
      assertThat(service.process.waitFor(30, TimeUnit.SECONDS)).as("exits by itself").isTrue();
      assertThat(service.process.exitValue()).isEqualTo(2);
      service.awaitOutput();
      List<String> lines = service.stderr.stream().filter(l -> !l.isBlank()).toList();
      assertThat(lines).hasSize(1);
      assertThat(lines.get(0))
          .contains("configuration error")
          .contains("PRINTFLEET_JWT_SECRET is not set");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"gateway-service", "printing-service", "monitoring-service"})
  void jarRefusesAMalformedSettingNamingTheVariable(String module) throws Exception {
    var env = environment(FreePorts.next());
    env.put("PRINTFLEET_HTTP_PORT", "eighty");
    try (var service = ServiceProcess.start(module, env)) {
      assertThat(service.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(service.process.exitValue()).isEqualTo(2);
      service.awaitOutput();
      assertThat(service.stderr.stream().filter(l -> !l.isBlank()).toList())
          .containsExactly(
              "printfleet "
                  + module.replace("-service", "")
                  + ": configuration error: PRINTFLEET_HTTP_PORT must be a port number (0-65535), got 'eighty'");
    }
  }
}
