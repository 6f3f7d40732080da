package dev.printfleet.printing.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How far apart the counts against the per-company cap run. */
class QueuedPerCompanyTest {

  @Test
  void aQuickCountRunsEveryTwoSecondsASlowOneTwoHundredTimesAsFarApartUpToThirtySeconds() {
    assertThat(QueuedPerCompany.nextCountIn(Duration.ofMillis(1))).isEqualTo(Duration.ofSeconds(2));
    assertThat(QueuedPerCompany.nextCountIn(Duration.ofMillis(10)))
        .isEqualTo(Duration.ofSeconds(2));
    // 100,000 jobs parked: 16 ms vacuumed, 72 ms before.
    assertThat(QueuedPerCompany.nextCountIn(Duration.ofMillis(16)))
        .isEqualTo(Duration.ofMillis(3_200));
    assertThat(QueuedPerCompany.nextCountIn(Duration.ofMillis(72)))
        .isEqualTo(Duration.ofMillis(14_400));
    assertThat(QueuedPerCompany.nextCountIn(Duration.ofSeconds(5)))
        .isEqualTo(Duration.ofSeconds(30));
  }
}
