package dev.printfleet.common.cluster;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.List;

/**
 * printfleet's Redis client counting what fails: {@code printfleet_redis_errors_total{op}}, {@code
 * op} {@code command} (a command or a batch: refused, timed out, connection lost) or {@code
 * connect}. The alert {@code PrintfleetRedisErrors} reads it. Commands sent on a connection taken
 * with {@link #connect()} are the caller's to count.
 */
final class MeteredRedis implements Redis {

  private final Redis redis;
  private final Counter commandErrors;
  private final Counter connectErrors;

  MeteredRedis(Redis redis, MeterRegistry registry) {
    this.redis = redis;
    this.commandErrors = errors(registry, "command");
    this.connectErrors = errors(registry, "connect");
  }

  private static Counter errors(MeterRegistry registry, String op) {
    return Counter.builder("printfleet.redis.errors")
        .description("Redis commands and connects of printfleet's own client that failed")
        .tag("op", op)
        .register(registry);
  }

  @Override
  public Future<RedisConnection> connect() {
    return redis.connect().onFailure(e -> connectErrors.increment());
  }

  @Override
  public void close() {
    redis.close();
  }

  @Override
  public Future<Response> send(Request command) {
    return redis.send(command).onFailure(e -> commandErrors.increment());
  }

  @Override
  public Future<List<Response>> batch(List<Request> commands) {
    return redis.batch(commands).onFailure(e -> commandErrors.increment());
  }
}
