package dev.printfleet.monitoring.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.common.messages.Heartbeat;
import dev.printfleet.monitoring.alerts.Thresholds;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class HealthRulesTest {

  static final Instant T0 = Instant.parse("2026-01-01T12:00:00Z");
  final HealthRules rules = new HealthRules(Duration.ofSeconds(5), 3, Thresholds.defaults());

  static Heartbeat beat(
      long heapUsed, long heapMax, double cpu, boolean ready, boolean draining, long lagMs) {
    return beat(600, heapUsed, heapMax, cpu, ready, draining, lagMs);
  }

  static Heartbeat beat(
      long uptimeS,
      long heapUsed,
      long heapMax,
      double cpu,
      boolean ready,
      boolean draining,
      long lagMs) {
    return new Heartbeat(
        "gw-1", "gateway", uptimeS, heapUsed, heapMax, cpu, lagMs, 0, ready, draining, List.of(),
        T0);
  }

  static Heartbeat healthy() {
    return beat(100, 1000, 0.1, true, false, 5);
  }

  @Test
  void theCpuOfAnInstanceInItsFirstMinuteIsNotJudged() {
    // A JVM compiles its code as it starts, at full CPU: not an alert on every start.
    assertThat(rules.cpuHigh(beat(59, 100, 1000, 1.0, true, false, 5))).isFalse();
    assertThat(rules.cpuHigh(beat(60, 100, 1000, 1.0, true, false, 5))).isTrue();
    assertThat(rules.cpuHigh(beat(60, 100, 1000, 0.9, true, false, 5))).isFalse();
  }

  @Test
  void upUntilThreeIntervalsWithoutABeatThenDown() {
    var record = new InstanceRecord(healthy(), T0);
    assertThat(rules.judge(record, T0.plusSeconds(15)).status()).isEqualTo(InstanceStatus.UP);
    assertThat(rules.judge(record, T0.plusMillis(15_001)).status()).isEqualTo(InstanceStatus.DOWN);
  }

  @Test
  void degradedWhenItsOwnChecksFailOrAThresholdIsCrossed() {
    assertThat(
            rules
                .judge(new InstanceRecord(beat(100, 1000, 0.1, false, false, 5), T0), T0)
                .reasons())
        .containsExactly("readiness checks failing");
    assertThat(
            rules.judge(new InstanceRecord(beat(100, 1000, 0.1, true, true, 5), T0), T0).reasons())
        .containsExactly("draining");
    assertThat(
            rules.judge(new InstanceRecord(beat(860, 1000, 0.1, true, false, 5), T0), T0).status())
        .isEqualTo(InstanceStatus.DEGRADED);
    assertThat(
            rules.judge(new InstanceRecord(beat(850, 1000, 0.1, true, false, 5), T0), T0).status())
        .isEqualTo(InstanceStatus.UP);
    assertThat(
            rules
                .judge(new InstanceRecord(beat(100, 1000, 0.95, true, false, 5), T0), T0)
                .reasons())
        .containsExactly("CPU at 95 %");
    assertThat(
            rules
                .judge(new InstanceRecord(beat(100, 1000, 0.1, true, false, 1500), T0), T0)
                .reasons())
        .containsExactly("event loop lag 1500 ms");
    assertThat(
            rules.judge(new InstanceRecord(beat(100, 1000, -1, true, false, 5), T0), T0).status())
        .as("unknown CPU")
        .isEqualTo(InstanceStatus.UP);
  }

  @Test
  void anInstanceThatLeftOnPurposeIsForgottenOnceSilentAndACrashedOneOnlyAfterTheForgetTime() {
    var view = new ClusterView(rules, Duration.ofMinutes(10));
    view.record(beat(100, 1000, 0.1, false, true, 5), T0);
    var crashed =
        new Heartbeat("gw-2", "gateway", 10, 1, 10, 0.1, 0, 0, true, false, List.of(), T0);
    view.record(crashed, T0);

    assertThat(view.forget(T0.plusSeconds(10))).isEmpty();
    assertThat(view.forget(T0.plusSeconds(16))).containsExactly("gw-1");
    assertThat(view.get("gw-2")).isPresent();
    assertThat(view.forget(T0.plus(Duration.ofMinutes(11)))).containsExactly("gw-2");
  }

  @Test
  void anOlderHeartbeatDoesNotReplaceANewerOne() {
    var view = new ClusterView(rules, Duration.ofMinutes(10));
    view.record(
        new Heartbeat(
            "gw-1", "gateway", 20, 1, 10, 0.1, 0, 0, true, false, List.of(), T0.plusSeconds(5)),
        T0.plusSeconds(5));
    view.record(healthy(), T0.plusSeconds(6));
    assertThat(view.get("gw-1").orElseThrow().heartbeat().uptimeS()).isEqualTo(20);
  }
}
