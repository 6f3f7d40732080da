package dev.printfleet.common.messages;

import io.vertx.core.json.JsonObject;

/**
 * Sent to {@link Addresses#control(String)}: {@link #CIRCUIT_RESET} closes the named circuit,
 * {@link #DRAIN} starts a graceful shutdown of the instance.
 */
public record ControlCommand(String action, String target) {

  public static final int VERSION = 1;
  public static final String CIRCUIT_RESET = "circuit.reset";
  public static final String DRAIN = "drain";

  public JsonObject toJson() {
    var json = new JsonObject().put("v", VERSION).put("action", action);
    if (target != null) {
      json.put("target", target);
    }
    return json;
  }

  public static ControlCommand fromJson(JsonObject json) {
    return new ControlCommand(Json.requireString(json, "action"), json.getString("target"));
  }
}
