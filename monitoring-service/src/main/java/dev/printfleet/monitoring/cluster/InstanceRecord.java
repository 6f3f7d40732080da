package dev.printfleet.monitoring.cluster;

import dev.printfleet.common.messages.Heartbeat;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * An instance's latest heartbeat and when monitoring received it. Status is judged on the receive
 * time, monitoring's own clock, so a skewed clock on an instance cannot hide it.
 */
public record InstanceRecord(Heartbeat heartbeat, Instant receivedAt) {

  public String id() {
    return heartbeat.instanceId();
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("heartbeat", heartbeat.toJson())
        .put("receivedAt", receivedAt.toEpochMilli());
  }

  public static InstanceRecord fromJson(JsonObject json) {
    return new InstanceRecord(
        Heartbeat.fromJson(json.getJsonObject("heartbeat")),
        Instant.ofEpochMilli(json.getLong("receivedAt")));
  }
}
