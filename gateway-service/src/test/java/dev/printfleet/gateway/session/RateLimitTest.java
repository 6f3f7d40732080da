package dev.printfleet.gateway.session;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RateLimitTest {

  private static final long SECOND = 1_000_000_000L;

  @Test
  void bucketAllowsItsBurstThenRefillsAtItsRate() {
    var bucket = new TokenBucket(100, 10, 0);
    int allowed = 0;
    for (int i = 0; i < 150; i++) {
      if (bucket.tryTake(0)) {
        allowed++;
      }
    }
    assertThat(allowed).isEqualTo(100);
    assertThat(bucket.tryTake(SECOND / 20)).as("half a token after 50 ms").isFalse();
    int afterOneSecond = 0;
    for (int i = 0; i < 20; i++) {
      if (bucket.tryTake(SECOND + SECOND / 20)) {
        afterOneSecond++;
      }
    }
    assertThat(afterOneSecond).isEqualTo(10);
  }

  @Test
  void bucketNeverHoldsMoreThanItsCapacity() {
    var bucket = new TokenBucket(5, 10, 0);
    int allowed = 0;
    for (int i = 0; i < 20; i++) {
      if (bucket.tryTake(3600 * SECOND)) {
        allowed++;
      }
    }
    assertThat(allowed).isEqualTo(5);
  }

  @Test
  void refusalsBecomeAbuseOnlyWhenTheyPileUpWithinTheWindow() {
    var window = new AbuseWindow(10, 10 * SECOND);
    for (int i = 0; i < 9; i++) {
      assertThat(window.recordRefusal(i * SECOND)).isFalse();
    }
    assertThat(window.recordRefusal(9 * SECOND)).isTrue();

    var spread = new AbuseWindow(10, 10 * SECOND);
    for (int i = 0; i < 30; i++) {
      assertThat(spread.recordRefusal(i * 2 * SECOND))
          .as("one refusal every 2 s never adds up")
          .isFalse();
    }
  }
}
