package dev.printfleet.monitoring.fleet;

import dev.printfleet.common.config.RedisSettings;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.List;

/** The fleet kept in Redis ({@code monitoring:agents}: agent → record), loaded at start. */
public final class FleetStore {

  private final Redis redis;
  private final RedisSettings settings;

  public FleetStore(Redis redis, RedisSettings settings) {
    this.redis = redis;
    this.settings = settings;
  }

  private String key() {
    return settings.key("monitoring:agents");
  }

  public Future<Void> save(AgentRecord record) {
    return redis
        .send(
            Request.cmd(Command.HSET)
                .arg(key())
                .arg(Fleet.keyOf(record).encoded())
                .arg(record.toJson().encode()))
        .mapEmpty();
  }

  /**
   * Writes many agents in one round trip: those a batch of statuses changed, or every agent this
   * replica knows after Redis lost them.
   */
  public Future<Void> saveAll(java.util.Collection<AgentRecord> records) {
    if (records.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Request> writes = new ArrayList<>();
    for (AgentRecord record : records) {
      writes.add(
          Request.cmd(Command.HSET)
              .arg(key())
              .arg(Fleet.keyOf(record).encoded())
              .arg(record.toJson().encode()));
    }
    return redis.batch(writes).mapEmpty();
  }

  public Future<List<AgentRecord>> loadAll() {
    return redis
        .send(Request.cmd(Command.HGETALL).arg(key()))
        .map(
            response -> {
              List<AgentRecord> list = new ArrayList<>();
              if (response != null) {
                for (String field : response.getKeys()) {
                  list.add(AgentRecord.fromJson(new JsonObject(response.get(field).toString())));
                }
              }
              return list;
            });
  }
}
