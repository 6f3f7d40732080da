package dev.printfleet.common.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.testing.FreePorts;
import dev.printfleet.testing.RealServersExtension;
import dev.printfleet.testing.RedisServerHandle;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What printfleet's Redis client counts as an error, against a real Redis and a closed port. */
@ExtendWith(RealServersExtension.class)
class MeteredRedisTest {

  private final Vertx vertx = Vertx.vertx();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void failedCommandsBatchesAndConnectsAreCountedAndAnsweredOnesAreNot(RedisServerHandle server)
      throws Exception {
    var redis = new MeteredRedis(Redis.createClient(vertx, server.address()), registry);
    await(redis.send(Request.cmd(Command.SET).arg("pf:metered").arg("text")));
    await(redis.send(Request.cmd(Command.GET).arg("pf:metered")));
    await(redis.batch(List.of(Request.cmd(Command.PING), Request.cmd(Command.PING))));
    assertThat(errors("command")).isZero();

    // Redis refuses: INCR of a text.
    assertThat(fails(redis.send(Request.cmd(Command.INCR).arg("pf:metered")))).isTrue();
    assertThat(
            fails(
                redis.batch(
                    List.of(
                        Request.cmd(Command.PING), Request.cmd(Command.INCR).arg("pf:metered")))))
        .isTrue();
    assertThat(errors("command")).isEqualTo(2);
    assertThat(errors("connect")).isZero();
    redis.close();

    // Nothing listens.
    var nowhere =
        new MeteredRedis(
            Redis.createClient(vertx, "redis://127.0.0.1:" + FreePorts.next()), registry);
    assertThat(fails(nowhere.connect())).isTrue();
    assertThat(fails(nowhere.send(Request.cmd(Command.PING)))).isTrue();
    assertThat(errors("connect")).isEqualTo(1);
    assertThat(errors("command")).isEqualTo(3);
    nowhere.close();
  }

  private double errors(String op) {
    return registry.get("printfleet.redis.errors").tag("op", op).counter().count();
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static boolean fails(Future<?> future) throws Exception {
    try {
      await(future);
      return false;
    } catch (java.util.concurrent.ExecutionException e) {
      return true;
    }
  }
}
