package dev.printfleet.common.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.config.RedisSettings;
import dev.printfleet.common.config.Settings;
import dev.printfleet.testing.RealServersExtension;
import dev.printfleet.testing.RedisServerHandle;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A producer's batches against a real Redis made slow (CLIENT PAUSE): one append under way at a
 * time, what comes meanwhile goes in the next, the stream holds them in the order they are
 * published, and a step follows what was added before it.
 */
@ExtendWith({RealServersExtension.class, VertxExtension.class})
class KeptBatchesTest {

  @Test
  void aBatchWaitsForTheAppendUnderWayAndAStepFollowsWhatCameBeforeIt(
      Vertx vertx, RedisServerHandle server) throws Exception {
    Redis redis = Redis.createClient(vertx, server.address());
    var settings = settings(server);
    var history = history(vertx, redis, settings);
    List<String> published = new CopyOnWriteArrayList<>();
    var batches = batches(vertx, history, published, null);

    // Writes wait 300 ms: the first append is under way meanwhile.
    redis
        .send(Request.cmd(Command.CLIENT).arg("PAUSE").arg(300).arg("WRITE"))
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    batches.add("a");
    batches.flush();
    batches.add("b");
    batches.flush();
    batches.add("c");
    batches.flushThen(() -> published.add("step"));
    batches.add("d");

    await().atMost(Duration.ofSeconds(10)).until(() -> published.contains("step"));
    await().atMost(Duration.ofSeconds(10)).until(() -> published.size() == 4);
    assertThat(published).containsExactly("a", "b,c", "step", "d");

    assertThat(jobIds(redis, settings)).containsExactly("a", "b", "c", "d");
    redis.close();
  }

  /**
   * With an offset wait (statuses), a batch waits at most that long, and one that comes while an
   * append is under way goes out at once; both without offsets, and kept all the same, in order.
   */
  @Test
  void withAnOffsetWaitASlowAppendHoldsNothingBackAndKeepsTheOrder(
      Vertx vertx, RedisServerHandle server) throws Exception {
    Redis redis = Redis.createClient(vertx, server.address());
    var settings = settings(server);
    var history = history(vertx, redis, settings);
    List<String> published = new CopyOnWriteArrayList<>();
    var batches = batches(vertx, history, published, Duration.ofMillis(20));

    // Its append may or may not answer within the 20 ms (a new connection): either way it goes.
    batches.add("fast");
    batches.flush();
    await().atMost(Duration.ofSeconds(10)).until(() -> published.size() == 1);

    // Writes wait 450 ms.
    redis
        .send(Request.cmd(Command.CLIENT).arg("PAUSE").arg(450).arg("WRITE"))
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    batches.add("a");
    batches.flush();
    await().atMost(Duration.ofSeconds(10)).until(() -> published.size() == 2);
    batches.add("b");
    batches.flushThen(() -> published.add("step"));
    assertThat(published.subList(1, published.size()))
        .containsExactly("a not kept", "b not kept", "step");
    // Out while the append of a was still held: it is not in the stream yet (read on a client of
    // its own, as the history's connection waits behind the paused write).
    Redis reader = Redis.createClient(vertx, server.address());
    assertThat(jobIds(reader, settings)).doesNotContain("a");
    reader.close();

    await().atMost(Duration.ofSeconds(10)).until(() -> jobIds(redis, settings).size() == 3);
    assertThat(jobIds(redis, settings)).containsExactly("fast", "a", "b");
    redis.close();
  }

  /** Appends may take up to 10 s here: the pauses below must not fail them. */
  private static PrintingHistory history(Vertx vertx, Redis redis, RedisSettings settings) {
    return new PrintingHistory(
        vertx,
        redis,
        settings,
        new PrintingHistory.Bounds(100, Duration.ofMinutes(5)),
        PrintingHistory.FAIL_FAST,
        Duration.ofSeconds(10));
  }

  private static RedisSettings settings(RedisServerHandle server) {
    return RedisSettings.from(
        new Settings(
            Map.of(
                "REDIS_CONNECTION_ADDRESS",
                server.address(),
                "REDIS_KEY_NAMESPACE",
                "batches-" + UUID.randomUUID().toString().substring(0, 8))));
  }

  private static KeptBatches<String> batches(
      Vertx vertx, PrintingHistory history, List<String> published, Duration offsetWait) {
    return new KeptBatches<>(
        vertx,
        history,
        1_000,
        job ->
            new PrintingHistory.Event(
                "acme", "b1", PrintingHistory.JOB_UPDATE, new JsonObject().put("jobId", job)),
        (job, offset) -> offset == null ? job + " not kept" : job,
        batch -> published.add(String.join(",", batch)),
        offsetWait);
  }

  /** The job ids of acme's stream, oldest first. */
  private static List<String> jobIds(Redis redis, RedisSettings settings) throws Exception {
    Response entries =
        redis
            .send(
                Request.cmd(Command.XRANGE)
                    .arg(PrintingHistory.streamKey(settings, "acme"))
                    .arg("-")
                    .arg("+"))
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    return entries.stream()
        .flatMap(e -> new JsonObject(e.get(1).get(1).toString()).getJsonArray("events").stream())
        .map(e -> ((JsonObject) e).getJsonObject("data").getString("jobId"))
        .toList();
  }
}
