package dev.printfleet.gateway;

import static dev.printfleet.gateway.GatewayHarness.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.AgentEvent;
import dev.printfleet.common.presence.AgentKey;
import dev.printfleet.common.presence.PresenceRegistry;
import dev.printfleet.simulator.SimulatedAgent;
import dev.printfleet.testing.TestSocket;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AgentConnectionTest extends GatewayTestBase {

  private ServiceRuntime gateway;

  @BeforeEach
  void start() {
    gateway = gateway(Map.of());
  }

  @Test
  void connectedAgentIsWelcomedRegisteredInPresenceAndAnnounced() {
    var events = new CopyOnWriteArrayList<AgentEvent>();
    gateway
        .vertx()
        .eventBus()
        .<JsonObject>consumer(
            Addresses.EVENTS_AGENT, m -> events.add(AgentEvent.fromJson(m.body())));
    GatewayHarness.storePrinterLists(gateway);
    String token = GatewayHarness.issuer(gateway).agent("agent-1", "c1", "b1", Duration.ofHours(1));
    var agent =
        new SimulatedAgent(
            client,
            client.createWebSocketClient(new WebSocketClientOptions()),
            "127.0.0.1",
            gateway.httpPort(),
            "agent-1",
            List.of("p1", "p2"),
            () -> token,
            SimulatedAgent.Behaviour.defaults());

    await(agent.start());

    await().atMost(Duration.ofSeconds(10)).until(agent::isConnected);
    assertThat(agent.instance()).isEqualTo(gateway.instanceId());
    var presence =
        new PresenceRegistry(
            gateway.redis(), gateway.settings().redis(), "probe", Duration.ofSeconds(30));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                await(presence.lookup(new AgentKey("c1", "agent-1")))
                    .equals(Optional.of(gateway.instanceId())));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> events.stream().anyMatch(e -> e.kind() == AgentEvent.Kind.PRINTERS_SYNCED));
    var synced =
        events.stream()
            .filter(e -> e.kind() == AgentEvent.Kind.PRINTERS_SYNCED)
            .findFirst()
            .orElseThrow();
    assertThat(synced.printers()).extracting(p -> p.id()).containsExactly("p1", "p2");
    assertThat(synced.company()).isEqualTo("c1");
    assertThat(synced.branch()).isEqualTo("b1");
  }

  @Test
  void presenceIsRemovedWhenTheAgentDisconnects() {
    String token = GatewayHarness.issuer(gateway).agent("agent-2", "c1", "b1", Duration.ofHours(1));
    var socket = TestSocket.open(client, gateway.httpPort(), "/ws/agent", token);
    socket.awaitFrame(e -> e.type().equals("welcome"));
    var presence =
        new PresenceRegistry(
            gateway.redis(), gateway.settings().redis(), "probe", Duration.ofSeconds(30));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> await(presence.lookup(new AgentKey("c1", "agent-2"))).isPresent());

    await(socket.socket.close());

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> await(presence.lookup(new AgentKey("c1", "agent-2"))).isEmpty());
  }

  @Test
  void presenceOfAnInstanceThatStopsRefreshingExpiresByItself() {
    var dead =
        new PresenceRegistry(
            gateway.redis(), gateway.settings().redis(), "gateway-dead", Duration.ofMillis(800));
    await(dead.register(new AgentKey("c1", "agent-orphan")));
    var probe =
        new PresenceRegistry(
            gateway.redis(), gateway.settings().redis(), "probe", Duration.ofSeconds(30));
    assertThat(await(probe.lookup(new AgentKey("c1", "agent-orphan")))).contains("gateway-dead");

    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> await(probe.lookup(new AgentKey("c1", "agent-orphan"))).isEmpty());
  }

  @Test
  void anotherInstanceCannotDeleteAPresenceThatIsNotItsOwn() {
    var holder =
        new PresenceRegistry(
            gateway.redis(), gateway.settings().redis(), "gateway-new", Duration.ofSeconds(30));
    var previous =
        new PresenceRegistry(
            gateway.redis(), gateway.settings().redis(), "gateway-old", Duration.ofSeconds(30));
    await(holder.register(new AgentKey("c1", "agent-moved")));

    await(previous.unregister(new AgentKey("c1", "agent-moved")));

    assertThat(await(holder.lookup(new AgentKey("c1", "agent-moved")))).contains("gateway-new");
  }

  @Test
  void aRefreshNeverPointsAnAgentBackAtAGatewayItLeft() {
    var now =
        new PresenceRegistry(
            gateway.redis(), gateway.settings().redis(), "gateway-new", Duration.ofSeconds(30));
    var before =
        new PresenceRegistry(
            gateway.redis(), gateway.settings().redis(), "gateway-old", Duration.ofSeconds(30));
    var moved = new AgentKey("c1", "agent-moved-on");
    var gone = new AgentKey("c1", "agent-gone");
    await(before.register(moved));
    // The agent connects to another gateway while its old one's refresh is under way.
    await(now.register(moved));

    assertThat(await(before.refresh(List.of(moved, gone), agent -> !agent.equals(gone))))
        .as("entries missing, written by this refresh")
        .isEmpty();

    assertThat(await(now.lookup(moved))).contains("gateway-new");
    assertThat(await(now.lookup(gone)))
        .as("an agent no longer held when its batch went out")
        .isEmpty();
  }

  @Test
  void refreshKeepsTwentyThousandAgentsPresent() {
    var presence =
        new PresenceRegistry(
            gateway.redis(), gateway.settings().redis(), "gateway-big", Duration.ofSeconds(30));
    var ids =
        java.util.stream.IntStream.range(0, 20017)
            .mapToObj(i -> new AgentKey("c1", "bulk-" + i))
            .toList();

    assertThat(await(presence.refresh(ids)))
        .as("entries missing before, written now")
        .hasSize(ids.size());
    assertThat(await(presence.refresh(ids))).as("entries missing at the second refresh").isEmpty();

    assertThat(await(presence.lookup(new AgentKey("c1", "bulk-0")))).contains("gateway-big");
    assertThat(await(presence.lookup(new AgentKey("c1", "bulk-" + (ids.size() - 1)))))
        .contains("gateway-big");
  }
}
