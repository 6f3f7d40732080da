package dev.printfleet.common.cluster;

import dev.printfleet.common.config.EventBusSettings;
import dev.printfleet.common.config.RedisSettings;
import dev.printfleet.common.config.Settings;
import dev.printfleet.testing.VertxChecks;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Map;

/** Starts clustered Vert.x nodes on the test Redis, in a key namespace of the test's own. */
final class ClusterNodes {

  private ClusterNodes() {}

  static RedisSettings redis(String address, String namespace) {
    return RedisSettings.from(
        new Settings(
            Map.of("REDIS_CONNECTION_ADDRESS", address, "REDIS_KEY_NAMESPACE", namespace)));
  }

  static Vertx start(String redisAddress, String namespace) {
    return await(
        ClusterBootstrap.start(
            redis(redisAddress, namespace), EventBusSettings.from(new Settings(Map.of())), null));
  }

  static <T> T await(Future<T> future) {
    return VertxChecks.join(future);
  }

  static <T> T await(Future<T> future, Duration timeout) {
    return VertxChecks.join(future, timeout);
  }
}
