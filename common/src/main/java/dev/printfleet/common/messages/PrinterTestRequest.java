package dev.printfleet.common.messages;

import io.vertx.core.json.JsonObject;

/**
 * Sent to {@link Addresses#gateway(String)} with action {@link #ACTION}: a test print, for the
 * agent of {@code company} with {@code agentId}.
 */
public record PrinterTestRequest(String company, String agentId, String printerId) {

  public static final int VERSION = 1;
  public static final String ACTION = "printer.test";

  public JsonObject toJson() {
    return new JsonObject()
        .put("v", VERSION)
        .put("company", company)
        .put("agentId", agentId)
        .put("printerId", printerId);
  }

  public static PrinterTestRequest fromJson(JsonObject json) {
    return new PrinterTestRequest(
        Json.requireString(json, "company"),
        Json.requireString(json, "agentId"),
        Json.requireString(json, "printerId"));
  }
}
