package dev.printfleet.common.lifecycle;

import static dev.printfleet.testing.VertxChecks.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.cluster.ClusterGuard;
import dev.printfleet.common.config.CommonSettings;
import dev.printfleet.common.config.Settings;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.ControlCommand;
import dev.printfleet.common.messages.Heartbeat;
import dev.printfleet.testing.RealServersExtension;
import dev.printfleet.testing.RedisServerHandle;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Readiness, heartbeat, control and graceful shutdown, on a minimal service over real Redis. */
@ExtendWith(RealServersExtension.class)
class ServiceLifecycleTest {

  private static final HttpClient http = HttpClient.newHttpClient();
  private final List<ServiceRuntime> started = new ArrayList<>();
  private final List<String> drained = new CopyOnWriteArrayList<>();

  /** A service with no routes of its own and two drain hooks that record their order. */
  private final class BareService implements ServiceDefinition<Void> {
    @Override
    public String name() {
      return "bare";
    }

    @Override
    public int defaultHttpPort() {
      return 0;
    }

    @Override
    public Void configure(Settings settings, CommonSettings common) {
      return null;
    }

    @Override
    public Future<Void> deploy(ServiceRuntime runtime, Void config) {
      runtime.onDrain(
          () -> {
            drained.add("first-added");
            return Future.succeededFuture();
          });
      runtime.onDrain(
          () -> {
            drained.add("last-added");
            return Future.succeededFuture();
          });
      return runtime.serve(Router.router(runtime.vertx()), new HttpServerOptions()).mapEmpty();
    }
  }

  private ServiceRuntime start(
      RedisServerHandle redis, String namespace, Map<String, String> extra) {
    Map<String, String> env = new HashMap<>();
    env.put("PRINTFLEET_JWT_SECRET", "lifecycle-secret-0123456789-0123456789");
    env.put("REDIS_CONNECTION_ADDRESS", redis.address());
    env.put("REDIS_KEY_NAMESPACE", namespace);
    env.put("PRINTFLEET_HTTP_HOST", "127.0.0.1");
    env.put("PRINTFLEET_DRAIN_DELAY", "0s");
    env.putAll(extra);
    var runtime = join(ServiceLauncher.start(new BareService(), new Settings(env)));
    started.add(runtime);
    return runtime;
  }

  @AfterEach
  void stop() {
    started.forEach(r -> join(r.shutdown()));
  }

  @Test
  void readyWhileClusterAndRedisAnswerAndNotReadyWhileDraining(RedisServerHandle redis)
      throws Exception {
    var runtime = start(redis, namespace(), Map.of("PRINTFLEET_DRAIN_DELAY", "3s"));
    var ready = get(runtime.httpPort(), "/health/ready");
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(ready.body()).getString("status")).isEqualTo("UP");
    assertThat(get(runtime.httpPort(), "/health/live").statusCode()).isEqualTo(200);

    var stopping = runtime.shutdown();

