package dev.printfleet.gateway;

import dev.printfleet.common.config.CommonSettings;
import dev.printfleet.common.config.Settings;
import dev.printfleet.common.lifecycle.ServiceDefinition;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;

/** The gateway: {@code /ws/agent} for printer agents, its event bus address for dispatches. */
public final class GatewayService implements ServiceDefinition<GatewayConfig> {

  public static final int DEFAULT_HTTP_PORT = 8080;

  @Override
  public String name() {
    return "gateway";
  }

  @Override
  public int defaultHttpPort() {
    return DEFAULT_HTTP_PORT;
  }

  @Override
  public GatewayConfig configure(Settings settings, CommonSettings common) {
    return GatewayConfig.from(settings);
  }

  /**
   * One verticle per event loop ({@code PRINTFLEET_GATEWAY_VERTICLES}), the first alone, so the
   * others share the port it bound (port 0 in tests) and the process-wide work it started.
   */
  @Override
  public Future<Void> deploy(ServiceRuntime runtime, GatewayConfig config) {
    var vertx = runtime.vertx();
    var node = new GatewayNode(runtime, config);
    return vertx
        .deployVerticle(new GatewayVerticle(runtime, config, node, true))
        .compose(
            first ->
                config.verticles() == 1
                    ? Future.succeededFuture()
                    : vertx.deployVerticle(
                        () -> new GatewayVerticle(runtime, config, node, false),
                        new DeploymentOptions().setInstances(config.verticles() - 1)))
        .mapEmpty();
  }
}
