package dev.printfleet.gateway;

import dev.printfleet.common.config.CommonSettings;
import dev.printfleet.common.config.Settings;
import dev.printfleet.common.lifecycle.ServiceDefinition;
import dev.printfleet.common.lifecycle.ServiceRuntime;
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

  @Override
  public Future<Void> deploy(ServiceRuntime runtime, GatewayConfig config) {
    return runtime.vertx().deployVerticle(new GatewayVerticle(runtime, config)).mapEmpty();
  }
}
