package dev.printfleet.gateway;

import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.testing.TestCluster;
import dev.printfleet.testing.TestClusterExtension;
import io.vertx.core.Vertx;
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
}