    var draining = get(runtime.httpPort(), "/health/ready");
    assertThat(draining.statusCode()).isEqualTo(503);
    assertThat(draining.body()).contains("\"draining\"").contains("DOWN");
    assertThat(drained).as("drain hooks wait for the drain delay").isEmpty();
    join(stopping);
    assertThat(drained).containsExactly("last-added", "first-added");
  }

  @Test
  void notReadyWhileRedisIsDownAndReadyAgainWhenItReturns() throws Exception {
    try (var ownRedis = RedisServerHandle.startOnFreePort()) {
      var runtime = start(ownRedis, namespace(), Map.of());
      assertThat(get(runtime.httpPort(), "/health/ready").statusCode()).isEqualTo(200);

      ownRedis.stop();
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> get(runtime.httpPort(), "/health/ready").statusCode() == 503);
      assertThat(get(runtime.httpPort(), "/health/ready").body()).contains("\"redis\"");
      assertThat(get(runtime.httpPort(), "/health/live").statusCode())
          .as("still alive")
          .isEqualTo(200);

      ownRedis.start();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> get(runtime.httpPort(), "/health/ready").statusCode() == 200);
      started.remove(runtime);
      join(runtime.shutdown(), Duration.ofSeconds(30));
    }
  }

  @Test
  void heartbeatsReachTheClusterEveryInterval(RedisServerHandle redis) {
    String namespace = namespace();
    var listener = start(redis, namespace, Map.of("PRINTFLEET_HEARTBEAT_INTERVAL", "1h"));
    var beats = new CopyOnWriteArrayList<Heartbeat>();
    listener
        .vertx()
        .eventBus()
        .<JsonObject>consumer(
            Addresses.MONITORING_HEARTBEAT, m -> beats.add(Heartbeat.fromJson(m.body())));
    var beating =
        start(
            redis,
            namespace,
            Map.of(
                "PRINTFLEET_HEARTBEAT_INTERVAL", "300ms", "PRINTFLEET_INSTANCE_ID", "beating-1"));

    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> beats.stream().filter(b -> b.instanceId().equals("beating-1")).count() >= 3);
    Heartbeat beat =
        beats.stream()
            .filter(b -> b.instanceId().equals("beating-1"))
            .reduce((a, b) -> b)
            .orElseThrow();
    assertThat(beat.service()).isEqualTo("bare");
    assertThat(beat.heapUsedBytes()).isPositive();
    assertThat(beat.ready()).isTrue();
    assertThat(beating.instanceId()).isEqualTo("beating-1");
  }

  @Test
  void drainCommandOnTheControlAddressShutsTheInstanceDownAndItLeavesTheCluster(
      RedisServerHandle redis) {
    String namespace = namespace();
    var observer = start(redis, namespace, Map.of());
    var target = start(redis, namespace, Map.of("PRINTFLEET_INSTANCE_ID", "target-1"));

    var reply =
        join(observer
                .vertx()
                .eventBus()
                .<JsonObject>request(
                    Addresses.control("target-1"),
                    new ControlCommand(ControlCommand.DRAIN, null).toJson()))
            .body();
    assertThat(reply.getBoolean("draining")).isTrue();

    join(target.stopped(), Duration.ofSeconds(30));
    started.remove(target);
    // Once it has left, nothing answers on its control address any more.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                observer
                    .vertx()
                    .eventBus()
                    .request(Addresses.control("target-1"), new JsonObject())
                    .toCompletionStage()
                    .toCompletableFuture()
                    .handle((ok, e) -> e != null)
                    .get(5, TimeUnit.SECONDS));
  }

  @Test
  void everyRequestSentWhileAnInstanceLeavesIsAnsweredNoneWaitsOutItsTimeout(
      RedisServerHandle redis) {
    String namespace = namespace();
    var sender = start(redis, namespace, Map.of());
    var leaving = start(redis, namespace, Map.of());
    String address = "lifecycle.work." + namespace;
    // Both serve the address, each from a verticle as the services do: sends go to either.
    for (var runtime : List.of(sender, leaving)) {
      join(
          runtime
              .vertx()
              .deployVerticle(
                  new AbstractVerticle() {
                    @Override
                    public void start(Promise<Void> registered) {
                      vertx
                          .eventBus()
                          .<String>consumer(address, m -> m.reply(runtime.instanceId()))
                          .completionHandler(registered);
                    }
                  }));
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                join(sender.vertx().eventBus().<String>request(address, "warm-up"))
                    .body()
                    .equals(leaving.instanceId()));

    // A request every millisecond or two, from before the stop until a while after it.
    var outcomes = new ConcurrentHashMap<String, AtomicInteger>();
    var answered = new CopyOnWriteArrayList<Future<?>>();
    var timeout = new DeliveryOptions().setSendTimeout(8_000);
    long timer =
        sender
            .vertx()
            .setPeriodic(
                1,
                id ->
                    answered.add(
                        sender
                            .vertx()
                            .eventBus()
                            .<String>request(address, "work", timeout)
                            .andThen(
                                ar -> {
                                  String outcome =
                                      ar.succeeded()
                                          ? "answered by " + ar.result().body()
                                          : ar.cause() instanceof ReplyException reply
                                              ? reply.failureType().name()
                                              : ar.cause().toString();
                                  outcomes
                                      .computeIfAbsent(outcome, k -> new AtomicInteger())
                                      .incrementAndGet();
                                })));
    sleep(Duration.ofMillis(300));
    join(leaving.shutdown(), Duration.ofSeconds(30));
    started.remove(leaving);
    sleep(Duration.ofMillis(500));
    sender.vertx().cancelTimer(timer);
    join(Future.join(List.copyOf(answered)).otherwiseEmpty(), Duration.ofSeconds(20));

    // Before the fix, about 1 % of them met a closed port and timed out.
    assertThat(outcomes.keySet())
        .as("what the requests met")
        .containsExactlyInAnyOrder(
            "answered by " + sender.instanceId(), "answered by " + leaving.instanceId());
  }

  @Test
  void aWithdrawnInstanceIsReachedByNoOtherNodeAndItsGuardDoesNotPutItsSubscriptionsBack(
      RedisServerHandle redis) {
    String namespace = namespace();
    var checks = Map.of("PRINTFLEET_CLUSTER_CHECK_INTERVAL", "200ms");
    var other = start(redis, namespace, checks);
    var leaving = start(redis, namespace, checks);
    String address = "lifecycle.withdrawn." + namespace;
    Promise<Void> registered = Promise.promise();
    leaving
        .vertx()
        .eventBus()
        .<String>consumer(address, m -> m.reply("leaving"))
        .completionHandler(registered);
    join(registered.future());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> "leaving".equals(requestFrom(other, address)));

    join(ClusterGuard.of(leaving.vertx()).orElseThrow().withdraw());

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> ReplyFailure.NO_HANDLERS.name().equals(requestFrom(other, address)));
    // Five checks of the leaving instance's guard later, its subscription is still not back.
    sleep(Duration.ofSeconds(1));
    assertThat(requestFrom(other, address)).isEqualTo(ReplyFailure.NO_HANDLERS.name());
  }

  /** What a request from {@code from} met: the answer, or the failure's type. */
  private static String requestFrom(ServiceRuntime from, String address) {
    return from.vertx()
        .eventBus()
        .<String>request(address, "ping", new DeliveryOptions().setSendTimeout(2_000))
        .map(Message::body)
        .otherwise(
            e -> e instanceof ReplyException reply ? reply.failureType().name() : e.toString())
        .toCompletionStage()
        .toCompletableFuture()
        .join();
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Test
  void startThatFailsEndsWithItsCauseOnceItsVertxIsClosed(RedisServerHandle redis)
      throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("PRINTFLEET_JWT_SECRET", "lifecycle-secret-0123456789-0123456789");
    env.put("REDIS_CONNECTION_ADDRESS", redis.address());
    env.put("REDIS_KEY_NAMESPACE", namespace());
    env.put("PRINTFLEET_HTTP_HOST", "127.0.0.1");
    try (var taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      env.put("PRINTFLEET_HTTP_PORT", String.valueOf(taken.getLocalPort()));

      // The deploy fails on a context of the Vert.x the failure closes: the start must still end,
      // with the bind's cause, well within the wait a service's main gives it.
      var outcome =
          ServiceLauncher.start(new BareService(), new Settings(env))
              .toCompletionStage()
              .toCompletableFuture()
              .handle((runtime, e) -> e);
      Throwable failure = outcome.get(30, TimeUnit.SECONDS);

      // A BindException with NIO; Netty's own IOException with epoll: the same words either way.
      assertThat(failure)
          .isInstanceOf(IOException.class)
          .hasMessageContaining("Address already in use");
    }
  }

  private static String namespace() {
    return "life-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
