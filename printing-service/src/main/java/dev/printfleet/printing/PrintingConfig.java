package dev.printfleet.printing;

import dev.printfleet.common.config.PostgresSettings;
import dev.printfleet.common.config.Settings;
import java.time.Duration;

/**
 * The printing service's own settings.
 *
 * @param maxAttempts dispatches a job gets before it becomes {@code failed}
 * @param jobTtl how long a job may wait {@code queued} before it becomes {@code expired}
 */
public record PrintingConfig(PostgresSettings postgres, int maxAttempts, Duration jobTtl) {

  public static PrintingConfig from(Settings settings) {
    return new PrintingConfig(
        PostgresSettings.from(settings),
        settings.integer("PRINTFLEET_MAX_ATTEMPTS", 5, 1, 100),
        settings.duration("PRINTFLEET_JOB_TTL", Duration.ofHours(24)));
  }
}
