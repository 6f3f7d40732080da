package dev.printfleet.common.messages;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/**
 * Published on {@link Addresses#EVENTS_AGENT} by the gateway that holds an agent.
 *
 * @param printers the agent's full printer list for {@link Kind#PRINTERS_SYNCED}, else empty
 */
public record AgentEvent(
    Kind kind,
    String agentId,
    String company,
    String branch,
    String instanceId,
    List<PrinterInfo> printers,
    Instant at) {

  public static final int VERSION = 1;

  public enum Kind {
    CONNECTED,
    DISCONNECTED,
    PRINTERS_SYNCED
  }

  public JsonObject toJson() {
    var list = new JsonArray();
    printers.forEach(p -> list.add(p.toJson()));
    return new JsonObject()
        .put("v", VERSION)
        .put("kind", kind.name())
        .put("agentId", agentId)
        .put("company", company)
        .put("branch", branch)
        .put("instanceId", instanceId)
        .put("printers", list)
        .put("at", at.toEpochMilli());
  }

  public static AgentEvent fromJson(JsonObject json) {
    JsonArray list = json.getJsonArray("printers", new JsonArray());
    return new AgentEvent(
        Kind.valueOf(Json.requireString(json, "kind")),
        Json.requireString(json, "agentId"),
        Json.requireString(json, "company"),
        Json.requireString(json, "branch"),
        Json.requireString(json, "instanceId"),
        list.stream().map(o -> PrinterInfo.fromJson((JsonObject) o)).toList(),
        Json.instant(json, "at"));
  }
}
