package dev.printfleet.gateway;

import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.gateway.agent.AgentEndpoint;
import dev.printfleet.gateway.agent.PresenceRegistry;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;

/**
 * Wires the gateway's routes and consumers on one event loop, so the connection state they share
 * needs no locks.
 */
final class GatewayVerticle extends AbstractVerticle {

  private final ServiceRuntime runtime;
  private final GatewayConfig config;
  private AgentEndpoint agents;

  GatewayVerticle(ServiceRuntime runtime, GatewayConfig config) {
    this.runtime = runtime;
    this.config = config;
  }

  @Override
  public void start(Promise<Void> started) {
    var presence =
        new PresenceRegistry(
            runtime.redis(), runtime.settings().redis(), runtime.instanceId(), config.presenceTtl());
    agents = new AgentEndpoint(vertx, runtime, config, presence);

    var router = Router.router(vertx);
    router.get("/ws/agent").handler(agents::upgrade);

    int maxFrame = (int) Math.min(Integer.MAX_VALUE, config.maxMessageBytes());
    var options =
        new HttpServerOptions()
            .setMaxWebSocketFrameSize(maxFrame)
            .setMaxWebSocketMessageSize(maxFrame)
            .setRegisterWebSocketWriteHandlers(false);

    runtime.heartbeat().reportConnections(agents::connectionCount);
    runtime.onDrain(() -> agents.closeAllForDrain());
    agents.start().compose(v -> runtime.serve(router, options)).<Void>mapEmpty().onComplete(started);
  }

  @Override
  public void stop() {
    agents.stop();
  }
}
