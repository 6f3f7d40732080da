package dev.printfleet.monitoring.alerts;

import dev.printfleet.common.config.Settings;
import java.time.Duration;

/**
 * When an alert fires (PRINTFLEET_ALERT_* variables). Percentages are 0..100.
 *
 * @param errorRatePercent failed jobs among finished jobs over the database window
 * @param errorRateMinJobs finished jobs needed before the error rate means anything
 * @param eventLoopLag an instance whose event loop lags longer is DEGRADED
 * @param clusterLossQuiet {@code cluster_state_lost} clears once no instance has reported a loss of
 *     its cluster state from Redis for this long
 */
public record Thresholds(
    int memoryPercent,
    int cpuPercent,
    int errorRatePercent,
    int errorRateMinJobs,
    Duration agentOffline,
    int reconnectsPerMinute,
    Duration eventLoopLag,
    Duration clusterLossQuiet) {

  public static Thresholds defaults() {
    return new Thresholds(
        85, 90, 10, 20, Duration.ofMinutes(5), 10, Duration.ofSeconds(1), Duration.ofMinutes(2));
  }

  public static Thresholds from(Settings settings) {
    return new Thresholds(
        settings.integer("PRINTFLEET_ALERT_MEMORY_PERCENT", 85, 1, 100),
        settings.integer("PRINTFLEET_ALERT_CPU_PERCENT", 90, 1, 100),
        settings.integer("PRINTFLEET_ALERT_ERROR_RATE_PERCENT", 10, 1, 100),
        settings.integer("PRINTFLEET_ALERT_ERROR_RATE_MIN_JOBS", 20, 1, 1_000_000),
        settings.duration("PRINTFLEET_ALERT_AGENT_OFFLINE", Duration.ofMinutes(5)),
        settings.integer("PRINTFLEET_ALERT_RECONNECTS_PER_MINUTE", 10, 1, 100_000),
        settings.duration("PRINTFLEET_ALERT_EVENT_LOOP_LAG", Duration.ofSeconds(1)),
        settings.duration("PRINTFLEET_ALERT_CLUSTER_LOSS_QUIET", Duration.ofMinutes(2)));
  }
}
