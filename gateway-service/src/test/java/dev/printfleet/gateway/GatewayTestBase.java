package dev.printfleet.gateway;

import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.testing.TestCluster;
import dev.printfleet.testing.TestClusterExtension;
import dev.printfleet.testing.TestSocket;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gateways started per test in the test's own cluster, a client Vert.x for sockets; the cluster
 * stops everything afterwards.
 */
@ExtendWith(TestClusterExtension.class)
abstract class GatewayTestBase {

  protected GatewayHarness harness;
  protected Vertx client;

  @BeforeEach
  void startClient(TestCluster cluster) {
    harness = new GatewayHarness(cluster);
    client = cluster.client();
  }

  /** A gateway instance with these settings on top of the test defaults; stopped after the test. */
  protected ServiceRuntime gateway(Map<String, String> settings) {
    return harness.start(settings);
  }

  /** An agent of company c1, branch b1, on a raw socket to {@code /ws/agent}, welcomed. */
  protected TestSocket agentSocket(ServiceRuntime gateway, String agentId) {
    var socket =
        TestSocket.open(
            client,
            gateway.httpPort(),
            "/ws/agent",
            GatewayHarness.issuer(gateway).agent(agentId, "c1", "b1", Duration.ofHours(1)));
    socket.awaitFrame(e -> e.type().equals("welcome"));
    return socket;
  }
}
