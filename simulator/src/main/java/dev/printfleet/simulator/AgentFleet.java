package dev.printfleet.simulator;

import dev.printfleet.common.auth.TokenIssuer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A number of simulated agents of one company, spread over branches, each with its printers and an
 * agent token signed with the shared secret.
 */
public final class AgentFleet {

  private final WebSocketClient client;
  private final List<SimulatedAgent> agents = new ArrayList<>();

  /**
   * @param branches agents are spread round-robin over branches {@code b1..bN}
   */
  public AgentFleet(
      Vertx vertx,
      String host,
      int port,
      String jwtSecret,
      String company,
      int agentCount,
      int printersPerAgent,
      int branches,
      SimulatedAgent.Behaviour behaviour) {
    this.client =
        vertx.createWebSocketClient(
            new WebSocketClientOptions()
                .setMaxFrameSize(2 * 1024 * 1024)
                .setMaxMessageSize(2 * 1024 * 1024));
    var issuer = new TokenIssuer(vertx, jwtSecret);
    for (int i = 1; i <= agentCount; i++) {
      String agentId = company + "-agent-" + i;
      String branch = "b" + (1 + (i - 1) % Math.max(1, branches));
      String token = issuer.agent(agentId, company, branch, Duration.ofDays(1));
      agents.add(
          new SimulatedAgent(
              vertx,
              client,
              host,
              port,
              agentId,
              SimulatedAgent.printerIdsFor(agentId, printersPerAgent),
              () -> token,
              behaviour));
    }
  }

  public List<SimulatedAgent> agents() {
    return agents;
  }

  public Future<Void> start() {
    return Future.all(agents.stream().map(SimulatedAgent::start).toList()).mapEmpty();
  }

  public long connected() {
    return agents.stream().filter(SimulatedAgent::isConnected).count();
  }

  public long jobsPrinted() {
    return agents.stream().mapToLong(SimulatedAgent::jobsPrinted).sum();
  }

  public Future<Void> stop() {
    return Future.join(agents.stream().map(SimulatedAgent::stop).toList())
        .eventually(() -> client.close())
        .mapEmpty();
  }
}
