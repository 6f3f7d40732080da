package dev.printfleet.common.cluster;

import static dev.printfleet.common.cluster.ClusterNodes.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.config.EventBusSettings;
import dev.printfleet.common.config.Settings;
import dev.printfleet.common.health.Readiness;
import dev.printfleet.testing.RedisServerHandle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.ext.healthchecks.CheckResult;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Redis loses the cluster's state under two running nodes (a {@code FLUSHALL}; a restart without
 * persistence): each node's guard puts its own entry and subscriptions back, so sends and publishes
 * reach their consumers again, on addresses the sender had cached and on ones it looks up for the
 * first time, and no node drops the other. Each test runs on a Redis of its own.
 */
class RedisLossTest {

  private static final Duration HEALED_WITHIN = Duration.ofSeconds(30);

  private final List<RedisServerHandle> servers = new ArrayList<>();
  private RedisServerHandle redis;

  /** The Redis the readiness check pings: the master. */
  private String masterAddress;

  private String namespace;
  private final List<Vertx> nodes = new ArrayList<>();
  private Vertx nodeA;
  private Vertx nodeB;
  private final Map<String, String> published = new ConcurrentHashMap<>();

  private void startOnOneRedis() {
    redis = server();
    masterAddress = redis.address();
    startTwoNodes(Map.of("REDIS_CONNECTION_ADDRESS", redis.address()));
  }

  private RedisServerHandle server() {
    var server = RedisServerHandle.startOnFreePort();
    servers.add(server);
    return server;
  }

  private void startTwoNodes(Map<String, String> redisSettings) {
    namespace = "loss-" + UUID.randomUUID().toString().substring(0, 8);
    var settings = new java.util.HashMap<>(redisSettings);
    settings.put("REDIS_KEY_NAMESPACE", namespace);
    settings.put("PRINTFLEET_CLUSTER_CHECK_INTERVAL", "1s");
    var eventBus = EventBusSettings.from(new Settings(settings));
    var redisSettingsRead = dev.printfleet.common.config.RedisSettings.from(new Settings(settings));
    var a = ClusterBootstrap.start(redisSettingsRead, eventBus, null);
    var b = ClusterBootstrap.start(redisSettingsRead, eventBus, null);
    nodeA = await(a);
    nodeB = await(b);
    nodes.add(nodeA);
    nodes.add(nodeB);
    register(nodeA.eventBus().<String>consumer("loss.warm", m -> m.reply("A")));
    register(nodeA.eventBus().<String>consumer("loss.cold", m -> m.reply("A")));
    register(nodeA.eventBus().<String>consumer("loss.publish", m -> published.put("A", m.body())));
    register(nodeB.eventBus().<String>consumer("loss.publish", m -> published.put("B", m.body())));
    // B has looked "loss.warm" up and holds it in its cache; "loss.cold" it will look up only
    // after the loss, from Redis.
    assertThat(request(nodeB, "loss.warm")).isEqualTo("A");
  }

  @AfterEach
  void stop() {
    for (Vertx node : nodes) {
      await(node.close().recover(e -> Future.succeededFuture()));
    }
    servers.forEach(RedisServerHandle::close);
  }

  @Test
  void afterAFlushAllBothNodesPutTheirStateBackAndMessagesArriveAgain() {
    startOnOneRedis();
    Vertx client = Vertx.vertx();
    try {
      Redis commands = Redis.createClient(client, redis.address());
      await(commands.send(Request.cmd(Command.FLUSHALL)));
      assertThat(await(commands.send(Request.cmd(Command.DBSIZE))).toLong()).isZero();
    } finally {
      await(client.close());
    }

    assertHealed();
  }

  @Test
  void afterRedisIsKilledAndStartsEmptyBothNodesPutTheirStateBackAndMessagesArriveAgain()
      throws Exception {
    startOnOneRedis();
    long pid = redisProcessId();
    ProcessHandle.of(pid).orElseThrow().destroyForcibly();
    await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(pid).isEmpty());
    redis.stop();
    Thread.sleep(2_000); // the outage: longer than a check period, so checks fail meanwhile
    redis.start();

