package dev.printfleet.gateway;

import dev.printfleet.common.lifecycle.OnEventLoop;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.web.Replies;
import dev.printfleet.gateway.agent.AgentEndpoint;
import dev.printfleet.gateway.dashboard.DashboardEndpoint;
import dev.printfleet.gateway.fanout.RoomHub;
import dev.printfleet.gateway.session.SessionRegistry;
import dev.printfleet.gateway.session.WriteBatch;
import dev.printfleet.gateway.transport.socketio.SocketIoTransport;
import dev.printfleet.gateway.transport.websocket.Deflation;
import dev.printfleet.gateway.transport.websocket.MessageSizeGuard;
import dev.printfleet.gateway.transport.websocket.WebSocketTransport;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.util.Map;

/**
 * One event loop of the gateway: its share of the sockets (the HTTP server is shared by every
 * verticle of the process, which spreads connections over their loops), its agent and dashboard
 * endpoints, its dashboards' rooms. The only class that knows the transports: it puts each endpoint
 * on the paths of each transport; everything behind works on sessions. Its state is confined to its
 * event loop; what the process shares is in {@link GatewayNode}, which the first verticle starts.
 */
final class GatewayVerticle extends AbstractVerticle {

  /** How long a Socket.IO connection may take to join its namespace (send its token). */
  private static final Duration SOCKETIO_CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private final ServiceRuntime runtime;
  private final GatewayConfig config;
  private final GatewayNode node;
  private final boolean first;
  private GatewayNode.Loop loop;

  GatewayVerticle(ServiceRuntime runtime, GatewayConfig config, GatewayNode node, boolean first) {
    this.runtime = runtime;
    this.config = config;
    this.node = node;
    this.first = first;
  }

  @Override
  public void start(Promise<Void> started) {
    var metrics = node.metrics();
    var registry =
        new SessionRegistry(vertx, config.pingInterval(), config.pongTimeout(), node.counts());
    var hub = new RoomHub(vertx, config.statusWindow(), metrics);
    var agents = new AgentEndpoint(vertx, context, runtime, config, node.directory(), metrics);
    var dashboards =
        new DashboardEndpoint(
            vertx,
            runtime,
            config,
            hub,
            node.userConnections(),
            node.channelHistory(),
            node.presence());
    var writes = new WriteBatch();
    var websocket = new WebSocketTransport(registry, config.limits(), metrics, writes);
    var socketio =
        new SocketIoTransport(
            vertx,
            OnEventLoop.current(),
            registry,
            config.limits(),
            metrics,
            node.engineSockets(),
            new SocketIoTransport.Settings(
                config.pingInterval(),
                config.pongTimeout(),
                config.maxMessageBytes(),
                SOCKETIO_CONNECT_TIMEOUT),
            config.channels().namespaces());
    loop = new GatewayNode.Loop(OnEventLoop.current(), registry, hub, agents, dashboards, writes);
    node.add(loop);

    var router = Router.router(vertx);
    node.channelApi().mount(router);
    router
        .get("/health/websocket/metrics")
        .handler(
            ctx ->
                node.stats()
                    .onComplete(
                        stats ->
                            loop.run(
                                () -> {
                                  if (stats.succeeded()) {
                                    Replies.json(ctx, 200, stats.result());
                                  } else {
                                    ctx.fail(stats.cause());
                                  }
                                })));

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
            // Ask clients to drop their context after each message, so the server's inflater can
            // too.
            .setWebSocketAllowServerNoContext(true)
            .setWebSocketPreferredClientNoContext(true);

    if (config.socketSendBufferBytes() > 0) {
      options.setSendBufferSize((int) Math.min(Integer.MAX_VALUE, config.socketSendBufferBytes()));
    }
    registry.start();
    dashboards.start();
    Future<Void> shared = first ? node.start() : Future.succeededFuture();
    shared
        .compose(
            v ->
                runtime.serve(
                    router,
                    options,
                    Map.of(
                        "/ws/agent",
                        websocket.serving(agents),
                        "/ws/client",
                        websocket.serving(dashboards),
                        SocketIoTransport.PATH,
                        socketio.serving(agents, dashboards)),
                    connection ->
                        MessageSizeGuard.install(
                            connection, options, config.maxMessageBytes(), metrics)))
        .<Void>mapEmpty()
        .onComplete(started);
  }

  @Override
  public void stop() {
    node.remove(loop);
    if (first) {
      node.stop();
    }
    loop.registry().stop();
    loop.dashboards().stop();
  }
}
