package dev.printfleet.monitoring;

import dev.printfleet.common.config.PostgresSettings;
import dev.printfleet.common.config.Settings;
import dev.printfleet.monitoring.alerts.Thresholds;
import java.time.Duration;

/**
 * The monitoring service's own settings (README, "Configuration").
 *
 * @param missedBeatsForDown heartbeats an instance may miss before it is {@code DOWN}
 * @param forgetAfter a {@code DOWN} instance is dropped from the view after this long
 * @param jobStatsMaxAge the database's job figures are at most this old (never over 60 s)
 * @param pushInterval how often the dashboard's live stream sends a snapshot
 */
public record MonitoringConfig(
    int missedBeatsForDown,
    Duration forgetAfter,
    PostgresSettings postgres,
    Duration jobStatsMaxAge,
    Duration pushInterval,
    Thresholds thresholds) {

  public static MonitoringConfig from(Settings settings) {
    Duration jobStatsMaxAge =
        settings.duration("PRINTFLEET_JOB_STATS_MAX_AGE", Duration.ofSeconds(15));
    if (jobStatsMaxAge.compareTo(Duration.ofSeconds(60)) > 0 || jobStatsMaxAge.isZero()) {
      throw new dev.printfleet.common.config.ConfigException(
          "PRINTFLEET_JOB_STATS_MAX_AGE", "must be between 1ms and 60s, got " + jobStatsMaxAge);
    }
    return new MonitoringConfig(
        settings.integer("PRINTFLEET_MISSED_BEATS_DOWN", 3, 1, 100),
        settings.duration("PRINTFLEET_INSTANCE_FORGET", Duration.ofHours(1)),
        PostgresSettings.from(settings),
        jobStatsMaxAge,
        settings.duration("PRINTFLEET_DASHBOARD_PUSH_INTERVAL", Duration.ofSeconds(1)),
        Thresholds.from(settings));
  }
}
