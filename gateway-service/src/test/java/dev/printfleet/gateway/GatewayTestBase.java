package dev.printfleet.gateway;

import static dev.printfleet.gateway.GatewayHarness.await;

import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.testing.RealServersExtension;
import dev.printfleet.testing.RedisServerHandle;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gateways started per test in a cluster of the test's own on the shared Redis, a client Vert.x for
 * sockets, and everything stopped afterwards.
 */
@ExtendWith(RealServersExtension.class)
abstract class GatewayTestBase {

  protected GatewayHarness harness;
  protected Vertx client;
  private final List<ServiceRuntime> gateways = new ArrayList<>();

  @BeforeEach
  void startClient(RedisServerHandle redis) {
    harness = new GatewayHarness(redis);
    client = Vertx.vertx();
  }

  @AfterEach
  void stopEverything() {
    await(client.close());
    gateways.forEach(g -> await(g.shutdown()));
  }

  /** A gateway instance with these settings on top of the test defaults; stopped after the test. */
  protected ServiceRuntime gateway(Map<String, String> settings) {
    var gateway = harness.start(settings);
    gateways.add(gateway);
    return gateway;
  }
}
