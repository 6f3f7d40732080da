package dev.printfleet.monitoring;

import dev.printfleet.common.auth.Role;
import dev.printfleet.testing.TestCluster;
import dev.printfleet.testing.TestClusterExtension;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Monitoring's tests: the test's cluster with heartbeats every {@link #INTERVAL} and tokens of a
 * user of company acme; {@link #withPrinting} adds a database for a printing instance.
 */
@ExtendWith(TestClusterExtension.class)
public abstract class MonitoringTestBase {

  public static final Duration INTERVAL = Duration.ofMillis(300);

  protected TestCluster cluster;

  @BeforeEach
  void useMonitoringSettings(TestCluster cluster) {
    this.cluster = monitoringSettings(cluster);
  }

  /** Short heartbeats and job figures, and thresholds the services of one JVM cannot trip. */
  public static TestCluster monitoringSettings(TestCluster cluster) {
    return cluster.set(
        Map.of(
            "PRINTFLEET_HEARTBEAT_INTERVAL", INTERVAL.toMillis() + "ms",
            // Every service of a test shares this JVM's heap and CPU: those thresholds are tested
            // directly.
            "PRINTFLEET_ALERT_MEMORY_PERCENT", "100",
            "PRINTFLEET_ALERT_CPU_PERCENT", "100",
            "PRINTFLEET_ALERT_EVENT_LOOP_LAG", "10s",
            "PRINTFLEET_JOB_STATS_MAX_AGE", "1s",
            "PRINTFLEET_DASHBOARD_PUSH_INTERVAL", "300ms"));
  }

  /** A database of the test's own for printing, and short dispatch timings; before any start. */
  protected void withPrinting() {
    cluster
        .withDatabase()
        .set(
            Map.of(
                "PRINTFLEET_DISPATCH_INTERVAL", "100ms",
                "PRINTFLEET_RETRY_BACKOFF", "100ms",
                "PRINTFLEET_AGENT_REQUEST_TIMEOUT", "1s",
                "PRINTFLEET_DISPATCH_TIMEOUT", "2s"));
  }

  protected String token(Role role) {
    return cluster.userToken("sam", role, "acme");
  }

  protected String sreToken() {
    return token(Role.SRE);
  }
}
