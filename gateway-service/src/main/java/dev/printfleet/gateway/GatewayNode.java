package dev.printfleet.gateway;

import dev.printfleet.common.lifecycle.OnEventLoop;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.AgentEvent;
import dev.printfleet.common.messages.ChannelMessage;
import dev.printfleet.common.messages.JobEvent;
import dev.printfleet.common.messages.PrinterStatusEvent;
import dev.printfleet.common.presence.PresenceRegistry;
import dev.printfleet.gateway.agent.AgentDirectory;
import dev.printfleet.gateway.agent.AgentEndpoint;
import dev.printfleet.gateway.channels.ChannelApi;
import dev.printfleet.gateway.channels.ChannelHistory;
import dev.printfleet.gateway.channels.ChannelPresence;
import dev.printfleet.gateway.channels.ChannelPublisher;
import dev.printfleet.gateway.channels.PublishLimiter;
import dev.printfleet.gateway.dashboard.DashboardEndpoint;
import dev.printfleet.gateway.fanout.RoomHub;
import dev.printfleet.gateway.session.GatewayMetrics;
import dev.printfleet.gateway.session.SessionCounts;
import dev.printfleet.gateway.session.SessionRegistry;
import dev.printfleet.gateway.session.UserConnections;
import dev.printfleet.gateway.session.WriteBatch;
import dev.printfleet.gateway.transport.socketio.EngineSockets;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one gateway process shares across its verticles (one per event loop): the agents and the
 * requests waiting on them, the connection counts and meters, the consumers that must hear a
 * message once, the drain. Each verticle keeps its own sockets, registry, rooms and dashboards, and
 * is reached only on its own context: events are decoded once here and handed to every loop's rooms
 * there, so a dashboard hears an event from its own loop, once.
 */
final class GatewayNode {

  private static final Logger log = LoggerFactory.getLogger(GatewayNode.class);

  /** Socket.IO connections that may wait for their CONNECT (no token checked yet) at once. */
  private static final int MAX_UNJOINED_SOCKETIO = 10_000;

  /**
   * One verticle's parts, touched only on its event loop. An event's frames to its sockets leave
   * with one flush per socket ({@code writes}).
   */
  record Loop(
      OnEventLoop eventLoop,
      SessionRegistry registry,
      RoomHub hub,
      AgentEndpoint agents,
      DashboardEndpoint dashboards,
      WriteBatch writes) {
    /**
     * Fails (never hangs) when the work throws: a drain or a snapshot waits on every loop's answer.
     */
    <T> Future<T> call(Supplier<T> work) {
      Promise<T> promise = Promise.promise();
      run(
          () -> {
            try {
              promise.complete(work.get());
            } catch (RuntimeException e) {
              promise.fail(e);
            }
          });
      return promise.future();
    }

    void run(Runnable work) {
      eventLoop.execute(work);
    }
  }

  private final Vertx vertx;
  private final ServiceRuntime runtime;
  private final GatewayMetrics metrics;
  private final SessionCounts counts;
  private final AgentDirectory directory;
  private final UserConnections userConnections;
  private final ChannelApi channelApi;
  private final ChannelHistory channelHistory;
  private final ChannelPresence presence;
  private final EngineSockets engineSockets = new EngineSockets(MAX_UNJOINED_SOCKETIO);
  private final List<Loop> loops = new CopyOnWriteArrayList<>();
  private final List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();

  GatewayNode(ServiceRuntime runtime, GatewayConfig config) {
    this.vertx = runtime.vertx();
    this.runtime = runtime;
    this.metrics = new GatewayMetrics(runtime.registry());
    this.counts = new SessionCounts(metrics);
    var agentPresence =
        new PresenceRegistry(
            runtime.redis(),
            runtime.settings().redis(),
            runtime.instanceId(),
            config.presenceTtl());
    this.directory = new AgentDirectory(vertx, runtime, config, agentPresence);
    this.userConnections =
        new UserConnections(
            vertx,
            runtime.redis(),
            runtime.settings().redis(),
            runtime.instanceId(),
            config.maxConnectionsPerUser(),
            config.presenceTtl(),
            metrics::userLimitUnchecked);
    this.channelHistory = new ChannelHistory(runtime.redis(), runtime.settings().redis());
    this.presence =
        new ChannelPresence(
            vertx, runtime.redis(), runtime.settings().redis(), config.presenceTtl());
    this.channelApi =
        new ChannelApi(
            runtime.tokens(),
            config.channels(),
            new ChannelPublisher(
                vertx, runtime.redis(), runtime.settings().redis(), config.channelHistories()),
            new PublishLimiter(config.publishLimits()),
            presence);
  }

