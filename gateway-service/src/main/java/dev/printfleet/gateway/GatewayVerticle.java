package dev.printfleet.gateway;

import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.AgentEvent;
import dev.printfleet.common.messages.JobEvent;
import dev.printfleet.common.messages.PrinterStatusEvent;
import dev.printfleet.gateway.agent.AgentEndpoint;
import dev.printfleet.common.presence.PresenceRegistry;
import dev.printfleet.gateway.client.ClientEndpoint;
import dev.printfleet.gateway.connection.ConnectionRegistry;
import dev.printfleet.gateway.connection.Deflation;
import dev.printfleet.gateway.connection.GatewayMetrics;
import dev.printfleet.gateway.connection.MessageSizeGuard;
import dev.printfleet.gateway.fanout.RoomHub;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the gateway's routes and consumers on one event loop, so the connection state they share
 * needs no locks.
 */
final class GatewayVerticle extends AbstractVerticle {

  private static final Logger log = LoggerFactory.getLogger(GatewayVerticle.class);

  private final ServiceRuntime runtime;
  private final GatewayConfig config;
  private final List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();
  private ConnectionRegistry registry;
  private AgentEndpoint agents;
  private ClientEndpoint clients;

  GatewayVerticle(ServiceRuntime runtime, GatewayConfig config) {
    this.runtime = runtime;
    this.config = config;
  }

  @Override
  public void start(Promise<Void> started) {
    var metrics = new GatewayMetrics(runtime.registry());
    registry = new ConnectionRegistry(vertx, config.pingInterval(), config.pongTimeout(), metrics);
    var presence =
        new PresenceRegistry(runtime.redis(), runtime.settings().redis(), runtime.instanceId(), config.presenceTtl());
    var hub = new RoomHub(vertx, config.statusWindow(), metrics);
    agents = new AgentEndpoint(vertx, runtime, config, presence, registry, metrics);
    // Redis lost its data (the guard found this node's state gone and put it back): the agents'
    // presence went with it, and their queued jobs wait for it.
    runtime.clusterGuard().ifPresent(guard -> guard.onHealed(loss -> agents.restorePresence()));
    clients = new ClientEndpoint(vertx, runtime, config, registry, metrics, hub);

    listen(Addresses.EVENTS_PRINTER, PrinterStatusEvent::fromJson, hub::onPrinterStatus);
    listen(Addresses.EVENTS_JOB, JobEvent::listFromJson, events -> events.forEach(hub::onJobEvent));
    listen(Addresses.EVENTS_AGENT, AgentEvent::fromJson, hub::onAgentEvent);

    var router = Router.router(vertx);
    router.get("/health/websocket/metrics").handler(ctx ->
        ctx.response().putHeader("Content-Type", "application/json").end(registry.stats().encode()));

    // Twice the limit: MessageSizeGuard closes a message over the limit with a proper 1009 (it also
    // bounds the inflated size); only a frame past twice the limit is cut off by the frame decoder.
    int maxFrame = (int) Math.min(Integer.MAX_VALUE, 2 * config.maxMessageBytes());
    Deflation.level(config.compressionLevel());
    var options =
        new HttpServerOptions()
            .setMaxWebSocketFrameSize(maxFrame)
            .setMaxWebSocketMessageSize(maxFrame)
            .setRegisterWebSocketWriteHandlers(false)
            .setPerMessageWebSocketCompressionSupported(config.compression())
            .setPerFrameWebSocketCompressionSupported(false)
            .setWebSocketCompressionLevel(config.compressionLevel())
            // Ask clients to drop their context after each message, so the server's inflater can too.
            .setWebSocketAllowServerNoContext(true)
            .setWebSocketPreferredClientNoContext(true);

    if (config.socketSendBufferBytes() > 0) {
      options.setSendBufferSize((int) Math.min(Integer.MAX_VALUE, config.socketSendBufferBytes()));
    }
    runtime.heartbeat().reportConnections(registry::total);
    runtime.onDrain(this::drain);
    registry.start();
    clients.start();
    agents.start()
        .compose(v -> runtime.serve(router, options, Map.of("/ws/agent", agents::upgrade, "/ws/client", clients::upgrade),
            connection -> MessageSizeGuard.install(connection, options, config.maxMessageBytes(), metrics)))
        .<Void>mapEmpty()
        .onComplete(started);
  }

  private <T> void listen(String address, Function<JsonObject, T> decode, Consumer<T> handler) {
    consumers.add(vertx.eventBus().<JsonObject>consumer(address, message -> {
      T event;
      try {
        event = decode.apply(message.body());
      } catch (RuntimeException e) {
        log.warn("Dropped a malformed event address={}: {}", address, e.getMessage());
        return;
      }
      handler.accept(event);
    }));
  }

  /** SIGTERM: agents close 1012 and reconnect elsewhere, dashboards too; waiting requests are answered. */
  private Future<?> drain() {
    clients.closeAllForDrain();
    return agents.closeAllForDrain();
  }

  @Override
  public void stop() {
    consumers.forEach(MessageConsumer::unregister);
    registry.stop();
    clients.stop();
    agents.stop();
  }
}