    assertHealed();
  }

  @Test
  void whileRedisRefusesToTakeTheStateBackTheClusterCheckIsDownWithTheReasonThenUpOnceHealed() {
    startOnOneRedis();
    Vertx client = Vertx.vertx();
    try {
      Redis commands = Redis.createClient(client, redis.address());
      // Emptied, then a read-only replica of a master that does not answer: the catalog reads
      // empty and every write is refused, as on a replica promoted too late.
      await(
          commands.batch(
              List.of(
                  Request.cmd(Command.FLUSHALL),
                  Request.cmd(Command.REPLICAOF)
                      .arg("127.0.0.1")
                      .arg(dev.printfleet.testing.FreePorts.next()))));
      Redis probe = Redis.createClient(nodeA, redis.address());
      Readiness readiness = new Readiness(nodeA, probe);
      await()
          .atMost(HEALED_WITHIN)
          .untilAsserted(
              () -> {
                var cluster = clusterCheck(readiness);
                assertThat(cluster.getString("status")).isEqualTo("DOWN");
                assertThat(cluster.getJsonObject("data").getString("reason"))
                    .contains("not restored")
                    .contains("loss.cold");
              });
      assertThat(ClusterGuard.of(nodeA).orElseThrow().unrestored()).isPresent();

      await(commands.send(Request.cmd(Command.REPLICAOF).arg("NO").arg("ONE")));

      await()
          .atMost(HEALED_WITHIN)
          .untilAsserted(
              () -> assertThat(clusterCheck(readiness).getString("status")).isEqualTo("UP"));
      assertHealed();
      probe.close();
    } finally {
      await(client.close());
    }
  }

  private static io.vertx.core.json.JsonObject clusterCheck(Readiness readiness) {
    CheckResult result = await(readiness.checks().checkStatus());
    return result.toJson().getJsonArray("checks").stream()
        .map(io.vertx.core.json.JsonObject.class::cast)
        .filter(check -> check.getString("id").equals("cluster"))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void afterAFailoverToAReplicaThatLostTheDataBothNodesPutTheirStateBackAndMessagesArriveAgain() {
    RedisServerHandle master = server();
    RedisServerHandle replica = server();
    Vertx client = Vertx.vertx();
    try {
      Redis toMaster = Redis.createClient(client, master.address());
      Redis toReplica = Redis.createClient(client, replica.address());
      await(toReplica.send(Request.cmd(Command.REPLICAOF).arg(master.host()).arg(master.port())));
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> replication(toReplica).contains("master_link_status:up"));
      masterAddress = master.address();
      startTwoNodes(
          Map.of(
              "PRINTFLEET_REDIS_CLIENT_TYPE",
              "replicated",
              "REDIS_CONNECTION_ADDRESS",
              master.address() + "," + replica.address()));

      // The replica is promoted having lost the data, and the old master follows it.
      await(toReplica.send(Request.cmd(Command.REPLICAOF).arg("NO").arg("ONE")));
      await(toReplica.send(Request.cmd(Command.FLUSHALL)));
      await(toMaster.send(Request.cmd(Command.REPLICAOF).arg(replica.host()).arg(replica.port())));
      masterAddress = replica.address();
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> replication(toMaster).contains("master_link_status:up"));

      assertHealed();
    } finally {
      await(client.close());
    }
  }

  private static String replication(Redis redis) {
    return await(redis.send(Request.cmd(Command.INFO).arg("replication"))).toString();
  }

  private void assertHealed() {
    await()
        .atMost(HEALED_WITHIN)
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              assertThat(request(nodeB, "loss.cold")).isEqualTo("A");
              assertThat(request(nodeB, "loss.warm")).isEqualTo("A");
            });
    await()
        .atMost(HEALED_WITHIN)
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              published.clear();
              nodeB.eventBus().publish("loss.publish", "after");
              await().atMost(Duration.ofSeconds(2)).until(() -> published.size() == 2);
            });
    assertThat(published).containsOnlyKeys("A", "B").containsValue("after");

    // Redis holds both nodes' subscriptions again, and both nodes, for every node to read.
    String a = manager(nodeA).getNodeId();
    String b = manager(nodeB).getNodeId();
    await()
        .atMost(HEALED_WITHIN)
        .untilAsserted(
            () -> {
              assertThat(subscribers(nodeB, "loss.cold")).containsExactly(a);
              assertThat(subscribers(nodeB, "loss.publish")).containsExactlyInAnyOrder(a, b);
              assertThat(subscribers(nodeA, "loss.publish")).containsExactlyInAnyOrder(a, b);
              assertThat(manager(nodeA).getNodes()).contains(a, b);
              assertThat(manager(nodeB).getNodes()).contains(a, b);
            });

    // Neither node drops the other afterwards: their subscriptions stay, over several checks.
    await()
        .during(Duration.ofSeconds(4))
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                subscribers(nodeB, "loss.publish").equals(Set.of(a, b))
                    && subscribers(nodeA, "loss.cold").equals(Set.of(a)));
    assertThat(request(nodeB, "loss.cold")).isEqualTo("A");

    ClusterGuard guardA = ClusterGuard.of(nodeA).orElseThrow();
    ClusterGuard guardB = ClusterGuard.of(nodeB).orElseThrow();
    assertThat(guardA.subscriptionHeals()).isPositive();
    assertThat(guardB.subscriptionHeals()).isPositive();
    assertThat(guardA.lastLossAt()).isPresent();
    for (Vertx node : nodes) {
      Redis client = Redis.createClient(node, masterAddress);
      Readiness readiness = new Readiness(node, client);
      await()
          .atMost(HEALED_WITHIN)
          .untilAsserted(
              () -> {
                CheckResult result = await(readiness.checks().checkStatus());
                assertThat(result.getUp()).as(result.toJson().encode()).isTrue();
              });
      client.close();
    }
  }

  private long redisProcessId() {
    Vertx client = Vertx.vertx();
    try {
      Redis commands = Redis.createClient(client, redis.address());
      String info = await(commands.send(Request.cmd(Command.INFO).arg("server"))).toString();
      return info.lines()
          .filter(line -> line.startsWith("process_id:"))
          .map(line -> Long.parseLong(line.substring("process_id:".length()).trim()))
          .findFirst()
          .orElseThrow();
    } finally {
      await(client.close());
    }
  }

  private static ClusterManager manager(Vertx vertx) {
    return ((VertxInternal) vertx).getClusterManager();
  }

  /** The nodes Redis lists as subscribed to an address. */
  private static Set<String> subscribers(Vertx vertx, String address) {
    Promise<List<RegistrationInfo>> found = Promise.promise();
    ((TrackingRedisClusterManager) manager(vertx)).storedRegistrations(address, found);
    return await(found.future()).stream().map(RegistrationInfo::nodeId).collect(Collectors.toSet());
  }

  private static String request(Vertx from, String address) {
    return await(
            from.eventBus()
                .<String>request(address, "who", new DeliveryOptions().setSendTimeout(1_000)),
            Duration.ofSeconds(5))
        .body();
  }

  private static void register(MessageConsumer<?> consumer) {
    Promise<Void> registered = Promise.promise();
    consumer.completionHandler(registered);
    await(registered.future());
  }
}
