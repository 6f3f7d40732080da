package dev.printfleet.common.messages;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/**
 * Published on {@link Addresses#MONITORING_HEARTBEAT} by every instance every interval.
 *
 * @param cpu process CPU load, 0..1 of the whole machine; negative when unknown
 * @param eventLoopLagMs the worst delay of a timer on an event loop since the last beat
 * @param ready whether the instance's own readiness checks pass
 * @param clusterLossAt when the instance last found its cluster state (its entry, its
 *     subscriptions) missing from Redis and put it back; null if never. Optional in the JSON.
 */
public record Heartbeat(
    String instanceId,
    String service,
    long uptimeS,
    long heapUsedBytes,
    long heapMaxBytes,
    double cpu,
    long eventLoopLagMs,
    int connections,
    boolean ready,
    boolean draining,
    List<CircuitInfo> circuits,
    Instant at,
    Instant clusterLossAt) {

  public static final int VERSION = 1;

  /** A heartbeat of an instance that never lost its cluster state. */
  public Heartbeat(
      String instanceId,
      String service,
      long uptimeS,
      long heapUsedBytes,
      long heapMaxBytes,
      double cpu,
      long eventLoopLagMs,
      int connections,
      boolean ready,
      boolean draining,
      List<CircuitInfo> circuits,
      Instant at) {
    this(
        instanceId,
        service,
        uptimeS,
        heapUsedBytes,
        heapMaxBytes,
        cpu,
        eventLoopLagMs,
        connections,
        ready,
        draining,
        circuits,
        at,
        null);
  }

  public JsonObject toJson() {
    var list = new JsonArray();
    circuits.forEach(c -> list.add(c.toJson()));
    var json =
        new JsonObject()
            .put("v", VERSION)
            .put("instanceId", instanceId)
            .put("service", service)
            .put("uptimeS", uptimeS)
            .put("heapUsedBytes", heapUsedBytes)
            .put("heapMaxBytes", heapMaxBytes)
            .put("cpu", cpu)
            .put("eventLoopLagMs", eventLoopLagMs)
            .put("connections", connections)
            .put("ready", ready)
            .put("draining", draining)
            .put("circuits", list)
            .put("at", at.toEpochMilli());
    if (clusterLossAt != null) {
      json.put("clusterLossAt", clusterLossAt.toEpochMilli());
    }
    return json;
  }

  public static Heartbeat fromJson(JsonObject json) {
    JsonArray list = json.getJsonArray("circuits", new JsonArray());
    return new Heartbeat(
        Json.requireString(json, "instanceId"),
        Json.requireString(json, "service"),
        json.getLong("uptimeS", 0L),
        json.getLong("heapUsedBytes", 0L),
        json.getLong("heapMaxBytes", 0L),
        json.getDouble("cpu", -1.0),
        json.getLong("eventLoopLagMs", 0L),
        json.getInteger("connections", 0),
        json.getBoolean("ready", false),
        json.getBoolean("draining", false),
        list.stream().map(o -> CircuitInfo.fromJson((JsonObject) o)).toList(),
        Json.instant(json, "at"),
        json.getLong("clusterLossAt") == null
            ? null
            : Instant.ofEpochMilli(json.getLong("clusterLossAt")));
  }
}
