package dev.printfleet.monitoring.cluster;

import dev.printfleet.common.messages.Heartbeat;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every instance that beat recently, from its latest heartbeat. An instance that stopped beating is
 * kept as {@code DOWN} for a while, then forgotten; one that left on purpose (its last beat said it
 * was draining) is forgotten as soon as it would be down.
 */
public final class ClusterView {

  private final HealthRules rules;
  private final Duration forgetAfter;
  private final Map<String, InstanceRecord> instances = new ConcurrentHashMap<>();

  public ClusterView(HealthRules rules, Duration forgetAfter) {
    this.rules = rules;
    this.forgetAfter = forgetAfter;
  }

  public HealthRules rules() {
    return rules;
  }

  public InstanceRecord record(Heartbeat beat, Instant now) {
    var record = new InstanceRecord(beat, now);
    instances.merge(
        beat.instanceId(),
        record,
        (old, fresh) -> fresh.heartbeat().at().isBefore(old.heartbeat().at()) ? old : fresh);
    return instances.get(beat.instanceId());
  }

  /** Adopts a record loaded from the shared store unless a newer one is already here. */
  public void adopt(InstanceRecord record) {
    instances.merge(
        record.id(),
        record,
        (old, loaded) -> loaded.receivedAt().isAfter(old.receivedAt()) ? loaded : old);
  }

  public Optional<InstanceRecord> get(String id) {
    return Optional.ofNullable(instances.get(id));
  }

  public List<InstanceRecord> all() {
    List<InstanceRecord> list = new ArrayList<>(instances.values());
    list.sort(
        Comparator.comparing((InstanceRecord r) -> r.heartbeat().service())
            .thenComparing(InstanceRecord::id));
    return list;
  }

  /**
   * Drops instances down for longer than the forget time, or that left on purpose; returns their
   * ids.
   */
  public List<String> forget(Instant now) {
    List<String> gone = new ArrayList<>();
    instances
        .values()
        .removeIf(
            r -> {
              boolean leftOnPurpose = r.heartbeat().draining() && rules.isDown(r, now);
              boolean longGone =
                  Duration.between(r.receivedAt(), now)
                          .compareTo(rules.downAfter().plus(forgetAfter))
                      > 0;
              if (leftOnPurpose || longGone) {
                gone.add(r.id());
                return true;
              }
              return false;
            });
    return gone;
  }

  public JsonObject toJson(InstanceRecord record, Instant now) {
    var verdict = rules.judge(record, now);
    Heartbeat beat = record.heartbeat();
    return new JsonObject()
        .put("id", record.id())
        .put("service", beat.service())
        .put("status", verdict.status().name())
        .put("reasons", new JsonArray(new ArrayList<>(verdict.reasons())))
        .put("uptimeS", beat.uptimeS())
        .put(
            "heap",
            new JsonObject()
                .put("usedBytes", beat.heapUsedBytes())
                .put("maxBytes", beat.heapMaxBytes())
                .put("percent", HealthRules.heapPercent(beat)))
        .put("cpu", beat.cpu() < 0 ? null : Math.round(beat.cpu() * 1000) / 10.0)
        .put("eventLoopLagMs", beat.eventLoopLagMs())
        .put("connections", beat.connections())
        .put("ready", beat.ready())
        .put("draining", beat.draining())
        .put("circuits", beat.circuits().size())
        .put("lastHeartbeat", record.receivedAt().toString());
  }

  /** The cluster view of {@code GET /monitoring/cluster}. */
  public JsonObject toJson(Instant now) {
    var items = new JsonArray();
    var counts = new JsonObject().put("UP", 0).put("DEGRADED", 0).put("DOWN", 0);
    for (InstanceRecord record : all()) {
      JsonObject json = toJson(record, now);
      items.add(json);
      counts.put(json.getString("status"), counts.getInteger(json.getString("status")) + 1);
    }
    return new JsonObject()
        .put("instances", items)
        .put("counts", counts)
        .put("heartbeatIntervalMs", rules.interval().toMillis())
        .put("at", now.toString());
  }
}
