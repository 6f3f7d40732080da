package dev.printfleet.common.cluster;

import com.retailsvc.vertx.spi.cluster.redis.config.ClientType;
import com.retailsvc.vertx.spi.cluster.redis.config.RedisConfig;
import dev.printfleet.common.config.EventBusSettings;
import dev.printfleet.common.config.RedisSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.metrics.MetricsOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a clustered Vert.x whose membership, subscriptions and shared data live in Redis (the
 * Redis cluster manager, Redisson underneath), and whose messages travel over the event bus TCP
 * transport on the configured host and port.
 */
public final class ClusterBootstrap {

  private static final Logger log = LoggerFactory.getLogger(ClusterBootstrap.class);

  private ClusterBootstrap() {}

  public static Future<Vertx> start(
      RedisSettings redis, EventBusSettings eventBus, MetricsOptions metrics) {
    var eventBusOptions = new EventBusOptions().setHost(eventBus.host()).setPort(eventBus.port());
    eventBus.publicHost().ifPresent(eventBusOptions::setClusterPublicHost);
    eventBus.publicPort().ifPresent(eventBusOptions::setClusterPublicPort);
    // epoll on Linux (fewer syscalls and allocations per socket than NIO's selector); NIO
    // elsewhere.
    var options =
        new VertxOptions().setEventBusOptions(eventBusOptions).setPreferNativeTransport(true);
    if (metrics != null) {
      options.setMetricsOptions(metrics);
    }
    // Future.future turns a manager this library version cannot size into a failed start.
    return Future.<TrackingRedisClusterManager>future(
            created -> created.complete(clusterManager(redis)))
        .compose(
            manager -> Vertx.builder().with(options).withClusterManager(manager).buildClustered())
        .onSuccess(vertx -> ClusterGuard.start(vertx, eventBus.clusterCheckInterval()))
        .onSuccess(
            vertx ->
                log.info(
                    "Joined the cluster redis={} eventBusHost={} eventBusPort={} redisClient={} nativeTransport={}",
                    redis.endpoints(),
                    eventBus.host(),
                    eventBus.port(),
                    redis.clusterClient(),
                    vertx.isNativeTransportEnabled()))
        .onFailure(
            e ->
                log.error(
                    "Could not join the cluster redis={}: {}", redis.endpoints(), e.toString()));
  }

  static TrackingRedisClusterManager clusterManager(RedisSettings redis) {
    return new TrackingRedisClusterManager(
        redisConfig(redis), redis.clientType(), redis.clusterClient());
  }

  static RedisConfig redisConfig(RedisSettings redis) {
    var config =
        new RedisConfig()
            .setClientType(
                switch (redis.clientType()) {
                  case STANDALONE -> ClientType.STANDALONE;
                  case CLUSTER -> ClientType.CLUSTER;
                  case REPLICATED -> ClientType.REPLICATED;
                });
    redis.endpoints().forEach(config::addEndpoint);
    redis.username().ifPresent(config::setUsername);
    redis.password().ifPresent(config::setPassword);
    redis.keyNamespace().ifPresent(config::setKeyNamespace);
    return config;
  }
}