  /** Who is in which room, across the cluster; shared by the loops. */
  ChannelPresence presence() {
    return presence;
  }

  /** Channels' history, read for recovering subscribers. */
  ChannelHistory channelHistory() {
    return channelHistory;
  }

  /** The publish API's parts, shared by the loops. */
  ChannelApi channelApi() {
    return channelApi;
  }

  /** Every dashboard's lease on its user's connection count, across the loops. */
  UserConnections userConnections() {
    return userConnections;
  }

  GatewayMetrics metrics() {
    return metrics;
  }

  SessionCounts counts() {
    return counts;
  }

  AgentDirectory directory() {
    return directory;
  }

  /** The Socket.IO connections of every event loop, by sid. */
  EngineSockets engineSockets() {
    return engineSockets;
  }

  void add(Loop loop) {
    loops.add(loop);
  }

  void remove(Loop loop) {
    loops.remove(loop);
  }

  /** Registers what the process does once, on the calling (the first verticle's) context. */
  Future<Void> start() {
    // Redis lost its data (the guard found this node's state gone and put it back): the agents'
    // presence went with it, and their queued jobs wait for it.
    runtime.clusterGuard().ifPresent(guard -> guard.onHealed(loss -> directory.restorePresence()));
    runtime.heartbeat().reportConnections(counts::total);
    runtime.onDrain(this::drain);
    userConnections.start();
    presence.start();
    var events =
        List.of(
            // A batch of events is decoded once and handed to each loop whole: one hop per loop.
            listen(
                Addresses.EVENTS_PRINTER,
                PrinterStatusEvent::listFromJson,
                (hub, batch) -> batch.forEach(hub::onPrinterStatus)),
            listen(
                Addresses.EVENTS_JOB,
                JobEvent::listFromJson,
                (hub, batch) -> batch.forEach(hub::onJobEvent)),
            listen(Addresses.EVENTS_AGENT, AgentEvent::fromJson, RoomHub::onAgentEvent),
            listen(Addresses.EVENTS_CHANNEL, ChannelMessage::fromJson, RoomHub::onChannelMessage));
    return Future.all(directory.start(), Future.all(events)).mapEmpty();
  }

  void stop() {
    consumers.forEach(MessageConsumer::unregister);
    directory.stop();
    userConnections.stop();
    presence.stop();
  }

  private <T> Future<Void> listen(
      String address, Function<JsonObject, T> decode, BiConsumer<RoomHub, T> handler) {
    var consumer =
        vertx
            .eventBus()
            .<JsonObject>consumer(
                address,
                message -> {
                  T event;
                  try {
                    event = decode.apply(message.body());
                  } catch (RuntimeException e) {
                    log.warn("Dropped a malformed event address={}: {}", address, e.getMessage());
                    return;
                  }
                  for (Loop loop : loops) {
                    loop.run(() -> loop.writes().run(() -> handler.accept(loop.hub(), event)));
                  }
                });
    consumers.add(consumer);
    Promise<Void> registered = Promise.promise();
    consumer.completionHandler(registered);
    return registered.future();
  }

  /** {@code /health/websocket/metrics}: each loop counts its own sockets on its own thread. */
  Future<JsonObject> stats() {
    List<Future<SessionRegistry.Snapshot>> shares = new ArrayList<>();
    for (Loop loop : loops) {
      shares.add(loop.call(() -> loop.registry().snapshot()));
    }
    return Future.all(shares).map(all -> SessionRegistry.toJson(all.list()));
  }

  /**
   * SIGTERM: agents close 1012 and reconnect elsewhere, dashboards too, on every loop; waiting
   * requests are answered.
   */
  private Future<?> drain() {
    directory.startDraining();
    // Dashboards reconnect elsewhere the moment they are told to: their users' places and their
    // presence in rooms are given back first (waiting at most a second for Redis), so the next
    // gateway does not count them twice.
    Future<Void> released =
        Future.join(userConnections.releaseAll(), presence.leaveAll())
            .<Void>mapEmpty()
            .timeout(1, java.util.concurrent.TimeUnit.SECONDS)
            .otherwiseEmpty();
    List<Future<Void>> closed = new ArrayList<>();
    for (Loop loop : loops) {
      closed.add(loop.<Future<Void>>call(() -> loop.agents().closeAllForDrain()).compose(f -> f));
      closed.add(
          released.compose(
              v ->
                  loop.<Void>call(
                      () -> {
                        loop.dashboards().closeAllForDrain();
                        return null;
                      })));
    }
    return Future.all(closed);
  }
}
