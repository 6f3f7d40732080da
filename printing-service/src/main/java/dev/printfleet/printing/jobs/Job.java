package dev.printfleet.printing.jobs;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.util.UUID;

/** A job as the API shows it (PROTOCOL.md §3); the content stays in the database. */
public record Job(
    UUID id,
    String company,
    String branch,
    String printerId,
    JobState state,
    int attempts,
    int copies,
    String contentType,
    OffsetDateTime createdAt,
    OffsetDateTime updatedAt,
    String error) {

  static Job fromRow(Row row) {
    return new Job(
        row.getUUID("id"),
        row.getString("company"),
        row.getString("branch"),
        row.getString("printer_id"),
        JobState.fromWire(row.getString("state")),
        row.getInteger("attempts"),
        row.getInteger("copies"),
        row.getString("content_type"),
        row.getOffsetDateTime("created_at"),
        row.getOffsetDateTime("updated_at"),
        row.getString("error"));
  }

  /** The same job in another state, without an error (a step it went through). */
  public Job inState(JobState other) {
    return new Job(
        id,
        company,
        branch,
        printerId,
        other,
        attempts,
        copies,
        contentType,
        createdAt,
        updatedAt,
        null);
  }

  public JsonObject toJson() {
    var json =
        new JsonObject()
            .put("id", id.toString())
            .put("printerId", printerId)
            .put("branch", branch)
            .put("company", company)
            .put("state", state.wire())
            .put("attempts", attempts)
            .put("copies", copies)
            .put("contentType", contentType)
            .put("createdAt", createdAt.toInstant().toString())
            .put("updatedAt", updatedAt.toInstant().toString());
    json.put("error", error);
    return json;
  }

  public JsonObject toJson(JsonArray history) {
    return toJson().put("history", history);
  }
}
