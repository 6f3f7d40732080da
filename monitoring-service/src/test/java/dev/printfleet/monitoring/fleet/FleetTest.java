package dev.printfleet.monitoring.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.common.messages.AgentEvent;
import dev.printfleet.common.messages.PrinterInfo;
import dev.printfleet.common.messages.PrinterStatusEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class FleetTest {

  static final Instant T0 = Instant.parse("2026-01-01T12:00:00Z");

  static AgentEvent event(
      AgentEvent.Kind kind, String agent, String instance, Instant at, List<PrinterInfo> printers) {
    return new AgentEvent(kind, agent, "acme", "b1", instance, printers, at);
  }

  @Test
  void countsFollowConnectsSyncsStatusesAndDisconnects() {
    var fleet = new Fleet();
    fleet.apply(event(AgentEvent.Kind.CONNECTED, "a1", "gw-1", T0, List.of()));
    fleet.apply(
        event(
            AgentEvent.Kind.PRINTERS_SYNCED,
            "a1",
            "gw-1",
            T0,
            List.of(new PrinterInfo("p1", "P1", "online"), new PrinterInfo("p2", "P2", "online"))));
    fleet.apply(new PrinterStatusEvent("a1", "acme", "b1", "p2", "offline", null, T0));

    var branch = fleet.byBranch().get(0);
    assertThat(branch.agentsOnline()).isEqualTo(1);
    assertThat(branch.printersOnline()).isEqualTo(1);
    assertThat(branch.printersOffline()).isEqualTo(1);

    fleet.apply(event(AgentEvent.Kind.DISCONNECTED, "a1", "gw-1", T0.plusSeconds(1), List.of()));

    assertThat(fleet.byBranch().get(0).agentsOffline()).isEqualTo(1);
    assertThat(fleet.byBranch().get(0).printersOffline()).isEqualTo(2);
    assertThat(fleet.offlineLongerThan(Duration.ofMinutes(5), T0.plusSeconds(300))).isEmpty();
    assertThat(fleet.offlineLongerThan(Duration.ofMinutes(5), T0.plusSeconds(302)))
        .extracting(AgentRecord::agentId)
        .containsExactly("a1");
  }

  @Test
  void theOlderSocketClosingAfterAReconnectElsewhereLeavesTheAgentOnline() {
    var fleet = new Fleet();
    fleet.apply(event(AgentEvent.Kind.CONNECTED, "a1", "gw-1", T0, List.of()));
    fleet.apply(event(AgentEvent.Kind.CONNECTED, "a1", "gw-2", T0.plusSeconds(1), List.of()));
    fleet.apply(event(AgentEvent.Kind.DISCONNECTED, "a1", "gw-1", T0.plusSeconds(2), List.of()));
    fleet.apply(event(AgentEvent.Kind.DISCONNECTED, "a1", "gw-2", T0.minusSeconds(1), List.of()));

    assertThat(fleet.agents()).singleElement().satisfies(a -> assertThat(a.online()).isTrue());
  }

  @Test
  void reconnectsAreCountedPerAgentOverTheLastMinute() {
    var fleet = new Fleet();
    for (int i = 0; i < 12; i++) {
      fleet.apply(
          event(AgentEvent.Kind.CONNECTED, "a1", "gw-1", T0.plusSeconds(i * 5L), List.of()));
    }
    fleet.apply(event(AgentEvent.Kind.CONNECTED, "a2", "gw-1", T0, List.of()));

    assertThat(fleet.reconnectsPerMinute(T0.plusSeconds(55)))
        .containsExactly(java.util.Map.entry("acme/a1", 11));
    assertThat(fleet.reconnectsPerMinute(T0.plusSeconds(120))).isEmpty();
  }

  @Test
  void twoCompaniesWithTheSameAgentIdAreTwoAgents() {
    var fleet = new Fleet();
    fleet.apply(event(AgentEvent.Kind.CONNECTED, "a1", "gw-1", T0, List.of()));
    fleet.apply(
        new AgentEvent(
            AgentEvent.Kind.DISCONNECTED,
            "a1",
            "globex",
            "b1",
            "gw-2",
            List.of(),
            T0.plusSeconds(1)));

    assertThat(fleet.agents()).hasSize(2);
    assertThat(fleet.agents())
        .filteredOn(a -> a.company().equals("acme"))
        .singleElement()
        .satisfies(a -> assertThat(a.online()).as("acme's agent is still online").isTrue());
  }
}
