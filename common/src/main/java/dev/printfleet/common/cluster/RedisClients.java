package dev.printfleet.common.cluster;

import dev.printfleet.common.config.RedisSettings;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.RedisReplicas;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** printfleet's own Redis client (presence registry, rate limits), on the cluster's Redis. */
public final class RedisClients {

  private RedisClients() {}

  /** The client, counting its failures in {@code registry} ({@link MeteredRedis}). */
  public static Redis create(Vertx vertx, RedisSettings settings, MeterRegistry registry) {
    var options =
        new RedisOptions()
            // A reconnect storm registers thousands of agents at once: let them wait their turn.
            .setMaxPoolSize(16)
            .setMaxPoolWaiting(65_536)
            .setMaxWaitingHandlers(16_384)
            .setPoolRecycleTimeout(15_000);
    settings
        .endpoints()
        .forEach(endpoint -> options.addConnectionString(withCredentials(endpoint, settings)));
    switch (settings.clientType()) {
      case STANDALONE -> options.setType(RedisClientType.STANDALONE);
      case CLUSTER -> options.setType(RedisClientType.CLUSTER).setUseReplicas(RedisReplicas.NEVER);
      case REPLICATED -> options.setType(RedisClientType.REPLICATION);
    }
    return new MeteredRedis(Redis.createClient(vertx, options), registry);
  }

  /** vertx-redis-client takes credentials in the connection string. */
  private static String withCredentials(String endpoint, RedisSettings settings) {
    if (settings.password().isEmpty()) {
      return endpoint;
    }
    URI uri = URI.create(endpoint);
    String user = settings.username().map(RedisClients::encode).orElse("");
    String userInfo = user + ":" + encode(settings.password().get());
    return uri.getScheme() + "://" + userInfo + "@" + uri.getHost() + ":" + uri.getPort();
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
