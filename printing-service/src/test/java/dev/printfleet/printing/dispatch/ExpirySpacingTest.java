package dev.printfleet.printing.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How often jobs queued past their TTL are looked for. */
class ExpirySpacingTest {

  @Test
  void everyTenthOfTheTtlNeverMoreOftenThanEveryFiveSecondsNorLessThanEveryMinute() {
    assertThat(DispatchLoop.expiryEvery(Duration.ofSeconds(1))).isEqualTo(Duration.ofSeconds(5));
    assertThat(DispatchLoop.expiryEvery(Duration.ofMinutes(5))).isEqualTo(Duration.ofSeconds(30));
    assertThat(DispatchLoop.expiryEvery(Duration.ofHours(24))).isEqualTo(Duration.ofMinutes(1));
  }
}
