package dev.printfleet.common.messages;

import io.vertx.core.json.JsonObject;

/** One circuit breaker as its owning instance reports it in a heartbeat. */
public record CircuitInfo(String name, String state, long failures) {

  public JsonObject toJson() {
    return new JsonObject().put("name", name).put("state", state).put("failures", failures);
  }

  public static CircuitInfo fromJson(JsonObject json) {
    return new CircuitInfo(
        Json.requireString(json, "name"),
        Json.requireString(json, "state"),
        json.getLong("failures", 0L));
  }
}
