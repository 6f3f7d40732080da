package dev.printfleet.printing.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class GatewayLivenessTest {

  private static final long S = 1_000_000_000L;
  private final GatewayLiveness liveness = new GatewayLiveness(Duration.ofSeconds(12));

  @Test
  void aGatewayNeverHeardFromCountsAsAlive() {
    assertThat(liveness.isDead("g1", 100 * S)).isFalse();
  }

  @Test
  void aGatewaySilentPastTheLimitIsDeadWhileAnotherBeats() {
    liveness.beat("g1", 0);
    liveness.beat("g2", 0);
    liveness.beat("g2", 10 * S);
    assertThat(liveness.isDead("g1", 12 * S)).isFalse();
    assertThat(liveness.isDead("g1", 13 * S)).isTrue();
    assertThat(liveness.isDead("g2", 13 * S)).isFalse();
    liveness.beat("g1", 14 * S);
    assertThat(liveness.isDead("g1", 14 * S)).isFalse();
  }

  @Test
  void everyGatewaySilentAtOnceCountsAsAliveSinceTheBusIsMoreLikelyAtFault() {
    liveness.beat("g1", 0);
    liveness.beat("g2", 0);
    assertThat(liveness.isDead("g1", 20 * S)).isFalse();
    assertThat(liveness.isDead("g2", 20 * S)).isFalse();
  }

  @Test
  void aGatewaySuspectedAfterAFirstStepTimedOutIsLeftUntilItsNextHeartbeat() {
    liveness.beat("g1", 0);
    liveness.beat("g2", 0);
    liveness.suspect("g1");
    assertThat(liveness.isDead("g1", 1 * S)).as("suspected, while g2 beats").isTrue();
    assertThat(liveness.isDead("g2", 1 * S)).isFalse();
    liveness.beat("g1", 2 * S);
    assertThat(liveness.isDead("g1", 2 * S)).as("beating again").isFalse();
    liveness.suspect("g1");
    liveness.suspect("g2");
    assertThat(liveness.isDead("g1", 3 * S))
        .as("every gateway suspected: the bus more likely")
        .isFalse();
    liveness.suspect("g3");
    assertThat(liveness.isDead("g3", 3 * S)).as("never heard from: not suspected").isFalse();
  }

  @Test
  void longGoneGatewaysAreForgotten() {
    liveness.beat("g1", 0);
    liveness.beat("g2", 200 * S);
    liveness.evictLongGone(200 * S);
    assertThat(liveness.isDead("g1", 200 * S)).as("unknown again").isFalse();
  }
}
