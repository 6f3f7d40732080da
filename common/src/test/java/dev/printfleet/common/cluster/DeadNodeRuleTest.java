package dev.printfleet.common.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DeadNodeRuleTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private final DeadNodeRule rule = new DeadNodeRule(3, Duration.ofSeconds(15));

  @Test
  void aMemberMissingFromThreeReadingsInARowIsDead() {
    rule.read(Set.of("self", "peer"), "self", T0);

    assertThat(rule.read(Set.of("self"), "self", T0.plusSeconds(3))).isEmpty();
    assertThat(rule.read(Set.of("self"), "self", T0.plusSeconds(6))).isEmpty();
    assertThat(rule.read(Set.of("self"), "self", T0.plusSeconds(9))).containsExactly("peer");
    assertThat(rule.read(Set.of("self"), "self", T0.plusSeconds(12))).isEmpty();
  }

  @Test
  void aMemberThatComesBackBetweenReadingsIsNotDead() {
    rule.read(Set.of("self", "peer"), "self", T0);
    rule.read(Set.of("self"), "self", T0.plusSeconds(3));
    rule.read(Set.of("self"), "self", T0.plusSeconds(6));
    rule.read(Set.of("self", "peer"), "self", T0.plusSeconds(9));

    assertThat(rule.read(Set.of("self"), "self", T0.plusSeconds(12))).isEmpty();
    assertThat(rule.read(Set.of("self"), "self", T0.plusSeconds(15))).isEmpty();
  }

  @Test
  void noMemberIsDroppedWithinTheGraceAfterALoss() {
    rule.read(Set.of("self", "peer"), "self", T0);
    rule.distrust(T0.plusSeconds(1));

    assertThat(rule.read(Set.of("self"), "self", T0.plusSeconds(3))).isEmpty();
    assertThat(rule.read(Set.of("self"), "self", T0.plusSeconds(6))).isEmpty();
    assertThat(rule.read(Set.of("self"), "self", T0.plusSeconds(9))).isEmpty();
    assertThat(rule.read(Set.of("self"), "self", T0.plusSeconds(12))).isEmpty();
    // Still missing once the catalog is trusted again: a member that really died.
    assertThat(rule.read(Set.of("self"), "self", T0.plusSeconds(16))).containsExactly("peer");
  }

  @Test
  void thisNodeIsNeverDead() {
    rule.read(Set.of("self"), "self", T0);
    for (int i = 1; i <= 5; i++) {
      assertThat(rule.read(Set.of(), "self", T0.plusSeconds(3L * i))).isEmpty();
    }
  }
}
