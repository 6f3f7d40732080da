package dev.printfleet.printing.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How far apart the deletions of finished jobs past their retention run. */
class JobRetentionSpacingTest {

  @Test
  void aFullBatchIsFollowedAfterNineTimesItsDurationAShortOneAfterAMinute() {
    assertThat(JobRetention.nextIn(JobRetention.BATCH, Duration.ofMillis(50)))
        .isEqualTo(Duration.ofMillis(450));
    // Never more often than every 100 ms, however quick the batch.
    assertThat(JobRetention.nextIn(JobRetention.BATCH, Duration.ofMillis(1)))
        .isEqualTo(Duration.ofMillis(100));
    assertThat(JobRetention.nextIn(JobRetention.BATCH - 1, Duration.ofMillis(50)))
        .isEqualTo(Duration.ofMinutes(1));
    assertThat(JobRetention.nextIn(0, Duration.ofMillis(1))).isEqualTo(Duration.ofMinutes(1));
  }
}
