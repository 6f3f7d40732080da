package dev.printfleet.printing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.printfleet.common.config.ConfigException;
import dev.printfleet.common.config.Settings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrintingConfigTest {

  @Test
  void finishedJobsAreKeptThirtyDaysByDefaultFromAnHourToAHundredYears() {
    assertThat(PrintingConfig.from(new Settings(Map.of())).jobRetention())
        .isEqualTo(Duration.ofDays(30));
    assertThat(
            PrintingConfig.from(new Settings(Map.of("PRINTFLEET_JOB_RETENTION", "1h")))
                .jobRetention())
        .isEqualTo(Duration.ofHours(1));
    assertThatThrownBy(
            () -> PrintingConfig.from(new Settings(Map.of("PRINTFLEET_JOB_RETENTION", "59m"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("PRINTFLEET_JOB_RETENTION")
        .hasMessageContaining("from 1h to 36500d");
    assertThat(
            PrintingConfig.from(new Settings(Map.of("PRINTFLEET_JOB_RETENTION", "36500d")))
                .jobRetention())
        .isEqualTo(Duration.ofDays(36_500));
    assertThatThrownBy(
            () -> PrintingConfig.from(new Settings(Map.of("PRINTFLEET_JOB_RETENTION", "36501d"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("PRINTFLEET_JOB_RETENTION");
  }
}
