package dev.printfleet.monitoring;

import dev.printfleet.common.config.Settings;

/** The monitoring service's own settings. */
public record MonitoringConfig(int missedBeatsForDown) {

  public static MonitoringConfig from(Settings settings) {
    return new MonitoringConfig(settings.integer("PRINTFLEET_MISSED_BEATS_DOWN", 3, 1, 100));
  }
}
