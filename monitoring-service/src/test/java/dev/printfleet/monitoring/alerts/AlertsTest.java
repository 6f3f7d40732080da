package dev.printfleet.monitoring.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.common.messages.Heartbeat;
import dev.printfleet.monitoring.circuits.CircuitDirectory;
import dev.printfleet.monitoring.cluster.HealthRules;
import dev.printfleet.monitoring.cluster.InstanceRecord;
import dev.printfleet.monitoring.cluster.InstanceStatus;
import dev.printfleet.monitoring.fleet.AgentRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AlertsTest {

  static final Instant T0 = Instant.parse("2026-01-01T12:00:00Z");
  final Thresholds thresholds = Thresholds.defaults();
  final AlertRules rules =
      new AlertRules(new HealthRules(Duration.ofSeconds(5), 3, thresholds), thresholds);

  static InstanceRecord instance(String id, long heapUsed, double cpu, Instant lastBeat) {
    return new InstanceRecord(
        new Heartbeat(
            id, "printing", 600, heapUsed, 1000, cpu, 0, 0, true, false, List.of(), lastBeat),
        lastBeat);
  }

  private List<String> kinds(
      List<InstanceRecord> instances,
      List<CircuitDirectory.Circuit> circuits,
      List<AgentRecord> offline,
      Map<String, Integer> reconnects,
      AlertRules.JobFailures jobs) {
    return rules.evaluate(instances, circuits, offline, reconnects, jobs, T0).stream()
        .map(a -> a.kind() + ":" + a.subject())
        .toList();
  }

  @Test
  void eachRuleFiresOverItsThresholdOnly() {
    assertThat(
            kinds(
                List.of(
                    instance("a", 860, 0.91, T0),
                    instance("b", 850, 0.90, T0),
                    instance("c", 100, 0.1, T0.minusSeconds(16))),
                List.of(),
                List.of(),
                Map.of(),
                null))
        .containsExactlyInAnyOrder("memory_high:a", "cpu_high:a", "instance_down:c");
    assertThat(
            kinds(
                List.of(),
                List.of(
                    new CircuitDirectory.Circuit(
                        "acme/p1", "printing-1", "printing", "OPEN", 5, InstanceStatus.UP),
                    new CircuitDirectory.Circuit(
                        "acme/p2", "printing-1", "printing", "HALF_OPEN", 5, InstanceStatus.UP),
                    new CircuitDirectory.Circuit(
                        "acme/p3", "printing-2", "printing", "OPEN", 5, InstanceStatus.DOWN)),
                List.of(),
                Map.of(),
                null))
        .containsExactly("circuit_open:acme/p1@printing-1");
    var offline =
        List.of(
            new AgentRecord("a1", "acme", "b1", false, T0.minusSeconds(400), "gw", Map.of()),
            new AgentRecord("a2", "acme", "b1", false, T0.minusSeconds(400), "gw", Map.of()));
    assertThat(kinds(List.of(), List.of(), offline, Map.of("a1", 11, "a2", 10), null))
        .containsExactlyInAnyOrder("agent_offline:acme/b1", "reconnect_storm:a1");
    assertThat(
            kinds(List.of(), List.of(), List.of(), Map.of(), new AlertRules.JobFailures(100, 11)))
        .containsExactly("error_rate:jobs");
    assertThat(
            kinds(List.of(), List.of(), List.of(), Map.of(), new AlertRules.JobFailures(100, 10)))
        .isEmpty();
    assertThat(kinds(List.of(), List.of(), List.of(), Map.of(), new AlertRules.JobFailures(19, 19)))
        .as("too few jobs to judge")
        .isEmpty();
  }

  @Test
  void anAlertIsActiveWhileItsCauseLastsAndMovesToRecentWhenItClears() {
    var book = new AlertBook(2);
    var down = Alert.firing(Alert.INSTANCE_DOWN, "gw-1", "critical", "down");

    var first = book.update(List.of(down), T0);
    var again = book.update(List.of(down), T0.plusSeconds(1));

    assertThat(first.raised()).extracting(Alert::since).containsExactly(T0);
    assertThat(again.isEmpty()).isTrue();
    assertThat(book.active()).extracting(Alert::since).containsExactly(T0);

    var cleared = book.update(List.of(), T0.plusSeconds(2));

    assertThat(cleared.cleared()).extracting(Alert::clearedAt).containsExactly(T0.plusSeconds(2));
    assertThat(book.active()).isEmpty();
    assertThat(book.recent()).extracting(Alert::key).containsExactly("instance_down|gw-1");

    book.update(List.of(Alert.firing(Alert.CPU_HIGH, "a", "warning", "x")), T0.plusSeconds(3));
    book.update(List.of(), T0.plusSeconds(4));
    book.update(List.of(Alert.firing(Alert.CPU_HIGH, "b", "warning", "x")), T0.plusSeconds(5));
    book.update(List.of(), T0.plusSeconds(6));
    assertThat(book.recent())
        .as("bounded, newest first")
        .extracting(Alert::subject)
        .containsExactly("b", "a");
  }
}
