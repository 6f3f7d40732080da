package dev.printfleet.common.lifecycle;

import dev.printfleet.common.auth.TokenVerifier;
import dev.printfleet.common.cluster.ClusterGuard;
import dev.printfleet.common.config.CommonSettings;
import dev.printfleet.common.health.OperationsRoutes;
import dev.printfleet.common.health.Readiness;
import dev.printfleet.common.heartbeat.HeartbeatPublisher;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.ControlCommand;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.redis.client.Redis;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running service instance: its clustered Vert.x and the pieces every service shares. It owns the
 * graceful shutdown: not ready first, then the drain hooks, then leaving the cluster.
 */
public final class ServiceRuntime {

  private static final Logger log = LoggerFactory.getLogger(ServiceRuntime.class);
  private static final long REPLY_GRACE_MS = 500;

  /**
   * A leaving instance's consumers go on answering after its subscriptions left Redis until no
   * message reached them for {@link #LEAVE_QUIET_MS}, at least {@link #LEAVE_MIN_MS} and at most
   * {@link #LEAVE_MAX_MS}: the library tells the other nodes within tens of milliseconds (it
   * throttles updates by 20 ms, then each node reads the address again), later on a loaded machine.
   */
  private static final long LEAVE_MIN_MS = 250;

  private static final long LEAVE_QUIET_MS = 100;
  private static final long LEAVE_MAX_MS = 2_000;

  /** At most this long for the withdrawal's writes: a Redis that stalls hangs rather than fails. */
  private static final long WITHDRAW_BOUND_MS = 2_000;

  private final Vertx vertx;
  private final CommonSettings settings;
  private final PrometheusMeterRegistry registry;
  private final Redis redis;
  private final Readiness readiness;
  private final TokenVerifier tokens;
  private final HeartbeatPublisher heartbeat;
  private final List<Supplier<Future<?>>> drainHooks =
      Collections.synchronizedList(new ArrayList<>());
  private final Map<String, Function<ControlCommand, Future<JsonObject>>> controlHandlers =
      new ConcurrentHashMap<>();
  private final Promise<Void> stopped = Promise.promise();
  private MessageConsumer<JsonObject> controlConsumer;
  private volatile boolean stopping;
  private volatile int httpPort = -1;

  ServiceRuntime(
      Vertx vertx, CommonSettings settings, PrometheusMeterRegistry registry, Redis redis) {
    this.vertx = vertx;
    this.settings = settings;
    this.registry = registry;
    this.redis = redis;
    this.readiness = new Readiness(vertx, redis);
    this.tokens = new TokenVerifier(vertx, settings.jwt());
    this.heartbeat =
        new HeartbeatPublisher(
            vertx,
            settings.instanceId(),
            settings.service(),
            settings.heartbeatInterval(),
            readiness,
            registry);
    ClusterGuard.of(vertx).ifPresent(this::reportClusterHeals);
    onControl(
        ControlCommand.DRAIN,
        command -> {
          // The reply travels on a connection the event bus may still be opening: let it leave
          // before the shutdown closes the event bus.
          vertx.setTimer(REPLY_GRACE_MS, id -> shutdown());
          return Future.succeededFuture(new JsonObject().put("draining", true));
        });
  }

  public Vertx vertx() {
    return vertx;
  }

  /**
   * What keeps this instance's cluster state in Redis; its {@link ClusterGuard#onHealed} listeners
   * rewrite what a service keeps there itself after Redis lost it.
   */
  public Optional<ClusterGuard> clusterGuard() {
    return ClusterGuard.of(vertx);
  }

  private void reportClusterHeals(ClusterGuard guard) {
    FunctionCounter.builder("printfleet.cluster.heals", guard, ClusterGuard::nodeHeals)
        .description("Times this instance put its own cluster state back after Redis lost it")
        .tag("what", "node")
        .register(registry);
    FunctionCounter.builder("printfleet.cluster.heals", guard, ClusterGuard::subscriptionHeals)
        .description("Times this instance put its own cluster state back after Redis lost it")
        .tag("what", "subscriptions")
        .register(registry);
    heartbeat.reportClusterLoss(() -> guard.lastLossAt().orElse(null));
  }

