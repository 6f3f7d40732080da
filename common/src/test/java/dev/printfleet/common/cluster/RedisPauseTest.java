package dev.printfleet.common.cluster;

import static dev.printfleet.common.cluster.ClusterNodes.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.config.EventBusSettings;
import dev.printfleet.common.config.RedisSettings;
import dev.printfleet.common.config.Settings;
import dev.printfleet.testing.RedisServerHandle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two nodes on one Redis: a node answers event bus addresses it looked up before from what it knows
 * while Redis stalls, and still sees consumers come and go on the other node within seconds.
 */
class RedisPauseTest {

  /** How long the Redis server sleeps: every client of it, the cluster manager's too, waits. */
  private static final int PAUSE_SECONDS = 5;

  private RedisServerHandle redis;
  private Vertx client;
  private Redis commands;
  private final List<Vertx> nodes = new ArrayList<>();
  private Vertx nodeA;
  private Vertx nodeB;

  @BeforeEach
  void start() {
    redis = RedisServerHandle.startOnFreePort();
    client = Vertx.vertx();
    commands = Redis.createClient(client, redis.address());
    String namespace = "pause-" + UUID.randomUUID().toString().substring(0, 8);
    var settings =
        new Settings(
            Map.of(
                "REDIS_CONNECTION_ADDRESS",
                redis.address(),
                "REDIS_KEY_NAMESPACE",
                namespace,
                "PRINTFLEET_CLUSTER_CHECK_INTERVAL",
                "1s"));
    var a =
        ClusterBootstrap.start(RedisSettings.from(settings), EventBusSettings.from(settings), null);
    var b =
        ClusterBootstrap.start(RedisSettings.from(settings), EventBusSettings.from(settings), null);
    nodeA = await(a);
    nodeB = await(b);
    nodes.add(nodeA);
    nodes.add(nodeB);
  }

  @AfterEach
  void stop() {
    for (Vertx node : nodes) {
      await(node.close().recover(e -> Future.succeededFuture()));
    }
    await(client.close());
    redis.close();
  }

  @Test
  void requestsToAConsumerOnALiveNodeAreAnsweredWhileRedisSleeps() {
    register(nodeB.eventBus().<String>consumer("pause.work", m -> m.reply("B:" + m.body())));
    assertThat(request(nodeA, "pause.work", "warm")).isEqualTo("B:warm");

    Future<Response> sleep =
        commands.send(Request.cmd(Command.DEBUG).arg("SLEEP").arg(PAUSE_SECONDS));
    // The pause has begun once a ping on a connection of its own goes unanswered.
    Redis probe = Redis.createClient(client, redis.address());
    await().atMost(Duration.ofSeconds(5)).until(() -> unanswered(probe));

    List<String> answers = new ArrayList<>();
    for (int i = 0; i < 5 && !sleep.isComplete(); i++) {
      answers.add(request(nodeA, "pause.work", "during-" + i));
    }
    // Still asleep after the requests, so they were all answered during the pause.
    assertThat(sleep.isComplete()).isFalse();
    assertThat(answers).hasSize(5).allMatch(answer -> answer.startsWith("B:during-"));
    await(sleep, Duration.ofSeconds(PAUSE_SECONDS + 10));
    probe.close();
  }

  @Test
  void aNodeReachesItsOwnConsumerOnAnAddressItNeverLookedUpWhileRedisSleeps() {
    // Vert.x looks an address up in the cluster manager the first time it sends to it; this
    // node's own consumers it knows without Redis.
    register(nodeA.eventBus().<String>consumer("pause.cold", m -> m.reply("A:" + m.body())));
    register(nodeB.eventBus().<String>consumer("pause.cold", m -> m.reply("B:" + m.body())));

    Future<Response> sleep =
        commands.send(Request.cmd(Command.DEBUG).arg("SLEEP").arg(PAUSE_SECONDS));
    Redis probe = Redis.createClient(client, redis.address());
    await().atMost(Duration.ofSeconds(5)).until(() -> unanswered(probe));

    String answer = request(nodeA, "pause.cold", "during");
    assertThat(sleep.isComplete()).isFalse();
    assertThat(answer).isEqualTo("A:during");
    await(sleep, Duration.ofSeconds(PAUSE_SECONDS + 10));
    probe.close();
  }

