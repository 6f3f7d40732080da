package dev.printfleet.common.cluster;

import static dev.printfleet.common.cluster.ClusterNodes.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.retailsvc.vertx.spi.cluster.redis.RedisClusterManager;
import com.retailsvc.vertx.spi.cluster.redis.impl.RedissonContext;
import dev.printfleet.common.config.EventBusSettings;
import dev.printfleet.common.config.RedisSettings;
import dev.printfleet.common.config.Settings;
import dev.printfleet.testing.RealServersExtension;
import dev.printfleet.testing.RedisServerHandle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.impl.VertxInternal;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.config.BaseMasterSlaveServersConfig;
import org.redisson.config.Config;
import org.redisson.config.SingleServerConfig;

/**
 * The cluster manager's Redisson client gets printfleet's sizes in every client type, the running
 * client really uses them, and the event bus still carries a burst of registrations on the small
 * pools. Fails when an upgrade of vertx-redis-clustermanager moves the Config it builds.
 */
@ExtendWith(RealServersExtension.class)
class ClusterClientSizingTest {

  private final List<Vertx> nodes = new ArrayList<>();

  @AfterEach
  void closeNodes() {
    for (Vertx node : nodes) {
      await(node.close().recover(e -> Future.succeededFuture()));
    }
  }

  @Test
  void standaloneClientGetsTheDefaultSizes() {
    Config config = configOf(settings("standalone", "redis://127.0.0.1:6379", Map.of()));

    assertThat(config.getNettyThreads()).isEqualTo(2);
    SingleServerConfig server = config.useSingleServer();
    assertThat(server.getAddress()).isEqualTo("redis://127.0.0.1:6379");
    assertThat(server.getConnectionMinimumIdleSize()).isEqualTo(1);
    assertThat(server.getConnectionPoolSize()).isEqualTo(32);
    assertThat(server.getSubscriptionConnectionMinimumIdleSize()).isEqualTo(1);
    assertThat(server.getSubscriptionConnectionPoolSize()).isEqualTo(8);
  }

  @Test
  void clusterClientGetsTheDefaultSizesForMastersAndReplicas() {
    Config config = configOf(settings("cluster", "redis://r1:7000,redis://r2:7001", Map.of()));

    assertThat(config.getNettyThreads()).isEqualTo(2);
    assertThat(config.useClusterServers().getNodeAddresses())
        .containsExactly("redis://r1:7000", "redis://r2:7001");
    assertDefaultPools(config.useClusterServers());
  }

  @Test
  void replicatedClientGetsTheDefaultSizesForMastersAndReplicas() {
    Config config = configOf(settings("replicated", "redis://r1:6379,redis://r2:6379", Map.of()));

    assertThat(config.getNettyThreads()).isEqualTo(2);
    assertThat(config.useReplicatedServers().getNodeAddresses())
        .containsExactly("redis://r1:6379", "redis://r2:6379");
    assertDefaultPools(config.useReplicatedServers());
  }

  @Test
  void operatorSizesReachTheRunningClient(RedisServerHandle redis) throws Exception {
    Vertx node =
        join(
            settings(
                "standalone",
                redis.address(),
                Map.of(
                    "PRINTFLEET_CLUSTER_REDIS_NETTY_THREADS", "3",
                    "PRINTFLEET_CLUSTER_REDIS_IDLE_CONNECTIONS", "2",
                    "PRINTFLEET_CLUSTER_REDIS_POOL", "12",
                    "PRINTFLEET_CLUSTER_REDIS_SUBSCRIPTION_POOL", "5")));

    // The client Redisson created in join(), not the Config it was made from: proves the sizes
    // were set before the client copied them.
    Config running = runningClient(node).getConfig();
    assertThat(running.getNettyThreads()).isEqualTo(3);
    SingleServerConfig server = running.useSingleServer();
    assertThat(server.getConnectionMinimumIdleSize()).isEqualTo(2);
    assertThat(server.getConnectionPoolSize()).isEqualTo(12);
    assertThat(server.getSubscriptionConnectionPoolSize()).isEqualTo(5);
  }

  @Test
  void aBurstOfRegistrationsOnSmallPoolsIsReachableFromAnotherNode(RedisServerHandle redis) {
    String namespace = "sizing-" + UUID.randomUUID().toString().substring(0, 8);
    // Pools smaller than the default make contention certain: 200 registrations at once on 2.
    Map<String, String> tiny =
        Map.of(
            "PRINTFLEET_CLUSTER_REDIS_NETTY_THREADS", "1",
            "PRINTFLEET_CLUSTER_REDIS_POOL", "2",
            "PRINTFLEET_CLUSTER_REDIS_SUBSCRIPTION_POOL", "1");
    Vertx receiver = join(settings("standalone", redis.address(), tiny, namespace));
    Vertx sender = join(settings("standalone", redis.address(), tiny, namespace));

    int addresses = 200;
    List<Future<Void>> registered = new ArrayList<>();
    for (int i = 0; i < addresses; i++) {
      String address = "sizing.burst." + i;
      MessageConsumer<String> consumer =
          receiver.eventBus().consumer(address, m -> m.reply(address));
      Promise<Void> done = Promise.promise();
      consumer.completionHandler(done);
      registered.add(done.future());
    }
    await(Future.all(registered), Duration.ofSeconds(60));

    for (int i = 0; i < addresses; i++) {
      String address = "sizing.burst." + i;
      // The sender's subscription cache may lag the writes by a topic message: retry until seen.
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(
              () ->
                  address.equals(await(sender.eventBus().<String>request(address, "ping")).body()));
    }
  }

  private static void assertDefaultPools(BaseMasterSlaveServersConfig<?> servers) {
    assertThat(servers.getMasterConnectionMinimumIdleSize()).isEqualTo(1);
    assertThat(servers.getMasterConnectionPoolSize()).isEqualTo(32);
    assertThat(servers.getSlaveConnectionMinimumIdleSize()).isEqualTo(1);
    assertThat(servers.getSlaveConnectionPoolSize()).isEqualTo(32);
    assertThat(servers.getSubscriptionConnectionMinimumIdleSize()).isEqualTo(1);
    assertThat(servers.getSubscriptionConnectionPoolSize()).isEqualTo(8);
  }

  private static RedisSettings settings(String type, String address, Map<String, String> extra) {
    return settings(type, address, extra, "sizing-" + UUID.randomUUID().toString().substring(0, 8));
  }

  private static RedisSettings settings(
      String type, String address, Map<String, String> extra, String namespace) {
    Map<String, String> env = new HashMap<>(extra);
    env.put("PRINTFLEET_REDIS_CLIENT_TYPE", type);
    env.put("REDIS_CONNECTION_ADDRESS", address);
    env.put("REDIS_KEY_NAMESPACE", namespace);
    return RedisSettings.from(new Settings(env));
  }

  private static Config configOf(RedisSettings settings) {
    return ClusterClientSizing.redissonConfig(ClusterBootstrap.clusterManager(settings));
  }

  private Vertx join(RedisSettings settings) {
    Vertx node =
        await(
            ClusterBootstrap.start(settings, EventBusSettings.from(new Settings(Map.of())), null));
    nodes.add(node);
    return node;
  }

  private static org.redisson.api.RedissonClient runningClient(Vertx node) throws Exception {
    var manager = (RedisClusterManager) ((VertxInternal) node).getClusterManager();
    Field context = RedisClusterManager.class.getDeclaredField("redissonContext");
    context.setAccessible(true);
    return ((RedissonContext) context.get(manager)).client();
  }
}
