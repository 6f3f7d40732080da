package dev.printfleet.common.messages;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/**
 * An agent reported a printer's status. Published on {@link Addresses#EVENTS_PRINTER} in batches
 * ({@link #batchJson}, in the order received; see {@link EventBatch}).
 */
public record PrinterStatusEvent(
    String agentId,
    String company,
    String branch,
    String printerId,
    String status,
    String detail,
    Instant at,
    String offset) {

  public static final int VERSION = 1;

  /** A status not in the history yet (its gateway appends it, then publishes it with offset). */
  public PrinterStatusEvent(
      String agentId,
      String company,
      String branch,
      String printerId,
      String status,
      String detail,
      Instant at) {
    this(agentId, company, branch, printerId, status, detail, at, null);
  }

  /** The same status at its place in its company's printing history (null: not kept). */
  public PrinterStatusEvent withOffset(String historyOffset) {
    return new PrinterStatusEvent(
        agentId, company, branch, printerId, status, detail, at, historyOffset);
  }

  /** At most this many statuses in one message. */
  public static final int MAX_BATCH = 1_000;

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
    if (offset != null) {
      json.put("offset", offset);
    }
    return json;
  }

  public static JsonObject batchJson(List<PrinterStatusEvent> events) {
    return EventBatch.toJson(events, PrinterStatusEvent::toJson, MAX_BATCH, "printer statuses");
  }

  /** The statuses of a message: a batch, or one status alone. */
  public static List<PrinterStatusEvent> listFromJson(JsonObject json) {
    return EventBatch.fromJson(json, PrinterStatusEvent::fromJson, MAX_BATCH, "printer statuses");
  }

  public static PrinterStatusEvent fromJson(JsonObject json) {
    return new PrinterStatusEvent(
        Json.requireString(json, "agentId"),
        Json.requireString(json, "company"),
        Json.requireString(json, "branch"),
        Json.requireString(json, "printerId"),
        Json.requireString(json, "status"),
        json.getString("detail"),
        Json.instant(json, "at"),
        json.getString("offset"));
  }
}
