package dev.printfleet.monitoring.cluster;

import dev.printfleet.common.config.RedisSettings;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The cluster view kept in Redis, so it survives a restart of monitoring and every replica sees the
 * same: {@code monitoring:instances} (instance → latest record) and one sorted set per instance of
 * history samples scored by heartbeat time, trimmed to the last hour and {@link #MAX_SAMPLES}.
 * Replicas write the same members, so two of them do not double the history.
 */
public final class ClusterStore {

  public static final Duration HISTORY = Duration.ofHours(1);
  public static final int MAX_SAMPLES = 720;

  private final Redis redis;
  private final RedisSettings settings;

  public ClusterStore(Redis redis, RedisSettings settings) {
    this.redis = redis;
    this.settings = settings;
  }

  private String instancesKey() {
    return settings.key("monitoring:instances");
  }

  private String historyKey(String id) {
    return settings.key("monitoring:history:" + id);
  }

  public Future<Void> save(InstanceRecord record) {
    var beat = record.heartbeat();
    long at = beat.at().toEpochMilli();
    var sample =
        new JsonObject()
            .put("at", at)
            .put("heapUsedBytes", beat.heapUsedBytes())
            .put("heapPercent", HealthRules.heapPercent(beat))
            .put("cpu", beat.cpu())
            .put("eventLoopLagMs", beat.eventLoopLagMs())
            .put("connections", beat.connections())
            .put("ready", beat.ready());
    String history = historyKey(record.id());
    return redis
        .batch(
            List.of(
                Request.cmd(Command.HSET)
                    .arg(instancesKey())
                    .arg(record.id())
                    .arg(record.toJson().encode()),
                Request.cmd(Command.ZADD).arg(history).arg(at).arg(sample.encode()),
                Request.cmd(Command.ZREMRANGEBYSCORE)
                    .arg(history)
                    .arg("-inf")
                    .arg(at - HISTORY.toMillis()),
                Request.cmd(Command.ZREMRANGEBYRANK).arg(history).arg(0).arg(-MAX_SAMPLES - 1),
                Request.cmd(Command.PEXPIRE).arg(history).arg(HISTORY.toMillis() * 2)))
        .mapEmpty();
  }

  public Future<List<InstanceRecord>> loadAll() {
    return redis
        .send(Request.cmd(Command.HGETALL).arg(instancesKey()))
        .map(
            response -> {
              List<InstanceRecord> list = new ArrayList<>();
              if (response != null) {
                for (String field : response.getKeys()) {
                  list.add(InstanceRecord.fromJson(new JsonObject(response.get(field).toString())));
                }
              }
              return list;
            });
  }

  public Future<JsonArray> history(String id, Instant since) {
    return redis
        .send(
            Request.cmd(Command.ZRANGEBYSCORE)
                .arg(historyKey(id))
                .arg(since.toEpochMilli())
                .arg("+inf"))
        .map(
            response -> {
              var list = new JsonArray();
              if (response != null) {
                for (Response item : response) {
                  list.add(new JsonObject(item.toString()));
                }
              }
              return list;
            });
  }

  public Future<Void> remove(String id) {
    return redis
        .batch(
            List.of(
                Request.cmd(Command.HDEL).arg(instancesKey()).arg(id),
                Request.cmd(Command.DEL).arg(historyKey(id))))
        .mapEmpty();
  }
}
