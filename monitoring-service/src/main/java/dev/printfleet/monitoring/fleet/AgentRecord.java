package dev.printfleet.monitoring.fleet;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One agent as the fleet knows it: where it belongs, whether it is online since when, and its
 * printers' latest statuses.
 */
public record AgentRecord(
    String agentId,
    String company,
    String branch,
    boolean online,
    Instant since,
    String instance,
    Map<String, String> printers) {

  public JsonObject toJson() {
    var list = new JsonObject();
    printers.forEach(list::put);
    return new JsonObject()
        .put("agentId", agentId)
        .put("company", company)
        .put("branch", branch)
        .put("online", online)
        .put("since", since.toEpochMilli())
        .put("instance", instance)
        .put("printers", list);
  }

  public static AgentRecord fromJson(JsonObject json) {
    Map<String, String> printers = new LinkedHashMap<>();
    json.getJsonObject("printers", new JsonObject())
        .forEach(e -> printers.put(e.getKey(), String.valueOf(e.getValue())));
    return new AgentRecord(
        json.getString("agentId"),
        json.getString("company"),
        json.getString("branch"),
        json.getBoolean("online", false),
        Instant.ofEpochMilli(json.getLong("since", 0L)),
        json.getString("instance"),
        printers);
  }
}
