package dev.printfleet.common.cluster;

import static dev.printfleet.testing.VertxChecks.check;
import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.testing.FreePorts;
import dev.printfleet.testing.RealServersExtension;
import dev.printfleet.testing.RedisServerHandle;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What printfleet's Redis client counts as an error, against a real Redis and a closed port. */
@ExtendWith({RealServersExtension.class, VertxExtension.class})
class MeteredRedisTest {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @Test
  void failedCommandsBatchesAndConnectsAreCountedAndAnsweredOnesAreNot(
      Vertx vertx, RedisServerHandle server, VertxTestContext test) {
    var redis = new MeteredRedis(Redis.createClient(vertx, server.address()), registry);
    var nowhere =
        new MeteredRedis(
            Redis.createClient(vertx, "redis://127.0.0.1:" + FreePorts.next()), registry);
    // Each step in turn, in order: whether it failed, and the counts right after it.
    List<Supplier<Future<?>>> steps =
        List.of(
            () -> redis.send(Request.cmd(Command.SET).arg("pf:metered").arg("text")),
            () -> redis.send(Request.cmd(Command.GET).arg("pf:metered")),
            () -> redis.batch(List.of(Request.cmd(Command.PING), Request.cmd(Command.PING))),
            // Redis refuses: INCR of a text, alone and in a batch.
            () -> redis.send(Request.cmd(Command.INCR).arg("pf:metered")),
            () ->
                redis.batch(
                    List.of(
                        Request.cmd(Command.PING), Request.cmd(Command.INCR).arg("pf:metered"))),
            // Nothing listens.
            nowhere::connect,
            () -> nowhere.send(Request.cmd(Command.PING)));
    List<String> outcomes = new ArrayList<>();
    Future<Void> run = Future.succeededFuture();
    for (var step : steps) {
      run =
          run.compose(
              v ->
                  step.get()
                      .transform(
                          done -> {
                            outcomes.add(
                                (done.failed() ? "failed" : "answered")
                                    + " command="
                                    + (long) errors("command")
                                    + " connect="
                                    + (long) errors("connect"));
                            return Future.<Void>succeededFuture();
                          }));
    }
    check(
        test,
        run,
        v ->
            assertThat(outcomes)
                .containsExactly(
                    "answered command=0 connect=0",
                    "answered command=0 connect=0",
                    "answered command=0 connect=0",
                    "failed command=1 connect=0",
                    "failed command=2 connect=0",
                    "failed command=2 connect=1",
                    "failed command=3 connect=1"));
  }

  private double errors(String op) {
    return registry.get("printfleet.redis.errors").tag("op", op).counter().count();
  }
}
