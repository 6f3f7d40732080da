package dev.printfleet.common.cluster;

import com.retailsvc.vertx.spi.cluster.redis.RedisClusterManager;
import dev.printfleet.common.config.RedisSettings.ClientType;
import dev.printfleet.common.config.RedisSettings.ClusterClientSizes;
import java.lang.reflect.Field;
import org.redisson.config.BaseMasterSlaveServersConfig;
import org.redisson.config.Config;

/**
 * Sizes the Redisson client of the Redis cluster manager, which offers no setting for it: the
 * manager builds its {@link Config} in its constructor (private field {@code redissonContext}, then
 * that context's {@code redisConfig}) and creates the client from it only in {@code join()}, so
 * changing that Config before joining sizes the client that runs.
 *
 * <p>Reflection rather than a cluster manager of printfleet's own: the manager's Redisson context
 * is a final field set in its constructor, so replacing it means rewriting the whole manager
 * (catalogs, locks, maps) over its internal classes, a larger bet on the same internals. When an
 * upgrade moves the Config, {@link #apply} fails the start with one line that says so, rather than
 * letting every JVM quietly go back to about 110 open files; {@code ClusterClientSizingTest} fails
 * the build first.
 */
final class ClusterClientSizing {

  private ClusterClientSizing() {}

  /** Sizes the client of a manager that has not joined yet; returns the Config it changed. */
  static Config apply(RedisClusterManager manager, ClientType type, ClusterClientSizes sizes) {
    Config config = redissonConfig(manager);
    config.setNettyThreads(sizes.nettyThreads());
    switch (type) {
      case STANDALONE ->
          // useSingleServer() returns the server config the manager already set up.
          config
              .useSingleServer()
              .setConnectionMinimumIdleSize(sizes.idleConnections())
              .setConnectionPoolSize(sizes.connectionPool())
              .setSubscriptionConnectionMinimumIdleSize(1)
              .setSubscriptionConnectionPoolSize(sizes.subscriptionPool());
      case CLUSTER -> size(config.useClusterServers(), sizes);
      case REPLICATED -> size(config.useReplicatedServers(), sizes);
    }
    return config;
  }

  /** Masters and replicas alike: Redisson reads from replicas by default, so both get pools. */
  private static void size(BaseMasterSlaveServersConfig<?> servers, ClusterClientSizes sizes) {
    servers
        .setMasterConnectionMinimumIdleSize(sizes.idleConnections())
        .setMasterConnectionPoolSize(sizes.connectionPool())
        .setSlaveConnectionMinimumIdleSize(sizes.idleConnections())
        .setSlaveConnectionPoolSize(sizes.connectionPool())
        .setSubscriptionConnectionMinimumIdleSize(1)
        .setSubscriptionConnectionPoolSize(sizes.subscriptionPool());
  }

  static Config redissonConfig(RedisClusterManager manager) {
    try {
      Object context = read(RedisClusterManager.class, "redissonContext", manager);
      return (Config) read(context.getClass(), "redisConfig", context);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException(
          "Cannot size the Redis cluster manager's client: vertx-redis-clustermanager no longer"
              + " keeps its Redisson Config at RedisClusterManager.redissonContext.redisConfig ("
              + e
              + "); update ClusterClientSizing for this version",
          e);
    }
  }

  private static Object read(Class<?> owner, String name, Object target)
      throws ReflectiveOperationException {
    Field field = owner.getDeclaredField(name);
    field.setAccessible(true);
    Object value = field.get(target);
    if (value == null) {
      throw new NoSuchFieldException(owner.getName() + "." + name + " is null");
    }
    return value;
  }
}
