package dev.printfleet.common.messages;

import io.vertx.core.json.JsonObject;

/** A printer as an agent reports it in {@code printers.sync}. */
public record PrinterInfo(String id, String name, String status) {

  public JsonObject toJson() {
    return new JsonObject().put("id", id).put("name", name).put("status", status);
  }

  public static PrinterInfo fromJson(JsonObject json) {
    return new PrinterInfo(
        Json.requireString(json, "id"),
        json.getString("name", ""),
        json.getString("status", "offline"));
  }
}
