package dev.printfleet.common.messages;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/** Published on {@link Addresses#EVENTS_PRINTER} when an agent reports a printer's status. */
public record PrinterStatusEvent(
    String agentId,
    String company,
    String branch,
    String printerId,
    String status,
    String detail,
    Instant at) {

  public static final int VERSION = 1;

  public JsonObject toJson() {
    var json =
        new JsonObject()
            .put("v", VERSION)
            .put("agentId", agentId)
            .put("company", company)
            .put("branch", branch)
            .put("printerId", printerId)
            .put("status", status)
            .put("at", at.toEpochMilli());
    if (detail != null) {
      json.put("detail", detail);
    }
    return json;
  }

  public static PrinterStatusEvent fromJson(JsonObject json) {
    return new PrinterStatusEvent(
        Json.requireString(json, "agentId"),
        Json.requireString(json, "company"),
        Json.requireString(json, "branch"),
        Json.requireString(json, "printerId"),
        Json.requireString(json, "status"),
        json.getString("detail"),
        Json.instant(json, "at"));
  }
}
