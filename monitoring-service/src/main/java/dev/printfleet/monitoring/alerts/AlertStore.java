package dev.printfleet.monitoring.alerts;

import dev.printfleet.common.config.RedisSettings;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Alerts in Redis, shared by monitoring replicas: {@code monitoring:alerts:active} (key → since;
 * the first replica to raise it sets it) and {@code monitoring:alerts:recent} (cleared alerts,
 * written by the replica that removed the active entry, so once).
 */
public final class AlertStore {

  public static final int MAX_RECENT = 100;

  private final Redis redis;
  private final RedisSettings settings;

  public AlertStore(Redis redis, RedisSettings settings) {
    this.redis = redis;
    this.settings = settings;
  }

  private String activeKey() {
    return settings.key("monitoring:alerts:active");
  }

  private String recentKey() {
    return settings.key("monitoring:alerts:recent");
  }

  /** Records the alert as active; answers the start time recorded first, by any replica. */
  public Future<Instant> raise(Alert alert) {
    return redis
        .batch(
            List.of(
                Request.cmd(Command.HSETNX)
                    .arg(activeKey())
                    .arg(alert.key())
                    .arg(alert.since().toEpochMilli()),
                Request.cmd(Command.HGET).arg(activeKey()).arg(alert.key())))
        .map(
            responses ->
                Optional.ofNullable(responses.get(1))
                    .map(r -> Instant.ofEpochMilli(r.toLong()))
                    .orElse(alert.since()));
  }

  /**
   * Writes what this replica holds back after Redis lost it: its active alerts (with their start
   * times) and its recent ones, so other replicas and a restarted one see them again.
   */
  public Future<Void> restore(List<Alert> active, List<Alert> recentAlerts) {
    List<Request> writes = new ArrayList<>();
    for (Alert alert : active) {
      writes.add(
          Request.cmd(Command.HSETNX)
              .arg(activeKey())
              .arg(alert.key())
              .arg(alert.since().toEpochMilli()));
    }
    for (Alert alert : recentAlerts) {
      writes.add(
          Request.cmd(Command.ZADD)
              .arg(recentKey())
              .arg(alert.clearedAt().toEpochMilli())
              .arg(alert.toJson().encode()));
    }
    if (writes.isEmpty()) {
      return Future.succeededFuture();
    }
    writes.add(Request.cmd(Command.ZREMRANGEBYRANK).arg(recentKey()).arg(0).arg(-MAX_RECENT - 1));
    return redis.batch(writes).mapEmpty();
  }

  public Future<Void> clear(Alert cleared) {
    return redis
        .send(Request.cmd(Command.HDEL).arg(activeKey()).arg(cleared.key()))
        .compose(
            deleted -> {
              if (deleted == null || deleted.toInteger() == 0) {
                return Future.succeededFuture();
              }
              return redis
                  .batch(
                      List.of(
                          Request.cmd(Command.ZADD)
                              .arg(recentKey())
                              .arg(cleared.clearedAt().toEpochMilli())
                              .arg(cleared.toJson().encode()),
                          Request.cmd(Command.ZREMRANGEBYRANK)
                              .arg(recentKey())
                              .arg(0)
                              .arg(-MAX_RECENT - 1)))
                  .mapEmpty();
            });
  }

  public Future<List<Alert>> recent() {
    return redis
        .send(Request.cmd(Command.ZRANGE).arg(recentKey()).arg(0).arg(-1))
        .map(
            response -> {
              List<Alert> list = new ArrayList<>();
              if (response != null) {
                for (Response item : response) {
                  list.add(Alert.fromJson(new JsonObject(item.toString())));
                }
              }
              return list;
            });
  }
}