  @Test
  void aConsumerRegisteredOnAnotherNodeAfterTheAddressWasLookedUpIsReachedWithinSeconds() {
    // Nobody listens yet: the sender learns that and must not keep believing it.
    assertThat(requestFailure(nodeA, "pause.late")).isNotNull();
    register(nodeB.eventBus().<String>consumer("pause.late", m -> m.reply("B")));
    await()
        .atMost(Duration.ofSeconds(3))
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .until(() -> request(nodeA, "pause.late", "x").equals("B"));

    // A cached the address with only its own consumer; B's, added later, gets its share.
    register(nodeA.eventBus().<String>consumer("pause.shared", m -> m.reply("A")));
    assertThat(request(nodeA, "pause.shared", "x")).isEqualTo("A");
    register(nodeB.eventBus().<String>consumer("pause.shared", m -> m.reply("B")));
    Set<String> answeredBy = new HashSet<>();
    await()
        .atMost(Duration.ofSeconds(3))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> answeredBy.add(request(nodeA, "pause.shared", "x")) && answeredBy.contains("B"));
  }

  @Test
  void aConsumerUnregisteredOnAnotherNodeStopsGettingMessagesWithinSeconds() {
    register(nodeA.eventBus().<String>consumer("pause.leaving", m -> m.reply("A")));
    MessageConsumer<String> onB = nodeB.eventBus().consumer("pause.leaving", m -> m.reply("B"));
    register(onB);
    Set<String> answeredBy = new HashSet<>();
    await()
        .atMost(Duration.ofSeconds(3))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> answeredBy.add(request(nodeA, "pause.leaving", "x")) && answeredBy.size() == 2);

    await(onB.unregister());
    // Within seconds every request goes to A's consumer, none to B that no longer listens.
    await()
        .atMost(Duration.ofSeconds(3))
        .pollInterval(Duration.ofMillis(50))
        .ignoreExceptions()
        .until(() -> answersOnlyFromA(10));
  }

  @Test
  void aNodeThatLeftTheClusterGetsNoMoreMessagesFromTheOthers() {
    register(nodeA.eventBus().<String>consumer("pause.leaving", m -> m.reply("A")));
    register(nodeB.eventBus().<String>consumer("pause.leaving", m -> m.reply("B")));
    Set<String> answeredBy = new HashSet<>();
    await()
        .atMost(Duration.ofSeconds(3))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> answeredBy.add(request(nodeA, "pause.leaving", "x")) && answeredBy.size() == 2);

    await(nodeB.close());
    nodes.remove(nodeB);
    await()
        .atMost(Duration.ofSeconds(3))
        .pollInterval(Duration.ofMillis(50))
        .ignoreExceptions()
        .until(() -> answersOnlyFromA(10));
  }

  private boolean answersOnlyFromA(int requests) {
    for (int i = 0; i < requests; i++) {
      if (!request(nodeA, "pause.leaving", "x").equals("A")) {
        return false;
      }
    }
    return true;
  }

  private static boolean unanswered(Redis probe) {
    try {
      await(probe.send(Request.cmd(Command.PING)), Duration.ofMillis(300));
      return false;
    } catch (AssertionError timedOut) {
      return true;
    }
  }

  private static String request(Vertx from, String address, String body) {
    return await(
            from.eventBus()
                .<String>request(address, body, new DeliveryOptions().setSendTimeout(1_000)),
            Duration.ofSeconds(5))
        .body();
  }

  private static Throwable requestFailure(Vertx from, String address) {
    Future<?> sent =
        from.eventBus().request(address, "x", new DeliveryOptions().setSendTimeout(1_000));
    return await(
        sent.map(ok -> (Throwable) null).recover(Future::succeededFuture), Duration.ofSeconds(5));
  }

  private static void register(MessageConsumer<?> consumer) {
    Promise<Void> registered = Promise.promise();
    consumer.completionHandler(registered);
    await(registered.future());
  }
}
