package dev.printfleet.common.config;

import java.net.URI;
import java.util.List;
import java.util.Optional;

/**
 * Where Redis is, read from the variables the Redis cluster manager documents ({@code
 * REDIS_CONNECTION_*}, {@code REDIS_KEY_NAMESPACE}), plus the client type for Redis Cluster or
 * replicated Redis. The same settings serve the cluster manager and printfleet's own Redis client;
 * {@link ClusterClientSizes} sizes only the cluster manager's (Redisson) client.
 */
public record RedisSettings(
    ClientType clientType,
    List<String> endpoints,
    Optional<String> username,
    Optional<String> password,
    Optional<String> keyNamespace,
    ClusterClientSizes clusterClient) {

  public enum ClientType {
    STANDALONE,
    CLUSTER,
    REPLICATED
  }

  public static RedisSettings from(Settings settings) {
    ClientType type =
        settings.enumValue("PRINTFLEET_REDIS_CLIENT_TYPE", ClientType.class, ClientType.STANDALONE);
    List<String> endpoints = settings.list("REDIS_CONNECTION_ADDRESS");
    if (endpoints.isEmpty()) {
      String scheme = settings.string("REDIS_CONNECTION_SCHEME", "redis");
      if (!scheme.equals("redis") && !scheme.equals("rediss")) {
        throw new ConfigException(
            "REDIS_CONNECTION_SCHEME", "must be redis or rediss, got '" + scheme + "'");
      }
      String host = settings.string("REDIS_CONNECTION_HOST", "127.0.0.1");
      int port = settings.port("REDIS_CONNECTION_PORT", 6379);
      endpoints = List.of(scheme + "://" + host + ":" + port);
    }
    for (String endpoint : endpoints) {
      validateEndpoint(endpoint);
    }
    if (type == ClientType.STANDALONE && endpoints.size() > 1) {
      throw new ConfigException(
          "REDIS_CONNECTION_ADDRESS",
          "lists "
              + endpoints.size()
              + " addresses; set PRINTFLEET_REDIS_CLIENT_TYPE to cluster"
              + " or replicated to use more than one");
    }
    return new RedisSettings(
        type,
        List.copyOf(endpoints),
        settings.optional("REDIS_CONNECTION_USERNAME"),
        settings.optional("REDIS_CONNECTION_PASSWORD"),
        settings.optional("REDIS_KEY_NAMESPACE"),
        ClusterClientSizes.from(settings));
  }

  private static void validateEndpoint(String endpoint) {
    try {
      URI uri = URI.create(endpoint);
      if (uri.getHost() == null
          || uri.getPort() < 0
          || !("redis".equals(uri.getScheme()) || "rediss".equals(uri.getScheme()))) {
        throw new IllegalArgumentException();
      }
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          "REDIS_CONNECTION_ADDRESS",
          "must be redis://host:port (or rediss:// for TLS), comma-separated for several, got '"
              + endpoint
              + "'");
    }
  }

  /**
   * The threads and connections of the cluster manager's Redis client. Redisson's defaults (32
   * netty threads, 24 idle connections per Redis node, pools of 64 and 50) cost about 110 open
   * files per JVM, which a gateway holding 19,900 agents cannot spare. Few connections stay open
   * while idle; the pool, though, matches the work: this cluster manager looks up the handlers of
   * every clustered send and publish in Redis with a blocking call on one of Vert.x's 20 worker
   * threads, and a pool smaller than those (16) made the workers queue for connections and delayed
   * a dashboard fan-out test past its bounds.
   *
   * @param nettyThreads netty event loops (each holds a selector, and a DNS socket once it
   *     resolves)
   * @param idleConnections connections per Redis node kept open while idle
   * @param connectionPool most connections per Redis node for commands
   * @param subscriptionPool most connections per Redis node for pub/sub
   */
  public record ClusterClientSizes(
      int nettyThreads, int idleConnections, int connectionPool, int subscriptionPool) {

    public static ClusterClientSizes from(Settings settings) {
      int connectionPool = settings.integer("PRINTFLEET_CLUSTER_REDIS_POOL", 32, 1, 1024);
      int idle = settings.integer("PRINTFLEET_CLUSTER_REDIS_IDLE_CONNECTIONS", 1, 1, 1024);
      if (idle > connectionPool) {
        throw new ConfigException(
            "PRINTFLEET_CLUSTER_REDIS_IDLE_CONNECTIONS",
            "must not exceed PRINTFLEET_CLUSTER_REDIS_POOL (" + connectionPool + "), got " + idle);
      }
      return new ClusterClientSizes(
          settings.integer("PRINTFLEET_CLUSTER_REDIS_NETTY_THREADS", 2, 1, 64),
          idle,
          connectionPool,
          settings.integer("PRINTFLEET_CLUSTER_REDIS_SUBSCRIPTION_POOL", 8, 1, 1024));
    }
  }

  /** Redis keys printfleet writes itself are prefixed the same way as the cluster manager's. */
  public String key(String key) {
    return keyNamespace.map(ns -> ns + ":" + key).orElse(key);
  }

  @Override
  public String toString() {
    // Never log the password.
    return "RedisSettings[clientType="
        + clientType
        + ", endpoints="
        + endpoints
        + ", keyNamespace="
        + keyNamespace.orElse("")
        + "]";
  }
}