  public CommonSettings settings() {
    return settings;
  }

  public String instanceId() {
    return settings.instanceId();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** printfleet's own Redis client, on the cluster's Redis. */
  public Redis redis() {
    return redis;
  }

  public Readiness readiness() {
    return readiness;
  }

  public TokenVerifier tokens() {
    return tokens;
  }

  public HeartbeatPublisher heartbeat() {
    return heartbeat;
  }

  /** The HTTP port the service listens on (the real one when the setting was 0). */
  public int httpPort() {
    return httpPort;
  }

  /**
   * Adds the routes every service has to the router and serves it on the configured port. The
   * server belongs to the Vert.x instance and closes with it.
   */
  public Future<HttpServer> serve(Router router, HttpServerOptions options) {
    return serve(router, options, Map.of());
  }

  /**
   * Like {@link #serve(Router, HttpServerOptions)}, with some paths handled on the raw request
   * before the router sees it: WebSocket endpoints need the server's own socket, not the router's
   * wrapper of it.
   */
  public Future<HttpServer> serve(
      Router router, HttpServerOptions options, Map<String, Handler<HttpServerRequest>> rawPaths) {
    return serve(router, options, rawPaths, null);
  }

  /**
   * Like {@link #serve(Router, HttpServerOptions, Map)}, with a handler called for each new
   * connection before any request on it is read: the place to adjust a connection's pipeline.
   */
  public Future<HttpServer> serve(
      Router router,
      HttpServerOptions options,
      Map<String, Handler<HttpServerRequest>> rawPaths,
      Handler<HttpConnection> connectionHandler) {
    OperationsRoutes.mount(vertx, router, readiness, registry);
    Map<String, Handler<HttpServerRequest>> raw = Map.copyOf(rawPaths);
    // Servers of this instance (one per event loop) share one port. Vert.x never shares port 0
    // (each server would bind its own), but shares the random port of a negative one among its
    // servers.
    int port = settings.httpPort() == 0 ? -1 : settings.httpPort();
    HttpServer http = vertx.createHttpServer(options.setHost(settings.httpHost()).setPort(port));
    if (connectionHandler != null) {
      http.connectionHandler(connectionHandler);
    }
    return http.requestHandler(
            request -> {
              var handler = raw.get(request.path());
              if (handler != null) {
                handler.handle(request);
              } else {
                router.handle(request);
              }
            })
        .listen()
        .onSuccess(server -> httpPort = server.actualPort());
  }

  /** Work to finish on shutdown, after the instance turned not ready; run last-added first. */
  public void onDrain(Supplier<Future<?>> hook) {
    drainHooks.add(hook);
  }

  /** Handles a command sent to this instance on {@code printfleet.control.<instanceId>}. */
  public void onControl(String action, Function<ControlCommand, Future<JsonObject>> handler) {
    controlHandlers.put(action, handler);
  }

  Future<Void> startBackground() {
    controlConsumer =
        vertx.eventBus().consumer(Addresses.control(instanceId()), this::handleControl);
    heartbeat.start();
    Promise<Void> registered = Promise.promise();
    controlConsumer.completionHandler(registered);
    return registered.future();
  }

  private void handleControl(Message<JsonObject> message) {
    ControlCommand command;
    try {
      command = ControlCommand.fromJson(message.body());
    } catch (RuntimeException e) {
      message.fail(400, "invalid control command: " + e.getMessage());
      return;
    }
    var handler = controlHandlers.get(command.action());
    if (handler == null) {
      message.fail(404, "unknown control action " + command.action());
      return;
    }
    log.info("Control command received action={} target={}", command.action(), command.target());
    handler
        .apply(command)
        .onSuccess(message::reply)
        .onFailure(e -> message.fail(500, String.valueOf(e.getMessage())));
  }

  /** Completes when the instance has left the cluster and closed. */
  public Future<Void> stopped() {
    return stopped.future();
  }

  /**
   * Graceful shutdown: turn not ready, wait the drain delay so the ingress moves traffic away, run
   * the drain hooks (close sockets, finish in-flight work), then leave the cluster and close.
   * Calling it again returns the same future.
   */
  public synchronized Future<Void> shutdown() {
    if (stopping) {
      return stopped.future();
    }
    stopping = true;
    log.info(
        "Draining instance={} service={} drainDelayMs={}",
        instanceId(),
        settings.service(),
        settings.drainDelay().toMillis());
    readiness.startDraining();
    Promise<Void> delayed = Promise.promise();
    if (settings.drainDelay().isZero()) {
      delayed.complete();
    } else {
      vertx.setTimer(settings.drainDelay().toMillis(), id -> delayed.complete());
    }
    delayed
        .future()
        .compose(v -> runDrainHooks())
        .onComplete(
            v -> {
              heartbeat.stop();
              if (controlConsumer != null) {
                controlConsumer.unregister();
              }
            })
        .transform(v -> withdrawFromEventBus())
        .transform(
            v -> {
              redis.close();
              return vertx.close();
            })
        .onSuccess(v -> log.info("Left the cluster instance={}", instanceId()))
        .onFailure(
            e ->
                log.warn(
                    "Shutdown did not complete cleanly instance={}: {}",
                    instanceId(),
                    e.toString()))
        .onComplete(stopped);
    return stopped.future();
  }

  /**
   * Takes this instance's subscriptions out of the cluster while its consumers still answer, and
   * waits for the other nodes to learn it (see {@link #LEAVE_MIN_MS}) before Vert.x closes the
   * event bus: see {@link ClusterGuard#withdraw()}.
   */
  private Future<Void> withdrawFromEventBus() {
    var guard = ClusterGuard.of(vertx);
    if (guard.isEmpty()) {
      return Future.succeededFuture();
    }
    AtomicLong lastMessage = new AtomicLong(System.nanoTime());
    Handler<DeliveryContext<Object>> seen =
        delivery -> {
          lastMessage.set(System.nanoTime());
          delivery.next();
        };
    vertx.eventBus().addInboundInterceptor(seen);
    return guard
        .get()
        .withdraw()
        .timeout(WITHDRAW_BOUND_MS, TimeUnit.MILLISECONDS)
        .recover(
            e -> {
              log.warn(
                  "Subscriptions not withdrawn before leaving instance={}: {}",
                  instanceId(),
                  e.toString());
              return Future.succeededFuture();
            })
        .compose(v -> quiet(System.nanoTime(), lastMessage))
        .onComplete(v -> vertx.eventBus().removeInboundInterceptor(seen));
  }

  private Future<Void> quiet(long since, AtomicLong lastMessage) {
    Promise<Void> quiet = Promise.promise();
    vertx.setPeriodic(
        25,
        id -> {
          long now = System.nanoTime();
          long waited = TimeUnit.NANOSECONDS.toMillis(now - since);
          long silent = TimeUnit.NANOSECONDS.toMillis(now - lastMessage.get());
          if (waited >= LEAVE_MAX_MS || waited >= LEAVE_MIN_MS && silent >= LEAVE_QUIET_MS) {
            vertx.cancelTimer(id);
            quiet.tryComplete();
          }
        });
    return quiet.future();
  }

  private Future<Void> runDrainHooks() {
    List<Supplier<Future<?>>> hooks;
    synchronized (drainHooks) {
      hooks = new ArrayList<>(drainHooks);
    }
    Collections.reverse(hooks);
    Future<Void> chain = Future.succeededFuture();
    for (var hook : hooks) {
      chain =
          chain.compose(
              v ->
                  hook.get()
                      .<Void>mapEmpty()
                      .recover(
                          e -> {
                            log.warn(
                                "A drain hook failed instance={}: {}", instanceId(), e.toString());
                            return Future.succeededFuture();
                          }));
    }
    return chain;
  }
}
